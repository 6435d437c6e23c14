// The baseline as its sources change while packets flow: a zone transfer
// brings a new version of a zone, the transparency feed announces a change.
// Each change rebuilds a whole new immutable Baseline from the sources, on
// the thread that brought the change (under a writer mutex, never on the
// packet path), and publishes it with a version number. The packet path
// reads the version (one atomic load) at batch boundaries and, only when it
// moved, takes the new snapshot (BaselineFollower): no lock, no wait, and a
// batch is judged against one baseline from start to end.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "decode/ldns_glue.h"
#include "detect/baseline.h"
#include "detect/watch_set.h"

namespace dnswatch {

class Detector;

// A change the registry's transparency feed announced (cli/transparency_feed.h):
// the new RRset, legitimate from `effective_us` on.
struct Announcement {
    std::vector<ZoneRecord> records;
    std::int64_t effective_us = 0;
};

// Everything a baseline is built from.
struct BaselineSources {
    std::vector<std::vector<ZoneRecord>> zone_files;   // by watched zone index: watch.zones[].zone_file
    std::vector<std::vector<ZoneRecord>> transferred;  // by watched zone index: the last zone transfer
    std::vector<ZoneRecord> other_records;             // baseline.zone_files (a parent's: delegation, glue, DS)
    std::vector<Announcement> announcements;

    explicit BaselineSources(std::size_t zones = 0) : zone_files(zones), transferred(zones) {}
    // A zone's file and its transfer both count: the pool is their union.
    void build(const WatchSet& watch, Baseline& out) const;
};

class SharedBaseline {
public:
    SharedBaseline(const WatchSet& watch, BaselineSources sources);

    // Writer side, from any thread: changes the sources and publishes the
    // rebuilt snapshot. Writers are serialised; readers never wait for them.
    void update(const std::function<void(BaselineSources&)>& change);

    // Reader side.
    std::uint64_t version() const { return version_.load(std::memory_order_acquire); }
    std::shared_ptr<const Baseline> snapshot() const { return current_.load(std::memory_order_acquire); }

    const WatchSet& watch() const { return watch_; }

private:
    const WatchSet& watch_;
    std::mutex writer_;
    BaselineSources sources_;
    std::atomic<std::shared_ptr<const Baseline>> current_;
    std::atomic<std::uint64_t> version_{0};
};

// One per detector, on the detector's thread: hands it each new snapshot,
// and keeps that snapshot alive while the detector points into it.
class BaselineFollower {
public:
    explicit BaselineFollower(const SharedBaseline& shared) : shared_(shared) {}

    // Call between batches: true when the detector now judges against a
    // newer snapshot. The first call always hands one over.
    bool refresh(Detector& detector);

private:
    const SharedBaseline& shared_;
    std::shared_ptr<const Baseline> held_;
    std::uint64_t version_ = ~std::uint64_t{0};
};

}  // namespace dnswatch
