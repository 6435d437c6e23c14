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
#include "baseline/zone_file_index.h"
#include "config/config.h"

namespace dnswatch {

struct BaselineModel {
    BaselineModel(WatchSet watch_set, Baseline baseline) : shared(std::move(watch_set), std::move(baseline)) {}

    // The live watch list and baseline: zone transfers, the transparency
    // feed over ZeroMQ and reloads publish new snapshots into it; detectors
    // follow it between batches (BaselineFollower). Nothing else holds a
    // snapshot, so that a replaced one is freed (shared_baseline.h).
    SharedBaseline shared;
    // What the start-up load saw of each zone file, for the first reload
    // (baseline/zone_file_index.h); the reloader keeps it up to date.
    ZoneFileIndexes zone_files;
};

// Where a zone's last transfer is kept: STATE_DIR/zones/<zone>.zone.
std::string transferred_zone_path(const Config& config, const std::string& zone);
// Where announcements received over ZeroMQ are kept: STATE_DIR/feed-received.jsonl.
std::string received_feed_path(const Config& config);
// Where learned RRsets are kept: STATE_DIR/learned.jsonl.
std::string learned_path(const Config& config);

// The watch list of the config: watch.zones, then the names of
// watch.zones_file (delegation-only). Throws std::invalid_argument for a
// zone name of the config the watch set refuses (not a name, watched
// twice), ZoneFileError ("file:line: reason") for one of the zones file.
WatchSet read_watch_list(const Config& config);
// A file of names, one a line, '#' comments (watch.zones_file,
// watch.locked_domains): each name with its line. Throws ZoneFileError
// ("file:line: reason") for a line that is not one DNS name.
struct NameLine {
    std::string name;
    int line;
};
std::vector<NameLine> read_name_list(const std::string& path);
// Adds the names of a zones file to `watch`, each watched for its
// delegation alone.
void read_zones_file(const std::string& path, WatchSet& watch);

// Reads every zone file of the config (baseline/zone_reader.h). Throws
// ZoneFileError ("file:line:col: reason") for a zone file it refuses, and
// std::invalid_argument for a zone name the watch set refuses, and
// FeedError for a malformed transparency feed.
std::unique_ptr<BaselineModel> build_baseline_model(const Config& config);

// What the baseline is built from, read afresh (zone files, the kept
// transfers, the feed file and the received announcements), each file once:
// at start, and again on a reload. `watch` must outlive the input. Throws
// as build_baseline_model does. With `indexes`, what was seen of each zone
// file (zone_file_specs) is put there for the next reload.
BaselineInput read_baseline_input(const Config& config, const WatchSet& watch, ZoneFileIndexes* indexes = nullptr);

// The config's zone files (watch.zones[].zone_file, then
// baseline.zone_files), each with its origin and source.
std::vector<ZoneFileSpec> zone_file_specs(const Config& config);

// The announcements of the feed's files (state.transparency_feed, and those
// received over ZeroMQ kept in state.dir), into `input`. Throws FeedError.
void read_announcements(const Config& config, const WatchSet& watch, BaselineInput& input);

// The learning options the config asks for (no zones: learning is off).
LearningOptions learning_options(const Config& config);

}  // namespace dnswatch
