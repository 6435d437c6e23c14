// One pipeline worker: a thread that owns its share of the capture (a
// PacketInput) and its own decoder state, and processes bursts to
// completion. Two shapes:
//  - inline (one worker, one shard): a PacketProcessor, exactly the code
//    path of `dnswatch replay`, its detector feeding the publisher's ring;
//  - sharded: a MessageRouter, feeding the shards' rings.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "capture/packet_input.h"
#include "detect/packet_processor.h"
#include "baseline/shared_baseline.h"
#include "pipeline/alert_queue.h"
#include "pipeline/counter_block.h"
#include "pipeline/file_replay.h"
#include "pipeline/message_router.h"

namespace dnswatch {

// Everything a worker counts, as one block of 64-bit counters.
struct WorkerCounters {
    CaptureCounters capture;
    PacketCounters packet;
    RouterCounters router;
    DetectionCounters detection;  // inline workers only
    std::uint64_t alerts = 0;            // inline: alert records handed to the publisher ring
    std::uint64_t alert_ring_drops = 0;  // inline: lost to a full ring
    // Steady-clock ns when the first burst was asked for and the last one
    // delivered: the packet rate over the time packets actually flowed.
    std::uint64_t first_packet_ns = 0;
    std::uint64_t last_packet_ns = 0;
};

class Worker {
public:
    // Sharded. `ordered_input`, when not null, is `input` itself: a replay
    // ring whose idle watermark moves ours forward.
    // `watermark`: every message (sharded) or alert (inline) with key <= it
    // is out; kKeyInfinity once the worker is done. The router waits with it.
    Worker(std::unique_ptr<PacketInput> input, std::unique_ptr<MessageRouter> router, RingInput* ordered_input,
           std::atomic<std::uint64_t>& watermark);
    // Inline.
    Worker(std::unique_ptr<PacketInput> input, const WatchSet& watch, const Baseline& baseline,
           std::string sensor_id, const TransportOptions& transport, const std::vector<std::string>& sources,
           AlertRing& alerts, bool lossless, const std::atomic<bool>& abort, std::atomic<std::uint64_t>& watermark);
    ~Worker();

    // Inline workers: the detector, for setup before run() (evidence, bounds,
    // open alerts of an earlier run); and whether its open alerts go to the
    // publisher whenever they change.
    Detector* detector() { return processor_ ? &processor_->detector() : nullptr; }
    // Inline workers: whether the learned RRsets go to the publisher when they change.
    void keep_learned(bool keep) { keep_learned_ = keep; }
    // Inline workers: take each new baseline snapshot between bursts.
    void follow_baseline(const SharedBaseline& shared);
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // The thread body. Live inputs end at `stop`; a replay ring is drained
    // to its end (its reader stops at `stop`), so that nothing already read
    // is lost.
    void run(const std::atomic<bool>& stop);

    // From any thread.
    WorkerCounters counters() const { return published_.read(); }
    DecodeCounters decode_counters() const { return published_decode_.read(); }

private:
    class InlineSink;
    void publish_counters();

    std::unique_ptr<PacketInput> input_;
    std::unique_ptr<MessageRouter> router_;
    RingInput* ordered_input_ = nullptr;
    std::unique_ptr<RingAlertSink> alert_sink_;
    std::unique_ptr<PacketProcessor> processor_;
    std::unique_ptr<InlineSink> inline_sink_;
    std::unique_ptr<BaselineFollower> baseline_;  // inline, with a changing baseline
    std::atomic<std::uint64_t>& watermark_;
    bool keep_learned_ = false;
    std::uint64_t first_packet_ns_ = 0;
    std::uint64_t last_packet_ns_ = 0;
    CounterBlock<WorkerCounters> published_;
    CounterBlock<DecodeCounters> published_decode_;
};

}  // namespace dnswatch
