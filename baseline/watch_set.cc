#include "baseline/watch_set.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>

#include "decode/word_hash.h"

namespace dnswatch {
namespace {

// Keys are zones' wire forms, lower case already; the watch list is the
// operator's, so a fixed seed will do.
constexpr std::uint64_t kSeed = 0x243F6A8885A308D3ull;

}  // namespace

std::uint64_t WatchSet::hash_suffix(const DnsName& name, std::size_t at) {
    WordHasher h(kSeed ^ (name.length - at));  // at least 1 byte: the root
    h.add_name_bytes(name, at);
    return h.value();  // unfinished: probes compare it whole, table_index_mix() picks the slot
}

std::size_t WatchSet::tail_bit(const DnsName& name) {
    constexpr int kBits = std::bit_width(kTailFilterBits - 1);
    return static_cast<std::size_t>((load_le64(name.wire.data() + name.length - 8) * WordHasher::kMultiplier) >>
                                    (64 - kBits));
}

bool WatchSet::tail_may_match(const DnsName& name) const {
    if (core_->short_zone) return true;
    if (name.length < 8) return false;  // shorter than every zone
    const std::size_t bit = tail_bit(name);
    return (core_->tail_filter[bit / 64] >> (bit % 64)) & 1;
}

WatchSet::Core& WatchSet::writable_core() {
    if (core_.use_count() > 1) core_ = std::make_shared<Core>(*core_);  // a part shares it: copy first
    return *core_;
}

const WatchedZone& WatchSet::add(std::string_view zone_name, bool delegation_only) {
    const auto name = DnsName::from_text(zone_name);
    if (!name) throw std::invalid_argument("'" + std::string(zone_name) + "' is not a DNS name");
    if (!core_->table.empty() && probe(hash_suffix(*name, 0), name->key()) != nullptr) {
        throw std::invalid_argument("zone '" + std::string(zone_name) + "' is watched twice");
    }
    Core& core = writable_core();
    core.zones.push_back(WatchedZone{*name, name->to_text(), core.zones.size(), delegation_only});
    if (!owned_.empty()) owned_.push_back(1);
    core.min_labels = std::min<unsigned>(core.min_labels, name->label_count);
    core.max_labels = std::max<unsigned>(core.max_labels, name->label_count);
    core.label_counts[name->label_count / 64] |= std::uint64_t{1} << (name->label_count % 64);
    if (name->length < 8) {
        core.short_zone = true;
    } else {
        const std::size_t bit = tail_bit(*name);
        core.tail_filter[bit / 64] |= std::uint64_t{1} << (bit % 64);
    }
    if (core.zones.size() * 2 > core.table.size()) {
        core.rebuild_table();  // also inserts the new zone
    } else {
        core.insert(core.zones.back());
    }
    return core.zones.back();
}

void WatchSet::Core::rebuild_table() {
    std::size_t size = 16;
    while (size < zones.size() * 4) size *= 2;
    table.assign(size, Slot{});
    for (const WatchedZone& zone : zones) insert(zone);
}

void WatchSet::Core::insert(const WatchedZone& zone) {
    const std::uint64_t hash = hash_suffix(zone.name, 0);
    const std::size_t mask = table.size() - 1;
    std::size_t slot = table_index_mix(hash) & mask;
    while (table[slot].zone_plus_one != 0) slot = (slot + 1) & mask;
    table[slot] = Slot{hash, static_cast<std::uint32_t>(zone.index + 1)};
}

inline const WatchedZone* WatchSet::probe(std::uint64_t hash, std::string_view key) const {
    const std::vector<Slot>& table = core_->table;
    const std::size_t mask = table.size() - 1;
    for (std::size_t slot = table_index_mix(hash) & mask; table[slot].zone_plus_one != 0; slot = (slot + 1) & mask) {
        if (table[slot].hash != hash) continue;
        const WatchedZone& zone = core_->zones[table[slot].zone_plus_one - 1];
        if (zone.name.key() == key) return &zone;
    }
    return nullptr;
}

std::size_t WatchSet::child_shard(const DnsName& name, const WatchedZone& zone, std::size_t shard_count) {
    // The child's wire form is the suffix with one label more than the apex.
    std::size_t at = 0;
    for (unsigned skip = name.label_count - zone.name.label_count - 1; skip > 0; --skip) {
        at += std::size_t{1} + name.wire[at];
    }
    return static_cast<std::size_t>(fmix64(hash_suffix(name, at)) % shard_count);
}

bool WatchSet::judges(const WatchedZone& zone, const DnsName& name) const {
    if (split_ && (*split_)[zone.index] != 0 && name.label_count > zone.name.label_count) {
        return child_shard(name, zone, shard_count_) == shard_;
    }
    return owns(zone);
}

const WatchedZone* WatchSet::find(const DnsName& name) const {
    const Core& core = *core_;
    const unsigned labels = name.label_count;
    if (labels < core.min_labels || core.zones.empty() || name.length == 0 || !tail_may_match(name)) return nullptr;
    // Longest suffix first, so that a watched child zone wins over its
    // parent; labels no zone is long enough to need are skipped unhashed.
    unsigned suffix = std::min(labels, core.max_labels);
    std::size_t at = 0;
    for (unsigned skip = labels - suffix; skip > 0; --skip) at += std::size_t{1} + name.wire[at];
    for (;; --suffix) {
        if (has_label_count(suffix)) {
            const std::uint64_t hash = hash_suffix(name, at);
            if (const WatchedZone* zone = probe(hash, name.key().substr(at))) {
                if (owned_.empty()) return zone;
                return judges(*zone, name) ? zone : nullptr;
            }
        }
        if (suffix == core.min_labels) return nullptr;
        at += std::size_t{1} + name.wire[at];
    }
}

const WatchedZone* WatchSet::find_zone(std::string_view zone_text) const {
    const auto name = DnsName::from_text(zone_text);
    const WatchedZone* zone = name ? find(*name) : nullptr;
    // find() gives the closest zone at or above: the same label count is the zone itself.
    return zone != nullptr && zone->name.label_count == name->label_count ? zone : nullptr;
}

WatchSet WatchSet::part(std::vector<std::uint8_t> owned, std::shared_ptr<const std::vector<std::uint8_t>> split,
                        std::size_t shard, std::size_t shard_count) const {
    if (owned.size() != core_->zones.size() || (split && split->size() != core_->zones.size())) {
        throw std::invalid_argument("a watch set part needs one flag per zone");
    }
    WatchSet view;
    view.core_ = core_;  // shared: a part of a million-zone list costs its flags only
    view.owned_ = std::move(owned);
    view.split_ = std::move(split);
    view.shard_ = static_cast<std::uint32_t>(shard);
    view.shard_count_ = static_cast<std::uint32_t>(shard_count);
    return view;
}

}  // namespace dnswatch
