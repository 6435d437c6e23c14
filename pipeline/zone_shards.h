// Which shard owns which watched zone. Detection state (open alerts, and
// whatever later signals keep per zone) must see every observation of a
// zone, so a zone lives on exactly one shard.
//
// Zones are assigned by *family*: a watched zone and every watched zone below
// it (victim.test and mail.victim.test, if both are watched) share a shard.
// That makes a shard's own watch set answer find() exactly as the full set
// does for names of its families, and nullptr for everything else, so the
// unmodified Detector, given the shard's watch set, judges only its own
// RRsets when a message touches zones of several shards. Families go to
// shards round-robin in the order the config lists them, which spreads a
// short list more evenly than a hash would.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "detect/watch_set.h"

namespace dnswatch {

class ZoneShards {
public:
    ZoneShards(const WatchSet& watch, std::size_t shards);

    std::size_t shard_count() const { return local_.size(); }
    // The shard that owns `zone` (a zone of the full watch set).
    std::size_t shard_of(const WatchedZone& zone) const { return shard_of_zone_[zone.index]; }
    // The zones shard `shard` owns, as a watch set of its own.
    const WatchSet& local_watch(std::size_t shard) const { return *local_[shard]; }

private:
    std::vector<std::uint16_t> shard_of_zone_;  // by WatchedZone::index
    std::vector<std::unique_ptr<WatchSet>> local_;
};

}  // namespace dnswatch
