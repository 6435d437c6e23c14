#include "baseline/baseline.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>

#include "decode/dns_message.h"
#include "decode/rdata.h"

namespace dnswatch {
namespace {

// Byte order, then length: what vector's operator< gives, written out
// because GCC 12 at -O3 sees its inlined memcmp as reading past any object
// (-Wstringop-overread, a false positive of GCC 12).
bool rdata_less(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
    const std::size_t common = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < common; ++i) {
        if (a[i] != b[i]) return a[i] < b[i];
    }
    return a.size() < b.size();
}

}  // namespace


DnsName node_owner(const std::uint8_t* node) {
    DnsName owner;
    owner.length = node_layout::owner_length(node);
    owner.label_count = node[3];
    std::memcpy(owner.wire.data(), node + node_layout::kHeader, owner.length);
    return owner;
}

bool same_rrset_bytes(const std::uint8_t* a, const std::uint8_t* b) {
    const std::size_t x = static_cast<std::size_t>(rrset_layout::end(a) - a);
    const std::size_t y = static_cast<std::size_t>(rrset_layout::end(b) - b);
    return rrset_layout::ttl(a) == rrset_layout::ttl(b) && x == y &&
           std::memcmp(a + rrset_layout::kHeader, b + rrset_layout::kHeader, x - rrset_layout::kHeader) == 0;
}

RRsetChange rrset_change_to(const DnsName& owner, std::uint16_t type, const std::uint8_t* rrset, SourceId source) {
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

// ---------------------------------------------------------------- announcements

const Announcements::Entry* Announcements::find_in(const Table& table, std::uint64_t key, std::string_view owner,
                                                   std::uint16_t type) {
    const auto it = table.find(key);
    if (it == table.end()) return nullptr;
    for (const Entry& entry : it->second) {
        if (entry.type == type && entry.owner == owner) return &entry;
    }
    return nullptr;
}

const std::vector<AnnouncedRdata>* Announcements::find(const DnsName& owner, std::uint32_t hash,
                                                       std::uint16_t type) const {
    const std::uint64_t key = std::uint64_t{hash} << 16 | type;
    if (const Entry* entry = find_in(recent_, key, owner.key(), type)) return &entry->rdata;
    if (!base_) return nullptr;
    const Entry* entry = find_in(*base_, key, owner.key(), type);
    return entry != nullptr ? &entry->rdata : nullptr;
}

bool Announcements::add(const DnsName& owner, std::uint32_t hash, std::uint16_t type, AnnouncedRdata rdata) {
    const std::uint64_t key = std::uint64_t{hash} << 16 | type;
    std::vector<Entry>& bucket = recent_[key];
    Entry* entry = nullptr;
    for (Entry& e : bucket) {
        if (e.type == type && e.owner == owner.key()) entry = &e;
    }
    if (entry == nullptr) {
        // First change of this key since the fold: start from base_'s entry.
        const Entry* older = base_ ? find_in(*base_, key, owner.key(), type) : nullptr;
        bucket.push_back(older != nullptr ? *older : Entry{std::string(owner.key()), type, {}});
        entry = &bucket.back();
        ++recent_keys_;
        if (older == nullptr) ++keys_;
    }
    for (AnnouncedRdata& known : entry->rdata) {
        if (known.rdata == rdata.rdata) {
            known.effective_us = std::min(known.effective_us, rdata.effective_us);
            return false;
        }
    }
    entry->rdata.push_back(std::move(rdata));
    ++rdata_;
    if (recent_keys_ >= kFoldKeys) {
        // Fold: one table again, shared by the versions that follow.
        Table table = base_ ? *base_ : Table{};
        for (auto& [k, changed] : recent_) {
            for (Entry& e : changed) {
                std::vector<Entry>& into = table[k];
                const auto same = std::find_if(into.begin(), into.end(), [&](const Entry& x) {
                    return x.type == e.type && x.owner == e.owner;
                });
                if (same != into.end()) {
                    *same = std::move(e);
                } else {
                    into.push_back(std::move(e));
                }
            }
        }
        base_ = std::make_shared<const Table>(std::move(table));
        recent_.clear();
        recent_keys_ = 0;
    }
    return true;
}

// ---------------------------------------------------------------- lookups

std::size_t Baseline::distinct_types(const std::uint8_t* node) {
    std::size_t n = 0;
    int previous = -1;
    const std::uint8_t* rrset = node_layout::rrsets(node);
    for (std::uint8_t i = node_layout::rrset_count(node); i > 0; --i, rrset = rrset_layout::end(rrset)) {
        if (rrset_layout::type(rrset) != previous) ++n;
        previous = rrset_layout::type(rrset);
    }
    return n;
}

Baseline::Baseline(BaselineTable table) : base_(std::make_shared<const BaselineTable>(std::move(table))) {
    base_->for_each_node([this](const std::uint8_t* node) { rrsets_ += distinct_types(node); });
}

RRsetPool Baseline::find(const DnsName& owner, std::uint32_t owner_hash, std::uint16_t type) const {
    const std::uint8_t* first = nullptr;
    const std::uint8_t* last = nullptr;
    if (const std::uint8_t* n = node(owner.bytes(), owner_hash)) node_layout::rrsets_of(n, type, &first, &last);
    const std::vector<AnnouncedRdata>* announced =
        announced_ && !announced_->empty() ? announced_->find(owner, owner_hash, type) : nullptr;
    return RRsetPool(type, first, last, announced);
}

const std::uint8_t* Baseline::find_rrset(const DnsName& owner, std::uint16_t type, SourceId source) const {
    const std::uint8_t* n = node(owner.bytes(), hash_name(owner));
    if (n == nullptr) return nullptr;
    const std::uint8_t* first = nullptr;
    const std::uint8_t* last = nullptr;
    node_layout::rrsets_of(n, type, &first, &last);
    for (const std::uint8_t* rrset = first; rrset != last; rrset = rrset_layout::end(rrset)) {
        if (rrset_layout::source(rrset) == source) return rrset;
    }
    return nullptr;
}

namespace {

// "*." + the suffix of `owner` that drops its first `skip` labels.
bool wildcard_of(const DnsName& owner, unsigned skip, DnsName& out) {
    const std::string_view ancestor = owner.suffix_key(skip);
    if (ancestor.size() + 2 > kMaxNameLength) return false;
    out.wire[0] = 1;
    out.wire[1] = '*';
    std::copy(ancestor.begin(), ancestor.end(), out.wire.begin() + 2);
    out.length = static_cast<std::uint8_t>(ancestor.size() + 2);
    out.label_count = static_cast<std::uint8_t>(owner.label_count - skip + 1);
    return true;
}

}  // namespace

bool Baseline::exists(const DnsName& name) const {
    const std::uint32_t hash = hash_name(name);
    return node(name.bytes(), hash) != nullptr || (base_ && base_->has_below(hash)) ||
           (overlay_ && overlay_->has_below(hash));
}

RRsetPool Baseline::find_wildcard(const DnsName& owner, std::uint16_t type, const WatchedZone& zone) const {
    // RFC 4592: a name that exists (with other data, or as an empty
    // non-terminal) is never synthesised; otherwise only the wildcard child
    // of its closest encloser, the nearest ancestor that exists, covers it.
    if (exists(owner)) return {};
    for (unsigned skip = 1; skip + zone.name.label_count <= owner.label_count; ++skip) {
        const bool apex = skip + zone.name.label_count == owner.label_count;
        if (!apex && !exists(owner.suffix(skip))) continue;
        DnsName wildcard;
        if (!wildcard_of(owner, skip, wildcard)) return {};
        return find(wildcard, type);
    }
    return {};
}

std::vector<DnsName> Baseline::owners_with_hash(std::uint32_t hash) const {
    std::vector<DnsName> owners;
    if (overlay_) {
        overlay_->for_each_node_with_hash(hash, [&](const std::uint8_t* n) {
            if (node_layout::rrset_count(n) != 0) owners.push_back(node_owner(n));
        });
    }
    if (base_) {
        base_->for_each_node_with_hash(hash, [&](const std::uint8_t* n) {
            // Hidden by the overlay's node of the same owner (its changes, or a tombstone).
            if (overlay_ && overlay_->find(node_layout::owner(n), hash) != nullptr) return;
            owners.push_back(node_owner(n));
        });
    }
    return owners;
}

bool Baseline::is_delegated(const DnsName& owner, const WatchedZone& zone) const {
    // Every ancestor strictly below the apex, the owner itself included.
    for (unsigned skip = 0; skip + zone.name.label_count < owner.label_count; ++skip) {
        const DnsName ancestor = owner.suffix(skip);
        const std::uint8_t* n = node(ancestor.bytes(), hash_name(ancestor));
        if (n != nullptr && (node_layout::flags(n) & node_layout::kHasNs) != 0) return true;
    }
    return false;
}

std::size_t Baseline::rdata_bytes() const {
    std::size_t bytes = 0;
    for_each_rrset([&bytes](const DnsName&, const std::uint8_t* rrset) {
        const std::size_t items = rrset_layout::item_count(rrset);
        bytes += static_cast<std::size_t>(rrset_layout::end(rrset) - rrset) - rrset_layout::kHeader -
                 items * rrset_layout::kItemHeader;
    });
    return bytes;
}

std::vector<std::size_t> Baseline::rrset_counts(const WatchSet& watch) const {
    std::vector<std::size_t> counts(watch.zones().size(), 0);
    for_each_node([&](const std::uint8_t* node) {
        if (const WatchedZone* zone = watch.find(node_owner(node))) counts[zone->index] += distinct_types(node);
    });
    return counts;
}

std::vector<std::size_t> Baseline::delegation_counts(const WatchSet& watch) const {
    std::vector<std::size_t> counts(watch.zones().size(), 0);
    for_each_node([&](const std::uint8_t* node) {
        if ((node_layout::flags(node) & node_layout::kHasNs) == 0) return;
        const DnsName owner = node_owner(node);
        const WatchedZone* zone = watch.find(owner);
        if (zone != nullptr && owner.label_count > zone->name.label_count) ++counts[zone->index];
    });
    return counts;
}

std::size_t Baseline::memory_bytes() const {
    return (base_ ? base_->memory_bytes() : 0) + (overlay_ ? overlay_->memory_bytes() : 0);
}

// ---------------------------------------------------------------- changes

Baseline Baseline::with_changes(std::span<const RRsetChange> changes) const {
    if (changes.empty()) return *this;
    // The changes of each owner, in the order given (a later change of the
    // same (type, source) wins).
    std::map<std::string_view, std::vector<const RRsetChange*>> by_owner;
    for (const RRsetChange& change : changes) by_owner[change.owner.key()].push_back(&change);

    TableBytes arena;
    std::vector<std::span<const std::uint8_t>> rrsets;
    std::size_t rrset_total = rrsets_;
    // The overlay's other owners stay as they are.
    if (overlay_) {
        overlay_->for_each_node([&](const std::uint8_t* node) {
            const std::span<const std::uint8_t> owner = node_layout::owner(node);
            if (by_owner.contains({reinterpret_cast<const char*>(owner.data()), owner.size()})) return;
            rrsets.clear();
            const std::uint8_t* rrset = node_layout::rrsets(node);
            for (std::uint8_t i = node_layout::rrset_count(node); i > 0; --i) {
                const std::uint8_t* end = rrset_layout::end(rrset);
                rrsets.emplace_back(rrset, static_cast<std::size_t>(end - rrset));
                rrset = end;
            }
            node_layout::append(arena, owner, node[3], rrsets);
        });
    }
    std::vector<std::uint8_t> built;  // the changed RRsets of one owner
    std::vector<std::span<const std::uint8_t>> items;
    for (const auto& [key, owner_changes] : by_owner) {
        const DnsName& owner = owner_changes.front()->owner;
        const std::uint32_t hash = hash_name(owner);
        const std::uint8_t* current = node(owner.bytes(), hash);
        // The (type, source) pairs changed, with their last change.
        std::map<std::pair<std::uint16_t, SourceId>, const RRsetChange*> last;
        for (const RRsetChange* change : owner_changes) last[{change->type, change->source}] = change;
        built.clear();
        std::vector<std::pair<std::size_t, std::size_t>> built_ranges;
        for (const auto& [type_source, change] : last) {
            if (change->rdata.empty()) continue;
            std::vector<std::vector<std::uint8_t>> sorted = change->rdata;
            std::sort(sorted.begin(), sorted.end(), rdata_less);
            sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
            items.assign(sorted.begin(), sorted.end());
            const std::size_t at = built.size();
            rrset_layout::append(built, change->type, change->ttl, change->source, items);
            built_ranges.emplace_back(at, built.size() - at);
        }
        rrsets.clear();
        if (current != nullptr) {
            rrset_total -= distinct_types(current);
            const std::uint8_t* rrset = node_layout::rrsets(current);
            for (std::uint8_t i = node_layout::rrset_count(current); i > 0; --i) {
                const std::uint8_t* end = rrset_layout::end(rrset);
                if (!last.contains({rrset_layout::type(rrset), rrset_layout::source(rrset)})) {
                    rrsets.emplace_back(rrset, static_cast<std::size_t>(end - rrset));
                }
                rrset = end;
            }
        }
        for (const auto& [at, size] : built_ranges) rrsets.emplace_back(built.data() + at, size);
        std::stable_sort(rrsets.begin(), rrsets.end(), [](const auto& a, const auto& b) {
            return rrset_layout::type(a.data()) < rrset_layout::type(b.data());
        });
        const bool in_base = base_ && base_->find(owner.bytes(), hash) != nullptr;
        if (rrsets.empty() && !in_base) continue;  // nothing to say, nothing to hide
        const std::size_t at = node_layout::append(arena, owner.bytes(), owner.label_count, rrsets);
        rrset_total += distinct_types(arena.data() + at);
    }
    Baseline next;
    next.base_ = base_;
    next.announced_ = announced_;
    next.overlay_ = std::make_shared<const BaselineTable>(std::move(arena));
    next.rrsets_ = rrset_total;
    if (next.overlay_->node_count() > kMaxOverlayNodes) return next.compacted();
    return next;
}

Baseline Baseline::with_announcement(const DnsName& owner, std::uint16_t type, AnnouncedRdata rdata) const {
    Baseline next = *this;
    auto announced = announced_ ? std::make_shared<Announcements>(*announced_) : std::make_shared<Announcements>();
    announced->add(owner, hash_name(owner), type, std::move(rdata));
    next.announced_ = std::move(announced);
    return next;
}

std::size_t Baseline::add_zone_records(const std::vector<ZoneRecord>& records, const WatchSet& watch) {
    BaselineTableBuilder builder;
    for_each_node([&builder](const std::uint8_t* node) { builder.add_node(node, hash_name(node_owner(node))); });
    std::size_t added = 0;
    std::vector<std::uint8_t> canonical;
    for (const ZoneRecord& record : records) {
        if (watch.find(record.owner) == nullptr) continue;
        canonical.clear();
        if (append_canonical_rdata(record.rdata, record.type, 0, record.rdata.size(), canonical) != MalformedKind::none) {
            continue;  // ldns wrote it, so this only happens for layouts ldns accepts and we do not
        }
        builder.add(record.owner, record.type, record.ttl, 0, canonical);
        ++added;
    }
    Baseline next(builder.build());
    next.announced_ = announced_;
    *this = std::move(next);
    return added;
}

bool Baseline::announce(const ZoneRecord& record, std::int64_t effective_us, const WatchSet& watch) {
    if (watch.find(record.owner) == nullptr) return false;
    std::vector<std::uint8_t> canonical;
    if (append_canonical_rdata(record.rdata, record.type, 0, record.rdata.size(), canonical) != MalformedKind::none) {
        return false;
    }
    *this = with_announcement(record.owner, record.type, AnnouncedRdata{std::move(canonical), effective_us});
    return true;
}

Baseline Baseline::with_announcements_of(const Baseline& other, std::size_t* pruned) const {
    Baseline next = *this;
    next.announced_ = other.announced_;
    if (!next.announced_ || next.announced_->empty()) return next;
    // Announced rdata the zone's own data now holds (the pool without
    // announcements) were applied: they go.
    std::size_t dropped = 0;
    std::vector<std::uint8_t> form;
    Announcements kept = next.announced_->without(
        [&](std::string_view owner_wire, std::uint16_t type, const AnnouncedRdata& announced) {
            // The key is the owner's canonical wire form, as DnsName holds it.
            DnsName owner;
            if (owner_wire.empty() || owner_wire.size() > owner.wire.size()) return false;
            std::memcpy(owner.wire.data(), owner_wire.data(), owner_wire.size());
            owner.length = static_cast<std::uint8_t>(owner_wire.size());
            for (std::size_t at = 0; at < owner_wire.size() && owner_wire[at] != 0;
                 at += 1 + static_cast<std::uint8_t>(owner_wire[at])) {
                ++owner.label_count;
            }
            const RRsetPool pool = find(owner, type);  // this content's: the zone data
            if (!pool.has_rdata()) return false;
            form.assign(announced.rdata.begin(), announced.rdata.end());
            to_comparison_form(type, form);
            return pool.contains(form);
        },
        &dropped);
    if (dropped == 0) return next;
    next.announced_ = std::make_shared<const Announcements>(std::move(kept));
    if (pruned != nullptr) *pruned += dropped;
    return next;
}

Baseline Baseline::compacted() const {
    BaselineTableBuilder builder;
    for_each_node([&builder](const std::uint8_t* node) { builder.add_node(node, hash_name(node_owner(node))); });
    Baseline next(builder.build());
    next.announced_ = announced_;
    next.rrsets_ = rrsets_;
    return next;
}

}  // namespace dnswatch
