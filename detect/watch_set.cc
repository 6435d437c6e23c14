#include "detect/watch_set.h"

#include "detect/fast_hash.h"

#include <stdexcept>

namespace dnswatch {

std::uint64_t WatchSet::hash_key(std::string_view key) {
    // Keys are a zone's wire form, lower case already; the watch list is the
    // operator's, so a fixed seed will do.
    return fast_hash({reinterpret_cast<const std::uint8_t*>(key.data()), key.size()}, 0x243F6A8885A308D3ull);
}

const WatchedZone& WatchSet::add(std::string_view zone_name) {
    const auto name = DnsName::from_text(zone_name);
    if (!name) throw std::invalid_argument("'" + std::string(zone_name) + "' is not a DNS name");
    if (find_exact(name->key()) != nullptr) {
        throw std::invalid_argument("zone '" + std::string(zone_name) + "' is watched twice");
    }
    zones_.push_back(WatchedZone{*name, name->to_text(), zones_.size()});
    if (!owned_.empty()) owned_.push_back(1);
    min_labels_ = std::min<unsigned>(min_labels_, name->label_count);
    max_labels_ = std::max<unsigned>(max_labels_, name->label_count);
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
    const std::uint64_t hash = hash_key(zone.name.key());
    const std::size_t mask = table_.size() - 1;
    std::size_t slot = hash & mask;
    while (table_[slot].zone_plus_one != 0) slot = (slot + 1) & mask;
    table_[slot] = Slot{hash, static_cast<std::uint32_t>(zone.index + 1)};
}

const WatchedZone* WatchSet::find_exact(std::string_view key) const {
    if (table_.empty()) return nullptr;
    const std::uint64_t hash = hash_key(key);
    const std::size_t mask = table_.size() - 1;
    for (std::size_t slot = hash & mask; table_[slot].zone_plus_one != 0; slot = (slot + 1) & mask) {
        if (table_[slot].hash != hash) continue;
        const WatchedZone& zone = zones_[table_[slot].zone_plus_one - 1];
        if (zone.name.key() == key) return &zone;
    }
    return nullptr;
}

const WatchedZone* WatchSet::find(const DnsName& name) const {
    if (zones_.empty() || name.label_count < min_labels_) return nullptr;
    // Longest suffix first, so that a watched child zone wins over its parent.
    const unsigned longest = std::min<unsigned>(name.label_count, max_labels_);
    for (unsigned labels = longest + 1; labels-- > min_labels_;) {
        if (const WatchedZone* zone = find_exact(name.suffix_key(name.label_count - labels))) {
            return owns(*zone) ? zone : nullptr;
        }
    }
    return nullptr;
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
