// `dnswatch tail`: prints alerts (or, with --changes, the baseline's change
// records) from a running sensor, catching up from the
// durable store first, then following the live PUB stream; duplicates are
// dropped by seq, and a gap in the live stream is filled from the store.
// With --nats, from a JetStream stream (publish.nats) through a durable
// consumer instead.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "cli/cli.h"
#include "cli/commands.h"
#include "log/log.h"
#include "publish/catch_up.h"
#include "publish/nats_forwarder.h"

namespace dnswatch {
namespace {

class Printer {
public:
    Printer(std::FILE* out, std::optional<std::uint64_t> count) : out_(out), remaining_(count) {}

    // Prints a record unless it was printed already; false once done.
    bool print(std::uint64_t seq, const std::string& json) {
        if (seq <= last_) return true;
        std::fprintf(out_, "%s\n", json.c_str());
        std::fflush(out_);
        last_ = seq;
        if (remaining_ && --*remaining_ == 0) return false;
        return true;
    }
    std::uint64_t last() const { return last_; }
    void skip_to(std::uint64_t seq) { last_ = std::max(last_, seq); }
    bool done() const { return remaining_ && *remaining_ == 0; }

private:
    std::FILE* out_;
    std::optional<std::uint64_t> remaining_;
    std::uint64_t last_ = 0;
};

// Watches `socket`'s connection (zmq_socket_monitor) until its first
// handshake succeeds: "" then, else, after `seconds`, why not in words a
// user can act on. A SUB socket otherwise waits in silence for ever, whatever
// is wrong: nothing listening, a server key that is not the sensor's, a
// client key the sensor does not admit.
class HandshakeWatch {
public:
    HandshakeWatch(zmq::context_t& context, zmq::socket_t& socket)
        : events_(context, zmq::socket_type::pair) {
        static std::atomic<int> next{0};
        const std::string address = "inproc://tail-monitor-" + std::to_string(next++);
        if (zmq_socket_monitor(socket.handle(), address.c_str(), ZMQ_EVENT_ALL) != 0) throw zmq::error_t();
        events_.connect(address);
    }

    std::string wait(const std::string& endpoint, double seconds) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        std::string reason = "nothing answered at " + endpoint + " (no sensor or relay listening there?)";
        while (std::chrono::steady_clock::now() < deadline) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            zmq::pollitem_t item{events_.handle(), 0, ZMQ_POLLIN, 0};
            if (zmq::poll(&item, 1, std::max(left, std::chrono::milliseconds(1))) == 0) break;
            zmq::message_t head, address;
            if (!events_.recv(head) || !events_.get(zmq::sockopt::rcvmore) || !events_.recv(address)) continue;
            if (head.size() < 6) continue;
            std::uint16_t event = 0;
            std::uint32_t value = 0;
            std::memcpy(&event, head.data(), 2);
            std::memcpy(&value, static_cast<const char*>(head.data()) + 2, 4);
            switch (event) {
                case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: return {};
                case ZMQ_EVENT_CONNECT_RETRIED:
                case ZMQ_EVENT_CLOSED:
                    break;  // keep the reason we have: a refused connection, or a handshake that failed
                case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
                    reason = "the sensor at " + endpoint + " refused this consumer's key (ZAP status " +
                             std::to_string(value) + "): is its public key in publish.zmq.client_keys?";
                    break;
                case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
                case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
                    reason = "the handshake with " + endpoint +
                             " failed: a CURVE server key (--server-key) that is not the sensor's, or CURVE on "
                             "one side only";
                    break;
                default: break;
            }
        }
        return reason;
    }

private:
    zmq::socket_t events_;
};

// --nats: a durable JetStream consumer instead of the PUB stream; each
// message is acknowledged once printed, so a restarted tail goes on where it
// left off.
int tail_nats_command(const TailOptions& options, const CliStreams& streams) {
    log::Logger logger(streams.err);
    NatsForwarderOptions nats;
    const std::string& urls = *options.nats;
    for (std::size_t begin = 0; begin <= urls.size();) {
        const std::size_t comma = std::min(urls.find(',', begin), urls.size());
        if (comma > begin) nats.servers.push_back(urls.substr(begin, comma - begin));
        begin = comma + 1;
    }
    nats.stream = options.stream;
    nats.creds_file = options.creds;
    nats.ca_file = options.ca;
    if (!options.durable || nats.servers.empty()) {
        logger.error("usage", {{"msg", "--nats needs at least one server URL and --durable NAME"}});
        return kExitUsage;
    }
    std::atomic<bool> stop{false};
    std::uint64_t printed = 0;
    try {
        tail_nats(nats, *options.durable, options.subject, options.idle_exit_ms, stop, [&](std::string_view record) {
            std::fprintf(streams.out, "%.*s\n", static_cast<int>(record.size()), record.data());
            std::fflush(streams.out);
            if (options.count && ++printed >= *options.count) stop = true;
        });
    } catch (const std::exception& e) {
        logger.error("tail_nats_failed", {{"servers", urls}, {"error", e.what()}});
        return kExitIoError;
    }
    return kExitOk;
}

}  // namespace

int tail_command(const TailOptions& options, const CliStreams& streams) {
    if (options.nats) return tail_nats_command(options, streams);
    log::Logger logger(streams.err);
    if (options.endpoint.empty()) {
        logger.error("usage", {{"msg", "--endpoint URL (or --nats URLS --durable NAME) is required"}});
        return kExitUsage;
    }
    const std::optional<std::string> endpoint = options.endpoint;
    const std::optional<std::uint64_t> since = options.since, count = options.count;
    const auto catchup = options.catchup ? options.catchup : default_catchup_endpoint(options.endpoint);
    if (since && !catchup) {
        logger.error("usage", {{"msg", "--since needs --catchup URL when the endpoint is not tcp://HOST:PORT"}});
        return kExitUsage;
    }
    const std::string topic = options.topic.value_or(options.changes ? "change." : "alert.");
    if (options.changes && topic.rfind("change.", 0) != 0) {
        logger.error("usage", {{"msg", "with --changes, --topic starts with change."}});
        return kExitUsage;
    }
    if (options.key.has_value() != options.server_key.has_value()) {
        logger.error("usage", {{"msg", "--key and --server-key go together"}});
        return kExitUsage;
    }

    zmq::context_t context;
    zmq::socket_t live(context, zmq::socket_type::sub);
    live.set(zmq::sockopt::linger, 0);
    live.set(zmq::sockopt::subscribe, topic);
    std::optional<CurveClient> curve;
    std::optional<HandshakeWatch> watch;
    try {
        if (options.key) {
            curve = CurveClient{CurveKeyPair::load(*options.key), CurveKeyPair::load(*options.server_key).public_key};
            make_curve_client(live, curve->own, curve->server_public_key);
        }
        watch.emplace(context, live);
        live.connect(*endpoint);
    } catch (const std::exception& e) {
        logger.error("tail_connect_failed", {{"endpoint", *endpoint}, {"error", e.what()}});
        return kExitUsage;
    }
    // A sign of life within --timeout, or the reason there is none.
    if (const std::string reason = watch->wait(*endpoint, options.silence_s); !reason.empty()) {
        logger.error("tail_no_connection", {{"endpoint", *endpoint}, {"timeout_s", options.silence_s}, {"reason", reason}});
        return kExitIoError;
    }

    Printer printer(streams.out, count);
    // Subscribed before catching up: whatever is published meanwhile is
    // either in the store's answer or arrives live (and duplicates drop).
    auto fill = [&](std::uint64_t after) {
        const std::uint64_t last = catch_up(
            context, *catchup, after, topic,
            [&](std::uint64_t seq, const std::string& json) {
                if (!printer.done()) printer.print(seq, json);
            },
            5000, curve);
        printer.skip_to(printer.done() ? printer.last() : last);
    };
    try {
        if (since) {
            printer.skip_to(*since);
            fill(*since);
        }
        while (!printer.done()) {
            zmq::message_t topic_frame, payload;
            if (!live.recv(topic_frame) || !live.get(zmq::sockopt::rcvmore) || !live.recv(payload)) continue;
            const auto record = nlohmann::json::parse(payload.to_string_view(), nullptr, false);
            if (!record.is_object() || !record.contains("seq") || !record["seq"].is_number_unsigned()) continue;
            const auto seq = record["seq"].get<std::uint64_t>();
            // A gap in the live stream (a slow subscription, a drop at the
            // high-water mark): fill it from the store before going on.
            if (since && seq > printer.last() + 1) fill(printer.last());
            printer.print(seq, payload.to_string());
        }
    } catch (const std::exception& e) {
        logger.error("tail_failed", {{"endpoint", *endpoint}, {"error", e.what()}});
        return kExitIoError;
    }
    return kExitOk;
}

}  // namespace dnswatch
