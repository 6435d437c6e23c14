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
#pragma once

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
    Reloader(std::string config_path, const Config& running, SharedBaseline& baseline, log::Logger& logger);
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
    void watch_files(const Config& config);

    std::string config_path_;
    std::vector<std::string> learning_zones_;
    std::string live_sources_;             // what the live sources follow, as one comparable string
    std::function<void(const Config&)> restart_live_;
    std::function<void(bool)> reloaded_;
    SharedBaseline& baseline_;
    log::Logger& logger_;
    int inotify_ = -1;
    struct WatchedFolder {
        int descriptor;
        std::string folder;
        std::vector<std::string> names;  // the files of interest in it
    };
    std::vector<WatchedFolder> folders_;
};

}  // namespace dnswatch
