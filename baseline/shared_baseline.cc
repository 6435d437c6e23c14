#include "baseline/shared_baseline.h"


namespace dnswatch {

void BaselineSources::build(const WatchSet& watch, Baseline& out) const {
    for (const auto& records : zone_files) out.add_zone_records(records, watch);
    for (const auto& [zone, records] : transferred) {
        // Only while its zone is watched: a removed zone's last transfer
        // would otherwise land in a watched parent's baseline.
        if (watch.find_zone(zone) != nullptr) out.add_zone_records(records, watch);
    }
    out.add_zone_records(other_records, watch);
    for (const Announcement& announcement : announcements) {
        for (const ZoneRecord& record : announcement.records) out.announce(record, announcement.effective_us, watch);
    }
}

SharedBaseline::SharedBaseline(WatchSet watch, BaselineSources sources) : sources_(std::move(sources)) {
    auto shared_watch = std::make_shared<const WatchSet>(std::move(watch));
    auto shards = std::make_shared<const ZoneShards>(shared_watch, 1);
    publish(std::move(shared_watch), std::move(shards));
}

void SharedBaseline::publish(std::shared_ptr<const WatchSet> watch, std::shared_ptr<const ZoneShards> shards) {
    auto next = std::make_shared<BaselineSnapshot>();
    next->watch = std::move(watch);
    next->shards = std::move(shards);
    sources_.build(*next->watch, next->baseline);
    current_.store(std::move(next), std::memory_order_release);
    // After the store: a reader that sees the new version finds the new snapshot.
    version_.fetch_add(1, std::memory_order_acq_rel);
}

void SharedBaseline::update(const std::function<void(BaselineSources&)>& change) {
    std::lock_guard lock(writer_);
    change(sources_);
    const std::shared_ptr<const BaselineSnapshot> current = snapshot();
    publish(current->watch, current->shards);
}

void SharedBaseline::set_transfer(const std::string& zone, std::vector<ZoneRecord> records) {
    update([&](BaselineSources& sources) { sources.transferred[zone] = std::move(records); });
}

void SharedBaseline::announce(Announcement announcement) {
    update([&](BaselineSources& sources) { sources.announcements.push_back(std::move(announcement)); });
}

void SharedBaseline::replace(WatchSet watch, BaselineSources sources) {
    std::lock_guard lock(writer_);
    const std::shared_ptr<const BaselineSnapshot> current = snapshot();
    auto shared_watch = std::make_shared<const WatchSet>(std::move(watch));
    for (auto& [zone, records] : sources_.transferred) {
        // The refresher's copy is at least as new as the one kept on disk.
        if (shared_watch->find_zone(zone) != nullptr) sources.transferred[zone] = std::move(records);
    }
    sources_ = std::move(sources);
    auto shards = std::make_shared<const ZoneShards>(shared_watch, current->shards->shard_count(),
                                                     current->shards.get());
    publish(std::move(shared_watch), std::move(shards));
}

void SharedBaseline::partition(std::size_t shards) {
    std::lock_guard lock(writer_);
    const std::shared_ptr<const BaselineSnapshot> current = snapshot();
    if (current->shards->shard_count() == shards) return;
    publish(current->watch, std::make_shared<const ZoneShards>(current->watch, shards));
}

bool BaselineFollower::refresh() {
    const std::uint64_t version = shared_.version();
    if (version == version_) return false;
    held_ = shared_.snapshot();
    version_ = version;
    return true;
}

}  // namespace dnswatch
