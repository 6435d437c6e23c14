// From a validated config to the watch set and baseline the packet path
// reads: the baseline's sources (zone files, the last zone transfers kept in
// state.dir, the transparency feed) and the shared, swappable snapshot built
// from them (baseline/shared_baseline.h).
#pragma once

#include <memory>
#include <string>

#include "baseline/baseline.h"
#include "baseline/baseline_input.h"
#include "baseline/learner.h"
#include "baseline/shared_baseline.h"
#include "baseline/watch_set.h"
#include "config/config.h"

namespace dnswatch {

struct BaselineModel {
    BaselineModel(WatchSet watch_set, Baseline baseline) : shared(std::move(watch_set), std::move(baseline)) {}

    // The live watch list and baseline: zone transfers, the transparency
    // feed over ZeroMQ and reloads publish new snapshots into it; detectors
    // follow it between batches (BaselineFollower). Nothing else holds a
    // snapshot, so that a replaced one is freed (shared_baseline.h).
    SharedBaseline shared;
};

// Where a zone's last transfer is kept: STATE_DIR/zones/<zone>.zone.
std::string transferred_zone_path(const Config& config, const std::string& zone);
// Where announcements received over ZeroMQ are kept: STATE_DIR/feed-received.jsonl.
std::string received_feed_path(const Config& config);
// Where learned RRsets are kept: STATE_DIR/learned.jsonl.
std::string learned_path(const Config& config);

// The watch list of the config. Throws std::invalid_argument for a zone
// name the watch set refuses (not a name, watched twice).
WatchSet read_watch_list(const Config& config);

// Reads every zone file of the config with ldns. Throws ZoneFileError
// ("file:line: reason") for a zone file ldns cannot read, and
// std::invalid_argument for a zone name the watch set refuses, and
// FeedError for a malformed transparency feed.
std::unique_ptr<BaselineModel> build_baseline_model(const Config& config);

// What the baseline is built from, read afresh (zone files, the kept
// transfers, the feed file and the received announcements), each file once:
// at start, and again on a reload. `watch` must outlive the input. Throws
// as build_baseline_model does.
BaselineInput read_baseline_input(const Config& config, const WatchSet& watch);

// The learning options the config asks for (no zones: learning is off).
LearningOptions learning_options(const Config& config);

}  // namespace dnswatch
