// Alerts over a ZeroMQ PUB socket: two frames, topic (alert_topic(name)) and
// the JSON line (DESIGN.md, "Contracts"). publish() never blocks; an alert
// that cannot be queued is counted in dropped().
//
// Each subscriber has a queue of its own (send_hwm messages): one that
// stops reading loses what overflows its own queue and nobody else's. It
// learns of the loss from the seq numbers — a gap in the live stream, or a
// heartbeat (topic "heartbeat.", schema dnswatch.heartbeat/1) whose
// last_seq is past what it has — and fills it from the catch-up endpoint.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <zmq.hpp>

#include "detect/alert_sink.h"
#include "publish/zmq_security.h"

namespace dnswatch {

inline constexpr const char* kHeartbeatTopic = "heartbeat.";
// The largest message (frame) a socket that receives records takes
// (ZMQ_MAXMSGSIZE): an alert is a few KB (detect.max_observed_rdata bounds
// its lists), a change record or a feed line likewise. A peer that sends
// more is disconnected before the frame is buffered.
inline constexpr std::int64_t kMaxRecordBytes = 1 << 20;
inline constexpr const char* kHeartbeatSchema = "dnswatch.heartbeat/1";

// publish/ does not depend on config/; cli maps ZmqPublishConfig onto this.
struct ZmqPublisherOptions {
    std::string endpoint;   // tcp://HOST:PORT (PORT may be * for an OS-chosen one), ipc://, inproc://
    int linger_ms = 2000;   // how long closing the socket waits for queued messages
    int send_hwm = 100000;  // messages queued per subscriber before that subscriber's are dropped
    // CURVE server keys; without them the socket is plaintext (which the
    // config allows only on loopback). Subscribers are then admitted by the
    // context's ZapAuthenticator.
    std::optional<CurveKeyPair> curve = std::nullopt;
};

class ZmqPublisher : public AlertSink {
public:
    // Uses a context of its own. Throws std::runtime_error naming the endpoint
    // and zmq's error if the socket cannot be set up or bound.
    explicit ZmqPublisher(const ZmqPublisherOptions& options);
    // Uses the caller's context (needed for inproc:// subscribers); `context`
    // must outlive the publisher.
    ZmqPublisher(zmq::context_t& context, const ZmqPublisherOptions& options);

    ZmqPublisher(const ZmqPublisher&) = delete;
    ZmqPublisher& operator=(const ZmqPublisher&) = delete;

    // The bound endpoint as zmq reports it (ZMQ_LAST_ENDPOINT), with the
    // actual port when the options asked for "*".
    std::string endpoint() const;

    void publish(const Alert& alert) override;
    // On topic change.<reversed labels>.
    void publish_change(const BaselineChange& change) override;
    // On topic incident.<the zone's labels reversed>.
    void publish_incident(const Incident& incident) override;

    // Sends one two-frame message (topic, payload) without blocking, for the
    // other topics ("change.", "stats."). Returns false if it was dropped.
    bool send(std::string_view topic, std::string_view payload);

    // On topic "heartbeat.": {"schema":"dnswatch.heartbeat/1","sensor":...,
    // "last_seq":N}, N the last seq published here (0: none yet), so that a
    // subscriber whose queue overflowed learns it even when nothing more is
    // published. From the publishing thread, like every send.
    bool send_heartbeat(std::string_view sensor);
    std::uint64_t last_seq() const { return last_seq_; }

    std::uint64_t sent() const { return sent_.load(std::memory_order_relaxed); }
    // Messages the socket refused (EINTR, ETERM: rare). A subscriber whose
    // own queue is full loses messages without the socket saying so: that
    // subscriber sees the gap in the seq numbers.
    std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

private:
    std::unique_ptr<zmq::context_t> own_context_;  // declared before socket_: outlives it
    zmq::socket_t socket_;
    std::string endpoint_;
    std::uint64_t last_seq_ = 0;  // of the records published, for the heartbeat
    // Written by the publishing thread only; atomics so a stats thread may read them.
    std::atomic<std::uint64_t> sent_{0};
    std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace dnswatch
