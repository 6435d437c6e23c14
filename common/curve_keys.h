// CurveZMQ key pairs (Z85 text, 40 characters) in the zcert file layout
// CZMQ uses, and the client side of a CURVE connection: what every stage
// that connects to a CURVE server needs (the transparency feed's
// subscriber, dnswatch tail, the relay), so it lives below them all. The
// server side and its ZAP handler are publish/zmq_security.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <zmq.hpp>

namespace dnswatch {

struct CurveKeyPair {
    std::string public_key;  // Z85
    std::string secret_key;  // Z85; empty in a public-only certificate

    static CurveKeyPair generate();
    // Reads a key file written by save() (the zcert layout CZMQ uses, so
    // that its tools read ours): public-key = "...", secret-key = "...".
    // Throws std::runtime_error naming the file and what is wrong.
    static CurveKeyPair load(const std::string& path);
    // Writes PATH (both keys, mode 0600) and PATH.pub (public key only).
    void save(const std::string& path) const;
};

// Makes `socket` a CURVE client of the server whose public key is given.
void make_curve_client(zmq::socket_t& socket, const CurveKeyPair& own, const std::string& server_public_key);

// One event of a socket monitor (zmq_socket_monitor): two frames, a 16-bit
// event and a 32-bit value, then the peer's endpoint. Read without waiting;
// nullopt when none is there. How a CURVE handshake that failed is seen:
// ZMQ_EVENT_HANDSHAKE_FAILED_* (a keyless peer fails with
// ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH, before any ZAP request).
struct SocketEvent {
    std::uint16_t event = 0;
    std::uint32_t value = 0;
    std::string endpoint;
};
std::optional<SocketEvent> read_socket_event(zmq::socket_t& monitor);
// Why a failed handshake failed, in words, for the log.
std::string handshake_failure(const SocketEvent& event);
inline constexpr int kHandshakeFailures =
    ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;

}  // namespace dnswatch
