#include "pipeline/zone_shards.h"

#include <stdexcept>
#include <string>
#include <string_view>

namespace dnswatch {

ZoneShards::ZoneShards(const WatchSet& watch, std::size_t shards) {
    if (shards == 0 || shards > 65535) throw std::invalid_argument("shard count must be 1..65535");
    local_.reserve(shards);
    for (std::size_t i = 0; i < shards; ++i) local_.push_back(std::make_unique<WatchSet>());

    const std::vector<WatchedZone>& zones = watch.zones();
    shard_of_zone_.assign(zones.size(), 0);
    // The family root of a zone: its highest watched ancestor (or itself).
    auto family_root = [&](const WatchedZone& zone) -> const WatchedZone& {
        // Climb through the closest watched ancestors: a few lookups per
        // zone, not a scan of every other zone (watch sets run to 100,000).
        const WatchedZone* root = &zone;
        for (;;) {
            const std::size_t dot = root->text.find('.');
            if (dot == std::string::npos) return *root;
            const auto parent = DnsName::from_text(std::string_view(root->text).substr(dot + 1));
            const WatchedZone* above = parent ? watch.find(*parent) : nullptr;
            if (above == nullptr) return *root;
            root = above;
        }
    };
    std::vector<std::int64_t> family_shard(zones.size(), -1);  // by root index
    std::size_t next = 0;
    for (const WatchedZone& zone : zones) {
        const WatchedZone& root = family_root(zone);
        if (family_shard[root.index] < 0) family_shard[root.index] = static_cast<std::int64_t>(next++ % shards);
        const auto shard = static_cast<std::size_t>(family_shard[root.index]);
        shard_of_zone_[zone.index] = static_cast<std::uint16_t>(shard);
        local_[shard]->add(zone.text);
    }
}

}  // namespace dnswatch
