// Catch-up from the durable alert store over ZeroMQ, so that a consumer that
// was down resumes without a gap.
//
// Protocol (a DEALER asks a ROUTER; every message is a list of frames):
//   request  ["CATCHUP", after_seq, topic_prefix]   ("" = every topic)
//   reply    ["ALERT", topic, json] ...  then  ["MORE", last_seq] or ["END", last_seq]
// A reply holds at most one page of records; MORE means ask again from
// last_seq. Incidents (topic incident.<zone reversed>) and changes come the
// same way.
//   request  ["EVIDENCE", alert_id]
//   reply    ["EVIDENCE", file_name, bytes]  or  ["NOEVIDENCE", reason]
// the evidence file of one alert (ID.pcap or ID.fstrm in the evidence
// folder), at most kMaxEvidenceBytes, over the same CURVE as the records. topic is alert_topic(name), the same as on the PUB socket, so a
// prefix selects a zone and its subdomains exactly as a subscription does.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <zmq.hpp>

#include "publish/store_index.h"
#include "publish/zmq_security.h"

namespace dnswatch {

class CatchUpServer {
public:
    // Binds `endpoint` (tcp://127.0.0.1:* picks a port) and serves the store
    // file at `store_path` from a thread of its own. Throws std::runtime_error
    // naming the endpoint when it cannot bind.
    // `evidence_dir`: where evidence files are ("" serves none).
    CatchUpServer(zmq::context_t& context, std::string store_path, const std::string& endpoint,
                  const std::optional<CurveKeyPair>& curve = std::nullopt, std::size_t page_size = 1000,
                  std::string evidence_dir = {});
    static constexpr std::size_t kMaxEvidenceBytes = 16 * 1024 * 1024;
    ~CatchUpServer();
    CatchUpServer(const CatchUpServer&) = delete;
    CatchUpServer& operator=(const CatchUpServer&) = delete;

    std::string endpoint() const { return endpoint_; }
    std::uint64_t requests() const { return requests_.load(); }
    std::uint64_t evidence_served() const { return evidence_served_.load(); }
    // Evidence requests refused (no such alert id, no file, too big, none served).
    std::uint64_t evidence_refused() const { return evidence_refused_.load(); }

private:
    void serve(zmq::socket_t socket);
    void serve_evidence(zmq::socket_t& socket, const std::string& identity, const std::string& alert_id);

    std::string store_path_;
    StoreIndex index_;  // used by the serving thread only
    std::string evidence_dir_;
    std::size_t page_size_;
    std::string endpoint_;
    std::atomic<bool> stopping_{false};
    std::atomic<std::uint64_t> requests_{0};
    std::atomic<std::uint64_t> evidence_served_{0};
    std::atomic<std::uint64_t> evidence_refused_{0};
    std::thread thread_;
};

// Asks the server at `endpoint` for every record after `after_seq` whose
// topic starts with `topic_prefix`, page by page, calling `visit(seq, json)`
// for each in order. Returns the last seq the server scanned (records up to
// it are delivered). Throws std::runtime_error when the server does not
// answer within `timeout_ms`.
// With `client`, the connection is CURVE-encrypted and authenticated.
struct CurveClient {
    CurveKeyPair own;
    std::string server_public_key;
};
// tcp://host:port -> tcp://host:port+1: where a sensor or relay serves
// catch-up unless told otherwise; nullopt for an endpoint without a port.
std::optional<std::string> default_catchup_endpoint(const std::string& pub_endpoint);

std::uint64_t catch_up(zmq::context_t& context, const std::string& endpoint, std::uint64_t after_seq,
                       const std::string& topic_prefix,
                       const std::function<void(std::uint64_t seq, const std::string& json)>& visit,
                       int timeout_ms = 5000, const std::optional<CurveClient>& client = std::nullopt);

// Fetches the evidence file of alert `alert_id` from the catch-up endpoint.
// Throws std::runtime_error with the server's reason (no such alert, no
// file) or when it does not answer within `timeout_ms`.
struct FetchedEvidence {
    std::string file_name;  // "ID.pcap" or "ID.fstrm"
    std::string bytes;
};
FetchedEvidence fetch_evidence(zmq::context_t& context, const std::string& endpoint, const std::string& alert_id,
                               int timeout_ms = 5000, const std::optional<CurveClient>& client = std::nullopt);

}  // namespace dnswatch
