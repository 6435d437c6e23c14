#include "baseline/zone_shards.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <string_view>

namespace dnswatch {
namespace {

// The closest watched zone strictly above `zone`, or nullptr.
const WatchedZone* watched_parent(const WatchSet& watch, const WatchedZone& zone) {
    const std::size_t dot = zone.text.find('.');
    if (dot == std::string::npos) return nullptr;
    const auto parent = DnsName::from_text(std::string_view(zone.text).substr(dot + 1));
    return parent ? watch.find(*parent) : nullptr;
}

}  // namespace

ZoneShards::ZoneShards(std::shared_ptr<const WatchSet> watch, std::size_t shards, const ZoneShards* previous,
                       std::vector<std::uint8_t> split)
    : watch_(std::move(watch)) {
    if (shards == 0 || shards > 65535) throw std::invalid_argument("shard count must be 1..65535");
    if (previous != nullptr && previous->shard_count() != shards) {
        throw std::invalid_argument("a repartition keeps the shard count");
    }
    const std::vector<WatchedZone>& zones = watch_->zones();
    constexpr std::uint16_t kUnassigned = 0xffff;  // shards <= 65535, so never a shard
    shard_of_zone_.assign(zones.size(), kUnassigned);
    std::vector<std::size_t> load(shards, 0);
    auto assign = [&](const WatchedZone& zone, std::size_t shard) {
        shard_of_zone_[zone.index] = static_cast<std::uint16_t>(shard);
        ++load[shard];
    };
    // Zones still watched keep their shard.
    if (previous != nullptr) {
        for (const WatchedZone& zone : zones) {
            if (const WatchedZone* before = previous->watch().find_zone(zone.text)) {
                assign(zone, previous->shard_of(*before));
            }
        }
    }
    // The others: with their family, else to the least loaded shard. A
    // zone's watched ancestors are placed before it (climbing a few lookups,
    // never a scan of the list: watch lists run to 100,000 zones).
    auto place = [&](const WatchedZone& zone, auto& self) -> std::size_t {
        if (shard_of_zone_[zone.index] != kUnassigned) return shard_of_zone_[zone.index];
        if (const WatchedZone* parent = watched_parent(*watch_, zone)) {
            const std::size_t shard = self(*parent, self);
            assign(zone, shard);
            return shard;
        }
        const std::size_t shard = static_cast<std::size_t>(std::min_element(load.begin(), load.end()) - load.begin());
        assign(zone, shard);
        return shard;
    };
    for (const WatchedZone& zone : zones) place(zone, place);

    if (shards == 1) {
        local_.push_back(watch_);
        return;
    }
    if (std::find(split.begin(), split.end(), std::uint8_t{1}) != split.end()) {
        if (split.size() != zones.size()) throw std::invalid_argument("one split flag per zone");
        split_ = std::make_shared<const std::vector<std::uint8_t>>(std::move(split));
    }
    for (std::size_t s = 0; s < shards; ++s) {
        std::vector<std::uint8_t> owned(zones.size(), 0);
        for (const WatchedZone& zone : zones) owned[zone.index] = shard_of_zone_[zone.index] == s ? 1 : 0;
        local_.push_back(std::make_shared<const WatchSet>(watch_->part(std::move(owned), split_, s, shards)));
    }
}

}  // namespace dnswatch
