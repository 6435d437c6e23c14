// Pipeline::totals and Pipeline::stats_json: the per-stage counters, added
// up across workers and shards, read from their published copies (never
// from the threads' own structs).
#include <chrono>

#include <nlohmann/json.hpp>

#include "pipeline/counter_block.h"
#include "pipeline/pipeline.h"
#include "publish/alert_json.h"

namespace dnswatch {
namespace {

void add_detection(PipelineTotals& t, const DetectionCounters& c) {
    add_counters(t.detector, c.detector);
    add_counters(t.dnssec, c.dnssec);
    add_counters(t.queries, c.queries);
}

template <typename Names, typename Counts>
nlohmann::json named(const Names& names, const Counts& counts, std::size_t first) {
    nlohmann::json object = nlohmann::json::object();
    for (std::size_t i = first; i < counts.size(); ++i) {
        if (counts[i] != 0) object[std::string(names[i])] = counts[i];
    }
    return object;
}

nlohmann::json capture_json(const CaptureCounters& c) {
    return {{"received", c.received},     {"kernel_seen", c.kernel_seen},
            {"kernel_dropped", c.kernel_dropped}, {"if_dropped", c.if_dropped},
            {"nic_missed", c.nic_missed}, {"nic_errors", c.nic_errors},         {"no_mbuf", c.no_mbuf},
            {"ring_dropped", c.ring_dropped},
            {"dnstap",
             {{"frames", c.dnstap_frames},
              {"bad_frames", c.dnstap_bad_frames},
              {"dropped_frames", c.dnstap_dropped_frames},
              {"writers", c.dnstap_writers},
              {"writers_dropped", c.dnstap_writers_dropped},
              {"writers_refused", c.dnstap_writers_refused}}}};
}

}  // namespace

PipelineTotals Pipeline::totals() const {
    PipelineTotals t;
    if (reader_) add_counters(t.capture, reader_->counters());
    std::uint64_t first_ns = 0;
    std::uint64_t last_ns = 0;
    for (const auto& worker : workers_) {
        const WorkerCounters c = worker->counters();
        if (c.first_packet_ns != 0 && (first_ns == 0 || c.first_packet_ns < first_ns)) first_ns = c.first_packet_ns;
        if (c.last_packet_ns > last_ns) last_ns = c.last_packet_ns;
        add_counters(t.capture, c.capture);
        add_counters(t.packet, c.packet);
        add_counters(t.decode, worker->decode_counters());
        add_counters(t.router, c.router);
        add_detection(t, c.detection);
        t.alerts += c.alerts;
        t.alert_ring_drops += c.alert_ring_drops;
    }
    for (const auto& shard : shards_) {
        const ShardCounters c = shard->counters();
        t.shard_messages += c.messages;
        t.shard_decode_mismatch += c.decode_mismatch;
        t.alerts += c.alerts;
        t.alert_ring_drops += c.alert_ring_drops;
        add_detection(t, shard->detection_counters());
    }
    t.publisher = publisher_.counters();
    t.active_seconds = last_ns > first_ns ? static_cast<double>(last_ns - first_ns) / 1e9 : 0.0;
    return t;
}

std::string Pipeline::stats_json() const {
    const PipelineTotals t = totals();
    const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    nlohmann::json workers = nlohmann::json::array();
    for (const auto& worker : workers_) {
        const WorkerCounters c = worker->counters();
        workers.push_back({{"capture", capture_json(c.capture)},
                           {"packets", c.packet.packets},
                           {"watched_responses", c.packet.watched_responses},
                           {"message_ring_drops", c.router.message_ring_drops}});
    }
    nlohmann::json shards = nlohmann::json::array();
    for (const auto& shard : shards_) {
        const ShardCounters c = shard->counters();
        shards.push_back({{"messages", c.messages}, {"alerts", c.alerts}, {"alert_ring_drops", c.alert_ring_drops}});
    }
    const nlohmann::json stats = {
        {"schema", "dnswatch.stats/1"},
        {"sensor", options_.sensor_id},
        {"time", format_rfc3339_us(now_us)},
        {"uptime_s", static_cast<double>(now_us - started_us_) / 1e6},
        {"capture", capture_json(t.capture)},
        {"decode",
         {{"packets", t.packet.packets},
          {"dns_messages", t.packet.dns_messages},
          {"queries", t.packet.queries},
          {"responses", t.packet.responses},
          {"malformed", t.decode.malformed_total()},
          {"malformed_by_kind", named(kMalformedKindNames, t.decode.malformed, 1)},
          {"skipped", named(kSkipKindNames, t.decode.skipped, 0)},
          {"held", named(kHeldKindNames, t.decode.held, 0)},
          {"reassembly", named(kReassemblyEventNames, t.decode.events, 0)},
          {"decapsulated", named(kTunnelKindNames, t.decode.decapsulated, 0)}}},
        {"watch", {{"watched_responses", t.packet.watched_responses}, {"watched_malformed", t.packet.watched_malformed}}},
        {"detect",
         {{"observations", t.detector.observations},
          {"divergent_observations", t.detector.divergent_observations},
          {"not_judged", t.detector.not_judged},
          {"bad_rdata", t.detector.bad_rdata},
          {"alerts_opened", t.detector.alerts_opened},
          {"alerts_updated", t.detector.alerts_updated},
          {"alerts_reverted", t.detector.alerts_reverted},
          {"alerts_accepted", t.detector.alerts_accepted},
          {"alerts_evicted", t.detector.alerts_evicted},
          {"observed_rdata_omitted", t.detector.observed_rdata_omitted},
          {"alerts", t.alerts},
          {"dnssec",
           {{"rrsets_checked", t.dnssec.rrsets_checked},
            {"signatures", t.dnssec.signatures},
            {"verifications", t.dnssec.verifications},
            {"cache_hits", t.dnssec.cache_hits},
            {"bogus_rrsets", t.dnssec.bogus_rrsets},
            {"unverifiable", t.dnssec.unverifiable}}},
          {"queries",
           {{"tracked", t.queries.queries},
            {"matched", t.queries.matched},
            {"unsolicited", t.queries.unsolicited},
            {"unknown", t.queries.unknown},
            {"evicted", t.queries.evicted},
            {"bursts", t.queries.bursts}}}}},
        {"rings",
         {{"packet_drops", t.capture.ring_dropped},
          {"message_drops", t.router.message_ring_drops},
          {"evidence_frames_omitted", t.router.carriers_omitted},
          {"alert_drops", t.alert_ring_drops}}},
        {"publish",
         {{"alerts", t.publisher.alerts},
          {"published", t.publisher.published},
          {"errors", t.publisher.errors},
          {"zmq_sent", t.publisher.zmq_sent},
          {"zmq_dropped", t.publisher.zmq_dropped}}},
        {"pipeline", {{"inline", inline_}, {"workers", workers}, {"shards", shards}}},
    };
    return stats.dump();
}

}  // namespace dnswatch
