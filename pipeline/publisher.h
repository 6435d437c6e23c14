// The publisher thread: the one place alerts leave the sensor. It takes
// alert records from the detectors' rings and hands them, one at a time and
// in order, to the alert path the CLI built (cli/sensor_outputs.h: numbered,
// stored and logged before JSON lines and ZeroMQ see them), flushing that
// path after each batch it takes (one group commit of the store and the log
// per batch), and every stats interval
// publishes a `stats.` message on the same ZeroMQ PUB socket (a socket is
// only ever used from one thread: this one).
//
// Everything slow or fallible (fsync, sockets) happens here, behind rings,
// so the packet path never waits for it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "detect/alert_sink.h"
#include "detect/detector.h"
#include "pipeline/alert_queue.h"
#include "pipeline/change_queue.h"
#include "pipeline/counter_block.h"
#include "publish/zmq_publisher.h"

namespace dnswatch {

struct PublisherOptions {
    std::chrono::milliseconds stats_interval{10000};  // 0 = no stats messages
    std::chrono::milliseconds heartbeat_interval{1000};  // 0 = no heartbeat messages (ZmqPublisher::send_heartbeat)
    std::string sensor_id;          // named in the heartbeat
    std::string learned_path;       // where learned RRsets are saved; "" = not saved
    // Where else each stats message goes (NATS); the ZeroMQ socket has it
    // on topic `stats.` in any case.
    std::function<void(const std::string&)> stats_elsewhere;
};

// One source of alerts: a ring and its producer's watermark (kKeyInfinity
// once the producer is done).
struct AlertInput {
    AlertRing* ring = nullptr;
    const std::atomic<std::uint64_t>* watermark = nullptr;
};

struct PublisherCounters {
    std::uint64_t alerts = 0;          // records taken from the rings
    std::uint64_t published = 0;       // records the alert path took without an error
    std::uint64_t errors = 0;          // records or saves the alert path threw on (the store holds, rather than throws)
    std::uint64_t zmq_sent = 0;
    std::uint64_t zmq_dropped = 0;     // at the PUB socket's high-water mark
    std::uint64_t stats_messages = 0;
    std::uint64_t changes = 0;         // change records of the baseline taken from the change queue
};

class Publisher {
public:
    // `sink`: the alert path; `stats` (may be null): where `stats.` goes.
    Publisher(AlertSink& sink, ZmqPublisher* stats, PublisherOptions options);

    // The thread body: runs until every input's producer is done and its ring
    // is drained, then flushes. `stats_payload` builds a stats message (JSON).
    // `ordered`: merge the inputs in key order (replays).
    void run(std::vector<AlertInput> inputs, std::function<std::string()> stats_payload, bool ordered);

    // Where the baseline's changes wait for this thread (SharedBaseline's
    // change listener pushes here).
    ChangeQueue& changes() { return changes_; }

    PublisherCounters counters() const { return published_.read(); }
    // The first error the alert path reported; read after run().
    const std::string& first_error() const { return first_error_; }

private:
    void take(std::size_t input, KeyedAlert& item);
    // Publishes the queued changes; true when there were some.
    bool take_changes();
    void publish_change(BaselineChange& change);
    void flush_batch();
    // Records taken from one ring (or, in order, from all) per pass: one
    // group commit each.
    static constexpr std::size_t kBatch = 1024;
    void save_learned_now();
    void send_stats(const std::function<std::string()>& stats_payload);
    void publish_counters();

    AlertSink& sink_;
    ZmqPublisher* stats_;
    PublisherOptions options_;
    std::uint64_t next_seq_ = 1;
    // The latest learned RRsets of each input.
    std::vector<std::vector<LearnedRRsetState>> learned_;
    PublisherCounters counters_;
    CounterBlock<PublisherCounters> published_;
    std::string first_error_;
    ChangeQueue changes_;
};

}  // namespace dnswatch
