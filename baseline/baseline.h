// The transparency baseline: for each (owner, type) of the watched zones,
// the rdata the zone may hold. One Baseline is one immutable version of it
// (a snapshot, baseline/shared_baseline.h), built for registry scale:
//
//  - a base table (baseline/baseline_table.h) holding every RRset read at
//    start or at the last compaction, shared by every later version;
//  - an overlay table of the owners changed since (a zone transfer's diff,
//    a reloaded file's changes), looked up first. A change of k RRsets
//    makes a new overlay from the old one and the k changes: O(overlay + k),
//    never a rebuild of the base. When the overlay grows past a bound, the
//    writer folds it into a new base (compacted()), off the packet path;
//  - the changes the transparency feed announced (few), looked up only for
//    what the zone's own data does not allow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "baseline/baseline_table.h"
#include "baseline/rrset_pool.h"
#include "baseline/watch_set.h"
#include "decode/dns_name.h"
#include "decode/ldns_glue.h"

namespace dnswatch {

// The feed's announced changes, by (owner, type). Each announcement makes a
// new version (a snapshot), so a version must not cost a copy of them all:
// those of the last few announcements lie in a small table of their own,
// over a shared, immutable one that holds the rest, and the two are folded
// together once the small one has kFoldKeys keys (20,000 announcements
// used to copy the whole table each: 870 -> 80 a second, 352 MiB).
// Announcing rdata already announced for the key adds nothing.
class Announcements {
public:
    const std::vector<AnnouncedRdata>* find(const DnsName& owner, std::uint32_t hash, std::uint16_t type) const;
    // False when that rdata was announced already (the earlier effective
    // time is kept).
    bool add(const DnsName& owner, std::uint32_t hash, std::uint16_t type, AnnouncedRdata rdata);
    bool empty() const { return keys_ == 0; }
    std::size_t size() const { return keys_; }
    std::size_t rdata_count() const { return rdata_; }

    // The same without what `applied` says the zone's own data now holds
    // (an announcement the registry's change has reached is no longer
    // needed); what went is added to *dropped.
    template <typename Applied>
    Announcements without(Applied&& applied, std::size_t* dropped) const;

    static constexpr std::size_t kFoldKeys = 256;

private:
    struct Entry {
        std::string owner;  // wire form
        std::uint16_t type = 0;
        std::vector<AnnouncedRdata> rdata;
    };
    using Table = std::unordered_map<std::uint64_t, std::vector<Entry>>;  // by hash << 16 | type
    static const Entry* find_in(const Table& table, std::uint64_t key, std::string_view owner, std::uint16_t type);
    template <typename F>
    void for_each_entry(F&& f) const;  // every live entry: recent_'s, then base_'s not hidden by it

    std::shared_ptr<const Table> base_;
    Table recent_;  // keys announced since base_ was made; an entry here hides base_'s
    std::size_t recent_keys_ = 0;
    std::size_t keys_ = 0;
    std::size_t rdata_ = 0;
};

template <typename F>
void Announcements::for_each_entry(F&& f) const {
    for (const auto& [key, bucket] : recent_) {
        for (const Entry& entry : bucket) f(key, entry);
    }
    if (!base_) return;
    for (const auto& [key, bucket] : *base_) {
        for (const Entry& entry : bucket) {
            if (find_in(recent_, key, entry.owner, entry.type) == nullptr) f(key, entry);
        }
    }
}

template <typename Applied>
Announcements Announcements::without(Applied&& applied, std::size_t* dropped) const {
    Table table;
    std::size_t keys = 0, rdata_total = 0;
    for_each_entry([&](std::uint64_t key, const Entry& entry) {
        Entry kept{entry.owner, entry.type, {}};
        for (const AnnouncedRdata& rdata : entry.rdata) {
            if (applied(std::string_view(entry.owner), entry.type, rdata)) {
                ++*dropped;
            } else {
                kept.rdata.push_back(rdata);
            }
        }
        if (kept.rdata.empty()) return;
        rdata_total += kept.rdata.size();
        table[key].push_back(std::move(kept));
        ++keys;
    });
    Announcements next;
    next.base_ = std::make_shared<const Table>(std::move(table));
    next.keys_ = keys;
    next.rdata_ = rdata_total;
    return next;
}

// What one source now says of one RRset: its rdata, or (empty) nothing.
struct RRsetChange {
    DnsName owner;
    std::uint16_t type = 0;
    SourceId source = 0;
    std::uint32_t ttl = 0;
    std::vector<std::vector<std::uint8_t>> rdata;  // canonical wire form
};

// True when two RRsets (rrset_pool.h layout) hold the same TTL and items:
// equal for equal rdata lists, since a table keeps them sorted and unique.
bool same_rrset_bytes(const std::uint8_t* a, const std::uint8_t* b);
// `rrset` as `source` now gives it (nullptr: it gives nothing any more).
RRsetChange rrset_change_to(const DnsName& owner, std::uint16_t type, const std::uint8_t* rrset, SourceId source);

class Baseline {
public:
    // Past this many changed owners, with_changes() folds the overlay into
    // a new base.
    static constexpr std::size_t kMaxOverlayNodes = 65536;

    Baseline() = default;
    explicit Baseline(BaselineTable table);

    // The pool of (owner, type); empty when the baseline says nothing of it.
    // `owner_hash`: hash_name(owner), as RecordView::owner_hash carries it.
    RRsetPool find(const DnsName& owner, std::uint32_t owner_hash, std::uint16_t type) const;
    RRsetPool find(const DnsName& owner, std::uint16_t type) const { return find(owner, hash_name(owner), type); }
    // The pool of the closest wildcard ("*.<ancestor>") that would synthesise
    // (owner, type) inside `zone`, or an empty one: only the closest
    // encloser's wildcard, and none for a name that exists (RFC 4592).
    RRsetPool find_wildcard(const DnsName& owner, std::uint16_t type, const WatchedZone& zone) const;
    // True when `name` holds data or has names below it (an empty
    // non-terminal), in the current content.
    bool exists(const DnsName& name) const;
    // True when `owner` is at or below a delegation point inside `zone` (an NS
    // RRset below the apex): the baseline has no authority there beyond the
    // delegation NS, DS and glue it holds explicitly.
    bool is_delegated(const DnsName& owner, const WatchedZone& zone) const;
    // The RRset one source gives (owner, type), laid out as rrset_pool.h
    // says, or nullptr.
    const std::uint8_t* find_rrset(const DnsName& owner, std::uint16_t type, SourceId source) const;
    // Brings the index slots of `owner_hash` towards the cache.
    void prefetch(std::uint32_t owner_hash) const {
        if (overlay_) overlay_->prefetch(owner_hash);
        if (base_) base_->prefetch(owner_hash);
    }
    // Then the node those slots name (the base's: the overlay is small).
    void prefetch_node(std::uint32_t owner_hash) const {
        if (base_) base_->prefetch_node(owner_hash);
    }

    // The owners of the current content whose hash_name() is `hash` (a
    // reload knows the owners an old part of a file named by their hash
    // alone: baseline/zone_file_index.h).
    std::vector<DnsName> owners_with_hash(std::uint32_t hash) const;

    // Distinct (owner, type) pairs the zone data speaks of (the feed's
    // announcements aside).
    std::size_t rrset_count() const { return rrsets_; }
    // By zone index: the RRsets whose owner `watch` places in that zone (its
    // closest watched zone), for the baseline-size metric. Walks everything.
    std::vector<std::size_t> rrset_counts(const WatchSet& watch) const;
    // By zone index: the delegation points (NS below the apex) `watch`
    // places in each zone. Walks everything.
    std::vector<std::size_t> delegation_counts(const WatchSet& watch) const;
    // Arena and index bytes of the tables (the announcements aside).
    std::size_t memory_bytes() const;
    // The rdata bytes those tables hold (so that what the baseline costs
    // beyond its data can be told). Walks everything.
    std::size_t rdata_bytes() const;
    std::size_t overlay_nodes() const { return overlay_ ? overlay_->node_count() : 0; }

    // Calls f(rrset) for every RRset (rrset_pool.h layout) of `owner`, any
    // type and source, in the current content.
    template <typename F>
    void for_each_rrset_of(const DnsName& owner, F&& f) const {
        const std::uint8_t* n = node(owner.bytes(), hash_name(owner));
        if (n == nullptr) return;
        const std::uint8_t* rrset = node_layout::rrsets(n);
        for (std::uint8_t i = node_layout::rrset_count(n); i > 0; --i, rrset = rrset_layout::end(rrset)) f(rrset);
    }

    // Calls f(owner, rrset) for every RRset (rrset_pool.h layout) of the
    // current content: the overlay's nodes and the base's it does not hide.
    template <typename F>
    void for_each_rrset(F&& f) const;

    // For small baselines put together in place (tests, tools): adds the
    // records of a zone file that lie in a watched zone (the others, the
    // rest of a parent zone, are ignored), rebuilding the table; returns how
    // many were added. And a change announced by the feed, legitimate from
    // `effective_us` on; false when it is in no watched zone.
    std::size_t add_zone_records(const std::vector<ZoneRecord>& records, const WatchSet& watch);
    bool announce(const ZoneRecord& record, std::int64_t effective_us, const WatchSet& watch);

    // Writer side: each makes a new version and leaves this one as it is.
    Baseline with_changes(std::span<const RRsetChange> changes) const;
    Baseline with_announcement(const DnsName& owner, std::uint16_t type, AnnouncedRdata rdata) const;
    // This content with the announcements of `other` (a baseline rebuilt
    // from the zone data alone keeps what the feed said), less those this
    // content's own data now holds: once the registry's change reached the
    // zone, its announcement is no longer needed. *pruned counts them.
    Baseline with_announcements_of(const Baseline& other, std::size_t* pruned = nullptr) const;
    // This content with the announcements of `other` as they are (a reload
    // re-reads the feed's files, as a full load does, and prunes nothing).
    Baseline with_announcements_replaced(const Baseline& other) const {
        Baseline next = *this;
        next.announced_ = other.announced_;
        return next;
    }
    // Announced RRsets and rdata held (the feed's state).
    std::size_t announced_rrsets() const { return announced_ ? announced_->size() : 0; }
    std::size_t announced_rdata() const { return announced_ ? announced_->rdata_count() : 0; }
    // The same content with the overlay folded into a new base.
    Baseline compacted() const;

private:
    // The node of `owner` in the current content, or nullptr (a tombstone
    // in the overlay hides the base's node).
    const std::uint8_t* node(std::span<const std::uint8_t> owner, std::uint32_t hash) const {
        if (overlay_) {
            if (const std::uint8_t* node = overlay_->find(owner, hash)) {
                return node_layout::rrset_count(node) != 0 ? node : nullptr;
            }
        }
        return base_ ? base_->find(owner, hash) : nullptr;
    }
    static std::size_t distinct_types(const std::uint8_t* node);
    // Calls f(node) for every node of the current content: the overlay's
    // (tombstones aside) and the base's it does not hide.
    template <typename F>
    void for_each_node(F&& f) const;

    std::shared_ptr<const BaselineTable> base_;
    std::shared_ptr<const BaselineTable> overlay_;
    std::shared_ptr<const Announcements> announced_;
    std::size_t rrsets_ = 0;
};

// The owner of a node as a name.
DnsName node_owner(const std::uint8_t* node);

template <typename F>
void Baseline::for_each_node(F&& f) const {
    if (base_) {
        base_->for_each_node([&](const std::uint8_t* node) {
            if (overlay_ && overlay_->find(node_layout::owner(node), hash_name(node_owner(node))) != nullptr) return;
            f(node);
        });
    }
    if (overlay_) {
        overlay_->for_each_node([&](const std::uint8_t* node) {
            if (node_layout::rrset_count(node) != 0) f(node);
        });
    }
}

template <typename F>
void Baseline::for_each_rrset(F&& f) const {
    for_each_node([&f](const std::uint8_t* node) {
        const DnsName owner = node_owner(node);
        const std::uint8_t* rrset = node_layout::rrsets(node);
        for (std::uint8_t i = node_layout::rrset_count(node); i > 0; --i) {
            f(owner, rrset);
            rrset = rrset_layout::end(rrset);
        }
    });
}

}  // namespace dnswatch
