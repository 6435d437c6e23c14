// The baseline stage's one interface. Sources write: a zone transfer brings
// a new version of a zone (set_transfer), the transparency feed announces a
// change (announce), a reload brings new zone files or a new watch list
// (replace). Detection reads: each change makes a new immutable snapshot on
// the thread that brought it (under a writer mutex, never on the packet
// path) and publishes it with a version number. A change of k RRsets costs
// O(k) plus the snapshot's recent changes (baseline/baseline.h), not a
// rebuild. The packet path reads the version (one atomic load) at batch
// boundaries and, only when it moved, takes the new snapshot
// (BaselineFollower): no lock, no wait, and a batch is judged against one
// snapshot from start to end.
//
// Reclaiming (RCU-like): a replaced snapshot is retired, not dropped. The
// packet threads let go of it as they move on, but never free it: the
// writer side's reclaimer frees a retired snapshot once nobody else holds
// it, so that freeing a million RRsets never stalls a packet thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "baseline/baseline.h"
#include "baseline/baseline_change.h"
#include "baseline/baseline_input.h"
#include "baseline/watch_set.h"
#include "baseline/zone_shards.h"
#include "decode/ldns_glue.h"

namespace dnswatch {

// One version of what detection judges against.
struct BaselineSnapshot {
    std::shared_ptr<const WatchSet> watch;    // the whole watch list
    std::shared_ptr<const ZoneShards> shards;  // its parts, one per pipeline shard (one part by default)
    Baseline baseline;                         // built for `watch`
};

// What SharedBaseline counts of its own work.
struct SharedBaselineCounters {
    std::atomic<std::uint64_t> snapshots{0};      // published
    std::atomic<std::uint64_t> rrsets_changed{0}; // RRset changes applied incrementally
    std::atomic<std::uint64_t> reloads_incremental{0};  // reloads applied as their changes alone
    std::atomic<std::uint64_t> compactions{0};    // overlays folded into a new base
    std::atomic<std::uint64_t> reclaimed{0};      // retired snapshots freed by the reclaimer
    std::atomic<std::uint64_t> changes_reported{0};  // change records handed to the listener
    std::atomic<std::uint64_t> announcements_applied{0};  // announced rdata dropped: the zone's data holds them now
    std::atomic<std::uint64_t> announcements_refused{0};  // announcements refused past max_announced_rdata
};

class SharedBaseline {
public:
    SharedBaseline(WatchSet watch, Baseline baseline);
    SharedBaseline(WatchSet watch, const BaselineSources& sources);
    ~SharedBaseline();
    SharedBaseline(const SharedBaseline&) = delete;
    SharedBaseline& operator=(const SharedBaseline&) = delete;

    // Writer side, from any thread: each publishes a new snapshot.
    // Writers are serialised; readers never wait.
    // The whole new content of `zone` ("victim.test") from its primary: its
    // difference from the last transfer is applied.
    void set_transfer(const std::string& zone, const std::vector<ZoneRecord>& records);
    // A version of `zone`'s zone file (watch.zones[].versions) taking over
    // at packet time `time_us`: its difference from the zone's file so far
    // is applied and reported as a reload's is, source zone_version, at
    // `time_us` (so that the short-lived window and announcements count in
    // packet time). A version that changes nothing publishes nothing.
    void set_zone_version(const std::string& zone, const std::vector<ZoneRecord>& records, std::int64_t time_us);
    // An incremental transfer of `zone`: the records removed and added since
    // the last version, applied in O(changes). False, and nothing applied,
    // when a removed record is not what the last transfer gave (the copies
    // went apart: the caller transfers the whole zone again).
    bool apply_transfer_changes(const std::string& zone, const std::vector<ZoneRecord>& removed,
                                const std::vector<ZoneRecord>& added);
    // The SOA the last transfer of `zone` gave, if any: where an incremental
    // transfer starts from after a restart.
    std::optional<ZoneRecord> transferred_soa(const std::string& zone) const;
    // Every record the last transfers of `zone` gave, for keeping a copy.
    std::vector<ZoneRecord> transferred_records(const std::string& zone) const;
    // A change announced by the transparency feed; false when refused past
    // the bound on announced rdata held (counted).
    bool announce(const Announcement& announcement);
    static constexpr std::size_t kDefaultMaxAnnouncedRdata = 100000;  // in all
    static constexpr std::size_t kMaxAnnouncedPerRRset = 1024;        // for one (owner, type)
    void set_max_announced_rdata(std::size_t max) { max_announced_rdata_ = max; }
    // Changes from any source, applied as they are; reported as `source`.
    void apply(std::span<const RRsetChange> changes, ChangeSource source = ChangeSource::zone_file);
    // A new watch list and the baseline read for it (a reload). The
    // transfers held for zones still watched are kept (they are newer than
    // anything on disk); those of zones no longer watched go (their records
    // would fall to a parent zone).
    void replace(WatchSet watch, BaselineInput input);
    void replace(WatchSet watch, const BaselineSources& sources);
    // A reload that changed only zone files' data, the watch list as it was
    // (baseline/zone_file_index.h): `changes` (RRsets of the files'
    // sources, as a full load would give them now) applied in O(changes),
    // the feed's announcements taken from `announced` as re-read, reported
    // as a zone_file change: the same records replace() gives for the
    // same files.
    void apply_reload(std::span<const RRsetChange> changes, const Baseline& announced);
    // From now on, every snapshot's changes of zones watched before and
    // after it go to `listener` (baseline_change.h), on the writer's thread.
    // A zone's first data (a first transfer, a zone newly watched) is not a
    // change; nor are RRSIG, NSEC and NSEC3 (re-signing changes them all)
    // or a SOA whose serial alone moved (each record carries the serials).
    void set_change_listener(ChangeListener listener);
    // From now on, cut each watch list into `shards` parts (the pipeline's
    // shard count, set before it starts); a zone keeps its part across
    // replace().
    void partition(std::size_t shards);

    // Reader side.
    std::uint64_t version() const { return version_.load(std::memory_order_acquire); }
    std::shared_ptr<const BaselineSnapshot> snapshot() const { return current_.load(std::memory_order_acquire); }
    std::shared_ptr<const WatchSet> watch() const { return snapshot()->watch; }

    const SharedBaselineCounters& counters() const { return counters_; }
    // Retired snapshots not freed yet (held by a reader that has not moved on).
    std::size_t retired() const;
    // Frees the retired snapshots nobody holds any more; the reclaimer
    // thread does it every 100 ms, tests call it directly.
    void reclaim();

private:
    // Publishes a snapshot; the writer mutex is held.
    void publish(std::shared_ptr<const WatchSet> watch, std::shared_ptr<const ZoneShards> shards, Baseline baseline);
    void reclaim_loop();
    // `next` (new zone data) with current's announcements, less those the
    // new zone data holds (counted as applied).
    Baseline without_applied(Baseline next, const Baseline& current);
    // The changes from `before` to `after` of the (owner, type) keys given
    // (each once), to the listener; the writer mutex is held.
    struct ChangedKey {
        DnsName owner;
        std::uint16_t type;
    };
    // `time_us`: when the change applied (the wall clock, or the packet time of a zone version).
    void report(const BaselineSnapshot& before, const Baseline& after, const WatchSet& after_watch,
                const std::vector<ChangedKey>& keys, ChangeSource source, std::int64_t time_us);
    // Replaces what `source` gave of `zone` with `records` (the writer mutex
    // is held): a transfer's or a version's whole content.
    void replace_source(const std::string& zone, SourceId source, const std::vector<ZoneRecord>& records,
                        ChangeSource reported_as, std::int64_t time_us);

    void report_announcement(const BaselineSnapshot& current, const Announcement& announcement);
    BaselineChange* announcement_change(const BaselineSnapshot& current, const ZoneRecord& record, std::int64_t now,
                                        std::map<std::pair<std::string, std::uint16_t>, BaselineChange>& by_key);

    ChangeListener listener_;
    std::mutex writer_;
    std::atomic<std::shared_ptr<const BaselineSnapshot>> current_;
    std::atomic<std::uint64_t> version_{0};
    SharedBaselineCounters counters_;
    std::size_t max_announced_rdata_ = kDefaultMaxAnnouncedRdata;

    mutable std::mutex retired_mutex_;
    std::vector<std::shared_ptr<const BaselineSnapshot>> retired_;
    std::condition_variable reclaim_wake_;
    bool stopping_ = false;
    std::thread reclaimer_;
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
