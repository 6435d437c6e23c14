// The detection half of the sharded pipeline: one thread, one Detector, the
// watched zones ZoneShards gave it. It reads the messages every worker
// routed to it (one SPSC ring per worker), and hands alerts to the
// publisher through a ring of its own.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "decode/dns_message.h"
#include "baseline/baseline.h"
#include "detect/detector.h"
#include "detect/evidence_recorder.h"
#include "baseline/shared_baseline.h"
#include "baseline/watch_set.h"
#include "pipeline/alert_queue.h"
#include "pipeline/byte_ring.h"
#include "pipeline/counter_block.h"

namespace dnswatch {

struct ShardCounters {
    std::uint64_t messages = 0;          // responses judged by this shard's detector
    std::uint64_t queries = 0;           // queries remembered, to match their responses
    std::uint64_t decode_mismatch = 0;   // a routed message the shard could not decode (a bug if not 0)
    std::uint64_t alerts = 0;            // alert records handed to the publisher ring
    std::uint64_t alert_ring_drops = 0;  // alert records lost to a full ring
};

// One input of a shard: a worker's ring and that worker's watermark (every
// message with key <= it is in the ring; kKeyInfinity: the worker is done).
struct ShardInput {
    ByteRing* ring = nullptr;
    const std::atomic<std::uint64_t>* watermark = nullptr;
};

class Shard {
public:
    // `frontier`: this shard's own watermark towards the publisher.
    // `ordered`: merge the inputs in key order (replays); otherwise take
    // whatever is there, round-robin (live capture).
    Shard(const WatchSet& local_watch, const Baseline& baseline, std::string sensor_id,
          const std::vector<std::string>& sources, AlertRing& alerts, std::vector<ShardInput> inputs,
          std::atomic<std::uint64_t>& frontier, bool ordered, bool lossless, const std::atomic<bool>& abort);

    // Setup, before run(): where alert-opening packets go; how many alerts
    // stay open; whether the open alerts go to the publisher when they change
    // (to be saved for a restart); the open alerts of an earlier run.
    void set_evidence_recorder(EvidenceRecorder* recorder) { detector_.set_evidence_recorder(recorder); }
    void set_max_open_alerts(std::size_t max) { detector_.set_max_open_alerts(max); }
    // Whether the learned RRsets go to the publisher when they change.
    void keep_learned(bool keep) { keep_learned_ = keep; }
    void import_open_alerts(std::vector<OpenAlertState> alerts) { detector_.import_open_alerts(std::move(alerts)); }
    // For the rest of the detector's setup (PipelineOptions::setup_detector).
    Detector& detector() { return detector_; }
    // Take each new snapshot between messages: the baseline, and part
    // `shard` of its watch list.
    void follow_baseline(const SharedBaseline& shared, std::size_t shard) {
        baseline_ = std::make_unique<BaselineFollower>(shared, shard);
        detector_.follow(*baseline_);
    }

    // The thread body: runs until every worker is done and every ring drained.
    void run();

    // Judges one routed message (public for tests).
    void consume(std::span<const std::uint8_t> record);

    // From any thread.
    ShardCounters counters() const { return published_counters_.read(); }
    DetectionCounters detection_counters() const { return published_detection_.read(); }

private:
    void run_ordered();
    void run_unordered();
    void release_all();
    void publish_counters();

    const std::vector<std::string>& sources_;
    RingAlertSink sink_;  // before detector_, which keeps a reference to it
    Detector detector_;
    DnsDecoder decoder_;
    std::unique_ptr<BaselineFollower> baseline_;  // with a changing baseline
    std::vector<ShardInput> inputs_;
    std::vector<std::uint32_t> unreleased_;  // records read from each ring since its last release
    std::atomic<std::uint64_t>& frontier_;
    bool ordered_;
    bool keep_learned_ = false;
    ShardCounters counters_;
    CounterBlock<ShardCounters> published_counters_;
    CounterBlock<DetectionCounters> published_detection_;
};

}  // namespace dnswatch
