// Tunnels through TransportDecoder: the corpus's VXLAN and Geneve captures,
// and GRE, MPLS and IP-in-IP frames made by wrapping real DNS packets.
#include <gtest/gtest.h>

#include "tests/decode/reassembly_support.h"

namespace dnswatch::test {
namespace {

TEST(Tunnels, VxlanCapture) {
    // AWS traffic mirroring: every frame is VXLAN; 16 of them carry DNS
    // (SUMMARY.tsv: 16). Before tunnels were peeled they were all not_dns_port.
    const DecodeRun r = decode_file("pcap/suricata-verify/vxlan-decoder-03/vxlan.pcap");
    ASSERT_EQ(r.messages.size(), 16u);
    const Message& q = r.messages[0];
    EXPECT_EQ(q.datagram.src.to_string(), "172.31.0.238");  // the inner addresses
    EXPECT_EQ(q.datagram.dst.to_string(), "172.31.0.2");
    EXPECT_EQ(q.datagram.src_port, 47227);
    EXPECT_EQ(q.id(), 14894);
    EXPECT_EQ(r.counters.of(SkipKind::not_dns_port), 84u);
}

TEST(Tunnels, GeneveCarryingVxlan) {
    // Zeek's capture was cut short by its snap length, so every layer claims
    // more than is there (ip_truncated). With the lengths set to what was
    // captured, the walk goes IPv4/UDP/Geneve/IPv4/UDP/VXLAN/Ethernet/IPv4/UDP.
    std::vector<Frame> frames = read_frames("pcap/zeek/tunnels/geneve-vxlan-dns-truncated.pcap");
    const DecodeRun cut = decode_frames(frames);
    EXPECT_EQ(cut.counters.of(MalformedKind::ip_truncated), 2u);
    for (Frame& f : frames) {
        const std::size_t size = f.bytes.size();
        // outer IPv4 at 14, Geneve's IPv4 at 50, VXLAN's Ethernet at 86, the DNS packet's IPv4 at 100
        for (std::size_t ip : {std::size_t{14}, std::size_t{50}, std::size_t{100}}) {
            put16(f.bytes, ip + 2, size - ip);
            put16(f.bytes, ip + 20 + 4, size - ip - 20);
        }
    }
    const DecodeRun r = decode_frames(frames);
    ASSERT_EQ(r.messages.size(), 2u);
    EXPECT_EQ(r.messages[0].datagram.src.to_string(), "172.16.11.201");
    EXPECT_EQ(r.messages[0].datagram.dst.to_string(), "1.1.1.1");
    EXPECT_EQ(r.messages[0].id(), 64072);
    EXPECT_EQ(r.messages[1].datagram.src_port, 53);
}

// The query of dns_udp.pcap: Ethernet, IPv4 (20 bytes), UDP, 56 DNS bytes.
struct Query {
    Frame frame;
    Bytes ip;       // from the IPv4 header on
    Bytes payload;  // the DNS message
};

Query real_query() {
    Query q;
    q.frame = read_frames("pcap/tcpdump/dns_udp.pcap")[0];
    q.ip.assign(q.frame.bytes.begin() + 14, q.frame.bytes.end());
    q.payload.assign(q.ip.begin() + 28, q.ip.end());
    return q;
}

// An outer IPv4 header (the query's own, with `protocol`) around `inner`.
Bytes outer_ipv4(const Bytes& query_ip, std::uint8_t protocol, const Bytes& inner) {
    Bytes out(query_ip.begin(), query_ip.begin() + 20);
    out[9] = protocol;
    out[12] = 10, out[15] = 99;  // other outer addresses than the inner ones
    out.insert(out.end(), inner.begin(), inner.end());
    put16(out, 2, out.size());
    return out;
}

Frame ethernet(const Frame& like, std::uint16_t type, const Bytes& payload) {
    Frame f = like;
    f.bytes.resize(12);
    f.bytes.push_back(static_cast<std::uint8_t>(type >> 8));
    f.bytes.push_back(static_cast<std::uint8_t>(type));
    f.bytes.insert(f.bytes.end(), payload.begin(), payload.end());
    return f;
}

Bytes gre(std::uint16_t flags, std::uint16_t type, const Bytes& inner) {
    Bytes out = {static_cast<std::uint8_t>(flags >> 8), static_cast<std::uint8_t>(flags),
                 static_cast<std::uint8_t>(type >> 8), static_cast<std::uint8_t>(type)};
    if (flags & 0x8000) out.insert(out.end(), {0, 0, 0, 0});           // checksum
    if (flags & 0x2000) out.insert(out.end(), {0, 0, 0x12, 0x34});     // key
    if (flags & 0x1000) out.insert(out.end(), {0, 0, 0, 7});           // sequence
    out.insert(out.end(), inner.begin(), inner.end());
    return out;
}

void expect_inner_query(const Frame& frame, const Query& q) {
    const DecodeRun r = decode_frames({frame});
    ASSERT_EQ(r.messages.size(), 1u);
    EXPECT_EQ(r.messages[0].payload, q.payload);
    EXPECT_EQ(r.messages[0].datagram.src.to_string(), "192.168.1.11");
    EXPECT_EQ(r.messages[0].datagram.dst.to_string(), "209.87.249.18");
}

// Every cut of `frame`, each alone: counted once, never a crash.
void cut_everywhere(const Frame& frame) {
    for (std::size_t cut = 0; cut < frame.bytes.size(); ++cut) {
        Frame part = frame;
        part.bytes.resize(cut);
        const DecodeRun r = decode_frames({part}, options_with(64u << 10, 2, 2));
        EXPECT_TRUE(r.messages.empty()) << cut;
    }
}

TEST(Tunnels, Gre) {
    const Query q = real_query();
    for (std::uint16_t flags : {0x0000, 0x2000, 0x3000, 0xb000}) {  // plain, keyed, keyed+sequenced, +checksum
        SCOPED_TRACE(flags);
        const Frame f = ethernet(q.frame, 0x0800, outer_ipv4(q.ip, 47, gre(static_cast<std::uint16_t>(flags), 0x0800, q.ip)));
        expect_inner_query(f, q);
        cut_everywhere(f);
    }
    // Transparent Ethernet bridging: a whole frame inside.
    const Bytes inner_frame = q.frame.bytes;
    const Frame bridged = ethernet(q.frame, 0x0800, outer_ipv4(q.ip, 47, gre(0x2000, 0x6558, inner_frame)));
    expect_inner_query(bridged, q);
    // Version 1 (PPTP) carries PPP: not followed.
    const DecodeRun pptp = decode_frames({ethernet(q.frame, 0x0800, outer_ipv4(q.ip, 47, gre(0x2001, 0x880b, q.ip)))});
    EXPECT_EQ(pptp.counters.of(SkipKind::not_ip), 1u);
}

TEST(Tunnels, Mpls) {
    const Query q = real_query();
    Bytes labels = {0x00, 0x01, 0x40, 0x40, 0x00, 0x02, 0x01, 0x40};  // two labels, bottom of stack on the second
    Bytes stacked = labels;
    stacked.insert(stacked.end(), q.ip.begin(), q.ip.end());
    const Frame f = ethernet(q.frame, 0x8847, stacked);
    expect_inner_query(f, q);
    cut_everywhere(f);
    // MPLS inside GRE, and IPv6 under the labels.
    expect_inner_query(ethernet(q.frame, 0x0800, outer_ipv4(q.ip, 47, gre(0, 0x8847, stacked))), q);
    const Frame v6 = read_frames("pcap/tcpdump/LINKTYPE_IPV6.pcap")[0];
    Bytes over6 = labels;
    over6.insert(over6.end(), v6.bytes.begin(), v6.bytes.end());
    const DecodeRun r6 = decode_frames({ethernet(q.frame, 0x8847, over6)});
    ASSERT_EQ(r6.messages.size(), 1u);
    EXPECT_EQ(r6.messages[0].datagram.src.to_string(), "2001:db8::1");
    // A stack without a bottom runs off the end.
    const DecodeRun endless = decode_frames({ethernet(q.frame, 0x8847, {0, 1, 0x40, 0x40, 0, 2, 0, 0x40})});
    EXPECT_EQ(endless.counters.of(MalformedKind::tunnel_truncated), 1u);
}

TEST(Tunnels, IpInIpAndNestingLimit) {
    const Query q = real_query();
    expect_inner_query(ethernet(q.frame, 0x0800, outer_ipv4(q.ip, 4, q.ip)), q);
    Bytes nested = q.ip;
    for (int depth = 1; depth <= 5; ++depth) {
        nested = outer_ipv4(q.ip, 47, gre(0, 0x0800, nested));
        const DecodeRun r = decode_frames({ethernet(q.frame, 0x0800, nested)});
        EXPECT_EQ(r.messages.size(), depth <= 4 ? 1u : 0u) << depth;
        EXPECT_EQ(r.counters.of(SkipKind::tunnel_too_deep), depth <= 4 ? 0u : 1u) << depth;
    }
}

}  // namespace
}  // namespace dnswatch::test
