// The live sensor's threads and the rings between them.
//
//   capture            workers (N)                 shards (S)          publisher (1)
//   pcap_file -> reader -> ring per worker -+
//   pcap_live -> a handle set per worker  --+-> decode, route by zone
//   dpdk      -> RX queues per worker     --+     -> ring per (worker, shard) -> Detector
//                                                      -> ring per shard -> store, tlog, JSON lines, ZeroMQ
//
// Workers own their capture queue and their decoder state (reassembly
// included): a worker decodes every frame to DNS messages, rejects what is
// not a response about a watched zone after reading its question, and
// copies the rest to the shard(s) owning the zones it speaks about
// (ZoneShards: a zone and its watched subzones on one shard). Each shard
// thread owns one Detector, so all observations of a zone meet in one place
// and detection needs no lock. Alerts go to the publisher thread, the only
// one that does I/O. Every ring is single-producer/single-consumer; nothing
// on the packet path locks or allocates (an alert allocates, once).
//
// With one worker and one shard the worker runs the whole path itself
// (PacketProcessor, as `dnswatch replay` does) and only alerts cross a ring.
//
// The watch list and baseline come from a SharedBaseline: every worker and
// shard takes each new snapshot between bursts (a zone transfer, the feed, a
// reload that changes the zone files or the watch list itself), so the
// pipeline never stops for a change.
//
// The publisher thread also saves the open alerts the detectors send it
// when they change, so that a restart reports a revert under the same id.
//
// Replays (pcap_file) are ordered and, at speed max, lossless: every ring
// carries the frame's position in the capture, and each consumer merges its
// inputs by it (ordered_merge.h), while a full ring makes its producer wait.
// Live capture never waits: a full ring drops the packet, message or alert
// and counts it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "capture/packet_input.h"
#include "capture/pcap_window_source.h"
#include "decode/transport.h"
#include "baseline/baseline.h"
#include "detect/evidence_recorder.h"
#include "baseline/learner.h"
#include "baseline/shared_baseline.h"
#include "baseline/watch_set.h"
#include "pipeline/alert_queue.h"
#include "pipeline/byte_ring.h"
#include "pipeline/file_replay.h"
#include "pipeline/ordered_merge.h"
#include "pipeline/publisher.h"
#include "pipeline/shard.h"
#include "pipeline/worker.h"

namespace dnswatch {

struct PipelineOptions {
    std::size_t workers = 1;                 // pcap_file only; live sources bring one input per worker
    std::size_t shards = 1;
    std::size_t reader_ring_bytes = 16u << 20;  // reader -> each worker (pcap_file)
    std::size_t message_ring_bytes = 4u << 20;  // each worker -> each shard
    std::size_t alert_ring = 4096;              // alerts, each shard (or the inline worker) -> publisher
    bool ordered = false;                    // replays: restore capture order at every merge
    bool lossless = false;                   // replays at speed max: wait for room instead of dropping
    TransportOptions transport;
    std::string sensor_id;
    EvidenceRecorder* evidence = nullptr;    // where alert-opening packets go; none by default
    std::size_t max_open_alerts = 100000;    // per detector (each shard's zones are its own)
    bool keep_learned = false;               // learned RRsets to the publisher when they change, to be saved
    // Run on every detector (the inline worker's or each shard's) before
    // start(): what `replay` sets on its one detector (query tracking,
    // learning), so that both commands judge alike.
    std::function<void(Detector&)> setup_detector;
};

// What feeds the workers: capture files to replay, or one live input per worker.
struct CaptureSetup {
    std::vector<std::string> sources;  // the names alerts cite, indexed by PacketSink's `source`
    std::vector<std::unique_ptr<CaptureFile>> files;
    double speed = 0;                  // files: 0 as fast as possible, 1 recorded speed, k k times faster
    std::vector<std::unique_ptr<PacketInput>> inputs;
};

// Totals over every stage, for the summary and the stats messages.
struct PipelineTotals {
    CaptureCounters capture;
    PacketCounters packet;
    DecodeCounters decode;
    RouterCounters router;
    DetectorCounters detector;
    DnssecCounters dnssec;
    QueryTrackerCounters queries;
    std::uint64_t shard_messages = 0;
    std::uint64_t shard_decode_mismatch = 0;
    std::uint64_t alerts = 0;            // records the detectors handed on
    std::uint64_t alert_ring_drops = 0;
    PublisherCounters publisher;
    double active_seconds = 0;  // from the first burst to the last, over every worker
};

class Pipeline {
public:
    // Cuts `baseline`'s watch lists into the pipeline's shards
    // (SharedBaseline::partition), so one pipeline per SharedBaseline.
    Pipeline(SharedBaseline& baseline, PipelineOptions options, CaptureSetup capture, Publisher& publisher);
    ~Pipeline();
    Pipeline(const Pipeline&) = delete;
    Pipeline& operator=(const Pipeline&) = delete;

    // Open alerts saved by an earlier run, each to the detector that owns
    // its zone. Before start().
    void restore_open_alerts(std::vector<OpenAlertState> alerts);
    // Learning mode: RRsets learned by an earlier run, each to the detector
    // that owns its zone (before start()); and, after join(), what every
    // detector has learned, to be saved.
    void restore_learned(std::vector<LearnedRRsetState> states);
    std::vector<LearnedRRsetState> export_learned();
    void start();
    // Stop capturing (SIGINT/SIGTERM); everything captured still goes through.
    void stop() { stop_.store(true); }
    // Stop waiting for room too (a second signal): whatever cannot move is dropped, counted.
    void abort() { stop_.store(true); abort_.store(true); }
    // True once the publisher has flushed the last alert (a replay ended, or after stop()).
    bool finished() const { return publisher_done_.load(std::memory_order_acquire); }
    void join();

    bool inline_mode() const { return inline_; }
    std::size_t worker_count() const { return workers_.size(); }
    std::size_t shard_count() const { return shards_.size(); }
    PipelineTotals totals() const;
    // Observations judged by each shard (empty inline): how evenly the work spread.
    std::vector<std::uint64_t> shard_observations() const;
    // Every ring between the threads, named "reader->worker0",
    // "worker0->shard1" and so on, for the ring-depth metric.
    std::vector<std::pair<std::string, const ByteRing*>> rings() const;
    // A `stats.` payload: schema dnswatch.stats/1.
    std::string stats_json() const;

private:
    const SharedBaseline& shared_;
    std::shared_ptr<const BaselineSnapshot> initial_;  // what the threads start from; released by start()
    PipelineOptions options_;
    Publisher& publisher_;
    std::vector<std::string> sources_;
    bool inline_ = false;
    std::atomic<bool> stop_{false};
    std::atomic<bool> abort_{false};
    std::atomic<bool> publisher_done_{false};
    std::int64_t started_us_ = 0;

    std::unique_ptr<FileReader> reader_;
    std::vector<std::unique_ptr<ByteRing>> reader_rings_;    // [worker]
    std::vector<std::unique_ptr<ByteRing>> message_rings_;   // [worker * shards + shard]
    std::vector<std::unique_ptr<AlertRing>> alert_rings_;    // [shard], or [0] inline
    std::vector<std::unique_ptr<Watermark>> worker_marks_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::vector<std::unique_ptr<Watermark>> shard_frontiers_;
    std::vector<std::unique_ptr<Shard>> shards_;
    std::vector<std::thread> threads_;
};

}  // namespace dnswatch
