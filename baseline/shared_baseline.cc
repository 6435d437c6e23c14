#include "baseline/shared_baseline.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <unordered_map>

#include "decode/dns_message.h"
#include "decode/rdata.h"

namespace dnswatch {
namespace {

// The items of an RRset (everything after its header): equal for equal
// rdata lists, since a table keeps them sorted and unique.
std::span<const std::uint8_t> items_of(const std::uint8_t* rrset) {
    return {rrset + rrset_layout::kHeader,
            static_cast<std::size_t>(rrset_layout::end(rrset) - rrset) - rrset_layout::kHeader};
}

bool same_rrset(const std::uint8_t* a, const std::uint8_t* b) {
    const auto x = items_of(a);
    const auto y = items_of(b);
    return rrset_layout::ttl(a) == rrset_layout::ttl(b) && x.size() == y.size() &&
           std::memcmp(x.data(), y.data(), x.size()) == 0;
}

// `rrset` as `source` now gives it (nullptr: it gives nothing any more).
RRsetChange change_to(const DnsName& owner, std::uint16_t type, const std::uint8_t* rrset, SourceId source) {
    RRsetChange change;
    change.owner = owner;
    change.type = type;
    change.source = source;
    if (rrset == nullptr) return change;
    change.ttl = rrset_layout::ttl(rrset);
    const std::uint8_t* p = rrset + rrset_layout::kHeader;
    for (std::uint16_t i = rrset_layout::item_count(rrset); i > 0; --i) {
        const std::uint16_t length = rrset_layout::load16(p);
        change.rdata.emplace_back(p + rrset_layout::kItemHeader, p + rrset_layout::kItemHeader + length);
        p += rrset_layout::kItemHeader + length;
    }
    return change;
}

// The zones to spread over the shards: those with many delegations.
std::vector<std::uint8_t> zones_to_split(const Baseline& baseline, const WatchSet& watch, std::size_t shards) {
    if (shards <= 1) return {};
    std::vector<std::uint8_t> split(watch.zones().size(), 0);
    const std::vector<std::size_t> delegations = baseline.delegation_counts(watch);
    for (std::size_t i = 0; i < split.size(); ++i) split[i] = delegations[i] >= ZoneShards::kSplitDelegations ? 1 : 0;
    return split;
}

}  // namespace

SharedBaseline::SharedBaseline(WatchSet watch, Baseline baseline) {
    auto shared_watch = std::make_shared<const WatchSet>(std::move(watch));
    auto shards = std::make_shared<const ZoneShards>(shared_watch, 1);
    publish(std::move(shared_watch), std::move(shards), std::move(baseline));
    reclaimer_ = std::thread([this] { reclaim_loop(); });
}

SharedBaseline::SharedBaseline(WatchSet watch, const BaselineSources& sources)
    : SharedBaseline(WatchSet(watch), sources.build(watch)) {}

SharedBaseline::~SharedBaseline() {
    {
        std::lock_guard lock(retired_mutex_);
        stopping_ = true;
    }
    reclaim_wake_.notify_all();
    if (reclaimer_.joinable()) reclaimer_.join();
}

void SharedBaseline::publish(std::shared_ptr<const WatchSet> watch, std::shared_ptr<const ZoneShards> shards,
                             Baseline baseline) {
    auto next = std::make_shared<BaselineSnapshot>();
    next->watch = std::move(watch);
    next->shards = std::move(shards);
    next->baseline = std::move(baseline);
    std::shared_ptr<const BaselineSnapshot> previous = current_.exchange(std::move(next), std::memory_order_acq_rel);
    // After the store: a reader that sees the new version finds the new snapshot.
    version_.fetch_add(1, std::memory_order_acq_rel);
    ++counters_.snapshots;
    if (previous) {
        std::lock_guard lock(retired_mutex_);
        retired_.push_back(std::move(previous));
    }
}

void SharedBaseline::apply(std::span<const RRsetChange> changes) {
    if (changes.empty()) return;
    std::lock_guard lock(writer_);
    const std::shared_ptr<const BaselineSnapshot> current = snapshot();
    const std::size_t before = current->baseline.overlay_nodes();
    Baseline next = current->baseline.with_changes(changes);
    if (next.overlay_nodes() < before || (before + changes.size() > Baseline::kMaxOverlayNodes)) ++counters_.compactions;
    counters_.rrsets_changed += changes.size();
    publish(current->watch, current->shards, std::move(next));
}

void SharedBaseline::set_transfer(const std::string& zone, const std::vector<ZoneRecord>& records) {
    std::lock_guard lock(writer_);
    const std::shared_ptr<const BaselineSnapshot> current = snapshot();
    const SourceId source = transfer_source(zone);
    // The new content, as a table of its own, then the difference with what
    // the last transfer said: only that goes into the new snapshot.
    BaselineInput input(*current->watch);
    input.add(records, source);
    const Baseline transferred = input.build();
    auto for_each_change = [&](auto&& on_change) {
        transferred.for_each_rrset([&](const DnsName& owner, const std::uint8_t* rrset) {
            const std::uint8_t* before = current->baseline.find_rrset(owner, rrset_layout::type(rrset), source);
            if (before == nullptr || !same_rrset(before, rrset)) on_change(owner, rrset_layout::type(rrset), rrset);
        });
        current->baseline.for_each_rrset([&](const DnsName& owner, const std::uint8_t* rrset) {
            if (rrset_layout::source(rrset) != source) return;
            if (transferred.find_rrset(owner, rrset_layout::type(rrset), source) == nullptr) {
                on_change(owner, rrset_layout::type(rrset), nullptr);
            }
        });
    };
    std::size_t count = 0;
    for_each_change([&](const DnsName&, std::uint16_t, const std::uint8_t*) { ++count; });
    if (count == 0) return;  // a re-push of the same data is not a change
    counters_.rrsets_changed += count;
    Baseline next;
    if (current->baseline.overlay_nodes() + count > Baseline::kMaxOverlayNodes) {
        // A first transfer, or most of a zone changed: a new base, not an overlay.
        BaselineInput whole(*current->watch);
        current->baseline.for_each_rrset([&](const DnsName& owner, const std::uint8_t* rrset) {
            if (rrset_layout::source(rrset) != source) whole.add_rrset(owner, rrset);
        });
        transferred.for_each_rrset([&](const DnsName& owner, const std::uint8_t* rrset) { whole.add_rrset(owner, rrset); });
        next = whole.build();
        next = next.with_announcements_of(current->baseline);
        ++counters_.compactions;
    } else {
        std::vector<RRsetChange> changes;
        changes.reserve(count);
        for_each_change([&](const DnsName& owner, std::uint16_t type, const std::uint8_t* rrset) {
            changes.push_back(change_to(owner, type, rrset, source));
        });
        next = current->baseline.with_changes(changes);
    }
    publish(current->watch, current->shards, std::move(next));
}

bool SharedBaseline::apply_transfer_changes(const std::string& zone, const std::vector<ZoneRecord>& removed,
                                            const std::vector<ZoneRecord>& added) {
    std::lock_guard lock(writer_);
    const std::shared_ptr<const BaselineSnapshot> current = snapshot();
    const SourceId source = transfer_source(zone);
    // Each RRset touched, starting from what the last transfer gave it.
    std::map<std::string, RRsetChange> touched;
    auto rrset_of = [&](const ZoneRecord& r) -> RRsetChange& {
        std::string key(r.owner.key());
        key.push_back(static_cast<char>(r.type >> 8));
        key.push_back(static_cast<char>(r.type & 0xFF));
        auto [it, fresh] = touched.try_emplace(std::move(key));
        if (fresh) {
            it->second = change_to(r.owner, r.type, current->baseline.find_rrset(r.owner, r.type, source), source);
        }
        return it->second;
    };
    std::vector<std::uint8_t> canonical;
    auto canonical_of = [&](const ZoneRecord& r) {
        canonical.clear();
        return current->watch->find(r.owner) != nullptr &&
               append_canonical_rdata(r.rdata, r.type, 0, r.rdata.size(), canonical) == MalformedKind::none;
    };
    for (const ZoneRecord& r : removed) {
        if (!canonical_of(r)) continue;
        RRsetChange& change = rrset_of(r);
        const auto it = std::find(change.rdata.begin(), change.rdata.end(), canonical);
        if (it == change.rdata.end()) return false;
        change.rdata.erase(it);
    }
    std::map<std::string, bool> ttl_from_additions;
    for (const ZoneRecord& r : added) {
        if (!canonical_of(r)) continue;
        RRsetChange& change = rrset_of(r);
        if (std::find(change.rdata.begin(), change.rdata.end(), canonical) == change.rdata.end()) {
            change.rdata.push_back(canonical);
        }
        // The RRset's TTL is the largest its records now give.
        bool& fresh_ttl = ttl_from_additions[std::string(r.owner.key()) + std::to_string(r.type)];
        change.ttl = fresh_ttl ? std::max(change.ttl, r.ttl) : r.ttl;
        fresh_ttl = true;
    }
    if (touched.empty()) return true;
    std::vector<RRsetChange> changes;
    changes.reserve(touched.size());
    for (auto& [key, change] : touched) changes.push_back(std::move(change));
    counters_.rrsets_changed += changes.size();
    const std::size_t before = current->baseline.overlay_nodes();
    Baseline next = current->baseline.with_changes(changes);
    if (before + changes.size() > Baseline::kMaxOverlayNodes) ++counters_.compactions;
    publish(current->watch, current->shards, std::move(next));
    return true;
}

std::optional<ZoneRecord> SharedBaseline::transferred_soa(const std::string& zone) const {
    const auto apex = DnsName::from_text(zone);
    if (!apex) return std::nullopt;
    const std::uint8_t* rrset = snapshot()->baseline.find_rrset(*apex, rrtype::SOA, transfer_source(zone));
    if (rrset == nullptr || rrset_layout::item_count(rrset) == 0) return std::nullopt;
    ZoneRecord soa;
    soa.owner = *apex;
    soa.type = rrtype::SOA;
    soa.ttl = rrset_layout::ttl(rrset);
    const std::uint8_t* item = rrset + rrset_layout::kHeader;
    soa.rdata.assign(item + rrset_layout::kItemHeader, item + rrset_layout::kItemHeader + rrset_layout::load16(item));
    return soa;
}

std::vector<ZoneRecord> SharedBaseline::transferred_records(const std::string& zone) const {
    std::vector<ZoneRecord> records;
    const SourceId source = transfer_source(zone);
    snapshot()->baseline.for_each_rrset([&](const DnsName& owner, const std::uint8_t* rrset) {
        if (rrset_layout::source(rrset) != source) return;
        const std::uint8_t* p = rrset + rrset_layout::kHeader;
        for (std::uint16_t i = rrset_layout::item_count(rrset); i > 0; --i) {
            const std::uint16_t length = rrset_layout::load16(p);
            ZoneRecord record;
            record.owner = owner;
            record.type = rrset_layout::type(rrset);
            record.ttl = rrset_layout::ttl(rrset);
            record.rdata.assign(p + rrset_layout::kItemHeader, p + rrset_layout::kItemHeader + length);
            // The SOA first, as a zone file has it.
            if (record.type == rrtype::SOA) {
                records.insert(records.begin(), std::move(record));
            } else {
                records.push_back(std::move(record));
            }
            p += rrset_layout::kItemHeader + length;
        }
    });
    return records;
}

void SharedBaseline::announce(const Announcement& announcement) {
    std::lock_guard lock(writer_);
    const std::shared_ptr<const BaselineSnapshot> current = snapshot();
    Baseline next = current->baseline;
    std::vector<std::uint8_t> canonical;
    for (const ZoneRecord& record : announcement.records) {
        if (current->watch->find(record.owner) == nullptr) continue;
        canonical.clear();
        if (append_canonical_rdata(record.rdata, record.type, 0, record.rdata.size(), canonical) !=
            MalformedKind::none) {
            continue;
        }
        next = next.with_announcement(record.owner, record.type, AnnouncedRdata{canonical, announcement.effective_us});
    }
    publish(current->watch, current->shards, std::move(next));
}

void SharedBaseline::replace(WatchSet watch, BaselineInput input) {
    std::lock_guard lock(writer_);
    const std::shared_ptr<const BaselineSnapshot> current = snapshot();
    auto shared_watch = std::make_shared<const WatchSet>(std::move(watch));
    input.rebind(*shared_watch);  // the caller's watch set may be the one just moved
    // The transfers held for zones still watched: the refresher's copy is
    // at least as new as anything read from disk.
    std::unordered_map<SourceId, bool> kept;
    current->baseline.for_each_rrset([&](const DnsName& owner, const std::uint8_t* rrset) {
        const SourceId source = rrset_layout::source(rrset);
        auto it = kept.find(source);
        if (it == kept.end()) {
            const std::string zone = transfer_zone_of(source);
            it = kept.emplace(source, !zone.empty() && shared_watch->find_zone(zone) != nullptr).first;
        }
        if (it->second && shared_watch->find(owner) != nullptr) input.add_rrset(owner, rrset);
    });
    Baseline baseline = input.build();
    const std::size_t shard_count = current->shards->shard_count();
    auto shards = std::make_shared<const ZoneShards>(shared_watch, shard_count, current->shards.get(),
                                                     zones_to_split(baseline, *shared_watch, shard_count));
    publish(std::move(shared_watch), std::move(shards), std::move(baseline));
}

void SharedBaseline::replace(WatchSet watch, const BaselineSources& sources) {
    BaselineInput input(watch);
    sources.add_to(input);
    // The input refers to `watch`; replace() takes its own copy.
    WatchSet copy = watch;
    replace(std::move(copy), std::move(input));
}

void SharedBaseline::partition(std::size_t shards) {
    std::lock_guard lock(writer_);
    const std::shared_ptr<const BaselineSnapshot> current = snapshot();
    if (current->shards->shard_count() == shards) return;
    publish(current->watch,
            std::make_shared<const ZoneShards>(current->watch, shards, nullptr,
                                               zones_to_split(current->baseline, *current->watch, shards)),
            current->baseline);
}

std::size_t SharedBaseline::retired() const {
    std::lock_guard lock(retired_mutex_);
    return retired_.size();
}

void SharedBaseline::reclaim() {
    std::vector<std::shared_ptr<const BaselineSnapshot>> freed;
    {
        std::lock_guard lock(retired_mutex_);
        // Nobody can take a new reference to a retired snapshot (only the
        // current one is handed out), so a count of one stays one.
        auto unused = std::stable_partition(retired_.begin(), retired_.end(),
                                            [](const auto& snapshot) { return snapshot.use_count() > 1; });
        freed.assign(std::make_move_iterator(unused), std::make_move_iterator(retired_.end()));
        retired_.erase(unused, retired_.end());
    }
    counters_.reclaimed += freed.size();
    // Freed here, outside the lock: the reclaimer's thread, never a reader's.
}

void SharedBaseline::reclaim_loop() {
    // Signals are for the command's own thread (run takes them with
    // sigtimedwait); this thread may start before it blocks them.
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    std::unique_lock lock(retired_mutex_);
    while (!stopping_) {
        reclaim_wake_.wait_for(lock, std::chrono::milliseconds(100));
        if (stopping_) break;
        if (retired_.empty()) continue;
        lock.unlock();
        reclaim();
        lock.lock();
    }
}

bool BaselineFollower::refresh() {
    const std::uint64_t version = shared_.version();
    if (version == version_) return false;
    held_ = shared_.snapshot();
    version_ = version;
    return true;
}

}  // namespace dnswatch
