#include "metrics/sensor_metrics.h"

#include <chrono>

namespace dnswatch::metrics {

SensorMetrics::SensorMetrics(Registry& r, std::string_view version)
    : build_info_(r.add("dnswatch_build_info", "Always 1; the labels say which dnswatch this is.", MetricType::gauge,
                        {"version"})),
      start_time_(r.add("dnswatch_start_time_seconds", "When the sensor started, in seconds since the Unix epoch.",
                        MetricType::gauge)),
      packets_received_(r.add("dnswatch_packets_received_total", "Packets a pipeline stage has taken in.",
                              MetricType::counter, {"stage"})),
      packets_dropped_(r.add("dnswatch_packets_dropped_total",
                             "Packets a stage could not pass on (kernel or interface drops, full rings, "
                             "malformed, reassembly limits).",
                             MetricType::counter, {"stage", "reason"})),
      dns_messages_(r.add("dnswatch_dns_messages_total", "DNS messages decoded.", MetricType::counter)),
      malformed_(r.add("dnswatch_malformed_total", "Malformed packets or DNS messages, by what was wrong.",
                       MetricType::counter, {"kind"})),
      decapsulated_(r.add("dnswatch_decapsulated_total",
                          "Packets handed on by a tunnel's decapsulation (GTP-U, GRE, PPP in GRE, VXLAN, Geneve, "
                          "IP in IP, MPLS), by tunnel; a packet inside two tunnels counts in both.",
                          MetricType::counter, {"tunnel"})),
      ring_depth_(r.add("dnswatch_ring_depth", "Entries waiting in a ring between two pipeline stages.",
                        MetricType::gauge, {"ring"})),
      ring_capacity_(r.add("dnswatch_ring_capacity", "Entries a ring between two pipeline stages can hold.",
                           MetricType::gauge, {"ring"})),
      alerts_(r.add("dnswatch_alerts_total",
                    "Alert records emitted (opened, updated, reverted, accepted), by kind and severity.",
                    MetricType::counter, {"kind", "severity"})),
      baseline_changes_(r.add("dnswatch_baseline_changes_total",
                              "Change records of the baseline itself (dnswatch.change/1), by source (axfr, ixfr, "
                              "zone_file, feed) and op (create, delete, update).",
                              MetricType::counter, {"source", "op"})),
      open_alerts_(r.add("dnswatch_open_alerts", "Alerts currently open.", MetricType::gauge)),
      baseline_rrsets_(r.add("dnswatch_baseline_rrsets",
                             "RRsets in the baseline of a watched zone; over 1000 watched zones, zone=\"*\" alone "
                             "(the sum).",
                             MetricType::gauge, {"zone"})),
      watched_zones_(r.add("dnswatch_watched_zones", "Zones being watched.", MetricType::gauge)),
      config_reloads_(r.add("dnswatch_config_reloads_total",
                            "Config reloads (SIGHUP, changed zone file), by result: ok or rejected.",
                            MetricType::counter, {"result"})),
      log_suppressed_(r.add("dnswatch_log_lines_suppressed_total",
                            "Log lines not written because their event was over its rate limit.",
                            MetricType::counter)),
      dnssec_rrsets_(r.add("dnswatch_dnssec_rrsets_total",
                           "Signed RRsets of watched zones judged against the baseline's DNSKEYs, by result: "
                           "checked (all), bogus (no valid signature by a baseline key), unverifiable.",
                           MetricType::counter, {"result"})),
      dnssec_verdicts_(r.add("dnswatch_dnssec_verdicts_total",
                             "Signature verdicts, by source: ldns (a verification done) or cache.",
                             MetricType::counter, {"source"})),
      queries_(r.add("dnswatch_queries_total",
                     "Query matching: queries about watched names tracked, responses matched to one, "
                     "unsolicited (the client asked, not this), unknown (client never seen asking), "
                     "and unanswered queries evicted.",
                     MetricType::counter, {"result"})),
      txid_bursts_(r.add("dnswatch_txid_bursts_total",
                         "(name, server) pairs whose unmatched responses crossed the spoofing burst threshold.",
                         MetricType::counter)),
      notifies_(r.add("dnswatch_notifies_total",
                      "NOTIFY messages received, by result: accepted, or refused (a source that is neither the "
                      "zone's primary nor in allow_notify, a bad or missing TSIG, a zone not transferred).",
                      MetricType::counter, {"result"})),
      zone_transfers_(r.add("dnswatch_zone_transfers_total",
                            "Zone transfers from the zones' primaries, by result: ok, up_to_date, failed.",
                            MetricType::counter, {"result"})),
      zap_requests_(r.add("dnswatch_zap_requests_total",
                          "Connections to the sensor's ZeroMQ endpoints checked by ZAP, by result: admitted or "
                          "denied.",
                          MetricType::counter, {"result"})),
      feed_messages_(r.add("dnswatch_feed_messages_total",
                           "Transparency feed messages, by result: received, or rejected (malformed).",
                           MetricType::counter, {"result"})),
      pruned_records_(r.add("dnswatch_pruned_records_total",
                            "Records past state.retention pruned, by store: alerts (the durable store), tlog "
                            "(log entries whose contents went; their hashes stay), evidence (pcaps).",
                            MetricType::counter, {"store"})),
      pruned_bytes_(r.add("dnswatch_pruned_bytes_total", "Bytes freed on disk by pruning, by store.",
                          MetricType::counter, {"store"})),
      store_held_records_(r.add("dnswatch_store_held_records",
                                "Records (alerts) or entries (tlog) written to memory but not yet to disk: "
                                "a failing disk (full) holds them here until a write succeeds.",
                                MetricType::gauge, {"store"})),
      store_held_bytes_(r.add("dnswatch_store_held_bytes", "Bytes of those held records.", MetricType::gauge,
                              {"store"})),
      store_write_failures_(r.add("dnswatch_store_write_failures_total",
                                  "Group commits of the durable store (alerts) or the transparency log (tlog) "
                                  "that failed; their records stay held and are written by a later commit.",
                                  MetricType::counter, {"store"})),
      store_held_dropped_(r.add("dnswatch_store_held_dropped_total",
                                "Records not stored because the held bound was reached while the disk failed "
                                "(they still went to every other output).",
                                MetricType::counter)),
      store_recovered_bytes_(r.add("dnswatch_store_recovered_bytes_total",
                                   "Bytes of the durable store repaired at start, by cause: torn (cut off the "
                                   "end), damaged (moved aside to alerts.damaged).",
                                   MetricType::counter, {"cause"})),
      delivery_errors_(r.add("dnswatch_delivery_errors_total",
                             "Records an output (JSON lines, ZeroMQ, ...) failed on; the other outputs still "
                             "got them.",
                             MetricType::counter)),
      dnstap_frames_(r.add("dnswatch_dnstap_frames_total",
                           "dnstap data frames from writers, by outcome: received, bad (broke the Frame Streams "
                           "protocol; the writer is dropped), dropped (cut short by a writer going away).",
                           MetricType::counter, {"outcome"})),
      dnstap_writers_(r.add("dnswatch_dnstap_writers_total",
                            "dnstap writers (resolvers, name servers), by event: accepted, dropped (sent a bad "
                            "frame), refused (capture.dnstap.max_writers were connected).",
                            MetricType::counter, {"event"})),
      bound_reached_(r.add("dnswatch_bound_reached_total",
                           "What a bound turned away, by bound: open_alerts (the least recently seen open alert "
                           "evicted), observed_rdata (divergent rdata not listed in an alert), feed_announcements "
                           "(announcements dropped past the bound), http_connections (refused by the HTTP "
                           "server's connection limits), evidence_frames (frames of a reassembled message's TCP "
                           "segments or IP fragments not kept for its evidence: past their bound, the reassembly "
                           "memory full, or too large for a shard ring record).",
                           MetricType::counter, {"bound"})),
      refused_(r.add("dnswatch_refused_total",
                     "Network peers refused, by input: feed (a transparency feed publisher that failed the CURVE "
                     "handshake: no key, or not the pinned one). Each refusal is logged.",
                     MetricType::counter, {"input"})),
      nats_records_(r.add("dnswatch_nats_records_total",
                          "Stored records sent to NATS JetStream, by outcome: published (acknowledged), duplicate "
                          "(acknowledged as already in the stream), expired (pruned by state.retention before the "
                          "stream had them), stats (stats messages acknowledged).",
                          MetricType::counter, {"outcome"})),
      nats_failures_(r.add("dnswatch_nats_failures_total",
                           "Publishes to NATS JetStream that got no acknowledgement (the record is tried again; a "
                           "stats message is dropped).",
                           MetricType::counter)),
      nats_pending_(r.add("dnswatch_nats_pending", "Stored records not yet acknowledged by NATS JetStream.",
                          MetricType::gauge)),
      nats_connected_(r.add("dnswatch_nats_connected", "1 while connected to the NATS cluster, else 0.",
                            MetricType::gauge)),
      public_feed_records_(r.add("dnswatch_public_feed_records_total",
                                 "Records sent on the public endpoint, by when: at_once, after_delay (creates and "
                                 "deletes held for publish.delay_creates_deletes).",
                                 MetricType::counter, {"when"})),
      public_feed_held_(r.add("dnswatch_public_feed_held",
                              "Creates and deletes (and alerts citing them) held back from the public endpoint.",
                              MetricType::gauge)) {
    build_info_.gauge({version}).set(1);
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    start_time_.gauge().set(std::chrono::duration_cast<std::chrono::seconds>(now).count());
    // Zero series a dashboard expects even before the first event.
    config_reloads_.counter({"ok"});
    config_reloads_.counter({"rejected"});
    open_alerts_.gauge();
    for (const std::string_view store : {"alerts", "tlog"}) {
        store_held_records_.gauge({store});
        store_write_failures_.counter({store});
    }
    store_held_bytes_.gauge({"alerts"});
    store_held_dropped_.counter();
    delivery_errors_.counter();
    watched_zones_.gauge();
    dns_messages_.counter();
    log_suppressed_.counter();
    for (const char* result : {"checked", "bogus", "unverifiable"}) dnssec_rrsets_.counter({result});
    for (const char* source : {"ldns", "cache"}) dnssec_verdicts_.counter({source});
    for (const char* result : {"tracked", "matched", "unsolicited", "unknown", "evicted"}) queries_.counter({result});
    txid_bursts_.counter();
    for (const char* bound : {"open_alerts", "observed_rdata", "evidence_frames"}) bound_reached_.counter({bound});
    for (const char* result : {"accepted", "refused"}) notifies_.counter({result});
    for (const char* result : {"ok", "up_to_date", "failed"}) zone_transfers_.counter({result});
    for (const char* result : {"admitted", "denied"}) zap_requests_.counter({result});
    for (const char* result : {"received", "rejected"}) feed_messages_.counter({result});
}

}  // namespace dnswatch::metrics
