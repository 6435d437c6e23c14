// Reassembly allocates nothing per packet once warm (CONVENTIONS 6): TCP
// flows and IP datagrams take table slots and pool blocks allocated at
// construction; tunnels (VXLAN, GTP-U, PPP in GRE) are walked in place. operator new is replaced here to count calls.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "tests/decode/reassembly_support.h"

namespace {
std::atomic<bool> counting{false};
std::atomic<std::size_t> allocations{0};

// Out of line, so that the compiler does not pair a new it inlined with
// the free below and warn of a mismatch.
[[gnu::noinline]] void* allocate(std::size_t size) {
    if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size != 0 ? size : 1)) return p;
    throw std::bad_alloc();
}
[[gnu::noinline]] void release(void* p) noexcept { std::free(p); }
}  // namespace

void* operator new(std::size_t size) { return allocate(size); }
void* operator new[](std::size_t size) { return allocate(size); }
void operator delete(void* p) noexcept { release(p); }
void operator delete[](void* p) noexcept { release(p); }
void operator delete(void* p, std::size_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t) noexcept { release(p); }

namespace dnswatch::test {
namespace {

// Counts messages and reads every byte, allocating nothing.
struct TouchingSink : DnsMessageSink {
    std::size_t messages = 0;
    std::uint64_t sum = 0;
    void on_dns(const DnsDatagram& datagram, const PacketView&) override {
        ++messages;
        for (std::uint8_t b : datagram.dns) sum += b;
    }
};

TEST(ReassemblyNoAllocation, TcpStreamsAndFragmentsOnceWarm) {
    std::vector<Frame> frames;
    for (const char* file : {"pcap/dnscap/dnso1tcp.pcap", "pcap/dnscap/dnso1tcp-bighole.pcap",
                             "pcap/dnscap/dnsotcp-many1pkt.pcap", "pcap/dnscap/frags.pcap",
                             "pcap/zeek/ipv6-fragmented-dns.pcap", "pcap/suricata-verify/vxlan-decoder-03/vxlan.pcap"}) {
        for (Frame& f : read_frames(file)) frames.push_back(std::move(f));
    }
    // GTP-U (outer fragments, TCP inside) and PPP in GRE: 30 messages each, as tshark counts them.
    for (const char* file : {"gtpu-dns.pcap", "gre-ppp-dns.pcap"}) {
        for (Frame& f : read_capture(source_file(std::string("tests/decode/tunnel-captures/") + file))) {
            frames.push_back(std::move(f));
        }
    }
    std::vector<PacketView> packets;
    for (const Frame& f : frames) {
        PacketView view;
        view.bytes = std::span<const std::uint8_t>(f.bytes.data(), f.bytes.size());
        view.time_us = f.time_us;
        view.link_type = f.link_type;
        view.frame_number = f.number;
        packets.push_back(view);
    }
    TransportDecoder decoder(options_with());
    TouchingSink sink;
    for (const PacketView& p : packets) decoder.decode(p, sink);  // warm-up
    decoder.flush();
    const std::size_t warm = sink.messages;
    ASSERT_EQ(warm, 82u + 76u + 4u + 82u + 5u + 16u + 30u + 30u);

    allocations = 0;
    counting = true;
    for (const PacketView& p : packets) decoder.decode(p, sink);
    decoder.flush();
    counting = false;
    EXPECT_EQ(sink.messages, 2 * warm);
    EXPECT_EQ(allocations.load(), 0u) << "operator new calls while reassembling";
}

}  // namespace
}  // namespace dnswatch::test
