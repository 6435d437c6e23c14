// `dnswatch tail`: prints alerts from a running sensor, catching up from the
// durable store first, then following the live PUB stream; duplicates are
// dropped by seq, and a gap in the live stream is filled from the store.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "cli/cli.h"
#include "cli/options.h"
#include "log/log.h"
#include "publish/catch_up.h"
#include "publish/evidence_pcap.h"
#include "publish/nats_forwarder.h"

namespace dnswatch {
namespace {

constexpr const char* kTailUsage =
    "usage: dnswatch tail --endpoint URL [--changes|--incidents] [--topic PREFIX] [--since SEQ] [--catchup URL]\n"
    "                     [--count N]\n"
    "       dnswatch tail --endpoint URL --evidence ALERT-ID [--output FILE] [--catchup URL]\n"
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
    "  --incidents     one line per incident record (schema dnswatch.incident/1:\n"
    "                  the alerts of one hijack grouped): id, severity, state\n"
    "                  and title; topic incident.<the zone's labels reversed>\n"
    "  --since SEQ     first print every stored alert after SEQ (0: all), then\n"
    "                  follow; each alert is printed once, in order\n"
    "  --catchup URL   the sensor's catch-up endpoint (publish.zmq.catchup_endpoint;\n"
    "                  default: the endpoint's port + 1)\n"
    "  --count N       exit after printing N alerts\n"
    "  --evidence ID   fetch the evidence of alert ID (the query and the response\n"
    "                  that opened it, a pcap) over the catch-up endpoint into\n"
    "                  ID.pcap here, or --output FILE; prints its size and\n"
    "                  SHA-256, to compare with the alert's evidence.pcap_sha256\n"
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

// An incident record as a person reads it: "ID SEVERITY STATE N alerts: TITLE".
std::string incident_line(const std::string& json) {
    const auto record = nlohmann::json::parse(json, nullptr, false);
    if (!record.is_object() || record.value("schema", "") != "dnswatch.incident/1") return json;
    const auto members = record.value("members", nlohmann::json::array());
    return record.value("id", "") + " " + record.value("severity", "") + " " + record.value("state", "") + " " +
           std::to_string(members.size()) + (members.size() == 1 ? " alert: " : " alerts: ") +
           record.value("title", "");
}

class Printer {
public:
    Printer(std::FILE* out, std::optional<std::uint64_t> count, bool titles = false)
        : out_(out), remaining_(count), titles_(titles) {}

    // Prints a record unless it was printed already; false once done.
    bool print(std::uint64_t seq, const std::string& json) {
        if (seq <= last_) return true;
        std::fprintf(out_, "%s\n", titles_ ? incident_line(json).c_str() : json.c_str());
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
    bool titles_;
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

// `tail --evidence ID`: the alert's evidence file, fetched over the
// catch-up endpoint (with CURVE when --key is given), written locally.
static int fetch_evidence_command(const std::string& alert_id, const std::string& catchup, const ParsedOptions& options,
                                  zmq::context_t& context, const CliStreams& streams) {
    std::optional<CurveClient> curve;
    FetchedEvidence fetched;
    try {
        if (options.get("--key")) {
            curve = CurveClient{CurveKeyPair::load(*options.get("--key")),
                                CurveKeyPair::load(*options.get("--server-key")).public_key};
        }
        fetched = fetch_evidence(context, catchup, alert_id, 5000, curve);
    } catch (const std::exception& e) {
        log::Logger(streams.err).error("evidence_not_fetched", {{"endpoint", catchup}, {"alert", alert_id}, {"error", e.what()}});
        return kExitIoError;
    }
    const std::string path = options.get("--output").value_or(fetched.file_name);
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(fetched.bytes.data(), static_cast<std::streamsize>(fetched.bytes.size()));
        if (!out) {
            log::Logger(streams.err).error("evidence_not_written", {{"path", path}, {"alert", alert_id}});
            return kExitIoError;
        }
    }
    const EvidenceFile written = describe_evidence(path);
    std::fprintf(streams.out, "%s: %llu bytes, sha256 %s\n", path.c_str(), static_cast<unsigned long long>(written.bytes),
                 written.sha256.c_str());
    return kExitOk;
}

int tail_command(const std::vector<std::string>& args, const CliStreams& streams) {
    ParsedOptions options;
    try {
        options = parse_options(args, {"--endpoint", "--topic", "--since", "--catchup", "--count", "--key", "--server-key",
                                       "--nats", "--durable", "--stream", "--subject", "--creds", "--ca", "--idle-exit",
                                       "--evidence", "--output"},
                                {"--changes", "--incidents"});
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
    const bool evidence = options.get("--evidence").has_value();
    if ((!endpoint && !evidence) || !options.positional.empty() || ((since || evidence) && !catchup)) {
        std::fputs(kTailUsage, streams.err);
        return kExitUsage;
    }
    const bool changes = options.has("--changes");
    const bool incidents = options.has("--incidents");
    if (changes && incidents) {
        std::fprintf(streams.err, "dnswatch tail: --changes or --incidents, not both\n");
        return kExitUsage;
    }
    const std::string topic = options.get("--topic").value_or(changes ? "change." : incidents ? "incident." : "alert.");
    if (changes && topic.rfind("change.", 0) != 0) {
        std::fprintf(streams.err, "dnswatch tail: with --changes, --topic starts with change.\n");
        return kExitUsage;
    }
    if (incidents && topic.rfind("incident.", 0) != 0) {
        std::fprintf(streams.err, "dnswatch tail: with --incidents, --topic starts with incident.\n");
        return kExitUsage;
    }
    if (options.get("--key").has_value() != options.get("--server-key").has_value()) {
        std::fprintf(streams.err, "dnswatch tail: --key and --server-key go together\n");
        return kExitUsage;
    }

    zmq::context_t context;
    if (const auto evidence_id = options.get("--evidence")) return fetch_evidence_command(*evidence_id, *catchup, options, context, streams);
    zmq::socket_t live(context, zmq::socket_type::sub);
    live.set(zmq::sockopt::linger, 0);
    live.set(zmq::sockopt::subscribe, topic);
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

    Printer printer(streams.out, count, incidents);
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
        log::Logger(streams.err).error("tail_failed", {{"endpoint", *endpoint}, {"error", e.what()}});
        return kExitIoError;
    }
    return kExitOk;
}

}  // namespace dnswatch
