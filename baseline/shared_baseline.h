// The baseline stage's one interface. Sources write: a zone transfer brings
// a new version of a zone (set_transfer), the transparency feed announces a
// change (announce), a reload brings new zone files or a new watch list
// (replace). Detection reads: each change builds a whole new immutable
// snapshot from the sources, on the thread that brought the change (under a
// writer mutex, never on the packet path), and publishes it with a version
// number. The packet path reads the version (one atomic load) at batch
// boundaries and, only when it moved, takes the new snapshot
// (BaselineFollower): no lock, no wait, and a batch is judged against one
// snapshot from start to end.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "decode/ldns_glue.h"
#include "baseline/baseline.h"
#include "baseline/watch_set.h"
#include "baseline/zone_shards.h"

namespace dnswatch {

// A change the registry's transparency feed announced (baseline/transparency_feed.h):
// the new RRset, legitimate from `effective_us` on.
struct Announcement {
    std::vector<ZoneRecord> records;
    std::int64_t effective_us = 0;
};

// Everything a baseline is built from.
struct BaselineSources {
    std::vector<std::vector<ZoneRecord>> zone_files;            // by watched zone index: watch.zones[].zone_file
    std::map<std::string, std::vector<ZoneRecord>> transferred;  // by watched zone name: its last zone transfer
    std::vector<ZoneRecord> other_records;                      // baseline.zone_files (a parent's: delegation, glue, DS)
    std::vector<Announcement> announcements;

    explicit BaselineSources(std::size_t zones = 0) : zone_files(zones) {}
    // A zone's file and its transfer both count: the pool is their union.
    void build(const WatchSet& watch, Baseline& out) const;
};

// One version of what detection judges against.
struct BaselineSnapshot {
    std::shared_ptr<const WatchSet> watch;    // the whole watch list
    std::shared_ptr<const ZoneShards> shards;  // its parts, one per pipeline shard (one part by default)
    Baseline baseline;                         // built for `watch`
};

class SharedBaseline {
public:
    SharedBaseline(WatchSet watch, BaselineSources sources);

    // Writer side, from any thread: each changes the sources and publishes
    // the rebuilt snapshot. Writers are serialised; readers never wait.
    // A new version of `zone` ("victim.test") from its primary.
    void set_transfer(const std::string& zone, std::vector<ZoneRecord> records);
    // A change announced by the transparency feed.
    void announce(Announcement announcement);
    // A new watch list and the sources read for it (zone_files by its
    // indexes). The transfers held for zones still watched replace those
    // read from disk; those of zones no longer watched go (their records
    // would fall to a parent zone).
    void replace(WatchSet watch, BaselineSources sources);
    // From now on, cut each watch list into `shards` parts (the pipeline's
    // shard count, set before it starts); a zone keeps its part across
    // replace().
    void partition(std::size_t shards);

    // Reader side.
    std::uint64_t version() const { return version_.load(std::memory_order_acquire); }
    std::shared_ptr<const BaselineSnapshot> snapshot() const { return current_.load(std::memory_order_acquire); }
    std::shared_ptr<const WatchSet> watch() const { return snapshot()->watch; }

private:
    // Changes the sources, then publishes the rebuilt snapshot.
    void update(const std::function<void(BaselineSources&)>& change);
    // Builds and publishes a snapshot; the writer mutex is held.
    void publish(std::shared_ptr<const WatchSet> watch, std::shared_ptr<const ZoneShards> shards);

    std::mutex writer_;
    BaselineSources sources_;
    std::atomic<std::shared_ptr<const BaselineSnapshot>> current_;
    std::atomic<std::uint64_t> version_{0};
};

// One per reader of the baseline (a detector, a router), on its thread:
// takes each new snapshot between batches, and keeps it alive while the
// reader points into it.
class BaselineFollower {
public:
    // `shard`: the part of the watch list this follower's detector owns.
    explicit BaselineFollower(const SharedBaseline& shared, std::size_t shard = 0) : shared_(shared), shard_(shard) {}

    // Call between batches: true when a newer snapshot was taken. The first
    // call always takes one.
    bool refresh();

    // After the first refresh().
    const BaselineSnapshot& snapshot() const { return *held_; }
    const WatchSet& local_watch() const { return held_->shards->local_watch(shard_); }

private:
    const SharedBaseline& shared_;
    std::size_t shard_;
    std::shared_ptr<const BaselineSnapshot> held_;
    std::uint64_t version_ = ~std::uint64_t{0};
};

}  // namespace dnswatch
