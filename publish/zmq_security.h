// CurveZMQ on every endpoint the sensor binds, with a ZAP handler that
// admits only the client public keys listed in the config (RFC 27 of the
// ZeroMQ project: ZAP). Keys are Z85 text, 40 characters.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "log/log.h"

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

// Makes `socket` a CURVE server with `keys`; connections are then
// authenticated by the ZAP handler of the socket's context.
void make_curve_server(zmq::socket_t& socket, const CurveKeyPair& keys);
// Makes `socket` a CURVE client of the server whose public key is given.
void make_curve_client(zmq::socket_t& socket, const CurveKeyPair& own, const std::string& server_public_key);

// Answers the context's ZAP requests from a thread of its own. CURVE clients
// are admitted when their public key is in `allowed`; NULL (plaintext)
// connections are admitted only when `allow_plaintext` — for the explicit
// loopback-only configuration. Must be created before the sockets it guards
// start accepting connections. Each denial is counted and, with `log`,
// logged (event zap_denied, rate limited) with the peer's address and key,
// so that an operator sees which consumer is turned away and why.
class ZapAuthenticator {
public:
    ZapAuthenticator(zmq::context_t& context, std::set<std::string> allowed_client_keys, bool allow_plaintext,
                     log::Logger* log = nullptr);
    ~ZapAuthenticator();
    ZapAuthenticator(const ZapAuthenticator&) = delete;
    ZapAuthenticator& operator=(const ZapAuthenticator&) = delete;

    std::uint64_t admitted() const { return admitted_.load(); }
    std::uint64_t denied() const { return denied_.load(); }

private:
    void serve(zmq::socket_t socket);

    std::set<std::string> allowed_;
    bool allow_plaintext_;
    log::Logger* log_;
    std::atomic<bool> stopping_{false};
    std::atomic<std::uint64_t> admitted_{0};
    std::atomic<std::uint64_t> denied_{0};
    std::thread thread_;
};

}  // namespace dnswatch
