#include "publish/catch_up.h"
#include "common/errors.h"

#include "publish/change_json.h"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>

#include "publish/alert_store.h"
#include "publish/topic.h"
#include "publish/zmq_publisher.h"

namespace dnswatch {
namespace {

constexpr std::int64_t kMaxRequestBytes = 4096;

std::uint64_t to_number(const zmq::message_t& frame) {
    std::uint64_t value = 0;
    const auto* begin = static_cast<const char*>(frame.data());
    std::from_chars(begin, begin + frame.size(), value);
    return value;
}

std::vector<zmq::message_t> receive_all(zmq::socket_t& socket) {
    std::vector<zmq::message_t> frames;
    for (;;) {
        zmq::message_t frame;
        try {
            if (!socket.recv(frame, zmq::recv_flags::none)) break;
        } catch (const zmq::error_t& e) {
            // A signal (the sensor's own, or tail's SIGWINCH) interrupts
            // the wait: wait again, do not end the command (fuzz_catch_up).
            if (e.num() == EINTR) continue;
            throw;
        }
        frames.push_back(std::move(frame));
        if (!socket.get(zmq::sockopt::rcvmore)) break;
    }
    return frames;
}

}  // namespace

CatchUpServer::CatchUpServer(zmq::context_t& context, std::string store_path, const std::string& endpoint,
                             const std::optional<CurveKeyPair>& curve, std::size_t page_size, std::string evidence_dir)
    : store_path_(std::move(store_path)),
      index_(store_path_),
      evidence_dir_(std::move(evidence_dir)),
      page_size_(page_size) {
    zmq::socket_t socket(context, zmq::socket_type::router);
    socket.set(zmq::sockopt::linger, 0);
    // A consumer that stops reading mid-page must not block the server: the
    // rest of its page is dropped and it asks again from what it has.
    socket.set(zmq::sockopt::router_mandatory, false);
    // A request is three short frames: anything large is not one.
    socket.set(zmq::sockopt::maxmsgsize, kMaxRequestBytes);
    // A whole page fits in a consumer's queue: served from the index, a page
    // goes out faster than a consumer reads it, and at the default mark of
    // 1,000 its end (MORE or END) was dropped and the consumer timed out.
    socket.set(zmq::sockopt::sndhwm, static_cast<int>(2 * page_size + 16));
    if (curve) make_curve_server(socket, *curve);
    try {
        socket.bind(endpoint);
    } catch (const zmq::error_t& e) {
        throw BindError("cannot serve catch-up on ZeroMQ endpoint '" + endpoint + "': " + e.what());
    }
    endpoint_ = socket.get(zmq::sockopt::last_endpoint);
    thread_ = std::thread(&CatchUpServer::serve, this, std::move(socket));
}

CatchUpServer::~CatchUpServer() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
}

void CatchUpServer::serve(zmq::socket_t socket) {
    while (!stopping_) {
        zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
        try {
            if (zmq::poll(&item, 1, std::chrono::milliseconds(100)) == 0) continue;
        } catch (const zmq::error_t& e) {
            if (e.num() == EINTR) continue;  // a signal, not a failure: the server serves on
            throw;
        }
        std::vector<zmq::message_t> request = receive_all(socket);
        if (request.size() == 3 && request[1].to_string_view() == "EVIDENCE") {
            serve_evidence(socket, request[0].to_string(), request[2].to_string());
            continue;
        }
        // [identity, "CATCHUP", after_seq, prefix]; anything else is ignored.
        if (request.size() != 4 || request[1].to_string_view() != "CATCHUP") continue;
        ++requests_;
        const std::string identity = request[0].to_string();
        const std::uint64_t after = to_number(request[2]);
        const std::string prefix = request[3].to_string();
        std::size_t sent = 0;
        bool more = false;
        std::uint64_t last = after;
        try {
            last = index_.scan_after(after, [&](const StoredRecord& stored) {
                if (sent == page_size_) {
                    more = true;
                    return false;
                }
                const std::string_view line = stored.line;
                const auto record = nlohmann::json::parse(line, nullptr, false);
                const std::string topic = record_topic(record);
                if (topic.rfind(prefix, 0) == 0) {
                    socket.send(zmq::buffer(identity), zmq::send_flags::sndmore);
                    socket.send(zmq::str_buffer("ALERT"), zmq::send_flags::sndmore);
                    socket.send(zmq::buffer(topic), zmq::send_flags::sndmore);
                    socket.send(zmq::buffer(line), zmq::send_flags::none);
                    ++sent;
                }
                return true;
            });
        } catch (const std::exception&) {
            // A store that cannot be read answers as empty; the sensor's own
            // writes report the failure.
        }
        // The scan stopped one record past the page when there is more.
        if (more) last = last - 1;
        const std::string last_text = std::to_string(last);
        socket.send(zmq::buffer(identity), zmq::send_flags::sndmore);
        socket.send(more ? zmq::str_buffer("MORE") : zmq::str_buffer("END"), zmq::send_flags::sndmore);
        socket.send(zmq::buffer(last_text), zmq::send_flags::none);
    }
}

void CatchUpServer::serve_evidence(zmq::socket_t& socket, const std::string& identity, const std::string& alert_id) {
    auto refuse = [&](const std::string& reason) {
        ++evidence_refused_;
        socket.send(zmq::buffer(identity), zmq::send_flags::sndmore);
        socket.send(zmq::str_buffer("NOEVIDENCE"), zmq::send_flags::sndmore);
        socket.send(zmq::buffer(reason), zmq::send_flags::none);
    };
    // An alert id is 16 hex digits: anything else could name another file.
    const bool is_id = alert_id.size() == 16 && std::all_of(alert_id.begin(), alert_id.end(), [](char c) {
                           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                       });
    if (!is_id) return refuse("not an alert id: '" + alert_id.substr(0, 40) + "'");
    if (evidence_dir_.empty()) return refuse("this sensor keeps no evidence (state.dir)");
    for (const char* extension : {".pcap", ".fstrm"}) {
        const std::string name = alert_id + extension;
        std::ifstream in(evidence_dir_ + "/" + name, std::ios::binary);
        if (!in) continue;
        std::string bytes;
        bytes.resize(kMaxEvidenceBytes + 1);
        in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        bytes.resize(static_cast<std::size_t>(in.gcount()));
        if (bytes.size() > kMaxEvidenceBytes) return refuse(name + " is larger than 16 MiB");
        ++evidence_served_;
        socket.send(zmq::buffer(identity), zmq::send_flags::sndmore);
        socket.send(zmq::str_buffer("EVIDENCE"), zmq::send_flags::sndmore);
        socket.send(zmq::buffer(name), zmq::send_flags::sndmore);
        socket.send(zmq::buffer(bytes), zmq::send_flags::none);
        return;
    }
    refuse("no evidence kept for alert " + alert_id + " (pruned by state.retention, or never written)");
}

FetchedEvidence fetch_evidence(zmq::context_t& context, const std::string& endpoint, const std::string& alert_id,
                               int timeout_ms, const std::optional<CurveClient>& client) {
    zmq::socket_t socket(context, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::rcvtimeo, timeout_ms);
    if (client) make_curve_client(socket, client->own, client->server_public_key);
    socket.connect(endpoint);
    socket.send(zmq::str_buffer("EVIDENCE"), zmq::send_flags::sndmore);
    socket.send(zmq::buffer(alert_id), zmq::send_flags::none);
    std::vector<zmq::message_t> reply = receive_all(socket);
    if (reply.empty()) throw std::runtime_error("no answer from catch-up endpoint " + endpoint);
    if (reply[0].to_string_view() == "EVIDENCE" && reply.size() == 3) {
        return {reply[1].to_string(), reply[2].to_string()};
    }
    if (reply[0].to_string_view() == "NOEVIDENCE" && reply.size() == 2) {
        throw std::runtime_error(reply[1].to_string());
    }
    throw std::runtime_error("unexpected reply from catch-up endpoint " + endpoint);
}

std::uint64_t catch_up(zmq::context_t& context, const std::string& endpoint, std::uint64_t after_seq,
                       const std::string& topic_prefix,
                       const std::function<void(std::uint64_t, const std::string&)>& visit, int timeout_ms,
                       const std::optional<CurveClient>& client) {
    zmq::socket_t socket(context, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::rcvtimeo, timeout_ms);
    socket.set(zmq::sockopt::maxmsgsize, kMaxRecordBytes);
    if (client) make_curve_client(socket, client->own, client->server_public_key);
    socket.connect(endpoint);
    std::uint64_t last = after_seq;
    while (true) {
        const std::string after_text = std::to_string(last);
        socket.send(zmq::str_buffer("CATCHUP"), zmq::send_flags::sndmore);
        socket.send(zmq::buffer(after_text), zmq::send_flags::sndmore);
        socket.send(zmq::buffer(topic_prefix), zmq::send_flags::none);
        while (true) {
            std::vector<zmq::message_t> reply = receive_all(socket);
            if (reply.empty()) throw std::runtime_error("no answer from catch-up endpoint " + endpoint);
            const std::string_view kind = reply[0].to_string_view();
            if (kind == "ALERT" && reply.size() == 3) {
                const std::string json = reply[2].to_string();
                const auto record = nlohmann::json::parse(json, nullptr, false);
                // The server is trusted to be up, not to be right: a record
                // without a number for seq is skipped like a repeated one.
                const std::uint64_t seq = record.is_object() && record.contains("seq") && record["seq"].is_number_unsigned()
                                              ? record["seq"].get<std::uint64_t>()
                                              : 0;
                if (seq > last) {
                    visit(seq, json);
                    last = seq;
                }
                continue;
            }
            if ((kind == "END" || kind == "MORE") && reply.size() == 2) {
                last = std::max(last, to_number(reply[1]));
                if (kind == "END") return last;
                break;  // ask for the next page
            }
            throw std::runtime_error("unexpected reply from catch-up endpoint " + endpoint);
        }
    }
}

std::optional<std::string> default_catchup_endpoint(const std::string& pub_endpoint) {
    const auto colon = pub_endpoint.rfind(':');
    if (pub_endpoint.rfind("tcp://", 0) != 0 || colon == std::string::npos) return std::nullopt;
    try {
        return pub_endpoint.substr(0, colon + 1) + std::to_string(std::stoi(pub_endpoint.substr(colon + 1)) + 1);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

}  // namespace dnswatch
