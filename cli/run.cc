// `dnswatch run --config FILE`: the live sensor. Opens the capture (while
// still privileged), drops privileges, opens the alert sinks, starts the
// pipeline (pipeline/pipeline.h), and runs until the capture ends (a
// replayed file, or capture.idle_exit_ms without a packet) or SIGINT /
// SIGTERM: then capture stops, the rings drain, every alert is flushed, and
// a summary goes to standard error. A second signal stops waiting for full
// rings (what cannot move is dropped, and counted).
#include "cli/commands.h"

#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "capture/dnstap_listener.h"
#include "capture/dpdk_source.h"
#include "capture/pcap_live_source.h"
#include "baseline/learned_file.h"
#include "baseline/reloader.h"
#include "cli/logging.h"
#include "cli/commands.h"
#include "common/background_priority.h"
#include "common/errors.h"
#include "cli/run_metrics.h"
#include "cli/sensor.h"
#include "cli/service_notify.h"
#include "cli/startup.h"
#include "config/config.h"
#include "decode/ldns_glue.h"
#include "pipeline/pipeline.h"
#include "pipeline/privileges.h"
#include "publish/json_lines_sink.h"
#include "publish/retention.h"
#include "publish/tlog_http.h"

namespace dnswatch {
namespace {

std::size_t available_cores() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) return static_cast<std::size_t>(CPU_COUNT(&set));
    return 1;
}

// What the config's source needs beyond what the schema checks alone.
std::string source_problem(const Config& config) {
    const CaptureConfig& c = config.capture;
    if (c.source == "pcap_file" && c.files.empty()) return "capture.files: pcap_file needs at least one capture file";
    if (c.source == "pcap_live" && c.interfaces.empty()) return "capture.interfaces: pcap_live needs an interface";
    if (c.source == "dpdk" && c.dpdk.ports.empty()) return "capture.dpdk.ports: dpdk needs at least one port";
    if (c.source == "dnstap" && c.dnstap.unix_path.empty() && c.dnstap.tcp.empty()) {
        return "capture.dnstap: dnstap needs a unix socket or a TCP address to listen on";
    }
    return {};
}

struct OpenedCapture {
    CaptureSetup setup;
    std::unique_ptr<DpdkRuntime> dpdk;  // must outlive the pipeline
    std::string description;
};

// The dnstap sockets, bound while still privileged; the unix socket is
// handed to run.user, whom the sensor becomes next.
DnstapListenOptions dnstap_options(const Config& config) {
    const DnstapCaptureConfig& c = config.capture.dnstap;
    DnstapListenOptions options;
    if (!c.unix_path.empty()) {
        // Relative to the config file, as every path of the config is.
        const auto folder = std::filesystem::absolute(config.source_path).parent_path();
        options.unix_path = (folder / c.unix_path).lexically_normal().string();
    }
    options.tcp = c.tcp;
    options.max_frame_bytes = static_cast<std::size_t>(c.max_frame_bytes);
    options.max_writers = static_cast<std::size_t>(c.max_writers);
    if (!config.run.user.empty()) {
        if (const passwd* user = ::getpwnam(config.run.user.c_str())) {
            options.unix_owner = user->pw_uid;
            options.unix_group = user->pw_gid;
        }
    }
    return options;
}

OpenedCapture open_capture(const Config& config, std::size_t workers) {
    const CaptureConfig& c = config.capture;
    OpenedCapture opened;
    if (c.source == "pcap_file") {
        opened.setup.sources = c.files;
        opened.setup.files = open_capture_files(c.files);
        opened.setup.speed = c.speed_factor;
        opened.description = std::to_string(c.files.size()) + " capture file(s) at speed " + c.speed;
    } else if (c.source == "dnstap") {
        auto listener = std::make_shared<DnstapListener>(dnstap_options(config));
        opened.setup.sources = listener->sources();
        opened.setup.inputs = open_dnstap(listener, workers);
        opened.description = "dnstap on";
        for (const std::string& name : listener->sources()) opened.description += " " + name;
    } else if (c.source == "pcap_live") {
        PcapLiveOptions options;
        options.interfaces = c.interfaces;
        options.filter = c.filter;
        options.dns_ports.assign(config.decode.dns_ports.begin(), config.decode.dns_ports.end());
        options.gtpu_ports.assign(config.decode.gtpu_ports.begin(), config.decode.gtpu_ports.end());
        options.snaplen = c.snaplen;
        options.buffer_bytes = static_cast<int>(c.buffer_bytes);
        options.timeout_ms = c.timeout_ms;
        options.promiscuous = c.promiscuous;
        opened.setup.sources = c.interfaces;
        opened.setup.inputs = open_pcap_live(options, workers);
        opened.description = "libpcap on";
        for (const std::string& name : c.interfaces) opened.description += " " + name;
    } else {
        DpdkOptions options;
        options.eal_args = c.dpdk.eal_args;
        options.ports = c.dpdk.ports;
        const std::size_t ports = c.dpdk.ports.size();
        options.rx_queues = c.dpdk.rx_queues > 0 ? static_cast<std::size_t>(c.dpdk.rx_queues)
                                                 : (workers + ports - 1) / ports;
        options.rx_descriptors = static_cast<std::size_t>(c.dpdk.rx_descriptors);
        options.burst = static_cast<std::size_t>(c.dpdk.burst);
        options.mbufs = static_cast<std::size_t>(c.dpdk.mbufs);
        options.mbuf_cache = static_cast<std::size_t>(c.dpdk.mbuf_cache);
        opened.dpdk = std::make_unique<DpdkRuntime>(options);
        opened.setup.sources = c.dpdk.ports;
        opened.setup.inputs = opened.dpdk->inputs(workers);
        opened.description = "DPDK";
        for (const std::string& port : opened.dpdk->describe()) opened.description += " " + port;
    }
    return opened;
}

unsigned long long u(std::uint64_t n) { return static_cast<unsigned long long>(n); }

void print_summary(std::FILE* err, const Pipeline& pipeline, double seconds) {
    const PipelineTotals t = pipeline.totals();
    const CaptureCounters& c = t.capture;
    std::fprintf(err,
                 "capture: received %llu, kernel-dropped %llu, interface-dropped %llu, nic-missed %llu, "
                 "nic-errors %llu, no-mbuf %llu\n",
                 u(c.received), u(c.kernel_dropped), u(c.if_dropped), u(c.nic_missed), u(c.nic_errors), u(c.no_mbuf));
    if (c.dnstap_writers + c.dnstap_writers_refused > 0) {
        std::fprintf(err,
                     "dnstap: %llu frames, %llu bad frames, %llu dropped frames; %llu writers, %llu dropped, "
                     "%llu refused\n",
                     u(c.dnstap_frames), u(c.dnstap_bad_frames), u(c.dnstap_dropped_frames), u(c.dnstap_writers),
                     u(c.dnstap_writers_dropped), u(c.dnstap_writers_refused));
    }
    // libpcap: what the kernel let through the filter but nobody read before
    // the stop (still in its buffer), so that seen = received + dropped + this.
    if (c.kernel_seen > c.received + c.kernel_dropped) {
        std::fprintf(err, "capture: %llu packets still in the kernel's buffer at stop, not read\n",
                     u(c.kernel_seen - c.received - c.kernel_dropped));
    }
    std::fprintf(err, "decode: %llu packets, %llu DNS messages (%llu queries, %llu responses), %llu watched, "
                      "%llu watched malformed\n",
                 u(t.packet.packets), u(t.packet.dns_messages), u(t.packet.queries), u(t.packet.responses),
                 u(t.packet.watched_responses), u(t.packet.watched_malformed));
    print_nonzero_counts(err, "malformed", kMalformedKindNames, t.decode.malformed, 1);
    print_nonzero_counts(err, "reassembly", kReassemblyEventNames, t.decode.events, 0);
    std::fprintf(err,
                 "detect: %llu observations, %llu divergent, %llu alerts opened, %llu updated, %llu reverted, "
                 "%llu accepted\n",
                 u(t.detector.observations), u(t.detector.divergent_observations), u(t.detector.alerts_opened),
                 u(t.detector.alerts_updated), u(t.detector.alerts_reverted), u(t.detector.alerts_accepted));
    print_detection_counts(err, t.dnssec, t.queries);
    std::fprintf(err, "rings: %llu packets dropped, %llu messages dropped, %llu alerts dropped\n",
                 u(c.ring_dropped), u(t.router.message_ring_drops), u(t.alert_ring_drops));
    std::fprintf(err, "publish: %llu alerts published, %llu errors, %llu ZeroMQ sent, %llu ZeroMQ dropped\n",
                 u(t.publisher.published), u(t.publisher.errors), u(t.publisher.zmq_sent), u(t.publisher.zmq_dropped));
    const std::uint64_t unread = c.kernel_seen > c.received + c.kernel_dropped
                                     ? c.kernel_seen - c.received - c.kernel_dropped
                                     : 0;
    const std::uint64_t lost = c.kernel_dropped + unread + c.if_dropped + c.nic_missed + c.no_mbuf + c.ring_dropped +
                               c.dnstap_dropped_frames +
                               t.router.message_ring_drops + t.alert_ring_drops;
    const double active = t.active_seconds > 0 ? t.active_seconds : seconds;
    const double rate = active > 0 ? static_cast<double>(t.packet.packets) / active : 0.0;
    std::fprintf(err,
                 "dnswatch run: %llu packets, %llu DNS messages, %llu malformed, %llu alerts, %llu dropped, "
                 "%.0f packets/s (%.3f s)\n",
                 u(t.packet.packets), u(t.packet.dns_messages), u(t.decode.malformed_total()), u(t.publisher.published),
                 u(lost), rate, active);
}

// Waits for the end: the pipeline finishing by itself, a signal, or the
// capture idle for too long. Signals are blocked in every thread and taken
// here, synchronously, so no handler runs in the middle of the packet path.
// What the waiting thread does besides waiting: about once a second
// (metrics), on SIGHUP, and every tenth of a second (a changed zone file).
struct WaitHooks {
    std::function<void()> every_second;
    std::function<void()> on_hangup;
    std::function<void()> every_tick;
};

void wait_for_end(Pipeline& pipeline, const sigset_t& signals, std::int64_t idle_exit_ms, log::Logger& log,
                  const WaitHooks& hooks) {
    int signals_seen = 0;
    auto next_tick = std::chrono::steady_clock::now();
    std::uint64_t last_received = 0;
    auto last_change = std::chrono::steady_clock::now();
    while (!pipeline.finished()) {
        timespec timeout{0, 100'000'000};
        const int signal = sigtimedwait(&signals, nullptr, &timeout);
        if (signal == SIGHUP && hooks.on_hangup) hooks.on_hangup();
        if (hooks.every_tick) hooks.every_tick();
        if (hooks.every_second && std::chrono::steady_clock::now() >= next_tick) {
            hooks.every_second();
            next_tick = std::chrono::steady_clock::now() + std::chrono::seconds(1);
        }
        if (signal == SIGINT || signal == SIGTERM) {
            if (++signals_seen == 1) {
                log.write_all(log::Level::info, "stopping",
                              {{"signal", signal == SIGINT ? "SIGINT" : "SIGTERM"},
                               {"msg", "stopping capture, draining the pipeline"}});
                pipeline.stop();
            } else {
                log.write_all(log::Level::warn, "stopping_now",
                              {{"msg", "second signal: no more waiting for full rings"}});
                pipeline.abort();
            }
        }
        if (idle_exit_ms > 0 && signals_seen == 0) {
            const std::uint64_t received = pipeline.totals().capture.received;
            const auto now = std::chrono::steady_clock::now();
            if (received != last_received) {
                last_received = received;
                last_change = now;
            } else if (now - last_change >= std::chrono::milliseconds(idle_exit_ms)) {
                log.write_all(log::Level::info, "stopping", {{"reason", "idle"}, {"idle_ms", idle_exit_ms}});
                pipeline.stop();
                signals_seen = 1;
            }
        }
    }
}

}  // namespace

int run_command(const RunOptions& options, const CliStreams& streams) {
    CommandLogger logger(streams.err);
    const auto started = std::chrono::steady_clock::now();
    const std::optional<Config> loaded = load_config_or_report(options.config, logger);
    if (!loaded) return kExitUsage;
    const Config& config = *loaded;
    if (const std::string problem = source_problem(config); !problem.empty()) {
        logger.error("config_invalid", {{"error", config.source_path + ": " + problem}});
        return kExitUsage;
    }
    if (const std::string refused = zone_versions_refused_by_run(config); !refused.empty()) {
        logger.error("config_invalid", {{"error", config.source_path + ": " + refused}});
        return kExitUsage;
    }
    // Signals are taken by sigtimedwait in wait_for_end: block them before
    // any thread exists (DPDK's and ZeroMQ's included), so all inherit it.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);  // reload (baseline/reloader.h)
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    const std::unique_ptr<Sensor> sensor = Sensor::build(config, logger);
    if (!sensor) return kExitUsage;
    // Zone files are watched from here on: a file written while the rest
    // starts is reloaded, not missed.
    Reloader reloader(options.config, config, sensor->baseline(), logger, &sensor->model().zone_files);


    const std::size_t cores = available_cores();
    const std::size_t workers = config.pipeline.workers > 0 ? static_cast<std::size_t>(config.pipeline.workers)
                                                            : (cores > 1 ? cores - 1 : 1);
    // Capture first, while privileged; then nothing needs privileges.
    OpenedCapture capture;
    try {
        capture = open_capture(config, workers);
    } catch (const std::exception& e) {
        logger.error("capture_open_failed", {{"source", config.capture.source}, {"error", e.what()}});
        return kExitCaptureOpen;
    }
    if (!config.run.user.empty()) {
        try {
            drop_privileges(config.run.user);
        } catch (const UnknownUser& e) {
            logger.error("config_invalid", {{"error", config.source_path + ": run.user: " + e.what()}});
            return kExitUsage;
        }
    } else if (::geteuid() != 0 && effective_capabilities() != 0) {
        // Started unprivileged with capture capabilities (systemd's
        // AmbientCapabilities=): the capture is open, none is needed now.
        drop_capabilities();
    }

    // The alert path replay uses too (store and log first, then JSON lines
    // and ZeroMQ), built as the unprivileged user.
    // Alert bodies hold client addresses: not in the journal unless asked.
    std::string alerts_path = options.alerts.value_or("-");
    if (!options.alerts && log::is_journal_stream(streams.out)) {
        logger.warn("alerts_not_in_journal",
                    {{"msg", "standard output is the journal: alert lines are not written there; use --alerts FILE"}});
        alerts_path = "/dev/null";
    }
    auto lines = alerts_path == "-" ? std::make_unique<JsonLinesSink>(streams.out)
                                    : std::make_unique<JsonLinesSink>(alerts_path, JsonLinesSink::FileMode::append);
    // The Prometheus endpoint counts alerts on their way to the JSON lines.
    std::unique_ptr<RunMetrics> metrics;
    try {
        if (!config.metrics.listen.empty()) {
            metrics = std::make_unique<RunMetrics>(config.metrics.listen, sensor->baseline(), *lines);
        }
    } catch (const std::exception& e) {
        logger.error("bind_failed", {{"what", "metrics.listen"}, {"error", e.what()}});
        return kExitBind;
    }
    SensorOutputs* opened = nullptr;
    try {
        opened = &sensor->open_outputs(metrics ? static_cast<AlertSink*>(metrics.get()) : lines.get());
    } catch (const BindError& e) {
        // A ZeroMQ endpoint that cannot be bound: in use, or not an address of this machine.
        logger.error("bind_failed", {{"what", "publish.zmq"}, {"error", e.what()}});
        return kExitBind;
    }
    SensorOutputs& outputs = *opened;
    if (const std::string note = outputs.store_recovery_note(); !note.empty()) {
        logger.warn("store_recovered", {{"msg", note}});
    }
    if (metrics && outputs.store() != nullptr) metrics->store_recovered(outputs.store()->recovery());
    PublisherOptions publisher_options;
    publisher_options.stats_interval = std::chrono::seconds(config.run.stats_interval_s);
    publisher_options.heartbeat_interval = std::chrono::milliseconds(config.zmq.heartbeat_interval_ms);
    publisher_options.sensor_id = config.sensor_id;
    // Learned RRsets go there as they are learned (replay saves them so too),
    // so that a crash keeps them; the end of the run saves them once more.
    const bool learning = !config.state.dir.empty() && !learning_options(config).zones.empty();
    if (learning) publisher_options.learned_path = learned_path(config);
    // Stats go on the ZeroMQ socket's `stats.` topic and to NATS (not at
    // all with stats.interval 0).
    if (NatsForwarder* nats = outputs.nats(); nats != nullptr && config.run.stats_interval_s > 0) {
        publisher_options.stats_elsewhere = [nats](const std::string& payload) { nats->publish_stats(payload); };
    }
    Publisher publisher(outputs.sink(), outputs.publisher(), publisher_options);
    // The transparency log, read-only over HTTP as C2SP tlog-tiles.
    std::unique_ptr<TlogHttpServer> tlog_http;
    try {
        if (!config.state.tlog_http.empty()) {
            tlog_http = std::make_unique<TlogHttpServer>(config.state.tlog_dir, config.state.tlog_http);
        }
    } catch (const std::exception& e) {
        logger.error("bind_failed", {{"what", "transparency_log.http"}, {"error", e.what()}});
        return kExitBind;
    }
    // state.retention: at start, then every tenth of the retention (at most
    // hourly, at least each second), each prune a log line and counters.
    Retention* retention = outputs.retention();
    const auto prune_interval = retention == nullptr
                                    ? std::chrono::milliseconds(0)
                                    : std::clamp(std::chrono::milliseconds(retention->retention_ms() / 10),
                                                 std::chrono::milliseconds(1000), std::chrono::milliseconds(3600000));
    auto last_prune = std::chrono::steady_clock::now();
    const auto prune = [&] {
        last_prune = std::chrono::steady_clock::now();
        try {
            const PruneReport report = retention->prune(wall_clock_us());
            logger.info("pruned", {{"retention_ms", retention->retention_ms()},
                                   {"alert_records", report.store.records},
                                   {"alert_bytes", report.store.bytes},
                                   {"tlog_entries", report.log.records},
                                   {"tlog_bytes", report.log.bytes},
                                   {"evidence_files", report.evidence.records},
                                   {"evidence_bytes", report.evidence.bytes},
                                   {"first_kept_seq", report.first_kept_seq},
                                   {"tlog_first_kept", report.log_first_kept}});
            if (metrics) metrics->pruned(report);
        } catch (const std::exception& e) {
            logger.error("prune_failed", {{"error", e.what()}});
        }
    };
    if (retention != nullptr) prune();

    // Every change of the baseline itself (a transfer, a reload, the feed)
    // becomes a record beside the alerts: numbered, stored, logged and sent
    // by the publisher thread. Detached before the publisher goes.
    sensor->baseline().set_change_listener([&publisher, sensor_id = config.sensor_id](std::vector<BaselineChange> changes) {
        for (BaselineChange& change : changes) change.sensor = sensor_id;
        publisher.changes().push(std::move(changes));
    });
    struct DetachChanges {
        SharedBaseline& baseline;
        ~DetachChanges() { baseline.set_change_listener(nullptr); }
    } detach_changes{sensor->baseline()};

    PipelineOptions pipeline_options;
    pipeline_options.workers = workers;
    const std::size_t live_workers = capture.setup.files.empty() ? capture.setup.inputs.size() : workers;
    pipeline_options.shards =
        config.pipeline.shards > 0 ? static_cast<std::size_t>(config.pipeline.shards) : live_workers;
    pipeline_options.reader_ring_bytes = static_cast<std::size_t>(config.pipeline.reader_ring_bytes);
    pipeline_options.message_ring_bytes = static_cast<std::size_t>(config.pipeline.message_ring_bytes);
    pipeline_options.alert_ring = static_cast<std::size_t>(config.pipeline.alert_ring);
    pipeline_options.ordered = config.capture.source == "pcap_file";
    pipeline_options.lossless = config.capture.source == "pcap_file" && config.capture.speed_factor == 0;
    pipeline_options.transport = transport_options(config.decode);
    pipeline_options.sensor_id = config.sensor_id;
    pipeline_options.evidence = outputs.evidence();
    pipeline_options.max_open_alerts = static_cast<std::size_t>(config.state.max_open_alerts);
    pipeline_options.keep_learned = learning;
    pipeline_options.setup_detector = [&config](Detector& detector) { configure_detector(detector, config); };

    Pipeline pipeline(sensor->baseline(), std::move(pipeline_options), std::move(capture.setup), publisher);
    // The open alerts as the store's records left them: nothing else to lag behind.
    pipeline.restore_open_alerts(
        outputs.open_alerts(static_cast<std::size_t>(config.state.max_open_alerts) * std::max<std::size_t>(pipeline.shard_count(), 1)));
    if (learning) pipeline.restore_learned(load_learned(learned_path(config)));
    // Zone transfers and the ZeroMQ feed: threads of their own that publish
    // new baseline snapshots, which every detector takes between bursts.
    try {
        sensor->start_live_sources(config);
    } catch (const BindError& e) {
        logger.error("bind_failed", {{"error", e.what()}});
        return kExitBind;
    }
    const std::string shape = pipeline.inline_mode() ? "1 worker running the whole path"
                                                     : std::to_string(pipeline.worker_count()) + " workers, " +
                                                           std::to_string(pipeline.shard_count()) + " shards";
    if (metrics) metrics->watch_rings(pipeline);
    logger.write_all(log::Level::info, "run_started",
                     {{"capture", capture.description},
                      {"pipeline", shape},
                      {"zmq", outputs.publisher() != nullptr ? outputs.publisher()->endpoint() : std::string()},
                      {"metrics_port", metrics ? std::int64_t{metrics->port()} : std::int64_t{0}},
                      {"tlog_http_port", tlog_http ? std::int64_t{tlog_http->port()} : std::int64_t{0}}});
    print_baseline_loaded(streams.err, *sensor->baseline().snapshot(), started);
    const auto start = std::chrono::steady_clock::now();
    pipeline.start();
    // Capture open, baseline loaded, outputs bound: systemd may call it started.
    ServiceNotifier service;
    service.ready(capture.description);
    std::uint64_t packets_before = 0;
    if (metrics) reloader.on_reloaded([&](bool ok) { metrics->reloaded(ok); });
    reloader.on_live_sources_changed([&](const Config& reloaded) {
        try {
            sensor->start_live_sources(reloaded);
        } catch (const std::exception& e) {
            logger.error("live_sources_restart_failed", {{"error", e.what()}});
        }
    });
    WaitHooks hooks;
    std::uint64_t http_refused_logged = 0;
    // A failing disk is loud: a line when the store starts holding records
    // in memory, and when it has written them all.
    bool store_failing = false;
    hooks.every_second = [&] {
        const PipelineTotals totals = pipeline.totals();
        if (metrics) {
            metrics->update(totals, logger.suppressed_total());
            metrics->update_sources(sensor->has_live() ? &sensor->live() : nullptr, outputs.zap());
            metrics->update_outputs(outputs.nats(), outputs.public_feed());
        }
        if (service.active()) {
            // About a second apart: the difference is the rate.
            const std::uint64_t packets = totals.packet.packets;
            service.status(std::to_string(packets - std::min(packets, packets_before)) + " packets/s, " +
                           std::to_string(totals.publisher.published) + " alerts");
            packets_before = packets;
            service.watchdog();
        }
        // Refusals at the /metrics server's limits: one line a second at most.
        if (metrics && metrics->http_refused() > http_refused_logged) {
            const std::uint64_t refused = metrics->http_refused();
            logger.warn("http_connections_refused", {{"listen", config.metrics.listen},
                                                     {"refused", refused - http_refused_logged},
                                                     {"total", refused}});
            http_refused_logged = refused;
        }
        if (AlertStore* store = outputs.store()) {
            const StoreHealth health = store->health();
            const LogHealth log_health = outputs.log() != nullptr ? outputs.log()->health() : LogHealth{};
            if (metrics) metrics->store_health(health, outputs.log() != nullptr ? &log_health : nullptr, outputs.delivery_errors());
            const bool failing = health.failing || health.held_records > 0 || log_health.failing;
            if (failing && !store_failing) {
                logger.error("store_failing", {{"error", health.failing ? health.last_error : log_health.last_error},
                                               {"held_records", health.held_records},
                                               {"held_bytes", health.held_bytes},
                                               {"msg", "records are held in memory and still published; written "
                                                       "when the disk takes them again"}});
            } else if (!failing && store_failing) {
                logger.info("store_writing_again", {{"write_failures", health.write_failures},
                                                    {"not_stored", health.held_dropped}});
            }
            store_failing = failing;
        }
        if (retention != nullptr && std::chrono::steady_clock::now() - last_prune >= prune_interval) prune();
    };
    hooks.on_hangup = [&] {
        try {
            lines->reopen();  // logrotate moved it away
        } catch (const std::exception& e) {
            logger.error("alerts_reopen_failed", {{"error", e.what()}});
        }
        reloader.reload("SIGHUP");
    };
    hooks.every_tick = [&] {
        if (reloader.files_changed()) reloader.reload("zone_file_changed");
    };
    // From here on this thread only keeps things up (reloads, metrics,
    // pruning, signals): it yields to the packet path's threads, which
    // started above at the usual priority (common/background_priority.h).
    if (const std::string refused = run_at_background_priority(); !refused.empty()) {
        logger.warn("background_priority_refused",
                    {{"thread", "control"},
                     {"error", refused},
                     {"msg", "reloads and zone transfers share the cores with the packet path as equals"}});
    }
    wait_for_end(pipeline, signals, config.capture.idle_exit_ms, logger, hooks);
    service.stopping();
    pipeline.join();
    hooks.every_second();
    // Once more at the end, from every detector, now that all are done.
    if (learning) save_learned(learned_path(config), pipeline.export_learned());
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    print_summary(streams.err, pipeline, seconds);
    outputs.sink().flush();  // what the last batch staged, while the outputs are there
    if (const std::string line = outputs.store_health_line(); !line.empty()) std::fprintf(streams.err, "%s\n", line.c_str());
    outputs.finish_nats(streams.err);
    if (outputs.store() != nullptr && outputs.store()->health().held_records > 0) {
        std::fprintf(streams.err, "dnswatch run: %llu records could not be stored: %s\n",
                     static_cast<unsigned long long>(outputs.store()->health().held_records),
                     outputs.store()->health().last_error.c_str());
        return kExitIoError;
    }
    if (!publisher.first_error().empty() || lines->failed()) {
        logger.write_all(log::Level::error, "publish_failed",
                         {{"error", publisher.first_error().empty() ? lines->error() : publisher.first_error()}});
        return kExitIoError;
    }
    return kExitOk;
}

}  // namespace dnswatch
