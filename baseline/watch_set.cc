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
    if (short_zone_) return true;
    if (name.length < 8) return false;  // shorter than every zone
    const std::size_t bit = tail_bit(name);
    return (tail_filter_[bit / 64] >> (bit % 64)) & 1;
}

const WatchedZone& WatchSet::add(std::string_view zone_name) {
    const auto name = DnsName::from_text(zone_name);
    if (!name) throw std::invalid_argument("'" + std::string(zone_name) + "' is not a DNS name");
    if (!table_.empty() && probe(hash_suffix(*name, 0), name->key()) != nullptr) {
        throw std::invalid_argument("zone '" + std::string(zone_name) + "' is watched twice");
    }
    zones_.push_back(WatchedZone{*name, name->to_text(), zones_.size()});
    if (!owned_.empty()) owned_.push_back(1);
    min_labels_ = std::min<unsigned>(min_labels_, name->label_count);
    max_labels_ = std::max<unsigned>(max_labels_, name->label_count);
    label_counts_[name->label_count / 64] |= std::uint64_t{1} << (name->label_count % 64);
    if (name->length < 8) {
        short_zone_ = true;
    } else {
        const std::size_t bit = tail_bit(*name);
        tail_filter_[bit / 64] |= std::uint64_t{1} << (bit % 64);
    }
    if (zones_.size() * 2 > table_.size()) {
        rebuild_table();  // also inserts the new zone
    } else {
        insert(zones_.back());
    }
    return zones_.back();
}

void WatchSet::rebuild_table() {
    std::size_t size = 16;
    while (size < zones_.size() * 4) size *= 2;
    table_.assign(size, Slot{});
    for (const WatchedZone& zone : zones_) insert(zone);
}

void WatchSet::insert(const WatchedZone& zone) {
    const std::uint64_t hash = hash_suffix(zone.name, 0);
    const std::size_t mask = table_.size() - 1;
    std::size_t slot = table_index_mix(hash) & mask;
    while (table_[slot].zone_plus_one != 0) slot = (slot + 1) & mask;
    table_[slot] = Slot{hash, static_cast<std::uint32_t>(zone.index + 1)};
}

inline const WatchedZone* WatchSet::probe(std::uint64_t hash, std::string_view key) const {
    const std::size_t mask = table_.size() - 1;
    for (std::size_t slot = table_index_mix(hash) & mask; table_[slot].zone_plus_one != 0; slot = (slot + 1) & mask) {
        if (table_[slot].hash != hash) continue;
        const WatchedZone& zone = zones_[table_[slot].zone_plus_one - 1];
        if (zone.name.key() == key) return &zone;
    }
    return nullptr;
}

const WatchedZone* WatchSet::find(const DnsName& name) const {
    const unsigned labels = name.label_count;
    if (labels < min_labels_ || zones_.empty() || name.length == 0 || !tail_may_match(name)) return nullptr;
    // Longest suffix first, so that a watched child zone wins over its
    // parent; labels no zone is long enough to need are skipped unhashed.
    unsigned suffix = std::min(labels, max_labels_);
    std::size_t at = 0;
    for (unsigned skip = labels - suffix; skip > 0; --skip) at += std::size_t{1} + name.wire[at];
    for (;; --suffix) {
        if (has_label_count(suffix)) {
            const std::uint64_t hash = hash_suffix(name, at);
            if (const WatchedZone* zone = probe(hash, name.key().substr(at))) {
                return owns(*zone) ? zone : nullptr;
            }
        }
        if (suffix == min_labels_) return nullptr;
        at += std::size_t{1} + name.wire[at];
    }
}

const WatchedZone* WatchSet::find_zone(std::string_view zone_text) const {
    const auto name = DnsName::from_text(zone_text);
    const WatchedZone* zone = name ? find(*name) : nullptr;
    // find() gives the closest zone at or above: the same label count is the zone itself.
    return zone != nullptr && zone->name.label_count == name->label_count ? zone : nullptr;
}

WatchSet WatchSet::part(std::vector<std::uint8_t> owned) const {
    if (owned.size() != zones_.size()) throw std::invalid_argument("a watch set part needs one flag per zone");
    WatchSet copy = *this;
    copy.owned_ = std::move(owned);
    return copy;
}

}  // namespace dnswatch
