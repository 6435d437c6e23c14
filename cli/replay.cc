// `dnswatch replay`: captures in, alerts out, a summary line at the end.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "capture/pcap_window_source.h"
#include "cli/cli.h"
#include "cli/logging.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "cli/sensor.h"
#include "cli/startup.h"
#include "config/config.h"
#include "detect/packet_processor.h"
#include "pipeline/change_queue.h"
#include "publish/json_lines_sink.h"

namespace dnswatch {
namespace {

// Counts the alerts that pass, for the progress bar and the summary, and
// keeps each incident's latest record for the titles printed at the end.
class CountingSink : public AlertSink {
public:
    explicit CountingSink(AlertSink& next) : next_(next) {}
    void publish(const Alert& alert) override {
        ++count_;
        next_.publish(alert);
    }
    void publish_change(const BaselineChange& change) override { next_.publish_change(change); }
    void publish_incident(const Incident& incident) override {
        const auto it = std::find_if(incidents_.begin(), incidents_.end(),
                                     [&](const Incident& known) { return known.id == incident.id; });
        if (it == incidents_.end()) {
            incidents_.push_back(incident);
        } else {
            *it = incident;
        }
        next_.publish_incident(incident);
    }
    void flush() override { next_.flush(); }
    std::uint64_t count() const { return count_; }
    const std::vector<Incident>& incidents() const { return incidents_; }

private:
    AlertSink& next_;
    std::uint64_t count_ = 0;
    std::vector<Incident> incidents_;  // in the order they opened
};

}  // namespace

int replay_command(const ReplayOptions& options, const CliStreams& streams) {
    CommandLogger logger(streams.err);
    const auto started = std::chrono::steady_clock::now();
    const std::optional<Config> config = load_config_or_report(options.config, logger);
    if (!config) return kExitUsage;
    const std::unique_ptr<Sensor> sensor = Sensor::build(*config, logger);
    if (!sensor) return kExitUsage;

    // Open every capture before reading any, so that a typo in the last
    // path fails at once rather than after an hour of replay.
    std::uint64_t total_bytes = 0;
    for (const std::string& path : options.captures) {
        if (path == "-") continue;  // standard input: a stream, read once
        try {
            CaptureFile probe(path);
            total_bytes += probe.file_size();
        } catch (const std::exception& e) {
            logger.error("capture_unreadable", {{"file", path}, {"error", e.what()}});
            return kExitIoError;
        }
    }

    std::unique_ptr<JsonLinesSink> lines;
    const std::string& alerts_path = options.alerts;
    lines = alerts_path == "-" ? std::make_unique<JsonLinesSink>(streams.out)
                               : std::make_unique<JsonLinesSink>(alerts_path, JsonLinesSink::FileMode::truncate);
    lines->set_incidents(options.incidents);
    lines->set_changes(options.changes);
    CountingSink counting(*lines);
    SensorOutputs& outputs = sensor->open_outputs(&counting);  // throws "path: reason" -> exit 1

    // Baseline sources that change during the replay (baseline/live_sources.h):
    // each new snapshot is taken between batches, the first one too, as
    // run's detectors do; then nothing but the follower holds a snapshot.
    std::shared_ptr<const BaselineSnapshot> initial = sensor->baseline().snapshot();
    PacketProcessor processor(initial->shards->local_watch(0), initial->baseline, config->sensor_id, outputs.sink(),
                              transport_options(config->decode));
    BaselineFollower follower(sensor->baseline());
    processor.follow(follower);
    initial.reset();
    configure_detector(processor.detector(), *config);
    processor.detector().set_evidence_recorder(outputs.evidence());
    outputs.restore(processor.detector());
    // The baseline's own changes (a zone version reached, a transfer, the
    // feed) are judged and published as run does: queued by whichever
    // thread made them, handed to the alert path on this one, before the
    // next packet is judged.
    ChangeQueue changes;
    sensor->baseline().set_change_listener([&changes, sensor_id = config->sensor_id](std::vector<BaselineChange> made) {
        for (BaselineChange& change : made) change.sensor = sensor_id;
        changes.push(std::move(made));
    });
    struct DetachChanges {
        SharedBaseline& baseline;
        ~DetachChanges() { baseline.set_change_listener(nullptr); }
    } detach_changes{sensor->baseline()};
    const auto publish_changes = [&] {
        for (const BaselineChange& change : changes.take()) outputs.sink().publish_change(change);
    };
    ZoneVersionTimeline& versions = sensor->zone_versions();
    sensor->start_live_sources(*config);
    if (const std::string note = outputs.store_recovery_note(); !note.empty()) {
        logger.warn("store_recovered", {{"msg", note}});
    }
    print_baseline_loaded(streams.err, follower.snapshot(), started);
    ProgressBar progress(streams.err, total_bytes);
    const auto start = std::chrono::steady_clock::now();
    std::uint64_t bytes_before = 0;
    PacketBatch batch;
    for (const std::string& path : options.captures) {
        CaptureFile source(path);
        while (source.next_batch(batch)) {
            publish_changes();
            processor.follow(follower);
            const bool version_due = std::any_of(batch.begin(), batch.end(), [&](const PacketView& packet) {
                return packet.time_us >= versions.next_us();
            });
            if (!version_due) {
                processor.process(batch, path);
            } else {
                // A zone version takes over between two packets: the one
                // whose time reaches it is judged against the new zone.
                for (const PacketView& packet : batch) {
                    if (packet.time_us >= versions.next_us()) {
                        versions.apply_due(packet.time_us, sensor->baseline());
                        publish_changes();
                        processor.follow(follower);
                    }
                    processor.process(packet, path);
                }
            }
            outputs.after_batch(processor.detector());
            if (progress.enabled()) {
                progress.update(bytes_before + source.bytes_read(), processor.counters().packets, counting.count());
            }
        }
        if (source.truncated()) {
            progress.finish();
            logger.warn("capture_truncated", {{"msg", "capture ends inside a packet record"},
                                              {"file", path},
                                              {"reason", source.read_error()},
                                              {"packets_read", source.packets_read()}});
        }
        if (source.bad_timestamps() > 0) {
            logger.warn("capture_bad_timestamps", {{"msg", "records with a time outside 1970..9999 were given time 0"},
                                                   {"file", path},
                                                   {"records", source.bad_timestamps()}});
        }
        bytes_before += source.file_size();
    }
    processor.finish();  // what is still in reassembly is counted, not silently lost
    publish_changes();
    outputs.after_batch(processor.detector());
    outputs.sink().flush();
    progress.finish();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    const PacketCounters& c = processor.counters();
    const DecodeCounters& d = processor.decode_counters();
    print_nonzero_counts(streams.err, "malformed", kMalformedKindNames, d.malformed, 1);
    print_nonzero_counts(streams.err, "reassembly", kReassemblyEventNames, d.events, 0);
    print_detection_counts(streams.err, processor.detector().dnssec_counters(), processor.detector().query_counters());
    const auto u = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };
    if (const IncidentCounters& i = outputs.incidents().counters(); i.opened != 0) {
        std::fprintf(streams.err,
                     "incidents: opened=%llu joined=%llu records=%llu expired=%llu evicted=%llu\n",
                     u(i.opened), u(i.joined), u(i.emitted), u(i.expired), u(i.evicted));
    }
    if (const QueryFrameCounters& q = processor.detector().query_frame_counters(); q.remembered != 0) {
        std::fprintf(streams.err,
                     "evidence queries: kept=%llu truncated=%llu found=%llu missing=%llu carriers_omitted=%llu\n",
                     u(q.remembered), u(q.truncated), u(q.found), u(q.missing), u(q.carriers_omitted));
    }
    outputs.finish_nats(streams.err);
    const double rate = seconds > 0 ? static_cast<double>(c.packets) / seconds : 0.0;
    std::fprintf(streams.err,
                 "dnswatch replay: %llu packets, %llu DNS messages, %llu malformed, %llu alerts, %.0f packets/s "
                 "(%.3f s)\n",
                 static_cast<unsigned long long>(c.packets), static_cast<unsigned long long>(c.dns_messages),
                 static_cast<unsigned long long>(d.malformed_total()),
                 static_cast<unsigned long long>(counting.count()), rate, seconds);
    for (const Incident& incident : counting.incidents()) {
        std::fprintf(streams.err, "dnswatch replay: incident %s (%s, %s, %zu alerts): %s\n", incident.id.c_str(),
                     to_string(incident.severity), to_string(incident.state), incident.members.size(),
                     incident.title.c_str());
    }
    print_baseline_counters(streams.err, processor.detector(), sensor->live());
    if (!versions.empty()) {
        // Versions after the last packet never took over: say so, not silently.
        std::fprintf(streams.err, "zone versions: %zu of %zu applied (the rest start after the last packet)\n",
                     versions.applied(), versions.size());
    }
    if (outputs.store() != nullptr) {
        const StoreHealth health = outputs.store()->health();
        if (health.write_failures > 0 || health.held_records > 0) {
            std::fprintf(streams.err, "%s\n", outputs.store_health_line().c_str());
        }
        if (health.held_records > 0) {
            logger.error("store_failed", {{"msg", "records could not be stored"},
                                          {"held_records", health.held_records},
                                          {"error", health.last_error}});
            return kExitIoError;
        }
    }
    if (lines->failed()) {
        logger.error("alerts_write_failed", {{"msg", "writing alerts failed"}, {"error", lines->error()}});
        return kExitIoError;
    }
    return kExitOk;
}

int check_config_command(const CheckConfigOptions& options, const CliStreams& streams) {
    // --reference takes no config: it prints the schema itself (docs/config.md).
    if (options.reference) {
        std::fputs(config_reference().c_str(), streams.out);
        return kExitOk;
    }
    CommandLogger logger(streams.err);
    if (options.config.empty()) {
        logger.error("usage", {{"msg", "check-config needs --config FILE or --reference"}});
        return kExitUsage;
    }
    const std::optional<Config> config = load_config_or_report(options.config, logger);
    if (!config) return kExitUsage;
    if (!Sensor::build(*config, logger)) return kExitUsage;
    std::fputs(to_yaml(*config).c_str(), streams.out);
    return kExitOk;
}

}  // namespace dnswatch
