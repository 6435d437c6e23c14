// `dnswatch replay`: captures in, alerts out, a summary line at the end.
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/stat.h>

#include "capture/pcap_file_source.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "cli/progress.h"
#include "cli/sensor_outputs.h"
#include "cli/sensor_setup.h"
#include "cli/transparency_feed.h"
#include "config/config.h"
#include "decode/ldns_glue.h"
#include "detect/packet_processor.h"
#include "publish/json_lines_sink.h"

namespace dnswatch {
namespace {

constexpr const char* kReplayUsage =
    "usage: dnswatch replay --config FILE [--alerts FILE|-] PCAP...\n"
    "\n"
    "Reads pcap or pcapng captures, compares every DNS answer about a watched\n"
    "zone with its baseline, and writes alerts as JSON lines (schema\n"
    "dnswatch.alert/1), also on ZeroMQ when publish.zmq.endpoint is set.\n"
    "\n"
    "  --config FILE   the YAML config (watched zones, zone files)\n"
    "  --alerts FILE   where alert lines go: '-' for standard output (the\n"
    "                  default), or a file, which is replaced\n"
    "  --help          this text\n"
    "\n"
    "A progress bar is drawn on standard error when it is a terminal; a\n"
    "summary line ends the run. Exit status: 0 done, 2 bad usage or config,\n"
    "1 I/O failure.\n";

// Counts the alerts that pass, for the progress bar and the summary.
class CountingSink : public AlertSink {
public:
    explicit CountingSink(AlertSink& next) : next_(next) {}
    void publish(const Alert& alert) override {
        ++count_;
        next_.publish(alert);
    }
    void flush() override { next_.flush(); }
    std::uint64_t count() const { return count_; }

private:
    AlertSink& next_;
    std::uint64_t count_ = 0;
};

std::uint64_t file_size(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

// Loads config and zone files; prints the reason and returns nullopt when
// either is bad (exit 2).
std::optional<Config> load_checked_config(const std::string& path, const CliStreams& streams) {
    try {
        return load_config(path);
    } catch (const ConfigError& e) {
        for (const ConfigIssue& issue : e.issues()) std::fprintf(streams.err, "%s\n", issue.to_string().c_str());
        return std::nullopt;
    }
}

std::unique_ptr<SensorModel> build_checked_model(const Config& config, const CliStreams& streams) {
    try {
        return build_sensor_model(config);
    } catch (const ZoneFileError& e) {
        std::fprintf(streams.err, "%s\n", e.what());
    } catch (const FeedError& e) {
        std::fprintf(streams.err, "%s\n", e.what());
    } catch (const std::invalid_argument& e) {
        std::fprintf(streams.err, "%s: %s\n", config.source_path.c_str(), e.what());
    }
    return nullptr;
}

// The transport options the config asks for.
TransportOptions transport_options(const DecodeConfig& decode) {
    TransportOptions options;
    options.dns_ports.assign(decode.dns_ports.begin(), decode.dns_ports.end());
    options.max_fragment_datagrams = static_cast<std::size_t>(decode.reassembly.max_fragment_datagrams);
    options.max_tcp_flows = static_cast<std::size_t>(decode.reassembly.max_tcp_flows);
    options.tcp_flow_bytes = static_cast<std::size_t>(decode.reassembly.tcp_flow_bytes);
    options.total_bytes = static_cast<std::size_t>(decode.reassembly.total_bytes);
    options.timeout_ms = decode.reassembly.timeout_ms;
    return options;
}

void print_counts(std::FILE* err, const char* label, const auto& names, const auto& counts, std::size_t first) {
    std::string line;
    for (std::size_t i = first; i < counts.size(); ++i) {
        if (counts[i] == 0) continue;
        line += line.empty() ? "" : ", ";
        line += std::string(names[i]) + "=" + std::to_string(counts[i]);
    }
    if (!line.empty()) std::fprintf(err, "%s: %s\n", label, line.c_str());
}

}  // namespace

int replay_command(const std::vector<std::string>& args, const CliStreams& streams) {
    ParsedOptions options;
    try {
        options = parse_options(args, {"--config", "--alerts"});
    } catch (const std::invalid_argument& e) {
        std::fprintf(streams.err, "dnswatch replay: %s\n\n%s", e.what(), kReplayUsage);
        return kExitUsage;
    }
    if (options.help) {
        std::fputs(kReplayUsage, streams.out);
        return kExitOk;
    }
    const auto config_path = options.get("--config");
    if (!config_path || options.positional.empty()) {
        std::fprintf(streams.err, "dnswatch replay: %s\n\n%s",
                     !config_path ? "--config FILE is required" : "at least one PCAP is required", kReplayUsage);
        return kExitUsage;
    }
    const std::optional<Config> config = load_checked_config(*config_path, streams);
    if (!config) return kExitUsage;
    const std::unique_ptr<SensorModel> model = build_checked_model(*config, streams);
    if (!model) return kExitUsage;

    // Open every capture before reading any, so that a typo in the last
    // path fails at once rather than after an hour of replay.
    std::uint64_t total_bytes = 0;
    for (const std::string& path : options.positional) {
        PcapFileSource probe(path);  // throws "PATH: reason" -> exit 1
        total_bytes += file_size(path);
    }

    std::unique_ptr<JsonLinesSink> lines;
    const std::string alerts_path = options.get("--alerts").value_or("-");
    lines = alerts_path == "-" ? std::make_unique<JsonLinesSink>(streams.out)
                               : std::make_unique<JsonLinesSink>(alerts_path, JsonLinesSink::FileMode::truncate);
    CountingSink counting(*lines);
    SensorOutputs outputs(*config, &counting);  // throws "path: reason" -> exit 1

    PacketProcessor processor(model->watch, model->baseline, config->sensor_id, outputs.sink(),
                              transport_options(config->decode));
    processor.detector().set_max_open_alerts(static_cast<std::size_t>(config->state.max_open_alerts));
    processor.detector().set_evidence_recorder(outputs.evidence());
    outputs.restore(processor.detector());
    ProgressBar progress(streams.err, total_bytes);
    const auto start = std::chrono::steady_clock::now();
    std::uint64_t bytes_before = 0;
    PacketBatch batch;
    for (const std::string& path : options.positional) {
        PcapFileSource source(path);
        while (source.next_batch(batch)) {
            processor.process(batch, path);
            outputs.save_if_changed(processor.detector());
            progress.update(bytes_before + source.bytes_read(), processor.counters().packets, counting.count());
        }
        if (source.truncated()) {
            progress.finish();
            std::fprintf(streams.err, "dnswatch replay: %s: capture ends inside a packet record (%s); read %llu packets\n",
                         path.c_str(), source.read_error().c_str(),
                         static_cast<unsigned long long>(source.packets_read()));
        }
        bytes_before += source.file_size();
    }
    processor.finish();  // what is still in reassembly is counted, not silently lost
    outputs.save_if_changed(processor.detector());
    outputs.sink().flush();
    progress.finish();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    const PacketCounters& c = processor.counters();
    const DecodeCounters& d = processor.decode_counters();
    print_counts(streams.err, "malformed", kMalformedKindNames, d.malformed, 1);
    print_counts(streams.err, "reassembly", kReassemblyEventNames, d.events, 0);
    const double rate = seconds > 0 ? static_cast<double>(c.packets) / seconds : 0.0;
    std::fprintf(streams.err,
                 "dnswatch replay: %llu packets, %llu DNS messages, %llu malformed, %llu alerts, %.0f packets/s "
                 "(%.3f s)\n",
                 static_cast<unsigned long long>(c.packets), static_cast<unsigned long long>(c.dns_messages),
                 static_cast<unsigned long long>(d.malformed_total()),
                 static_cast<unsigned long long>(counting.count()), rate, seconds);
    if (lines->failed()) {
        std::fprintf(streams.err, "dnswatch replay: writing alerts failed: %s\n", lines->error().c_str());
        return kExitIoError;
    }
    return kExitOk;
}

int check_config_command(const std::vector<std::string>& args, const CliStreams& streams) {
    ParsedOptions options;
    try {
        options = parse_options(args, {"--config"});
    } catch (const std::invalid_argument& e) {
        std::fprintf(streams.err, "dnswatch check-config: %s\n", e.what());
        return kExitUsage;
    }
    if (options.help || !options.get("--config") || !options.positional.empty()) {
        std::fputs("usage: dnswatch check-config --config FILE\n", options.help ? streams.out : streams.err);
        return options.help ? kExitOk : kExitUsage;
    }
    const std::optional<Config> config = load_checked_config(*options.get("--config"), streams);
    if (!config) return kExitUsage;
    if (!build_checked_model(*config, streams)) return kExitUsage;
    std::fputs(to_yaml(*config).c_str(), streams.out);
    return kExitOk;
}

}  // namespace dnswatch
