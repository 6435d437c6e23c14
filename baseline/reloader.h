// `dnswatch run`'s reload, on SIGHUP or when a zone file changes on disk
// (inotify on the folders that hold the config's zone files and feed file:
// editors and deployment tools replace files by renaming over them). The
// config is read and checked whole, the watch list and baseline re-read
// from their sources and published as a new immutable snapshot, which every
// worker and detector takes between two bursts: no packet waits, no alert
// is lost. A config or zone file that does not load is rejected with its
// reason and the running snapshot kept.
//
// What reloads: the watch list (watch.zones: zones added, removed, their
// zone files and primaries), baseline.zone_files and the transparency feed
// file. Zones still watched keep their shard, their open alerts and their
// outstanding queries (baseline/zone_shards.h); a zone removed stops being
// judged, and its open alerts are left to expire. Which zones learn
// (watch.zones[].learn) takes a restart, and a reload that changes it is
// rejected with that reason; so do the other sections (capture, pipeline,
// outputs), which a reload reads but does not apply.
//
// A reload that changes zone files' data alone (the watch list and the set
// of zone files as they were) reads only the parts of the files that changed
// and applies their changes to the running snapshot in O(changes)
// (baseline/zone_file_index.h): a TLD's reload takes milliseconds, not the
// seconds of reading 150 MB of records and comparing every RRset. The kept
// copies of zone transfers (state.dir/zones) are not re-read then: the
// running snapshot holds the transfers themselves, at least as new. Any
// other reload reads everything again.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "baseline/sources.h"
#include "config/config.h"
#include "log/log.h"

namespace dnswatch {

class Reloader {
public:
    // Throws std::runtime_error when inotify cannot be set up.
    // `zone_files`: what the start-up load saw of the zone files (kept up
    // to date here); without it every reload is a full one.
    Reloader(std::string config_path, const Config& running, SharedBaseline& baseline, log::Logger& logger,
             ZoneFileIndexes* zone_files = nullptr);
    ~Reloader();
    Reloader(const Reloader&) = delete;
    Reloader& operator=(const Reloader&) = delete;

    // True when a watched file was written or replaced since the last call.
    // Never blocks.
    bool files_changed();
    // Loads the config and the baseline again; true when the new snapshot
    // is published. `cause`: "SIGHUP" or "zone_file_changed", for the log.
    bool reload(const char* cause);

    // Called after a reload that changed what the live baseline sources
    // (zone transfers, the ZeroMQ feed) follow: a zone or its primary, the
    // feed endpoint, the NOTIFY address. The caller restarts them.
    void on_live_sources_changed(std::function<void(const Config&)> restart) { restart_live_ = std::move(restart); }
    // Called after every reload with its outcome (true: published), e.g. to count it.
    void on_reloaded(std::function<void(bool)> outcome) { reloaded_ = std::move(outcome); }

private:
    enum class Outcome { published, rejected, full_load_needed };
    void watch_files(const Config& config);
    bool reject(const char* cause, const std::string& reason);
    Outcome reload_changed_parts(const Config& config, const char* cause, std::int64_t started_us);
    void restart_live_sources(const Config& config);  // when what they follow changed

    std::string config_path_;
    std::vector<std::string> learning_zones_;
    std::string live_sources_;             // what the live sources follow, as one comparable string
    std::function<void(const Config&)> restart_live_;
    std::function<void(bool)> reloaded_;
    SharedBaseline& baseline_;
    log::Logger& logger_;
    ZoneFileIndexes* zone_files_;
    int inotify_ = -1;
    struct WatchedFolder {
        int descriptor;
        std::string folder;
        std::vector<std::string> names;  // the files of interest in it
    };
    std::vector<WatchedFolder> folders_;
};

}  // namespace dnswatch
