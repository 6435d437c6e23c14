// Everything an alert passes through after the detector, built from the
// config once for `replay` and `run`: the incident correlator (which sets
// each alert's incident_id and emits incident records), the durable store
// and transparency log (numbered, stored, logged before anything else sees
// it), then JSON lines and ZeroMQ (CURVE + ZAP), the catch-up endpoint, and
// evidence pcaps.
#pragma once

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "config/config.h"
#include "log/log.h"
#include "detect/alert_sink.h"
#include "detect/change_watcher.h"
#include "detect/detector.h"
#include "detect/incident_correlator.h"
#include "publish/alert_store.h"
#include "publish/catch_up.h"
#include "publish/evidence_pcap.h"
#include "publish/fan_out_sink.h"
#include "publish/incident_rebuild.h"
#include "publish/json_lines_sink.h"
#include "publish/nats_forwarder.h"
#include "publish/numbering_sink.h"
#include "publish/public_feed.h"
#include "publish/retention.h"
#include "publish/transparency_log.h"
#include "publish/zmq_publisher.h"
#include "publish/zmq_security.h"

namespace dnswatch {

class SensorOutputs {
public:
    // `lines` receives alert lines (not owned; may be null for none).
    // `log` gets what the endpoints refuse (ZAP denials), or null.
    // Throws std::runtime_error (with the path or endpoint) when a store,
    // log, key or socket cannot be set up.
    SensorOutputs(const Config& config, AlertSink* lines, log::Logger* log = nullptr);
    ~SensorOutputs();

    // Where the detector emits: the incident correlator, then the store.
    AlertSink& sink() { return *entry_; }
    const IncidentCorrelator& incidents() const { return *incidents_; }
    EvidenceRecorder* evidence() { return evidence_.get(); }

    // Open alerts, rebuilt from the store (its last record of each id), and,
    // in learning mode, learned RRsets (baseline/learned_file.h) saved by an
    // earlier run.
    void restore(Detector& detector) const;
    // The open alerts the store holds, at most `max` (those seen last).
    std::vector<OpenAlertState> open_alerts(std::size_t max) const;
    // After each batch of packets: commits what the batch stored (one fsync)
    // and saves learned RRsets when they changed.
    void after_batch(Detector& detector);
    // What opening the store repaired, and its write path now: for the log
    // at start and the summary at the end. Empty without a store.
    std::string store_recovery_note() const;
    std::string store_health_line() const;
    // Records the outputs after the store failed on.
    std::uint64_t delivery_errors() const { return durable_ ? durable_->delivery_errors() : 0; }

    ZmqPublisher* publisher() { return publisher_.get(); }
    // The ZAP handler of the ZeroMQ endpoints, when they use CURVE; else null.
    const ZapAuthenticator* zap() const { return zap_ ? &*zap_ : nullptr; }
    NatsForwarder* nats() { return nats_.get(); }
    // publish.zmq.public_endpoint; null when off.
    PublicFeed* public_feed() { return public_feed_.get(); }
    // With publish.nats: waits (up to drain_timeout) for stored alerts to be
    // acknowledged and prints one line: delivered, duplicates, pending.
    void finish_nats(std::FILE* err);
    AlertStore* store() { return store_.get(); }
    TransparencyLog* log() { return log_.get(); }
    // state.retention over the store, the log and the evidence; null when off.
    Retention* retention() { return retention_.get(); }

private:
    std::size_t max_open_alerts_;
    std::string learned_path_;
    zmq::context_t context_;
    std::optional<ZapAuthenticator> zap_;
    std::unique_ptr<ZmqPublisher> publisher_;
    std::unique_ptr<AlertStore> store_;
    std::unique_ptr<TransparencyLog> log_;
    std::unique_ptr<CatchUpServer> catch_up_;
    std::unique_ptr<PcapEvidenceWriter> evidence_;
    std::unique_ptr<NatsForwarder> nats_;
    std::int64_t nats_drain_ms_ = 0;
    std::unique_ptr<PublicFeed> public_feed_;
    FanOutSink fan_out_;
    std::unique_ptr<DurableAlertSink> durable_;
    std::unique_ptr<Retention> retention_;
    std::unique_ptr<NumberingSink> numbering_;  // the head when there is no durable store
    std::unique_ptr<ChangeWatcher> change_watcher_;
    std::unique_ptr<IncidentCorrelator> incidents_;  // the head of the alert path
    AlertSink* entry_ = nullptr;
};

}  // namespace dnswatch
