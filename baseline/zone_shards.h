// Which detector (pipeline shard) owns which watched zone. Detection state
// (open alerts, query matching, learning) must see every observation of a
// zone, so a zone lives on exactly one shard; a message is copied to each
// shard that owns a zone it speaks about, and each shard's part of the watch
// list (WatchSet::part) answers only for its own zones.
//
// Zones go by *family* where that is free: a zone added below a watched
// zone joins its shard, so a message about victim.test and
// mail.victim.test is copied once, not twice. New families go to the shard
// with the fewest zones. A partition built to replace another (the watch
// list reloaded) keeps every zone still watched on the shard it had, so no
// zone's open alerts or outstanding queries change hands.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "baseline/watch_set.h"

namespace dnswatch {

class ZoneShards {
public:
    // Throws std::invalid_argument unless 1 <= shards <= 65535.
    ZoneShards(std::shared_ptr<const WatchSet> watch, std::size_t shards, const ZoneShards* previous = nullptr);

    std::size_t shard_count() const { return local_.size(); }
    const WatchSet& watch() const { return *watch_; }
    // The shard that owns `zone` (a zone of watch()).
    std::size_t shard_of(const WatchedZone& zone) const { return shard_of_zone_[zone.index]; }
    // Shard `shard`'s part of the watch list (the whole list with one shard).
    const WatchSet& local_watch(std::size_t shard) const { return *local_[shard]; }

private:
    std::shared_ptr<const WatchSet> watch_;
    std::vector<std::uint16_t> shard_of_zone_;  // by WatchedZone::index
    std::vector<std::shared_ptr<const WatchSet>> local_;
};

}  // namespace dnswatch
