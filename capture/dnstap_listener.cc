#include "capture/dnstap_listener.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "capture/frame_streams.h"
#include "common/host_port.h"

namespace dnswatch {
namespace {

[[noreturn]] void fail(const std::string& where, const std::string& what) {
    throw std::runtime_error("dnstap: " + where + ": " + what + ": " + std::strerror(errno));
}

int listen_unix(const DnstapListenOptions& options) {
    const std::string& path = options.unix_path;
    sockaddr_un address{};
    if (path.size() >= sizeof address.sun_path) {
        errno = ENAMETOOLONG;
        fail(path, "socket path");
    }
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    // A socket left by an earlier run would make bind fail; anything else
    // at that path is not ours to remove.
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path.c_str());
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) fail(path, "socket");
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 || ::listen(fd, 64) != 0) {
        const int saved = errno;
        ::close(fd);
        errno = saved;
        fail(path, "bind");
    }
    // Writers run as users of their own (unbound, nsd): the socket's group
    // and mode say who may connect.
    if ((options.unix_owner != static_cast<uid_t>(-1) || options.unix_group != static_cast<gid_t>(-1)) &&
        ::chown(path.c_str(), options.unix_owner, options.unix_group) != 0) {
        ::close(fd);
        fail(path, "chown");
    }
    if (::chmod(path.c_str(), options.unix_mode) != 0) {
        ::close(fd);
        fail(path, "chmod");
    }
    return fd;
}

int listen_tcp(const std::string& text, int& port) {
    const auto where = parse_listen_address(text);
    if (!where) {
        errno = EINVAL;
        fail(text, "expected ADDR:PORT");
    }
    socklen_t length = 0;
    const sockaddr_storage address = where->sockaddr(&length);
    const int fd = ::socket(where->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) fail(text, "socket");
    const int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0 || ::listen(fd, 64) != 0) {
        const int saved = errno;
        ::close(fd);
        errno = saved;
        fail(text, "bind");
    }
    sockaddr_storage bound{};
    socklen_t bound_length = sizeof bound;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_length);
    port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6&>(bound).sin6_port
                                             : reinterpret_cast<const sockaddr_in&>(bound).sin_port);
    return fd;
}

std::int64_t wall_clock_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

DnstapListener::DnstapListener(DnstapListenOptions options) : options_(std::move(options)) {
    try {
        if (!options_.unix_path.empty()) {
            fds_.push_back(listen_unix(options_));
            sources_.push_back("dnstap:unix:" + options_.unix_path);
        }
        if (!options_.tcp.empty()) {
            fds_.push_back(listen_tcp(options_.tcp, tcp_port_));
            HostPort bound = *parse_listen_address(options_.tcp);
            bound.port = tcp_port_;
            sources_.push_back("dnstap:tcp:" + bound.text());
        }
    } catch (...) {
        for (const int fd : fds_) ::close(fd);
        throw;
    }
    if (fds_.empty()) throw std::runtime_error("dnstap: neither a unix socket nor a TCP address to listen on");
}

DnstapListener::~DnstapListener() {
    for (const int fd : fds_) ::close(fd);
    if (!options_.unix_path.empty()) ::unlink(options_.unix_path.c_str());
}

// One worker's share of the writers.
class DnstapInput : public PacketInput {
public:
    explicit DnstapInput(std::shared_ptr<DnstapListener> listener)
        : listener_(std::move(listener)), capacity_(listener_->options_.max_frame_bytes + 8 + kReadChunk) {}
    ~DnstapInput() override {
        for (Connection& c : connections_) close(c);
    }

    Poll poll(PacketSink& sink) override;
    void refresh_counters() override {}
    CaptureCounters counters() const override { return counters_; }

private:
    static constexpr std::size_t kReadChunk = 64u << 10;
    static constexpr int kIdleWaitMs = 20;  // so that a stop is seen soon

    struct Connection {
        int fd = -1;
        std::uint16_t source = 0;
        std::unique_ptr<FrameStreamReader> reader;
        std::unique_ptr<std::uint8_t[]> buffer;
        std::size_t begin = 0;  // first byte not consumed
        std::size_t end = 0;    // one past the last byte read
        bool closing = false;   // ends after this poll (its frames are still being handed on)
        bool backlog = false;   // holds whole frames the last burst had no room for
    };

    void accept_writers(std::size_t listening);
    // Reads what has arrived and hands on its frames (at most `room`);
    // returns how many.
    std::size_t serve(Connection& c, PacketSink& sink, std::size_t room);
    std::size_t hand_on(Connection& c, PacketSink& sink, std::size_t room);
    void drop(Connection& c, bool bad);
    void close(Connection& c);
    void tidy();

    std::shared_ptr<DnstapListener> listener_;
    std::vector<Connection> connections_;
    std::vector<pollfd> fds_;
    std::size_t capacity_;  // of each connection's buffer
    std::uint64_t received_ = 0;
    CaptureCounters counters_;
};

// Once the previous poll's frames are handed on, nothing points into the
// buffers: ended connections go, and the unread rest of each buffer moves
// to its front.
void DnstapInput::tidy() {
    for (std::size_t i = 0; i < connections_.size();) {
        Connection& c = connections_[i];
        if (c.closing) {
            close(c);
            connections_[i] = std::move(connections_.back());
            connections_.pop_back();
            continue;
        }
        if (c.begin > 0) {
            std::memmove(c.buffer.get(), c.buffer.get() + c.begin, c.end - c.begin);
            c.end -= c.begin;
            c.begin = 0;
        }
        ++i;
    }
}

DnstapInput::Poll DnstapInput::poll(PacketSink& sink) {
    tidy();
    const DnstapListener& listener = *listener_;
    // Frames already buffered (a burst filled up last time) need no wait.
    bool backlog = false;
    for (const Connection& c : connections_) backlog = backlog || c.backlog;
    fds_.clear();
    for (const int fd : listener.fds_) fds_.push_back(pollfd{fd, POLLIN, 0});
    for (const Connection& c : connections_) fds_.push_back(pollfd{c.fd, POLLIN, 0});
    if (::poll(fds_.data(), fds_.size(), backlog ? 0 : kIdleWaitMs) < 0 && errno != EINTR) return Poll::idle;

    std::size_t delivered = 0;
    const std::size_t known = connections_.size();  // accept_writers may add some
    for (std::size_t i = 0; i < known && delivered < PacketBatch::kCapacity; ++i) {
        const short events = fds_[listener.fds_.size() + i].revents;
        Connection& c = connections_[i];
        if (events != 0 || c.backlog) delivered += serve(c, sink, PacketBatch::kCapacity - delivered);
    }
    for (std::size_t l = 0; l < listener.fds_.size(); ++l) {
        if ((fds_[l].revents & POLLIN) != 0) accept_writers(l);
    }
    counters_.received = received_;
    counters_.dnstap_frames = received_;
    return delivered > 0 ? Poll::packets : Poll::idle;
}

void DnstapInput::accept_writers(std::size_t listening) {
    DnstapListener& listener = *listener_;
    for (;;) {
        const int fd = ::accept4(listener.fds_[listening], nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;  // EAGAIN: another worker took it, or none is left
        if (listener.writers_open_.fetch_add(1) >= listener.options_.max_writers) {
            listener.writers_open_.fetch_sub(1);
            ::close(fd);
            ++counters_.dnstap_writers_refused;
            continue;
        }
        ++counters_.dnstap_writers;
        Connection c;
        c.fd = fd;
        c.source = static_cast<std::uint16_t>(listening);
        c.reader = std::make_unique<FrameStreamReader>(listener.options_.max_frame_bytes);
        c.buffer = std::make_unique<std::uint8_t[]>(capacity_);
        connections_.push_back(std::move(c));
    }
}

std::size_t DnstapInput::serve(Connection& c, PacketSink& sink, std::size_t room) {
    if (c.closing) return 0;
    std::size_t delivered = hand_on(c, sink, room);
    if (c.closing || delivered == room) return delivered;
    // Everything buffered is handed on or is the start of a frame: read more
    // behind it. The buffer holds the longest frame allowed, so a frame
    // never waits for room the next poll cannot give.
    const std::size_t free = capacity_ - c.end;
    if (free == 0) return delivered;
    const ssize_t n = ::read(c.fd, c.buffer.get() + c.end, free);
    if (n == 0) {
        // The writer went away; what it left inside a frame is lost.
        if (c.end > c.begin) ++counters_.dnstap_dropped_frames;
        c.closing = true;
        return delivered;
    }
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            if (c.end > c.begin) ++counters_.dnstap_dropped_frames;
            c.closing = true;
        }
        return delivered;
    }
    c.end += static_cast<std::size_t>(n);
    return delivered + hand_on(c, sink, room - delivered);
}

// Hands on up to `room` whole frames from the buffer, answering the
// handshake as it goes.
std::size_t DnstapInput::hand_on(Connection& c, PacketSink& sink, std::size_t room) {
    std::size_t delivered = 0;
    c.backlog = false;
    while (delivered < room && !c.closing) {
        const FrameStreamReader::Step step = c.reader->next({c.buffer.get() + c.begin, c.end - c.begin});
        c.begin += step.consumed;
        switch (step.status) {
            case FrameStreamReader::Status::need_more:
                return delivered;
            case FrameStreamReader::Status::error:
                drop(c, /*bad=*/true);
                return delivered;
            case FrameStreamReader::Status::control:
            case FrameStreamReader::Status::finished: {
                const auto reply = c.reader->reply();
                // ACCEPT or FINISH: a few dozen bytes, which a fresh socket
                // takes whole; a writer that cannot take them is gone.
                if (!reply.empty() && ::send(c.fd, reply.data(), reply.size(), MSG_NOSIGNAL) !=
                                          static_cast<ssize_t>(reply.size())) {
                    drop(c, /*bad=*/false);
                    return delivered;
                }
                c.reader->clear_reply();
                if (step.status == FrameStreamReader::Status::finished) c.closing = true;
                continue;
            }
            case FrameStreamReader::Status::data_frame: {
                PacketView packet;
                packet.bytes = step.frame;
                packet.wire_length = static_cast<std::uint32_t>(step.frame.size());
                packet.time_us = wall_clock_us();  // decode/ puts the message's own time in its place
                packet.link_type = kLinkTypeDnstap;
                packet.frame_number = listener_->frames_numbered_.fetch_add(1, std::memory_order_relaxed) + 1;
                sink.on_packet(packet, c.source, ++received_);
                sink.end_of_burst();  // the frame lives in the reader's buffer, which the next read moves
                ++delivered;
                continue;
            }
        }
    }
    c.backlog = delivered == room && !c.closing;
    return delivered;
}

void DnstapInput::drop(Connection& c, bool bad) {
    if (bad) {
        ++counters_.dnstap_bad_frames;
        ++counters_.dnstap_writers_dropped;
    }
    // The frame being received, if any, goes with the writer (bytes
    // before START are no frame: garbage from something that is no writer).
    if (c.end > c.begin && c.reader->started()) ++counters_.dnstap_dropped_frames;
    c.begin = c.end;
    c.closing = true;
}

void DnstapInput::close(Connection& c) {
    if (c.fd < 0) return;
    ::close(c.fd);
    c.fd = -1;
    listener_->writers_open_.fetch_sub(1);
}

std::vector<std::unique_ptr<PacketInput>> open_dnstap(std::shared_ptr<DnstapListener> listener, std::size_t workers) {
    std::vector<std::unique_ptr<PacketInput>> inputs;
    for (std::size_t w = 0; w < std::max<std::size_t>(workers, 1); ++w) {
        inputs.push_back(std::make_unique<DnstapInput>(listener));
    }
    return inputs;
}

}  // namespace dnswatch
