#include "cli/startup.h"

#include <stdexcept>

#include "cli/transparency_feed.h"
#include "decode/ldns_glue.h"

namespace dnswatch {

std::optional<Config> load_config_or_report(const std::string& path, std::FILE* err) {
    try {
        return load_config(path);
    } catch (const ConfigError& e) {
        for (const ConfigIssue& issue : e.issues()) std::fprintf(err, "%s\n", issue.to_string().c_str());
        return std::nullopt;
    }
}

std::unique_ptr<SensorModel> build_model_or_report(const Config& config, std::FILE* err) {
    try {
        return build_sensor_model(config);
    } catch (const ZoneFileError& e) {
        std::fprintf(err, "%s\n", e.what());
    } catch (const FeedError& e) {
        std::fprintf(err, "%s\n", e.what());
    } catch (const std::invalid_argument& e) {
        std::fprintf(err, "%s: %s\n", config.source_path.c_str(), e.what());
    }
    return nullptr;
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

}  // namespace dnswatch
