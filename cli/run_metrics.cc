#include "cli/run_metrics.h"

namespace dnswatch {

RunMetrics::RunMetrics(const std::string& listen, const SharedBaseline& baseline, AlertSink& next)
    : shared_(baseline), metrics_(registry_, DNSWATCH_VERSION), next_(next) {
    for (std::size_t kind = 1; kind < kMalformedKindNames.size(); ++kind) {
        malformed_.push_back(&metrics_.malformed(kMalformedKindNames[kind]));
    }
    // Every alert series exists at 0 from start-up: a rule on increase()
    // sees the first alert, which would otherwise create its series at 1.
    for (const std::string_view kind : kAlertKinds) {
        for (const Severity severity : kSeverities) metrics_.alerts(kind, to_string(severity));
    }
    for (const ChangeSource source :
         {ChangeSource::axfr, ChangeSource::ixfr, ChangeSource::zone_file, ChangeSource::feed, ChangeSource::learned,
          ChangeSource::zone_version}) {
        for (const ChangeOp op : {ChangeOp::create, ChangeOp::remove, ChangeOp::update}) {
            metrics_.baseline_changes(to_string(source), to_string(op));
        }
    }
    baseline_version_ = shared_.version();
    set_baseline_sizes(*shared_.snapshot());
    endpoint_ = std::make_unique<metrics::HttpEndpoint>(registry_, listen);
}

void RunMetrics::set_baseline_sizes(const BaselineSnapshot& snapshot) {
    const auto started = std::chrono::steady_clock::now();
    set_baseline_gauges(snapshot);
    const auto finished = std::chrono::steady_clock::now();
    next_sizing_ = finished + (finished - started) * kSizingDutyInverse;
}

void RunMetrics::set_baseline_gauges(const BaselineSnapshot& snapshot) {
    const WatchSet& watch = *snapshot.watch;
    metrics_.watched_zones().set(static_cast<std::int64_t>(watch.zones().size()));
    const std::vector<std::size_t> counts = snapshot.baseline.rrset_counts(watch);
    // A series a zone is what an operator of a few zones wants; a registry
    // watching a million delegations would get a million series (and a
    // scrape of tens of MB), so beyond kPerZoneSeriesLimit one series,
    // zone="*", carries the sum.
    if (watch.zones().size() > kPerZoneSeriesLimit) {
        std::size_t total = 0;
        for (const std::size_t count : counts) total += count;
        metrics_.retain_baseline_zones([](std::string_view zone) { return zone == "*"; });
        metrics_.baseline_rrsets("*").set(static_cast<std::int64_t>(total));
        return;
    }
    metrics_.retain_baseline_zones([&watch](std::string_view zone) { return watch.find_zone(zone) != nullptr; });
    for (const WatchedZone& zone : watch.zones()) {
        metrics_.baseline_rrsets(zone.text).set(static_cast<std::int64_t>(counts[zone.index]));
    }
}

void RunMetrics::watch_rings(const Pipeline& pipeline) {
    for (const auto& [name, ring] : pipeline.rings()) {
        metrics_.ring_capacity(name).set(static_cast<std::int64_t>(ring->capacity()));
        metrics_.ring_depth(name, [ring = ring] { return static_cast<double>(ring->depth_bytes()); });
    }
}

void RunMetrics::update(const PipelineTotals& t, std::uint64_t log_lines_suppressed) {
    const CaptureCounters& c = t.capture;
    metrics_.packets_received("capture").set_total(c.received);
    metrics_.packets_received("decode").set_total(t.packet.packets);
    metrics_.packets_received("detect").set_total(t.packet.watched_responses);
    metrics_.packets_received("publish").set_total(t.alerts);
    metrics_.packets_dropped("capture", "kernel").set_total(c.kernel_dropped);
    metrics_.packets_dropped("capture", "interface").set_total(c.if_dropped);
    metrics_.packets_dropped("capture", "nic_missed").set_total(c.nic_missed);
    metrics_.packets_dropped("capture", "no_mbuf").set_total(c.no_mbuf);
    metrics_.packets_dropped("capture", "ring_full").set_total(c.ring_dropped);
    metrics_.packets_dropped("decode", "malformed").set_total(t.decode.malformed_total());
    metrics_.packets_dropped("decode", "ring_full").set_total(t.router.message_ring_drops);
    metrics_.packets_dropped("detect", "ring_full").set_total(t.alert_ring_drops);
    metrics_.packets_dropped("publish", "zmq_hwm").set_total(t.publisher.zmq_dropped);
    metrics_.dns_messages().set_total(t.packet.dns_messages);
    for (std::size_t k = 0; k < kTunnelKindCount; ++k)
        metrics_.decapsulated(kTunnelKindNames[k]).set_total(t.decode.decapsulated[k]);
    for (std::size_t kind = 1; kind < t.decode.malformed.size() && kind - 1 < malformed_.size(); ++kind) {
        malformed_[kind - 1]->set_total(t.decode.malformed[kind]);
    }
    const DetectorCounters& d = t.detector;
    const std::uint64_t closed = d.alerts_reverted + d.alerts_accepted + d.alerts_evicted;
    metrics_.open_alerts().set(static_cast<std::int64_t>(d.alerts_opened >= closed ? d.alerts_opened - closed : 0));
    metrics_.log_lines_suppressed().set_total(log_lines_suppressed);
    metrics_.dnssec_rrsets("checked").set_total(t.dnssec.rrsets_checked);
    metrics_.dnssec_rrsets("bogus").set_total(t.dnssec.bogus_rrsets);
    metrics_.dnssec_rrsets("unverifiable").set_total(t.dnssec.unverifiable);
    metrics_.dnssec_verdicts("ldns").set_total(t.dnssec.verifications);
    metrics_.dnssec_verdicts("cache").set_total(t.dnssec.cache_hits);
    metrics_.queries("tracked").set_total(t.queries.queries);
    metrics_.queries("matched").set_total(t.queries.matched);
    metrics_.queries("unsolicited").set_total(t.queries.unsolicited);
    metrics_.queries("unknown").set_total(t.queries.unknown);
    metrics_.queries("evicted").set_total(t.queries.evicted);
    metrics_.txid_bursts().set_total(t.queries.bursts);
    metrics_.bound_reached("open_alerts").set_total(d.alerts_evicted);
    metrics_.bound_reached("observed_rdata").set_total(d.observed_rdata_omitted);
    metrics_.bound_reached("evidence_frames")
        .set_total(t.decode.of(ReassemblyEvent::tcp_carrier_dropped) +
                   t.decode.of(ReassemblyEvent::frag_carrier_dropped) + t.router.carriers_omitted);
    metrics_.bound_reached("http_connections").set_total(endpoint_->refused());
    metrics_.bound_reached("feed_announcements").set_total(shared_.counters().announcements_refused);
    if (c.dnstap_writers + c.dnstap_writers_refused > 0) {
        metrics_.dnstap_frames("received").set_total(c.dnstap_frames);
        metrics_.dnstap_frames("bad").set_total(c.dnstap_bad_frames);
        metrics_.dnstap_frames("dropped").set_total(c.dnstap_dropped_frames);
        metrics_.dnstap_writers("accepted").set_total(c.dnstap_writers);
        metrics_.dnstap_writers("dropped").set_total(c.dnstap_writers_dropped);
        metrics_.dnstap_writers("refused").set_total(c.dnstap_writers_refused);
    }
    // Counting walks every RRset (tens of ms for a TLD): it may take at most
    // 1/kSizingDutyInverse of this thread, however often zone transfers and
    // the feed change the baseline.
    if (const std::uint64_t version = shared_.version();
        version != baseline_version_ && std::chrono::steady_clock::now() >= next_sizing_) {
        baseline_version_ = version;
        set_baseline_sizes(*shared_.snapshot());
    }
}

void RunMetrics::update_sources(const LiveBaselineSources* live, const ZapAuthenticator* zap) {
    if (live != nullptr && live->transfers() != nullptr) {
        const ZoneRefresherCounters& c = live->transfers()->counters();
        metrics_.notifies("accepted").set_total(c.notifies);
        metrics_.notifies("refused").set_total(c.notifies_refused);
        metrics_.zone_transfers("ok").set_total(c.transfers);
        metrics_.zone_transfers("up_to_date").set_total(c.up_to_date);
        metrics_.zone_transfers("failed").set_total(c.failures);
    }
    if (live != nullptr && live->feed() != nullptr) {
        metrics_.feed_messages("received").set_total(live->feed()->counters().received);
        metrics_.feed_messages("rejected").set_total(live->feed()->counters().rejected);
        metrics_.refused("feed").set_total(live->feed()->counters().refused);
    }
    if (zap != nullptr) {
        zap_admitted_ = zap->admitted();
        zap_denied_ = zap->denied();
    }
    metrics_.zap_requests("admitted").set_total(zap_admitted_ + public_zap_admitted_);
    metrics_.zap_requests("denied").set_total(zap_denied_ + public_zap_denied_);
}

void RunMetrics::update_outputs(const NatsForwarder* nats, const PublicFeed* public_feed) {
    if (nats != nullptr) {
        metrics_.nats_records("published").set_total(nats->published());
        metrics_.nats_records("duplicate").set_total(nats->duplicates());
        metrics_.nats_records("expired").set_total(nats->expired());
        metrics_.nats_records("stats").set_total(nats->stats_sent());
        metrics_.nats_failures().set_total(nats->failures());
        metrics_.nats_pending().set(static_cast<std::int64_t>(nats->pending()));
        metrics_.nats_connected().set(nats->connected() ? 1 : 0);
    }
    if (public_feed != nullptr) {
        metrics_.public_feed_records("at_once").set_total(public_feed->sent() - public_feed->released_late());
        metrics_.public_feed_records("after_delay").set_total(public_feed->released_late());
        metrics_.public_feed_held().set(static_cast<std::int64_t>(public_feed->held()));
        public_zap_admitted_ = public_feed->zap_admitted();
        public_zap_denied_ = public_feed->zap_denied();
    }
}

void RunMetrics::pruned(const PruneReport& report) {
    const std::pair<const char*, const PruneReport::Part*> parts[] = {
        {"alerts", &report.store}, {"tlog", &report.log}, {"evidence", &report.evidence}};
    for (const auto& [store, part] : parts) {
        metrics_.pruned_records(store).inc(part->records);
        metrics_.pruned_bytes(store).inc(part->bytes);
    }
}

void RunMetrics::store_recovered(const StoreRecovery& recovery) {
    metrics_.store_recovered_bytes("torn").inc(recovery.torn_bytes);
    metrics_.store_recovered_bytes("damaged").inc(recovery.damaged_bytes);
}

void RunMetrics::store_health(const StoreHealth& store, const LogHealth* log, std::uint64_t delivery_errors) {
    metrics_.store_held_records("alerts").set(static_cast<std::int64_t>(store.held_records));
    metrics_.store_held_bytes("alerts").set(static_cast<std::int64_t>(store.held_bytes));
    metrics_.store_write_failures("alerts").set_total(store.write_failures);
    metrics_.store_held_dropped().set_total(store.held_dropped);
    metrics_.delivery_errors().set_total(delivery_errors);
    if (log != nullptr) {
        metrics_.store_held_records("tlog").set(static_cast<std::int64_t>(log->held_entries));
        metrics_.store_write_failures("tlog").set_total(log->write_failures);
    }
}

void RunMetrics::publish_change(const BaselineChange& change) {
    metrics_.baseline_changes(to_string(change.source), to_string(change.op)).inc();
    next_.publish_change(change);
}

void RunMetrics::publish(const Alert& alert) {
    // The publisher thread, once per record: the lookup's lock is fine here.
    metrics_.alerts(alert.kind, to_string(alert.severity)).inc();
    next_.publish(alert);
}

}  // namespace dnswatch
