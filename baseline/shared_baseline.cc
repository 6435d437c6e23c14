#include "baseline/shared_baseline.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <unordered_map>

#include "common/background_priority.h"
#include "decode/dns_message.h"
#include "decode/rdata.h"

namespace dnswatch {
namespace {

bool bytes_less(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

// The rdata a pool holds from every source, sorted and unique (the
// announcements aside): what a change compares.
std::vector<std::span<const std::uint8_t>> rdata_set(const RRsetPool& pool) {
    std::vector<std::span<const std::uint8_t>> set;
    pool.for_each_rdata([&set](std::span<const std::uint8_t> rdata) { set.push_back(rdata); });
    auto equal = [](std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
        return std::equal(a.begin(), a.end(), b.begin(), b.end());
    };
    std::sort(set.begin(), set.end(), bytes_less);
    set.erase(std::unique(set.begin(), set.end(), equal), set.end());
    return set;
}

bool same_set(std::uint16_t type, const std::vector<std::span<const std::uint8_t>>& a,
              const std::vector<std::span<const std::uint8_t>>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        // For a SOA, the serial alone moving is no change (same_comparison_form).
        if (!same_comparison_form(type, a[i], b[i])) return false;
    }
    return true;
}

// The SOA serial of the zone at `apex`, if the baseline holds its SOA.
std::optional<std::uint32_t> soa_serial(const Baseline& baseline, const DnsName& apex) {
    std::optional<std::uint32_t> serial;
    baseline.find(apex, rrtype::SOA).for_each_rdata([&serial](std::span<const std::uint8_t> rdata) {
        if (rdata.size() >= 20 && !serial) {
            const std::uint8_t* p = rdata.data() + rdata.size() - 20;
            serial = std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
        }
    });
    return serial;
}

// Re-signing changes these at every turn; the data they cover is reported.
bool derived_type(std::uint16_t type) { return type == rrtype::RRSIG || type == rrtype::NSEC || type == rrtype::NSEC3; }

std::int64_t wall_clock_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Each (owner, type) once.
template <typename Key>
void dedupe(std::vector<Key>& keys) {
    auto less = [](const Key& a, const Key& b) { return a.owner.key() != b.owner.key() ? a.owner.key() < b.owner.key() : a.type < b.type; };
    std::sort(keys.begin(), keys.end(), less);
    keys.erase(std::unique(keys.begin(), keys.end(),
                           [](const Key& a, const Key& b) { return a.type == b.type && a.owner == b.owner; }),
               keys.end());
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

void SharedBaseline::set_change_listener(ChangeListener listener) {
    std::lock_guard lock(writer_);
    listener_ = std::move(listener);
}

void SharedBaseline::report(const BaselineSnapshot& before, const Baseline& after, const WatchSet& after_watch,
                            const std::vector<ChangedKey>& keys, ChangeSource source, std::int64_t time_us) {
    if (!listener_ || keys.empty()) return;
    std::vector<BaselineChange> changes;
    const std::int64_t now = time_us;
    // The serials, once a zone.
    std::unordered_map<const WatchedZone*, std::pair<std::optional<std::uint32_t>, std::optional<std::uint32_t>>> serials;
    for (const ChangedKey& key : keys) {
        if (derived_type(key.type)) continue;
        const WatchedZone* zone = after_watch.find(key.owner);
        if (zone == nullptr || before.watch->find_zone(zone->text) == nullptr) continue;  // not watched before: no change
        const RRsetPool was = before.baseline.find(key.owner, key.type);
        const RRsetPool is = after.find(key.owner, key.type);
        const auto was_set = rdata_set(was);
        const auto is_set = rdata_set(is);
        const std::uint32_t ttl_before = was_set.empty() ? 0 : was.ttl();
        const std::uint32_t ttl_after = is_set.empty() ? 0 : is.ttl();
        if (same_set(key.type, was_set, is_set) && ttl_before == ttl_after) continue;
        BaselineChange& change = changes.emplace_back();
        change.zone = zone->text;
        change.name = key.owner.to_text();
        change.type = key.type;
        change.rrtype = rrtype_to_text(key.type);
        change.source = source;
        change.time_us = now;
        change.ttl_before = ttl_before;
        change.ttl_after = ttl_after;
        if (!was_set.empty()) change.before = was.presentation();
        if (!is_set.empty()) change.after = is.presentation();
        const bool delegation = is_delegation(key.owner, key.type, *zone);
        if (delegation && was_set.empty()) change.op = ChangeOp::create;
        if (delegation && is_set.empty()) change.op = ChangeOp::remove;
        // Announced: the feed had said so of every rdata it adds.
        bool added_any = false, all_announced = true;
        for (const auto& rdata : is_set) {
            if (std::binary_search(was_set.begin(), was_set.end(), rdata, bytes_less)) continue;
            added_any = true;
            bool covered = false;
            was.for_each_rdata([&](std::span<const std::uint8_t> announced) {
                covered = covered || std::equal(announced.begin(), announced.end(), rdata.begin(), rdata.end());
            }, /*with_announced=*/true);
            all_announced = all_announced && covered;
        }
        // A removal: the feed had announced that the RRset goes.
        const bool removal_announced = is_set.empty() && was.removal_announced(now);
        change.announced = source == ChangeSource::feed || (added_any && all_announced) || removal_announced;
        auto [it, fresh] = serials.try_emplace(zone);
        if (fresh) it->second = {soa_serial(before.baseline, zone->name), soa_serial(after, zone->name)};
        change.serial_before = it->second.first;
        change.serial_after = it->second.second;
    }
    if (changes.empty()) return;
    counters_.changes_reported += changes.size();
    listener_(std::move(changes));
}

void SharedBaseline::apply(std::span<const RRsetChange> changes, ChangeSource source) {
    if (changes.empty()) return;
    std::lock_guard lock(writer_);
    const std::shared_ptr<const BaselineSnapshot> current = snapshot();
    const std::size_t before = current->baseline.overlay_nodes();
    Baseline next = without_applied(current->baseline.with_changes(changes), current->baseline);
    if (next.overlay_nodes() < before || (before + changes.size() > Baseline::kMaxOverlayNodes)) ++counters_.compactions;
    counters_.rrsets_changed += changes.size();
    if (listener_) {
        std::vector<ChangedKey> keys;
        for (const RRsetChange& change : changes) keys.push_back({change.owner, change.type});
        dedupe(keys);
        report(*current, next, *current->watch, keys, source, wall_clock_us());
    }
    publish(current->watch, current->shards, std::move(next));
}

void SharedBaseline::set_transfer(const std::string& zone, const std::vector<ZoneRecord>& records) {
    std::lock_guard lock(writer_);
    replace_source(zone, transfer_source(zone), records, ChangeSource::axfr, wall_clock_us());
}

void SharedBaseline::set_zone_version(const std::string& zone, const std::vector<ZoneRecord>& records,
                                      std::int64_t time_us) {
    std::lock_guard lock(writer_);
    replace_source(zone, zone_file_source(zone), records, ChangeSource::zone_version, time_us);
}

void SharedBaseline::replace_source(const std::string& zone, SourceId source, const std::vector<ZoneRecord>& records,
                                    ChangeSource reported_as, std::int64_t time_us) {
    const std::shared_ptr<const BaselineSnapshot> current = snapshot();
    // The new content, as a table of its own, then the difference with what
    // the last transfer said: only that goes into the new snapshot.
    BaselineInput input(*current->watch);
    input.add(records, source);
    const Baseline transferred = input.build();
    auto for_each_change = [&](auto&& on_change) {
        transferred.for_each_rrset([&](const DnsName& owner, const std::uint8_t* rrset) {
            const std::uint8_t* before = current->baseline.find_rrset(owner, rrset_layout::type(rrset), source);
            if (before == nullptr || !same_rrset_bytes(before, rrset)) on_change(owner, rrset_layout::type(rrset), rrset);
        });
        current->baseline.for_each_rrset([&](const DnsName& owner, const std::uint8_t* rrset) {
            if (rrset_layout::source(rrset) != source) return;
            if (transferred.find_rrset(owner, rrset_layout::type(rrset), source) == nullptr) {
                on_change(owner, rrset_layout::type(rrset), nullptr);
            }
        });
    };
    std::size_t count = 0;
    std::vector<ChangedKey> keys;
    for_each_change([&](const DnsName& owner, std::uint16_t type, const std::uint8_t*) {
        ++count;
        if (listener_) keys.push_back({owner, type});
    });
    if (count == 0) return;  // a re-push of the same data is not a change
    counters_.rrsets_changed += count;
    // The zone's first transfer is where its data starts, not a change.
    const auto apex = DnsName::from_text(zone);
    const bool first = !apex || current->baseline.find_rrset(*apex, rrtype::SOA, source) == nullptr;
    Baseline next;
    if (current->baseline.overlay_nodes() + count > Baseline::kMaxOverlayNodes) {
        // A first transfer, or most of a zone changed: a new base, not an overlay.
        BaselineInput whole(*current->watch);
        current->baseline.for_each_rrset([&](const DnsName& owner, const std::uint8_t* rrset) {
            if (rrset_layout::source(rrset) != source) whole.add_rrset(owner, rrset);
        });
        transferred.for_each_rrset([&](const DnsName& owner, const std::uint8_t* rrset) { whole.add_rrset(owner, rrset); });
        next = whole.build();
        next = without_applied(std::move(next), current->baseline);
        ++counters_.compactions;
    } else {
        std::vector<RRsetChange> changes;
        changes.reserve(count);
        for_each_change([&](const DnsName& owner, std::uint16_t type, const std::uint8_t* rrset) {
            changes.push_back(rrset_change_to(owner, type, rrset, source));
        });
        next = without_applied(current->baseline.with_changes(changes), current->baseline);
    }
    if (!first) {
        dedupe(keys);
        report(*current, next, *current->watch, keys, reported_as, time_us);
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
            it->second = rrset_change_to(r.owner, r.type, current->baseline.find_rrset(r.owner, r.type, source), source);
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
    Baseline next = without_applied(current->baseline.with_changes(changes), current->baseline);
    if (before + changes.size() > Baseline::kMaxOverlayNodes) ++counters_.compactions;
    if (listener_) {
        std::vector<ChangedKey> keys;
        for (const RRsetChange& change : changes) keys.push_back({change.owner, change.type});
        report(*current, next, *current->watch, keys, ChangeSource::ixfr, wall_clock_us());  // `touched` gave each key once
    }
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

Baseline SharedBaseline::without_applied(Baseline next, const Baseline& current) {
    std::size_t applied = 0;
    next = next.with_announcements_of(current, &applied);
    counters_.announcements_applied += applied;
    return next;
}

bool SharedBaseline::announce(const Announcement& announcement) {
    std::lock_guard lock(writer_);
    const std::shared_ptr<const BaselineSnapshot> current = snapshot();
    // The feed's state is bounded: past the bound an announcement is
    // refused (counted; the feed subscriber logs it), never half taken.
    // Each version copies the announced rdata of the RRsets it changes:
    // bounded per RRset too.
    bool too_many = current->baseline.announced_rdata() + announcement.records.size() > max_announced_rdata_;
    for (const ZoneRecord& record : announcement.records) {
        too_many = too_many ||
                   current->baseline.find(record.owner, record.type).announced_count() >= kMaxAnnouncedPerRRset;
    }
    if (too_many) {
        ++counters_.announcements_refused;
        return false;
    }
    Baseline next = current->baseline;
    std::vector<std::uint8_t> form;
    for_each_announced(announcement, *current->watch, [&](const DnsName& owner, std::uint16_t type, AnnouncedRdata rdata) {
        if (!rdata.removal) {
            // Already in the zone's own data: applied, nothing to keep.
            form = rdata.rdata;
            to_comparison_form(type, form);
            if (current->baseline.find(owner, type).contains(form)) return;
        }
        next = next.with_announcement(owner, type, std::move(rdata));
    });
    if (listener_) report_announcement(*current, announcement);
    publish(current->watch, current->shards, std::move(next));
    return true;
}

void SharedBaseline::report_announcement(const BaselineSnapshot& current, const Announcement& announcement) {
    // What the feed says each (owner, type) becomes; the zone's data is
    // unchanged until its own change arrives (reported then, `announced`).
    std::map<std::pair<std::string, std::uint16_t>, BaselineChange> by_key;
    const std::int64_t now = wall_clock_us();
    for (const ZoneRecord& record : announcement.records) {
        if (BaselineChange* change = announcement_change(current, record, now, by_key)) {
            change->after.push_back(rdata_to_text(record.type, record.rdata));
            change->ttl_after = std::max(change->ttl_after, record.ttl);
        }
    }
    // A removal (`"rdata": []`): the RRset is announced to go; its `after`
    // stays empty, and a delegation that goes is a delete.
    if (announcement.removal()) {
        ZoneRecord removed;
        removed.owner = announcement.owner;
        removed.type = announcement.type;
        if (BaselineChange* change = announcement_change(current, removed, now, by_key)) {
            if (is_delegation(removed.owner, removed.type, *current.watch->find(removed.owner))) {
                change->op = ChangeOp::remove;
            }
        }
    }
    std::vector<BaselineChange> changes;
    for (auto& [key, change] : by_key) {
        std::sort(change.after.begin(), change.after.end());
        change.after.erase(std::unique(change.after.begin(), change.after.end()), change.after.end());
        if (change.after == change.before && change.ttl_after == change.ttl_before) continue;
        changes.push_back(std::move(change));
    }
    if (changes.empty()) return;
    counters_.changes_reported += changes.size();
    listener_(std::move(changes));
}

// The change record of the announcement's (owner, type), begun at its
// first record with what the baseline holds now; null when outside the
// watched zones or a type derived from others.
BaselineChange* SharedBaseline::announcement_change(
    const BaselineSnapshot& current, const ZoneRecord& record, std::int64_t now,
    std::map<std::pair<std::string, std::uint16_t>, BaselineChange>& by_key) {
    const WatchedZone* zone = current.watch->find(record.owner);
    if (zone == nullptr || derived_type(record.type)) return nullptr;
    auto [it, fresh] = by_key.try_emplace({std::string(record.owner.key()), record.type});
    BaselineChange& change = it->second;
    if (fresh) {
        const RRsetPool pool = current.baseline.find(record.owner, record.type);
        change.zone = zone->text;
        change.name = record.owner.to_text();
        change.type = record.type;
        change.rrtype = rrtype_to_text(record.type);
        change.source = ChangeSource::feed;
        change.announced = true;
        change.time_us = now;
        if (pool.has_rdata()) {
            change.before = pool.presentation();
            change.ttl_before = pool.ttl();
        }
        if (is_delegation(record.owner, record.type, *zone) && change.before.empty()) change.op = ChangeOp::create;
        change.serial_before = change.serial_after = soa_serial(current.baseline, zone->name);
    }
    return &change;
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
    if (listener_) {
        // Every RRset of either version, compared: a reload rereads
        // everything, and what it changed is only known this way.
        std::vector<ChangedKey> keys;
        auto differs = [&](const Baseline& from, const Baseline& to) {
            return [&](const DnsName& owner, const std::uint8_t* rrset) {
                const std::uint16_t type = rrset_layout::type(rrset);
                if (!keys.empty() && keys.back().type == type && keys.back().owner == owner) return;
                if (derived_type(type)) return;
                const RRsetPool a = from.find(owner, type);
                const RRsetPool b = to.find(owner, type);
                if (!same_set(type, rdata_set(a), rdata_set(b)) || (a.has_rdata() && b.has_rdata() && a.ttl() != b.ttl()) ||
                    a.has_rdata() != b.has_rdata()) {
                    keys.push_back({owner, type});
                }
            };
        };
        current->baseline.for_each_rrset(differs(current->baseline, baseline));
        baseline.for_each_rrset([&, check = differs(baseline, current->baseline)](const DnsName& owner,
                                                                                   const std::uint8_t* rrset) {
            // Only what the old version did not hold at all: the rest was compared above.
            if (!current->baseline.find(owner, rrset_layout::type(rrset)).has_rdata()) check(owner, rrset);
        });
        dedupe(keys);
        report(*current, baseline, *shared_watch, keys, ChangeSource::zone_file, wall_clock_us());
    }
    const std::size_t shard_count = current->shards->shard_count();
    auto shards = std::make_shared<const ZoneShards>(shared_watch, shard_count, current->shards.get(),
                                                     zones_to_split(baseline, *shared_watch, shard_count));
    publish(std::move(shared_watch), std::move(shards), std::move(baseline));
}

void SharedBaseline::apply_reload(std::span<const RRsetChange> changes, const Baseline& announced) {
    std::lock_guard lock(writer_);
    const std::shared_ptr<const BaselineSnapshot> current = snapshot();
    const std::size_t before = current->baseline.overlay_nodes();
    Baseline next = current->baseline.with_changes(changes).with_announcements_replaced(announced);
    if (!changes.empty() && (next.overlay_nodes() < before || before + changes.size() > Baseline::kMaxOverlayNodes)) {
        ++counters_.compactions;
    }
    counters_.rrsets_changed += changes.size();
    ++counters_.reloads_incremental;
    if (listener_) {
        std::vector<ChangedKey> keys;
        for (const RRsetChange& change : changes) keys.push_back({change.owner, change.type});
        dedupe(keys);
        report(*current, next, *current->watch, keys, ChangeSource::zone_file, wall_clock_us());
    }
    publish(current->watch, current->shards, std::move(next));
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
    // Freeing a TLD's retired snapshot is tens of ms of munmap: maintenance,
    // never ahead of the packet path. A refusal is logged by the command's
    // control thread, which asks the same kernel the same (cli/run.cc).
    (void)run_at_background_priority();
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
