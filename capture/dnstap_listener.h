// capture.source: dnstap. Resolvers and name servers (Unbound, NSD, Knot,
// BIND, PowerDNS) connect here as Frame Streams writers, on a unix socket
// and/or TCP, and send one dnstap message per data frame. Each pipeline
// worker gets an input that accepts writers from the shared listening
// sockets (the kernel hands each connection to one accept) and serves its
// writers from its own thread with poll(2), never blocking on any of them:
// a frame is handed on from the connection's buffer, uncopied, as a frame of
// link type kLinkTypeDnstap that decode/ peels.
//
// Bounded: at most max_writers connections over every worker (more are
// closed at once and counted), one buffer of max_frame_bytes (and a little)
// per connection, allocated when it is accepted. A writer that breaks the
// protocol — garbage, a frame longer than the bound, a control frame out of
// order, another content type — is counted and disconnected; one that goes
// away inside a frame loses that frame, counted; the others carry on.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "capture/packet_input.h"

namespace dnswatch {

struct DnstapListenOptions {
    std::string unix_path;                    // a unix socket to create; "" none
    std::string tcp;                          // "ADDR:PORT" to listen on; "" none; port 0: the kernel picks
    std::size_t max_frame_bytes = 128u << 10;  // the longest data frame a writer may send
    std::size_t max_writers = 64;             // writers connected at once, over every worker
    // The unix socket's owner (run.user, so that the writers' group can be
    // given access) and mode; -1: left as created.
    uid_t unix_owner = static_cast<uid_t>(-1);
    gid_t unix_group = static_cast<gid_t>(-1);
    unsigned unix_mode = 0660;
};

// The listening sockets, shared by every worker's input.
class DnstapListener {
public:
    // Binds and listens (a stale socket file at unix_path is replaced).
    // Throws std::runtime_error "dnstap: WHERE: reason".
    explicit DnstapListener(DnstapListenOptions options);
    ~DnstapListener();
    DnstapListener(const DnstapListener&) = delete;
    DnstapListener& operator=(const DnstapListener&) = delete;

    // One name per socket, as alerts cite their source: "dnstap:unix:PATH",
    // "dnstap:tcp:ADDR:PORT" (the bound port).
    const std::vector<std::string>& sources() const { return sources_; }
    // The TCP socket's bound port; 0 when there is none.
    int tcp_port() const { return tcp_port_; }
    const DnstapListenOptions& options() const { return options_; }

private:
    friend class DnstapInput;
    DnstapListenOptions options_;
    std::vector<int> fds_;  // listening sockets, indexed like sources_
    std::vector<std::string> sources_;
    int tcp_port_ = 0;
    std::atomic<std::size_t> writers_open_{0};
    std::atomic<std::uint64_t> frames_numbered_{0};  // frame numbers, unique over the workers
};

// One input per worker, all accepting from `listener`.
std::vector<std::unique_ptr<PacketInput>> open_dnstap(std::shared_ptr<DnstapListener> listener, std::size_t workers);

}  // namespace dnswatch
