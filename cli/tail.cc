// `dnswatch tail`: prints alerts from a running sensor, catching up from the
// durable store first, then following the live PUB stream; duplicates are
// dropped by seq, and a gap is filled from the store: one seen in the live
// stream, or one the sensor's heartbeat reveals (its last seq is past what
// this consumer has: the messages after it were lost at the high-water
// mark, and no later one may come to show it).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "cli/cli.h"
#include "cli/options.h"
#include "log/log.h"
#include "publish/catch_up.h"
#include "publish/nats_forwarder.h"
#include "publish/zmq_publisher.h"

namespace dnswatch {
namespace {

constexpr const char* kTailUsage =
    "usage: dnswatch tail --endpoint URL [--changes] [--topic PREFIX] [--since SEQ] [--catchup URL] [--count N]\n"
    "       dnswatch tail --nats URL[,URL...] --durable NAME [--stream S] [--subject SUBJ] [--count N]\n"
    "\n"
    "Prints the alerts (or, with --changes, the changes of the baseline) of a\n"
    "running sensor, one JSON object a line.\n"
    "\n"
    "  --endpoint URL  the sensor's PUB endpoint (publish.zmq.endpoint)\n"
    "  --topic PREFIX  only alerts whose topic starts with PREFIX, e.g.\n"
    "                  alert.test.victim. for victim.test and its subdomains\n"
    "                  (default: alert.; with --changes, change.)\n"
    "  --changes       the changes of the watched zones' own data (schema\n"
    "                  dnswatch.change/1: transfers, reloads, the feed)\n"
    "                  instead of alerts\n"
    "  --since SEQ     first print every stored alert after SEQ (0: all), then\n"
    "                  follow; each alert is printed once, in order\n"
    "  --catchup URL   the sensor's catch-up endpoint (publish.zmq.catchup_endpoint;\n"
    "                  default: the endpoint's port + 1)\n"
    "  --count N       exit after printing N alerts\n"
    "                  (with --since, a gap the sensor's heartbeat reveals is\n"
    "                  filled from the store; without, it is reported)\n"
    "  --key FILE      this consumer's CURVE key pair (dnswatch keygen), when the\n"
    "                  sensor or relay uses CURVE; --server-key FILE is then its\n"
    "                  public key file\n"
    "\n"
    "From a NATS JetStream stream (publish.nats), for fleets of sensors:\n"
    "  --nats URLS     the cluster's servers, comma-separated (nats://HOST:PORT)\n"
    "  --durable NAME  the durable consumer: a restarted tail goes on where it\n"
    "                  left off; each message is acknowledged once printed\n"
    "  --stream S      the stream (default: DNSWATCH)\n"
    "  --subject SUBJ  a filter, e.g. dnswatch.alert.test.victim.> (default: all)\n"
    "  --creds FILE    NATS credentials; --ca FILE: CA for TLS\n"
    "  --idle-exit MS  exit after MS without a message\n";

// tcp://host:port -> tcp://host:port+1, the default catch-up endpoint.
std::optional<std::string> next_port(const std::string& endpoint) {
    const auto colon = endpoint.rfind(':');
    if (endpoint.rfind("tcp://", 0) != 0 || colon == std::string::npos) return std::nullopt;
    try {
        return endpoint.substr(0, colon + 1) + std::to_string(std::stoi(endpoint.substr(colon + 1)) + 1);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

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

}  // namespace

static int tail_nats_command(const ParsedOptions& options, const CliStreams& streams) {
    NatsForwarderOptions nats;
    const std::string urls = *options.get("--nats");
    for (std::size_t begin = 0; begin <= urls.size();) {
        const std::size_t comma = std::min(urls.find(',', begin), urls.size());
        if (comma > begin) nats.servers.push_back(urls.substr(begin, comma - begin));
        begin = comma + 1;
    }
    nats.stream = options.get("--stream").value_or("DNSWATCH");
    nats.creds_file = options.get("--creds").value_or("");
    nats.ca_file = options.get("--ca").value_or("");
    const auto durable = options.get("--durable");
    std::optional<std::uint64_t> count;
    std::int64_t idle_exit_ms = 0;
    try {
        if (options.get("--count")) count = std::stoull(*options.get("--count"));
        if (options.get("--idle-exit")) idle_exit_ms = std::stoll(*options.get("--idle-exit"));
    } catch (const std::exception&) {
        std::fprintf(streams.err, "dnswatch tail: --count and --idle-exit take a number\n");
        return kExitUsage;
    }
    if (!durable || nats.servers.empty() || !options.positional.empty()) {
        std::fputs(kTailUsage, streams.err);
        return kExitUsage;
    }
    std::atomic<bool> stop{false};
    std::uint64_t printed = 0;
    try {
        tail_nats(nats, *durable, options.get("--subject").value_or("dnswatch.>"), idle_exit_ms, stop,
                  [&](std::string_view record) {
                      std::fprintf(streams.out, "%.*s\n", static_cast<int>(record.size()), record.data());
                      std::fflush(streams.out);
                      if (count && ++printed >= *count) stop = true;
                  });
    } catch (const std::exception& e) {
        log::Logger(streams.err).error("tail_nats_failed", {{"servers", urls}, {"error", e.what()}});
        return kExitIoError;
    }
    return kExitOk;
}

int tail_command(const std::vector<std::string>& args, const CliStreams& streams) {
    ParsedOptions options;
    try {
        options = parse_options(args, {"--endpoint", "--topic", "--since", "--catchup", "--count", "--key", "--server-key",
                                       "--nats", "--durable", "--stream", "--subject", "--creds", "--ca", "--idle-exit"},
                                {"--changes"});
    } catch (const std::invalid_argument& e) {
        std::fprintf(streams.err, "dnswatch tail: %s\n\n%s", e.what(), kTailUsage);
        return kExitUsage;
    }
    if (options.help) {
        std::fputs(kTailUsage, streams.out);
        return kExitOk;
    }
    if (options.get("--nats")) return tail_nats_command(options, streams);
    const auto endpoint = options.get("--endpoint");
    std::optional<std::uint64_t> since, count;
    try {
        if (options.get("--since")) since = std::stoull(*options.get("--since"));
        if (options.get("--count")) count = std::stoull(*options.get("--count"));
    } catch (const std::exception&) {
        std::fprintf(streams.err, "dnswatch tail: --since and --count take a number\n");
        return kExitUsage;
    }
    const auto catchup = options.get("--catchup") ? options.get("--catchup") : next_port(endpoint.value_or(""));
    if (!endpoint || !options.positional.empty() || (since && !catchup)) {
        std::fputs(kTailUsage, streams.err);
        return kExitUsage;
    }
    const bool changes = options.has("--changes");
    const std::string topic = options.get("--topic").value_or(changes ? "change." : "alert.");
    if (changes && topic.rfind("change.", 0) != 0) {
        std::fprintf(streams.err, "dnswatch tail: with --changes, --topic starts with change.\n");
        return kExitUsage;
    }
    if (options.get("--key").has_value() != options.get("--server-key").has_value()) {
        std::fprintf(streams.err, "dnswatch tail: --key and --server-key go together\n");
        return kExitUsage;
    }

    zmq::context_t context;
    zmq::socket_t live(context, zmq::socket_type::sub);
    live.set(zmq::sockopt::linger, 0);
    live.set(zmq::sockopt::subscribe, topic);
    live.set(zmq::sockopt::subscribe, kHeartbeatTopic);
    // A record is a few KB at most (detect.max_observed_rdata bounds its
    // lists): a peer sending more is cut off, not buffered.
    live.set(zmq::sockopt::maxmsgsize, kMaxRecordBytes);
    std::optional<CurveClient> curve;
    try {
        if (options.get("--key")) {
            curve = CurveClient{CurveKeyPair::load(*options.get("--key")),
                                CurveKeyPair::load(*options.get("--server-key")).public_key};
            make_curve_client(live, curve->own, curve->server_public_key);
        }
        live.connect(*endpoint);
    } catch (const std::exception& e) {
        log::Logger(streams.err).error("tail_connect_failed", {{"endpoint", *endpoint}, {"error", e.what()}});
        return kExitUsage;
    }

    Printer printer(streams.out, count);
    // Every record up to here was printed or is not on this topic: what a
    // catch-up last scanned, or the last printed.
    std::uint64_t checked = 0;
    std::uint64_t reported_gap_to = 0;
    log::Logger logger(streams.err);
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
        checked = std::max(checked, printer.last());
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
            if (topic_frame.to_string_view() == kHeartbeatTopic) {
                if (!record.is_object() || !record.contains("last_seq") || !record["last_seq"].is_number_unsigned()) {
                    continue;
                }
                const auto last_seq = record["last_seq"].get<std::uint64_t>();
                checked = std::max(checked, printer.last());
                if (last_seq <= checked) continue;
                // Records up to last_seq were published and not all of them
                // came: lost at this consumer's high-water mark, or on
                // another topic. The store says which.
                if (since) {
                    const std::uint64_t before = printer.last();
                    fill(checked);
                    checked = std::max(checked, last_seq);
                    if (printer.last() > before) {
                        logger.info("tail_gap_filled", {{"after_seq", before},
                                                        {"sensor_last_seq", last_seq},
                                                        {"through_seq", printer.last()},
                                                        {"via", "heartbeat"}});
                    }
                } else if (last_seq > reported_gap_to && last_seq > printer.last() && printer.last() > 0) {
                    logger.warn("tail_behind", {{"last_printed", printer.last()},
                                                {"sensor_last_seq", last_seq},
                                                {"hint", "records may have been lost; --since fills gaps"}});
                    reported_gap_to = last_seq;
                }
                continue;
            }
            if (!record.is_object() || !record.contains("seq") || !record["seq"].is_number_unsigned()) continue;
            const auto seq = record["seq"].get<std::uint64_t>();
            // A gap in the live stream (a slow subscription, a drop at the
            // high-water mark): fill it from the store before going on.
            if (since && seq > printer.last() + 1 && seq > checked + 1) {
                const std::uint64_t before = printer.last();
                fill(std::max(printer.last(), checked));
                if (printer.last() > before) {
                    logger.info("tail_gap_filled", {{"after_seq", before}, {"next_live_seq", seq},
                                                    {"through_seq", printer.last()}, {"via", "live"}});
                }
            }
            printer.print(seq, payload.to_string());
            checked = std::max(checked, printer.last());
        }
    } catch (const std::exception& e) {
        log::Logger(streams.err).error("tail_failed", {{"endpoint", *endpoint}, {"error", e.what()}});
        return kExitIoError;
    }
    return kExitOk;
}

}  // namespace dnswatch
