// Alerts, changes and stats to NATS JetStream, for fleets of sensors: one replicated, durable
// stream that many consumers read at their own pace (docs/deploy-soc.md).
//
// The durable alert store is the queue. A thread of its own reads the
// store's records in seq order from the last one JetStream acknowledged,
// publishes each on its ZeroMQ topic without the trailing dot under the
// prefix (`<prefix>.alert.<reversed labels>`, `<prefix>.change.<...>`) with
// the message id `<sensor>-<seq>`, waits for
// the stream's acknowledgement, and only then writes the seq down as
// delivered (DIR/nats.delivered). So a record is never lost (it is on disk
// before anything is sent, and stays pending until acknowledged), the order
// per sensor is the store's, and a re-send after a crash or a reconnect is
// dropped by JetStream's duplicate window. While the cluster is away,
// records wait in the store, counted (pending()), and go out in order when
// it is back. The packet path never waits for any of this: notify() only
// wakes the thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "detect/alert_sink.h"
#include "publish/store_index.h"

namespace dnswatch {

// publish/ does not depend on config/; cli maps NatsPublishConfig onto this.
struct NatsForwarderOptions {
    std::vector<std::string> servers;  // nats://HOST:PORT, tls://HOST:PORT
    std::string stream = "DNSWATCH";   // made when missing, over <prefix>.>
    std::string subject_prefix = "dnswatch";
    int replicas = 1;                  // of a stream this forwarder makes
    std::string creds_file;            // a .creds file (JWT + nkey seed); empty: none
    std::string nkey;                  // a user nkey (public, U...) ...
    std::string nkey_seed_file;        // ... and the file of its seed; empty: none
    bool tls = false;                  // require TLS
    std::string ca_file;               // CA for the servers' certificates; empty: the system's
    std::string cert_file, key_file;   // a client certificate; empty: none
    std::int64_t ack_timeout_ms = 5000;
    std::int64_t retry_ms = 500;       // between attempts while the cluster is away
};

// An AlertSink after the durable store (DurableAlertSink): each record it
// is handed is already stored; publish() only wakes the forwarder.
class NatsForwarder : public AlertSink {
public:
    // `store_path`: the alert store file; `delivered_path`: where the last
    // acknowledged seq is kept. Starts the thread; never throws for an
    // unreachable cluster (it keeps trying), only for bad options.
    NatsForwarder(NatsForwarderOptions options, std::string sensor_id, std::string store_path,
                  std::string delivered_path);
    // Stops; what is not acknowledged yet goes at the next start.
    ~NatsForwarder() override;
    NatsForwarder(const NatsForwarder&) = delete;
    NatsForwarder& operator=(const NatsForwarder&) = delete;

    // Records up to `seq` are in the store.
    void notify(std::uint64_t seq);
    void publish(const Alert& alert) override { notify(alert.seq); }
    void publish_change(const BaselineChange& change) override { notify(change.seq); }
    void publish_incident(const Incident& incident) override { notify(incident.seq); }
    // Waits (bounded) until every stored record is acknowledged; true if so.
    bool drain(std::int64_t timeout_ms);

    std::uint64_t delivered() const { return delivered_.load(); }
    std::uint64_t pending() const {
        const std::uint64_t stored = stored_.load(), done = delivered_.load();
        return stored > done ? stored - done : 0;
    }
    std::uint64_t published() const { return published_.load(); }  // acknowledged by the stream
    std::uint64_t duplicates() const { return duplicates_.load(); }  // acknowledged as already there
    std::uint64_t failures() const { return failures_.load(); }      // attempts that got no ack
    // Records the retention pruned from the store before the stream had them.
    std::uint64_t expired() const { return expired_.load(); }
    std::uint64_t stats_sent() const { return stats_sent_.load(); }
    bool connected() const { return connected_.load(); }

    // A stats message (JSON) for `<prefix>.stats.<sensor>`. Not stored: only
    // the latest waits to be sent (a newer one replaces it), and one the
    // stream does not acknowledge is dropped, counted in failures().
    void publish_stats(std::string payload);

    // The subject of a ZeroMQ topic: "alert.test.victim.www." under prefix
    // "dnswatch" is "dnswatch.alert.test.victim.www".
    static std::string subject_of(const std::string& prefix, std::string topic);

private:
    struct Connection;
    void run();
    bool forward_pending(Connection& connection);
    void send_stats(Connection& connection);
    void write_delivered(std::uint64_t seq);

    NatsForwarderOptions options_;
    std::string sensor_id_;
    std::string store_path_;
    StoreIndex index_{store_path_};  // the follower thread's own: it reads from where it stopped
    std::string delivered_path_;
    std::atomic<std::uint64_t> stored_{0};
    std::atomic<std::uint64_t> delivered_{0};
    std::atomic<std::uint64_t> published_{0};
    std::atomic<std::uint64_t> duplicates_{0};
    std::atomic<std::uint64_t> failures_{0};
    std::atomic<std::uint64_t> expired_{0};
    std::atomic<std::uint64_t> stats_sent_{0};
    std::string stats_;  // the latest stats message not yet sent; guarded by mutex_
    std::atomic<bool> connected_{false};
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::condition_variable wake_;
    std::thread thread_;
};

// Reads a durable JetStream consumer (dnswatch tail --nats): calls `print`
// with each message's data, in stream order, then acknowledges it. Ends
// when `stop` is set, or after `idle_exit_ms` without a message (0: never).
// Returns the number of messages; throws std::runtime_error when it cannot
// connect or bind the consumer.
std::uint64_t tail_nats(const NatsForwarderOptions& options, const std::string& durable, const std::string& subject,
                        std::int64_t idle_exit_ms, const std::atomic<bool>& stop,
                        const std::function<void(std::string_view)>& print);

}  // namespace dnswatch
