// `dnswatch run`'s reload, on SIGHUP or when a zone file changes on disk
// (inotify on the folders that hold the config's zone files and feed file:
// editors and deployment tools replace files by renaming over them). The
// config is read and checked whole, the baseline re-read from its sources
// and published as a new immutable snapshot, which every detector takes
// between two bursts: no packet waits, no alert is lost. A config or zone
// file that does not load is rejected with its reason and the running
// baseline kept.
//
// What reloads: zone files, baseline.zone_files and the transparency feed
// file. The watch list itself (watch.zones) is what the pipeline's shards
// are cut by; a reload that changes it is rejected with that reason, and
// takes a restart.
#pragma once

#include <string>
#include <vector>

#include "cli/run_metrics.h"
#include "cli/sensor_setup.h"
#include "config/config.h"
#include "log/log.h"

namespace dnswatch {

class Reloader {
public:
    // `metrics` may be null. Throws std::runtime_error when inotify cannot
    // be set up.
    Reloader(std::string config_path, const Config& running, SensorModel& model, log::Logger& logger,
             RunMetrics* metrics);
    ~Reloader();
    Reloader(const Reloader&) = delete;
    Reloader& operator=(const Reloader&) = delete;

    // True when a watched file was written or replaced since the last call.
    // Never blocks.
    bool files_changed();
    // Loads the config and the baseline again; true when the new snapshot
    // is published. `cause`: "SIGHUP" or "zone_file_changed", for the log.
    bool reload(const char* cause);

private:
    void watch_files(const Config& config);

    std::string config_path_;
    std::vector<std::string> zone_names_;  // the running watch list, in order
    SensorModel& model_;
    log::Logger& logger_;
    RunMetrics* metrics_;
    int inotify_ = -1;
    struct WatchedFolder {
        int descriptor;
        std::string folder;
        std::vector<std::string> names;  // the files of interest in it
    };
    std::vector<WatchedFolder> folders_;
};

}  // namespace dnswatch
