// The metrics dnswatch exposes, each declared once here (name, help, labels).
// docs/metrics.md lists them; docs/grafana-dashboard.json plots them.
//
// How the live sensor feeds them (dnswatch run):
//  - per stage: packets_received(stage) / packets_dropped(stage, reason)
//    are Counters looked up once at start-up, then bumped with relaxed
//    atomics (or set_total() from a stage's own counter block);
//  - rings: ring_depth(ring) is a callback read at scrape time;
//  - alerts: alerts(kind, severity).inc() on the publisher thread, once per
//    record emitted (the lookup takes a lock: never on the packet path);
//  - baselines: baseline_rrsets(zone).set(n) when a baseline snapshot is built.
#pragma once

#include <string_view>

#include "metrics/registry.h"

namespace dnswatch::metrics {

class SensorMetrics {
public:
    // Declares every family in `registry` and sets dnswatch_build_info and
    // dnswatch_start_time_seconds (now).
    SensorMetrics(Registry& registry, std::string_view version);

    // stage: "capture", "decode", "detect", "publish".
    Counter& packets_received(std::string_view stage) { return packets_received_.counter({stage}); }
    // reason: "kernel", "interface", "ring_full", "malformed", "reassembly", ...
    Counter& packets_dropped(std::string_view stage, std::string_view reason) {
        return packets_dropped_.counter({stage, reason});
    }
    Counter& dns_messages() { return dns_messages_.counter(); }
    Counter& malformed(std::string_view kind) { return malformed_.counter({kind}); }
    // tunnel: "gtp_u", "gre", "gre_ppp", "vxlan", "geneve", "ip_in_ip", "mpls".
    Counter& decapsulated(std::string_view tunnel) { return decapsulated_.counter({tunnel}); }
    // ring: e.g. "worker0->shard1", "shard0->publisher".
    void ring_depth(std::string_view ring, ReadFunction read) { ring_depth_.callback({ring}, std::move(read)); }
    Gauge& ring_capacity(std::string_view ring) { return ring_capacity_.gauge({ring}); }
    Counter& alerts(std::string_view kind, std::string_view severity) { return alerts_.counter({kind, severity}); }
    Counter& baseline_changes(std::string_view source, std::string_view op) {
        return baseline_changes_.counter({source, op});
    }
    Gauge& open_alerts() { return open_alerts_.gauge(); }
    Gauge& baseline_rrsets(std::string_view zone) { return baseline_rrsets_.gauge({zone}); }
    // Zones no longer watched (a reload) leave the baseline-size metric.
    void retain_baseline_zones(const std::function<bool(std::string_view)>& watched) {
        baseline_rrsets_.retain_by_first_label(watched);
    }
    Gauge& watched_zones() { return watched_zones_.gauge(); }
    // result: "ok" or "rejected".
    Counter& config_reloads(std::string_view result) { return config_reloads_.counter({result}); }
    Counter& log_lines_suppressed() { return log_suppressed_.counter(); }
    // result: "checked", "bogus", "unverifiable" (signed RRsets judged against baseline keys).
    Counter& dnssec_rrsets(std::string_view result) { return dnssec_rrsets_.counter({result}); }
    // source: "ldns" (verified) or "cache".
    Counter& dnssec_verdicts(std::string_view source) { return dnssec_verdicts_.counter({source}); }
    // result: "tracked" (queries remembered), "matched", "unsolicited", "unknown" (responses), "evicted".
    Counter& queries(std::string_view result) { return queries_.counter({result}); }
    Counter& txid_bursts() { return txid_bursts_.counter(); }
    // What the sensor refused or failed at, beside packets (each also logged):
    // result: "accepted", "refused" (NOTIFY from elsewhere, unsigned, for no zone of ours).
    Counter& notifies(std::string_view result) { return notifies_.counter({result}); }
    // result: "ok", "up_to_date", "failed".
    Counter& zone_transfers(std::string_view result) { return zone_transfers_.counter({result}); }
    // result: "admitted", "denied" (a consumer key not allowed, CURVE refused, plaintext where CURVE is due).
    Counter& zap_requests(std::string_view result) { return zap_requests_.counter({result}); }
    // result: "received", "rejected".
    Counter& feed_messages(std::string_view result) { return feed_messages_.counter({result}); }
    // store: "alerts", "tlog", "evidence" (state.retention).
    Counter& pruned_records(std::string_view store) { return pruned_records_.counter({store}); }
    Counter& pruned_bytes(std::string_view store) { return pruned_bytes_.counter({store}); }
    // capture.source dnstap. outcome: "received", "bad" (broke the protocol), "dropped" (cut short).
    // The durable store and the log's write path (publish/alert_store.h):
    // `store` is alerts or tlog.
    Gauge& store_held_records(std::string_view store) { return store_held_records_.gauge({store}); }
    Gauge& store_held_bytes(std::string_view store) { return store_held_bytes_.gauge({store}); }
    Counter& store_write_failures(std::string_view store) { return store_write_failures_.counter({store}); }
    Counter& store_held_dropped() { return store_held_dropped_.counter(); }
    Counter& store_recovered_bytes(std::string_view cause) { return store_recovered_bytes_.counter({cause}); }
    Counter& delivery_errors() { return delivery_errors_.counter(); }

    Counter& dnstap_frames(std::string_view outcome) { return dnstap_frames_.counter({outcome}); }
    // event: "accepted", "dropped" (for a bad frame), "refused" (max_writers reached).
    Counter& dnstap_writers(std::string_view event) { return dnstap_writers_.counter({event}); }
    // bound: "open_alerts" (evicted), "observed_rdata" (not listed in an alert),
    // "feed_announcements" (dropped past the bound), "http_connections" (refused).
    Counter& bound_reached(std::string_view bound) { return bound_reached_.counter({bound}); }
    // input: "feed" (a publisher that failed the CURVE handshake), "http"; the log says each.
    Counter& refused(std::string_view input) { return refused_.counter({input}); }
    // publish.nats. outcome: "published", "duplicate" (the stream had it), "expired" (pruned by the
    // retention before the stream had it), "stats".
    Counter& nats_records(std::string_view outcome) { return nats_records_.counter({outcome}); }
    Counter& nats_failures() { return nats_failures_.counter(); }
    Gauge& nats_pending() { return nats_pending_.gauge(); }
    Gauge& nats_connected() { return nats_connected_.gauge(); }
    // publish.zmq.public_endpoint. when: "at_once", "after_delay".
    Counter& public_feed_records(std::string_view when) { return public_feed_records_.counter({when}); }
    Gauge& public_feed_held() { return public_feed_held_.gauge(); }

private:
    Family& build_info_;
    Family& start_time_;
    Family& packets_received_;
    Family& packets_dropped_;
    Family& dns_messages_;
    Family& malformed_;
    Family& decapsulated_;
    Family& ring_depth_;
    Family& ring_capacity_;
    Family& alerts_;
    Family& baseline_changes_;
    Family& open_alerts_;
    Family& baseline_rrsets_;
    Family& watched_zones_;
    Family& config_reloads_;
    Family& log_suppressed_;
    Family& dnssec_rrsets_;
    Family& dnssec_verdicts_;
    Family& queries_;
    Family& txid_bursts_;
    Family& notifies_;
    Family& zone_transfers_;
    Family& zap_requests_;
    Family& feed_messages_;
    Family& pruned_records_;
    Family& pruned_bytes_;
    Family& store_held_records_;
    Family& store_held_bytes_;
    Family& store_write_failures_;
    Family& store_held_dropped_;
    Family& store_recovered_bytes_;
    Family& delivery_errors_;
    Family& dnstap_frames_;
    Family& dnstap_writers_;
    Family& bound_reached_;
    Family& refused_;
    Family& nats_records_;
    Family& nats_failures_;
    Family& nats_pending_;
    Family& nats_connected_;
    Family& public_feed_records_;
    Family& public_feed_held_;
};

}  // namespace dnswatch::metrics
