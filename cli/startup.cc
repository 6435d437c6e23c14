#include "cli/startup.h"

#include <fstream>
#include <stdexcept>
#include <string>

namespace dnswatch {

std::optional<Config> load_config_or_report(const std::string& path, CommandLogger& logger) {
    try {
        Config config = load_config(path);
        logger.configure(config.log);
        return config;
    } catch (const ConfigError& e) {
        for (const ConfigIssue& issue : e.issues()) {
            logger.write_all(log::Level::error, "config_invalid", {{"error", issue.to_string()}});
        }
        return std::nullopt;
    }
}

TransportOptions transport_options(const DecodeConfig& decode) {
    TransportOptions options;
    options.dns_ports.assign(decode.dns_ports.begin(), decode.dns_ports.end());
    options.gtpu_ports.assign(decode.gtpu_ports.begin(), decode.gtpu_ports.end());
    options.max_fragment_datagrams = static_cast<std::size_t>(decode.reassembly.max_fragment_datagrams);
    options.max_tcp_flows = static_cast<std::size_t>(decode.reassembly.max_tcp_flows);
    options.tcp_flow_bytes = static_cast<std::size_t>(decode.reassembly.tcp_flow_bytes);
    options.total_bytes = static_cast<std::size_t>(decode.reassembly.total_bytes);
    options.timeout_ms = decode.reassembly.timeout_ms;
    return options;
}

void configure_detector(Detector& detector, const Config& config) {
    detector.set_max_open_alerts(static_cast<std::size_t>(config.state.max_open_alerts));
    detector.set_max_observed_rdata(static_cast<std::size_t>(config.detect.max_observed_rdata));
    detector.configure_query_tracking(
        static_cast<std::size_t>(config.detect.outstanding_queries),
        TxidBurstOptions{static_cast<std::uint32_t>(config.detect.txid_burst_count),
                         config.detect.txid_burst_window_ms * 1000});
    if (LearningOptions learning = learning_options(config); !learning.zones.empty()) {
        detector.enable_learning(std::move(learning));
    }
}

void print_detection_counts(std::FILE* err, const DnssecCounters& s, const QueryTrackerCounters& q) {
    auto u = [](std::uint64_t n) { return static_cast<unsigned long long>(n); };
    if (s.rrsets_checked > 0) {
        std::fprintf(err, "dnssec: rrsets=%llu signatures=%llu verifications=%llu cache_hits=%llu bogus=%llu\n",
                     u(s.rrsets_checked), u(s.signatures), u(s.verifications), u(s.cache_hits), u(s.bogus_rrsets));
    }
    if (q.queries > 0) {
        std::fprintf(err, "queries: tracked=%llu matched=%llu unsolicited=%llu unknown=%llu evicted=%llu bursts=%llu\n",
                     u(q.queries), u(q.matched), u(q.unsolicited), u(q.unknown), u(q.evicted), u(q.bursts));
    }
}

namespace {

// The resident set of this process, from /proc/self/status; 0 if unknown.
std::uint64_t resident_bytes() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
    }
    return 0;
}

}  // namespace

void print_baseline_loaded(std::FILE* err, const BaselineSnapshot& snapshot,
                           std::chrono::steady_clock::time_point start) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::size_t rrsets = snapshot.baseline.rrset_count();
    const double rss = static_cast<double>(resident_bytes());
    std::fprintf(err, "baseline: %zu RRsets in %zu watched zone(s), loaded in %.3f s; RSS %.1f MiB at the first packet",
                 rrsets, snapshot.watch->zones().size(), seconds, rss / (1024 * 1024));
    // Per RRset only where the baseline is most of the process: for a few
    // zones, the process's own ~20 MiB divided by nine RRsets says nothing.
    if (rrsets >= 100000) {
        const double rdata = static_cast<double>(snapshot.baseline.rdata_bytes());
        std::fprintf(err, " (%.1f B per RRset, %.1f B beyond its rdata)", rss / static_cast<double>(rrsets),
                     (rss - rdata) / static_cast<double>(rrsets));
    }
    std::fprintf(err, "\n");
}

void print_baseline_counters(std::FILE* err, Detector& detector, const LiveBaselineSources& live) {
    if (detector.learner() == nullptr && live.feed() == nullptr && live.transfers() == nullptr) return;
    std::string line = "snapshots=" + std::to_string(detector.counters().baseline_swaps);
    if (const Learner* learner = detector.learner()) {
        line += ", learning=" + std::to_string(detector.counters().learning) +
                ", learned=" + std::to_string(learner->counters().learned) +
                ", learning_restarts=" + std::to_string(learner->counters().restarts) +
                ", learning_full=" + std::to_string(learner->counters().full);
    }
    if (const FeedSubscriber* feed = live.feed()) {
        line += ", feed_received=" + std::to_string(feed->counters().received) +
                ", feed_rejected=" + std::to_string(feed->counters().rejected) +
                ", feed_refused=" + std::to_string(feed->counters().refused);
    }
    if (const ZoneRefresher* transfers = live.transfers()) {
        const ZoneRefresherCounters& c = transfers->counters();
        line += ", transfers=" + std::to_string(c.transfers) + ", transfers_up_to_date=" + std::to_string(c.up_to_date) +
                ", transfer_failures=" + std::to_string(c.failures) + ", notifies=" + std::to_string(c.notifies) +
                ", notifies_refused=" + std::to_string(c.notifies_refused);
    }
    std::fprintf(err, "baseline: %s\n", line.c_str());
}

}  // namespace dnswatch
