// What `replay` and `run` both do before the first packet and after the
// last (building the sensor itself: cli/sensor.h): load the config,
// reporting problems the way the CLI promises (exit 2 with
// `file:line:col: message`), set up detectors, and print the named counters
// of the summary.
#pragma once

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "baseline/live_sources.h"
#include "baseline/shared_baseline.h"
#include "cli/logging.h"
#include "config/config.h"
#include "decode/transport.h"
#include "detect/detector.h"

namespace dnswatch {

// The config at `path`, or nullopt after logging each of its issues
// (event config_invalid, error "file:line:col: message"). A config that
// loads sets the logger's level and format.
std::optional<Config> load_config_or_report(const std::string& path, CommandLogger& logger);

// The decoder's limits and ports as the config sets them.
TransportOptions transport_options(const DecodeConfig& decode);

// What the config sets on a detector before packets flow: the open-alert
// bound, query tracking and txid bursts, learning. `replay` calls it on its
// one detector, `run` on each of the pipeline's.
void configure_detector(Detector& detector, const Config& config);

// The signature checks and query matching of a run, as `replay` and `run`
// both print them ("dnssec: ..." and "queries: ..."); nothing for a part
// that saw no work.
void print_detection_counts(std::FILE* err, const DnssecCounters& dnssec, const QueryTrackerCounters& queries);

// "baseline: 3200005 RRsets in 1 watched zone(s), loaded in 1.234 s; RSS
// 210.3 MiB at the first packet (68.9 B per RRset)": what the baseline took
// to start, printed just before the first packet (`start`: when the command
// began). RSS is read from /proc/self/status.
void print_baseline_loaded(std::FILE* err, const BaselineSnapshot& snapshot,
                           std::chrono::steady_clock::time_point start);

// "baseline: snapshots=2, learning=5, learned=1, feed_received=1, ..." on
// `err` when learning or a live source is on; nothing otherwise.
void print_baseline_counters(std::FILE* err, Detector& detector, const LiveBaselineSources& live);

// "label: name=count, ..." for the non-zero counts from index `first` on;
// nothing when all are zero.
template <typename Names, typename Counts>
void print_nonzero_counts(std::FILE* err, const char* label, const Names& names, const Counts& counts,
                          std::size_t first) {
    std::string line;
    for (std::size_t i = first; i < counts.size(); ++i) {
        if (counts[i] == 0) continue;
        line += line.empty() ? "" : ", ";
        line += std::string(names[i]) + "=" + std::to_string(counts[i]);
    }
    if (!line.empty()) std::fprintf(err, "%s: %s\n", label, line.c_str());
}

}  // namespace dnswatch
