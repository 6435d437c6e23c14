#include "cli/sensor_outputs.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>

#include "baseline/learned_file.h"
#include "baseline/sources.h"
#include "common/regular_file.h"
#include "publish/open_alert_file.h"

namespace dnswatch {
namespace {

NoteSigner load_signer(const std::string& path) {
    require_regular_file(path);
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    auto signer = NoteSigner::parse(line);
    if (!signer) throw std::runtime_error(path + ": not a transparency log signing key (dnswatch tlog keygen)");
    return *signer;
}

}  // namespace

SensorOutputs::SensorOutputs(const Config& config, AlertSink* lines, log::Logger* log)
    : max_open_alerts_(static_cast<std::size_t>(config.state.max_open_alerts)) {
    if (lines != nullptr) fan_out_.add(*lines);
    const ZmqPublishConfig& zmq = config.zmq;
    std::optional<CurveKeyPair> curve;
    if (!zmq.curve_key_file.empty()) {
        curve = CurveKeyPair::load(zmq.curve_key_file);
        std::set<std::string> clients;
        for (const std::string& file : zmq.client_keys) clients.insert(CurveKeyPair::load(file).public_key);
        zap_.emplace(context_, std::move(clients), /*allow_plaintext=*/false, log);
    }
    if (!zmq.endpoint.empty()) {
        publisher_ = std::make_unique<ZmqPublisher>(
            context_, ZmqPublisherOptions{zmq.endpoint, zmq.linger_ms, zmq.send_hwm, curve});
        fan_out_.add(*publisher_);
    }
    entry_ = &fan_out_;
    IncidentRebuild incident_rebuild;  // filled while the store opens, if there is one
    if (!config.state.dir.empty()) {
        // A dnswatch before the store held everything kept open alerts in a
        // second file; read once more as the base the records fold onto.
        const std::string legacy_open = config.state.dir + "/open-alerts.jsonl";
        store_ = std::make_unique<AlertStore>(
            config.state.dir, config.state.fsync, static_cast<std::size_t>(config.state.max_held_records),
            std::filesystem::exists(legacy_open) ? load_open_alerts(legacy_open) : std::vector<OpenAlertState>{},
            [&](const nlohmann::json& record) { incident_rebuild.fold(record); });
        learned_path_ = config.state.dir + "/learned.jsonl";
        evidence_ = std::make_unique<PcapEvidenceWriter>(config.state.dir + "/evidence");
        if (!config.state.tlog_dir.empty()) {
            log_ = std::make_unique<TransparencyLog>(config.state.tlog_dir, load_signer(config.state.tlog_key_file),
                                                     config.state.fsync);
        }
        if (!config.nats.servers.empty()) {
            const NatsPublishConfig& n = config.nats;
            NatsForwarderOptions options{.servers = n.servers,
                                         .stream = n.stream,
                                         .subject_prefix = n.subject_prefix,
                                         .replicas = n.replicas,
                                         .creds_file = n.creds_file,
                                         .nkey = n.nkey,
                                         .nkey_seed_file = n.nkey_seed_file,
                                         .tls = n.tls,
                                         .ca_file = n.ca_file,
                                         .cert_file = n.cert_file,
                                         .key_file = n.key_file};
            nats_ = std::make_unique<NatsForwarder>(std::move(options), config.sensor_id, store_->path(),
                                                    config.state.dir + "/nats.delivered");
            nats_drain_ms_ = n.drain_timeout_ms;
            fan_out_.add(*nats_);
        }
        if (!zmq.public_endpoint.empty()) {
            PublicFeedOptions options;
            options.zmq = ZmqPublisherOptions{zmq.public_endpoint, zmq.linger_ms, zmq.send_hwm, curve};
            for (const std::string& file : zmq.public_client_keys) {
                options.client_keys.insert(CurveKeyPair::load(file).public_key);
            }
            options.delay_ms = zmq.delay_creates_deletes_ms;
            options.log = log;
            public_feed_ = std::make_unique<PublicFeed>(std::move(options), store_->path(),
                                                        config.state.dir + "/public.cursor");
            fan_out_.add(*public_feed_);
        }
        // Group commit: the publisher thread (or replay's loop) flushes after
        // each batch; no batch waits for more than this many records.
        durable_ = std::make_unique<DurableAlertSink>(*store_, log_.get(), fan_out_, /*max_batch=*/1024);
        entry_ = durable_.get();
        if (config.state.retention_ms > 0) {
            retention_ = std::make_unique<Retention>(config.state.retention_ms, store_.get(), log_.get(),
                                                     config.state.dir + "/evidence");
        }
        if (!zmq.catchup_endpoint.empty()) {
            catch_up_ = std::make_unique<CatchUpServer>(context_, store_->path(), zmq.catchup_endpoint, curve, 1000,
                                                        evidence_->dir());
        }
    } else if (!config.state.tlog_dir.empty() || !zmq.catchup_endpoint.empty() || !config.nats.servers.empty() ||
               !zmq.public_endpoint.empty()) {
        throw std::runtime_error(config.source_path +
                                 ": transparency_log, publish.zmq.catchup_endpoint, publish.zmq.public_endpoint and "
                                 "publish.nats need state.dir (the alert store)");
    } else {
        numbering_ = std::make_unique<NumberingSink>(fan_out_);
        entry_ = numbering_.get();
    }
    // The head of the path: alerts are grouped into incidents before they
    // are numbered and stored, so that each is stored with its incident_id.
    // It learns of each change record once the store has numbered it.
    incidents_ = std::make_unique<IncidentCorrelator>(IncidentOptions{}, config.sensor_id, *entry_);
    fan_out_.add(incidents_->change_observer());
    // The incidents of the last run, from the store's records (read as the
    // store opened).
    incidents_->import_state(incident_rebuild.incidents(), incident_rebuild.changes());
    entry_ = incidents_.get();
    // The baseline's own changes, judged as they pass: its alerts enter the
    // path at its head, to be grouped, numbered and stored like any other.
    ChangeWatchOptions watch_options;
    watch_options.window_us = config.detect.short_lived_change_window_ms * 1000;
    watch_options.feed_configured = !config.state.transparency_feed.empty() || !config.baseline.feed_endpoint.empty();
    if (!config.locked_domains_file.empty()) {
        for (const NameLine& locked : read_name_list(config.locked_domains_file)) {
            watch_options.locked.insert(DnsName::from_text(locked.name)->to_text());
        }
    }
    change_watcher_ = std::make_unique<ChangeWatcher>(std::move(watch_options), config.sensor_id, *entry_);
    fan_out_.add(*change_watcher_);
}

SensorOutputs::~SensorOutputs() {
    // What is still staged reaches the disk (run and replay flush before
    // this; the outputs it would go to may be gone by now).
    durable_.reset();
    // Sockets before the context; the publisher's linger sends what is queued.
    catch_up_.reset();
    publisher_.reset();
    public_feed_.reset();
    // What is stored and not acknowledged yet goes at the next start.
    if (nats_) nats_->drain(nats_drain_ms_);
    nats_.reset();
    zap_.reset();
}

void SensorOutputs::finish_nats(std::FILE* err) {
    if (!nats_) return;
    nats_->drain(nats_drain_ms_);
    const auto u = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };
    std::fprintf(err,
                 "nats: %llu records acknowledged by the stream (%llu already there), %llu attempts unanswered, "
                 "%llu pruned before the stream had them, %llu pending in the store (sent at the next start)\n",
                 u(nats_->published()), u(nats_->duplicates()), u(nats_->failures()), u(nats_->expired()),
                 u(nats_->pending()));
}

std::vector<OpenAlertState> SensorOutputs::open_alerts(std::size_t max) const {
    if (!store_) return {};
    std::vector<OpenAlertState> alerts = store_->open_alerts();
    if (alerts.size() > max) {
        // As the detector would have kept them: those seen last.
        std::nth_element(alerts.begin(), alerts.begin() + static_cast<std::ptrdiff_t>(max), alerts.end(),
                         [](const OpenAlertState& a, const OpenAlertState& b) {
                             return a.alert.last_seen_us > b.alert.last_seen_us;
                         });
        alerts.resize(max);
    }
    return alerts;
}

void SensorOutputs::restore(Detector& detector) const {
    if (!store_) return;
    detector.import_open_alerts(open_alerts(max_open_alerts_));
    if (detector.learner() != nullptr) detector.learner()->import_state(load_learned(learned_path_));
}

void SensorOutputs::after_batch(Detector& detector) {
    entry_->flush();
    if (!store_) return;
    Learner* learner = detector.learner();
    if (learner != nullptr && learner->changed()) save_learned(learned_path_, learner->export_state());
}

std::string SensorOutputs::store_recovery_note() const {
    if (!store_) return {};
    const StoreRecovery& r = store_->recovery();
    if (r.torn_bytes == 0 && r.damaged_lines == 0) return {};
    return store_->path() + ": recovered: " + std::to_string(r.torn_bytes) + " bytes of a torn end cut off, " +
           std::to_string(r.damaged_lines) + " damaged lines (" + std::to_string(r.damaged_bytes) +
           " bytes between whole records) moved to alerts.damaged; " + std::to_string(r.records) +
           " whole records kept";
}

std::string SensorOutputs::store_health_line() const {
    if (!store_) return {};
    const auto u = [](std::uint64_t v) { return std::to_string(v); };
    const StoreHealth h = store_->health();
    std::string line = "store: " + u(h.commits) + " commits, " + u(h.held_records) + " records held in memory (" +
                       u(h.held_bytes) + " bytes), " + u(h.held_dropped) + " not stored (held bound), " +
                       u(h.write_failures) + " write failures";
    if (log_) {
        const LogHealth l = log_->health();
        line += "; tlog: " + u(l.held_entries) + " entries held, " + u(l.write_failures) + " write failures";
    }
    if (durable_) line += "; outputs: " + u(durable_->delivery_errors()) + " delivery errors";
    if (h.failing) line += "; failing: " + h.last_error;
    return line;
}

}  // namespace dnswatch
