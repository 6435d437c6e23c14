#include "detect/shared_baseline.h"

#include "detect/detector.h"

namespace dnswatch {

void BaselineSources::build(const WatchSet& watch, Baseline& out) const {
    for (const auto& records : zone_files) out.add_zone_records(records, watch);
    for (const auto& records : transferred) out.add_zone_records(records, watch);
    out.add_zone_records(other_records, watch);
    for (const Announcement& announcement : announcements) {
        for (const ZoneRecord& record : announcement.records) out.announce(record, announcement.effective_us, watch);
    }
}

SharedBaseline::SharedBaseline(const WatchSet& watch, BaselineSources sources)
    : watch_(watch), sources_(std::move(sources)) {
    auto first = std::make_shared<Baseline>();
    sources_.build(watch_, *first);
    current_.store(std::move(first), std::memory_order_release);
}

void SharedBaseline::update(const std::function<void(BaselineSources&)>& change) {
    std::lock_guard lock(writer_);
    change(sources_);
    auto next = std::make_shared<Baseline>();
    sources_.build(watch_, *next);
    current_.store(std::move(next), std::memory_order_release);
    // After the store: a reader that sees the new version finds the new snapshot.
    version_.fetch_add(1, std::memory_order_acq_rel);
}

bool BaselineFollower::refresh(Detector& detector) {
    const std::uint64_t version = shared_.version();
    if (version == version_) return false;
    held_ = shared_.snapshot();
    version_ = version;
    detector.set_baseline(*held_);
    return true;
}

}  // namespace dnswatch
