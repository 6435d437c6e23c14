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
//
// A zone with many delegations (a registry's TLD) is *split* instead: its
// state is spread over every shard by a hash of the child zone a name lies
// in (WatchSet::child_shard), so that one TLD keeps every core busy while
// each delegation's NS, DS, glue and the questions about it meet on one
// shard. Its apex stays with the shard that owns the zone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "baseline/watch_set.h"

namespace dnswatch {

class ZoneShards {
public:
    // A zone with at least this many delegations is split (with shards > 1).
    static constexpr std::size_t kSplitDelegations = 64;

    // Throws std::invalid_argument unless 1 <= shards <= 65535. `split`
    // flags the zones to spread over the shards (by zone index; empty: none).
    ZoneShards(std::shared_ptr<const WatchSet> watch, std::size_t shards, const ZoneShards* previous = nullptr,
               std::vector<std::uint8_t> split = {});

    std::size_t shard_count() const { return local_.size(); }
    const WatchSet& watch() const { return *watch_; }
    // The shard that owns `zone` (a zone of watch()): all of it, or its apex
    // when it is split.
    std::size_t shard_of(const WatchedZone& zone) const { return shard_of_zone_[zone.index]; }
    // The shard that judges `name`, whose closest watched zone is `zone`.
    std::size_t shard_of(const WatchedZone& zone, const DnsName& name) const {
        if (split_ && (*split_)[zone.index] != 0 && name.label_count > zone.name.label_count) {
            return WatchSet::child_shard(name, zone, local_.size());
        }
        return shard_of_zone_[zone.index];
    }
    bool split(const WatchedZone& zone) const { return split_ && (*split_)[zone.index] != 0; }
    // Shard `shard`'s part of the watch list (the whole list with one shard).
    const WatchSet& local_watch(std::size_t shard) const { return *local_[shard]; }

private:
    std::shared_ptr<const WatchSet> watch_;
    std::vector<std::uint16_t> shard_of_zone_;  // by WatchedZone::index
    std::shared_ptr<const std::vector<std::uint8_t>> split_;  // by WatchedZone::index; null: none
    std::vector<std::shared_ptr<const WatchSet>> local_;
};

}  // namespace dnswatch
