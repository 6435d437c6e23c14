// The public feed (publish.zmq.public_endpoint): the same alert and change
// stream as the vetted endpoint, for subscribers a registry has not vetted,
// except that creates and deletes of domains are held back for a delay
// (publish.delay_creates_deletes, default 24 h) so that the feed is no list
// of fresh domains for spammers (issue 14; the DNS Transparency effort's
// registries asked for this before they would send data).
//
// Like the NATS forwarder, it follows the durable store from a thread of its
// own: what it is handed is already stored, and its progress is two seqs in
// DIR/public.cursor, so that a held record is released after a restart just
// as without one:
//   released  every record up to it is done (sent, or never to be sent);
//   scanned   every record up to it was looked at: those not held were sent.
// Held records are released in seq order once their `time` + delay has
// passed; records after a held one that are not held go out at once. An
// alert about held changes (its `changes` cite them) is held with them.
// The socket is its own (own context, own ZAP handler and client key list),
// so that the vetted endpoint's keys admit nobody here and vice versa.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include "detect/alert_sink.h"
#include "publish/store_index.h"
#include "publish/zmq_publisher.h"

namespace dnswatch {

class ZapAuthenticator;
namespace log {
class Logger;
}

struct PublicFeedOptions {
    ZmqPublisherOptions zmq;              // its endpoint and CURVE server keys (none: loopback only)
    std::set<std::string> client_keys;    // admitted subscribers' public keys (Z85), with CURVE
    std::int64_t delay_ms = 24LL * 3600 * 1000;  // creates and deletes held this long after their time
    // The clock releases are judged by (microseconds since the epoch);
    // tests may stretch it. Default: the system clock.
    std::function<std::int64_t()> now_us;
    log::Logger* log = nullptr;           // where its ZAP handler's denials go; may be null
};

class PublicFeed : public AlertSink {
public:
    // `store_path`: the alert store; `cursor_path`: DIR/public.cursor.
    // Binds the socket (throws std::runtime_error naming the endpoint when
    // it cannot) and starts the thread.
    PublicFeed(PublicFeedOptions options, std::string store_path, std::string cursor_path);
    ~PublicFeed() override;
    PublicFeed(const PublicFeed&) = delete;
    PublicFeed& operator=(const PublicFeed&) = delete;

    void publish(const Alert& alert) override { notify(alert.seq); }
    void publish_change(const BaselineChange& change) override { notify(change.seq); }
    // Records up to `seq` are in the store.
    void notify(std::uint64_t seq);

    std::string endpoint() const { return endpoint_; }
    std::uint64_t sent() const { return sent_.load(); }          // records sent on the public socket
    std::uint64_t held() const { return held_now_.load(); }      // held back now
    std::uint64_t released_late() const { return released_late_.load(); }  // held ones sent after the delay
    std::uint64_t dropped() const;                               // at a subscriber's high-water mark
    std::uint64_t zap_admitted() const;
    std::uint64_t zap_denied() const;
    std::uint64_t errors() const { return errors_.load(); }  // passes that could not read the store
    std::string last_error() const;

private:
    struct Held {
        std::uint64_t seq = 0;
        std::int64_t release_at_us = 0;
    };
    void run();
    // Reads the store after `scanned_`: sends what is not held, queues the rest.
    void scan();
    void release_due(std::int64_t now_us);
    void send_record(std::string_view line);
    void save_cursor();
    std::int64_t now_us() const;

    PublicFeedOptions options_;
    std::string store_path_;
    StoreIndex index_{store_path_};  // the follower thread's own: it reads from where it stopped
    std::string cursor_path_;
    std::unique_ptr<zmq::context_t> context_;       // before the authenticator and the socket: outlives both
    std::unique_ptr<ZapAuthenticator> zap_;
    std::unique_ptr<ZmqPublisher> socket_;
    std::string endpoint_;

    std::uint64_t released_ = 0;   // see the header comment; the thread's own
    std::uint64_t scanned_ = 0;
    std::uint64_t saved_released_ = 0, saved_scanned_ = 0;
    std::uint64_t restart_scanned_ = 0;  // records up to it not held were sent before a restart
    std::deque<Held> held_;
    std::set<std::uint64_t> held_changes_;  // seqs of held change records, for the alerts that cite them

    std::atomic<std::uint64_t> stored_{0};
    std::atomic<std::uint64_t> sent_{0};
    std::atomic<std::uint64_t> held_now_{0};
    std::atomic<std::uint64_t> released_late_{0};
    std::atomic<std::uint64_t> errors_{0};
    std::string last_error_;  // guarded by mutex_
    std::atomic<bool> stop_{false};
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::thread thread_;
};

}  // namespace dnswatch
