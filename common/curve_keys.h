// CurveZMQ key pairs (Z85 text, 40 characters) in the zcert file layout
// CZMQ uses, and the client side of a CURVE connection: what every stage
// that connects to a CURVE server needs (the transparency feed's
// subscriber, dnswatch tail, the relay), so it lives below them all. The
// server side and its ZAP handler are publish/zmq_security.h.
#pragma once

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

}  // namespace dnswatch
