#include "capture/pcap_live_source.h"

#include <linux/filter.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include <pcap/pcap.h>

namespace dnswatch {
namespace {

struct PcapCloser {
    void operator()(pcap_t* p) const { pcap_close(p); }
};
using PcapHandle = std::unique_ptr<pcap_t, PcapCloser>;

// One activated handle on one interface.
struct LiveHandle {
    PcapHandle pcap;
    std::string interface;
    std::uint16_t source = 0;
    int link_type = 0;
    int fd = -1;
    bool loopback = false;
    bool failed = false;
    bool nanoseconds = false;  // the kernel gives this handle nanosecond times
    std::uint64_t frames = 0;
    pcap_stat last_stats{};
    // The kernel's counts once the filter was in place: frames of any kind
    // reached the socket between activation and pcap_setfilter (libpcap
    // drains them), and are no part of what this capture saw or dropped.
    pcap_stat at_filter{};
};

class PcapLiveInput : public PacketInput {
public:
    explicit PcapLiveInput(std::vector<LiveHandle> handles) : handles_(std::move(handles)) {
        for (const LiveHandle& h : handles_) fds_.push_back(pollfd{h.fd, POLLIN, 0});
    }

    Poll poll(PacketSink& sink) override {
        std::size_t delivered = 0;
        for (LiveHandle& h : handles_) {
            if (h.failed) continue;
            Context context{this, &h, &sink};
            const int n = pcap_dispatch(h.pcap.get(), static_cast<int>(PacketBatch::kCapacity), on_packet,
                                        reinterpret_cast<u_char*>(&context));
            if (n > 0) {
                delivered += static_cast<std::size_t>(n);
            } else if (n == PCAP_ERROR) {
                // The interface went away, say: report once, keep the others.
                h.failed = true;
                std::fprintf(stderr, "dnswatch run: capture on %s failed: %s\n", h.interface.c_str(),
                             pcap_geterr(h.pcap.get()));
            }
        }
        if (delivered > 0) return Poll::packets;
        // Nothing ready: sleep in poll(2) until a handle has packets (or a
        // block times out), at most 20 ms so that a signal is seen soon.
        ::poll(fds_.data(), fds_.size(), 20);
        return Poll::idle;
    }

    void refresh_counters() override {
        CaptureCounters c;
        c.received = received_;
        for (LiveHandle& h : handles_) {
            if (!h.failed) pcap_stats(h.pcap.get(), &h.last_stats);
            c.kernel_seen += h.last_stats.ps_recv - h.at_filter.ps_recv;
            c.kernel_dropped += h.last_stats.ps_drop - h.at_filter.ps_drop;
            c.if_dropped += h.last_stats.ps_ifdrop - h.at_filter.ps_ifdrop;
        }
        counters_ = c;
    }
    CaptureCounters counters() const override { return counters_; }

private:
    struct Context {
        PcapLiveInput* input;
        LiveHandle* handle;
        PacketSink* sink;
    };

    static void on_packet(u_char* user, const pcap_pkthdr* header, const u_char* bytes) {
        auto* context = reinterpret_cast<Context*>(user);
        PacketView packet;
        packet.bytes = std::span<const std::uint8_t>(bytes, header->caplen);
        packet.wire_length = header->len;
        const auto fraction = static_cast<std::int64_t>(header->ts.tv_usec);  // ns when the handle has them
        if (context->handle->nanoseconds) {
            packet.time_us = static_cast<std::int64_t>(header->ts.tv_sec) * 1'000'000 + fraction / 1000;
            packet.time_ns = static_cast<std::uint16_t>(fraction % 1000);
        } else {
            packet.time_us = static_cast<std::int64_t>(header->ts.tv_sec) * 1'000'000 + fraction;
        }
        packet.link_type = context->handle->link_type;
        packet.frame_number = ++context->handle->frames;
        const std::uint64_t key = ++context->input->received_;
        context->sink->on_packet(packet, context->handle->source, key);
        // libpcap may hand the ring's block back to the kernel once the
        // callback returns.
        context->sink->end_of_burst();
    }

    std::vector<LiveHandle> handles_;
    std::vector<pollfd> fds_;
    std::uint64_t received_ = 0;
    CaptureCounters counters_;  // read by the worker that owns it, and published by it
};

void check(int rc, pcap_t* p, const std::string& interface, const char* what) {
    if (rc == 0) return;
    std::string reason = rc == PCAP_ERROR ? pcap_geterr(p) : pcap_statustostr(rc);
    throw std::runtime_error("capture on " + interface + ": " + what + ": " + reason);
}

// True for a loopback interface (lo).
bool is_loopback(const std::string& interface) {
    pcap_if_t* devices = nullptr;
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    if (pcap_findalldevs(&devices, errbuf) != 0) return false;
    bool loopback = false;
    for (const pcap_if_t* d = devices; d != nullptr; d = d->next) {
        if (d->name != nullptr && interface == d->name) loopback = (d->flags & PCAP_IF_LOOPBACK) != 0;
    }
    pcap_freealldevs(devices);
    return loopback;
}

// From activation until pcap_setfilter the socket takes every frame: on a
// busy interface they filled the ring (31 frames of a 2 MiB buffer at full
// snap length) before the first poll, and the first matching packets after
// the filter were dropped by the kernel (counted, never handed over). So a
// filter that takes nothing goes on at once (pcap_setfilter replaces it;
// libpcap expects that other code may have attached one), and what came in
// before it, while the capture had no filter yet, is read and let go: the
// capture's filter starts on an empty ring. Non-blocking from here on.
void empty_ring_until_filtered(pcap_t* p, const std::string& interface) {
    sock_filter take_nothing{BPF_RET | BPF_K, 0, 0, 0};
    const sock_fprog program{1, &take_nothing};
    const bool held_back =
        ::setsockopt(pcap_get_selectable_fd(p), SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) == 0;
    if (!held_back) {
        std::fprintf(stderr,
                     "dnswatch run: capture on %s: cannot hold frames back until the filter is set (%s); "
                     "the first packets may be dropped\n",
                     interface.c_str(), std::strerror(errno));
    }
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    check(pcap_setnonblock(p, 1, errbuf), p, interface, "non-blocking mode");
    if (!held_back) return;  // frames keep coming: emptying the ring would never end
    const auto let_go = [](u_char*, const pcap_pkthdr*, const u_char*) {};
    while (pcap_dispatch(p, -1, let_go, nullptr) > 0) {
    }
}

LiveHandle open_handle(const PcapLiveOptions& options, std::size_t interface_index, const std::string& filter) {
    const std::string& interface = options.interfaces[interface_index];
    // Asked before activation: enumerating the interfaces is slow, and
    // everything between activation and the filter is time the socket
    // takes frames that will not be looked at.
    const bool loopback = is_loopback(interface);
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    PcapHandle pcap(pcap_create(interface.c_str(), errbuf));
    if (!pcap) throw std::runtime_error("capture on " + interface + ": " + errbuf);
    pcap_t* p = pcap.get();
    check(pcap_set_snaplen(p, options.snaplen), p, interface, "snap length");
    check(pcap_set_promisc(p, options.promiscuous ? 1 : 0), p, interface, "promiscuous mode");
    check(pcap_set_buffer_size(p, options.buffer_bytes), p, interface, "buffer size");
    if (options.timeout_ms == 0) {
        check(pcap_set_immediate_mode(p, 1), p, interface, "immediate mode");
    } else {
        check(pcap_set_timeout(p, options.timeout_ms), p, interface, "timeout");
    }
    // Nanoseconds where the kernel gives them (AF_PACKET does), for the
    // evidence pcap; microseconds otherwise.
    pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
    const int activated = pcap_activate(p);
    if (activated < 0) {
        const std::string reason = activated == PCAP_ERROR ? pcap_geterr(p) : pcap_statustostr(activated);
        throw std::runtime_error("capture on " + interface + ": " + reason);
    }
    empty_ring_until_filtered(p, interface);
    if (activated > 0) {  // a warning: say it, go on
        std::fprintf(stderr, "dnswatch run: capture on %s: %s\n", interface.c_str(), pcap_statustostr(activated));
    }
    // On loopback every packet reaches the socket twice, going out and
    // coming in; libpcap drops the outgoing copy only once it has read it,
    // so a full ring loses (and counts) both. The kernel leaves the outgoing
    // copy out instead: no ring space, and one drop count per packet.
    // (Not an "inbound" filter: libpcap runs the first frame after
    // pcap_setfilter through its userland copy of the filter, which cannot
    // read the packet direction and rejects it: the first packet on each
    // handle was lost, a watched query among them.)
    if (loopback) {
        const int one = 1;
        if (::setsockopt(pcap_get_selectable_fd(p), SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) != 0) {
            std::fprintf(stderr, "dnswatch run: capture on %s: the kernel keeps outgoing copies (%s); libpcap drops them\n",
                         interface.c_str(), std::strerror(errno));
        }
    }
    bpf_program program{};
    if (pcap_compile(p, &program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
        throw std::runtime_error("capture on " + interface + ": filter '" + filter + "': " + pcap_geterr(p));
    }
    const int set = pcap_setfilter(p, &program);
    pcap_freecode(&program);
    check(set, p, interface, "setting the filter");

    LiveHandle handle;
    if (pcap_stats(p, &handle.at_filter) == 0) handle.last_stats = handle.at_filter;
    handle.link_type = pcap_datalink(p);
    handle.nanoseconds = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
    handle.fd = pcap_get_selectable_fd(p);
    handle.source = static_cast<std::uint16_t>(interface_index);
    handle.interface = interface;
    handle.loopback = loopback;
    handle.pcap = std::move(pcap);
    return handle;
}

// Joins `fd` to a PACKET_FANOUT group of its own for this interface. Group
// ids are system-wide. On loopback the group, not the socket, decides
// whether outgoing copies come in (PACKET_IGNORE_OUTGOING is ignored once a
// socket is a member): ask it to leave them out, where the kernel can (6.2+).
void join_fanout(const LiveHandle& handle, std::uint16_t group) {
    constexpr int kIgnoreOutgoing = 0x4000;  // PACKET_FANOUT_FLAG_IGNORE_OUTGOING, newer than Debian 12's headers
    const int mode = PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG;
    auto join = [&](int flags) {
        const int argument = group | ((mode | flags) << 16);
        return ::setsockopt(handle.fd, SOL_PACKET, PACKET_FANOUT, &argument, sizeof argument) == 0;
    };
    if (handle.loopback && join(kIgnoreOutgoing)) return;
    if (join(0)) {
        if (handle.loopback) {
            std::fprintf(stderr,
                         "dnswatch run: capture on %s: this kernel keeps outgoing copies in a fanout group; "
                         "libpcap drops them, but the kernel's counts include them\n",
                         handle.interface.c_str());
        }
        return;
    }
    throw std::runtime_error("capture on " + handle.interface + ": cannot join fanout group " + std::to_string(group) +
                             ": " + std::strerror(errno));
}

}  // namespace

std::string default_capture_filter(const std::vector<std::uint16_t>& dns_ports,
                                   const std::vector<std::uint16_t>& gtpu_ports) {
    std::string filter;
    for (const std::uint16_t port : dns_ports) {
        const std::string p = std::to_string(port);
        filter += (filter.empty() ? "" : " or ") + std::string("udp port ") + p + " or tcp port " + p;
    }
    for (const std::uint16_t port : gtpu_ports) filter += " or udp port " + std::to_string(port);
    // IPv4 fragments past the first (offset != 0), and IPv6 fragments.
    return filter + " or (ip[6:2] & 0x1fff) != 0 or ip6[6] == 44";
}

std::vector<std::unique_ptr<PacketInput>> open_pcap_live(const PcapLiveOptions& options, std::size_t workers) {
    if (options.interfaces.empty()) throw std::runtime_error("capture.interfaces lists no interface");
    if (workers == 0) workers = 1;
    const std::string filter =
        options.filter.empty() ? default_capture_filter(options.dns_ports, options.gtpu_ports) : options.filter;
    const std::size_t interfaces = options.interfaces.size();

    // Which interface each handle captures, per worker.
    std::vector<std::vector<std::size_t>> plan(workers);
    std::vector<std::size_t> handles_per_interface(interfaces, 0);
    if (workers <= interfaces) {
        for (std::size_t i = 0; i < interfaces; ++i) plan[i % workers].push_back(i);
    } else {
        for (std::size_t w = 0; w < workers; ++w) plan[w].push_back(w % interfaces);
    }
    for (const auto& list : plan) {
        for (const std::size_t i : list) ++handles_per_interface[i];
    }

    std::vector<std::unique_ptr<PacketInput>> inputs;
    for (const auto& list : plan) {
        std::vector<LiveHandle> handles;
        for (const std::size_t i : list) {
            handles.push_back(open_handle(options, i, filter));
            if (handles_per_interface[i] > 1) {
                const auto group = static_cast<std::uint16_t>((::getpid() * 31 + static_cast<int>(i)) & 0xFFFF);
                join_fanout(handles.back(), group);
            }
        }
        inputs.push_back(std::make_unique<PcapLiveInput>(std::move(handles)));
    }
    return inputs;
}

}  // namespace dnswatch
