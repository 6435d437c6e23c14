// Tunnels through TransportDecoder: the corpus's VXLAN and Geneve captures,
// and GTP-U, GRE (with PPP inside or not), MPLS and IP-in-IP frames made by
// wrapping real DNS packets. tunnel_capture_test.cc compares whole GTP-U and
// GRE/PPP captures with tshark.
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
    // The mirror session, as tshark shows it (vxlan.vni 5569041).
    ASSERT_TRUE(q.tunnel.has_value());
    EXPECT_EQ(q.tunnel->kind, TunnelKind::vxlan);
    EXPECT_EQ(q.tunnel->id_kind, TunnelId::vni);
    EXPECT_EQ(q.tunnel->id, 5569041u);
    EXPECT_EQ(r.counters.of(TunnelKind::vxlan), 100u);  // every frame
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

// The message `frame` carries must be the query, with its own addresses;
// returns the tunnel it came through.
std::optional<Tunnel> expect_inner_query(const Frame& frame, const Query& q,
                                         const TransportOptions& options = options_with()) {
    const DecodeRun r = decode_frames({frame}, options);
    EXPECT_EQ(r.messages.size(), 1u);
    if (r.messages.size() != 1) return std::nullopt;
    EXPECT_EQ(r.messages[0].payload, q.payload);
    EXPECT_EQ(r.messages[0].datagram.src.to_string(), "192.168.1.11");
    EXPECT_EQ(r.messages[0].datagram.dst.to_string(), "209.87.249.18");
    return r.messages[0].tunnel;
}

void expect_tunnel(const std::optional<Tunnel>& tunnel, TunnelKind kind, TunnelId id_kind, std::uint32_t id) {
    ASSERT_TRUE(tunnel.has_value());
    EXPECT_EQ(tunnel->kind, kind);
    EXPECT_EQ(tunnel->id_kind, id_kind);
    EXPECT_EQ(tunnel->id, id);
    EXPECT_EQ(tunnel->outer_src.to_string(), "10.168.1.99");  // outer_ipv4's
    EXPECT_EQ(tunnel->outer_dst.to_string(), "209.87.249.18");
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
        const auto tunnel = expect_inner_query(f, q);
        if (flags & 0x2000) {
            expect_tunnel(tunnel, TunnelKind::gre, TunnelId::key, 0x1234);
        } else {
            expect_tunnel(tunnel, TunnelKind::gre, TunnelId::none, 0);
        }
        cut_everywhere(f);
    }
    // Transparent Ethernet bridging: a whole frame inside.
    const Bytes inner_frame = q.frame.bytes;
    const Frame bridged = ethernet(q.frame, 0x0800, outer_ipv4(q.ip, 47, gre(0x2000, 0x6558, inner_frame)));
    expect_inner_query(bridged, q);
    // Version 1 (enhanced GRE) carries PPP only; version 2 does not exist.
    const DecodeRun v1 = decode_frames({ethernet(q.frame, 0x0800, outer_ipv4(q.ip, 47, gre(0x2001, 0x0800, q.ip)))});
    EXPECT_EQ(v1.counters.of(SkipKind::not_ip), 1u);
    const DecodeRun v2 = decode_frames({ethernet(q.frame, 0x0800, outer_ipv4(q.ip, 47, gre(0x0002, 0x0800, q.ip)))});
    EXPECT_EQ(v2.counters.of(SkipKind::not_ip), 1u);
}

// Enhanced GRE (PPTP, RFC 2637): flags K, S, A and version 1; the key is the
// payload length and the receiving peer's call id; then PPP.
Bytes pptp(bool sequence, bool ack, std::uint16_t call_id, const Bytes& ppp_frame) {
    const std::uint16_t flags = 0x2001 | (sequence ? 0x1000 : 0) | (ack ? 0x0080 : 0);
    Bytes out = {static_cast<std::uint8_t>(flags >> 8), static_cast<std::uint8_t>(flags), 0x88, 0x0b, 0, 0,
                 static_cast<std::uint8_t>(call_id >> 8), static_cast<std::uint8_t>(call_id)};
    put16(out, 4, ppp_frame.size());
    if (sequence) out.insert(out.end(), {0, 0, 0, 42});
    if (ack) out.insert(out.end(), {0, 0, 0, 41});
    out.insert(out.end(), ppp_frame.begin(), ppp_frame.end());
    return out;
}

// PPP around `inner`: with or without address and control (ACFC), with a
// 2-byte or 1-byte protocol (PFC).
Bytes ppp(bool address_control, bool one_byte_protocol, std::uint16_t protocol, const Bytes& inner) {
    Bytes out;
    if (address_control) out.insert(out.end(), {0xff, 0x03});
    if (!one_byte_protocol) out.push_back(static_cast<std::uint8_t>(protocol >> 8));
    out.push_back(static_cast<std::uint8_t>(protocol));
    out.insert(out.end(), inner.begin(), inner.end());
    return out;
}

Frame over_gre(const Query& q, const Bytes& gre_packet) {
    return ethernet(q.frame, 0x0800, outer_ipv4(q.ip, 47, gre_packet));
}

TEST(Tunnels, PppInEnhancedGre) {
    const Query q = real_query();
    for (const bool sequence : {false, true}) {
        for (const bool ack : {false, true}) {
            for (const bool address_control : {false, true}) {
                for (const bool one_byte : {false, true}) {
                    SCOPED_TRACE(testing::Message() << "S " << sequence << " A " << ack << " ff03 "
                                                    << address_control << " PFC " << one_byte);
                    const Frame f = over_gre(q, pptp(sequence, ack, 0x4001, ppp(address_control, one_byte, 0x0021, q.ip)));
                    expect_tunnel(expect_inner_query(f, q), TunnelKind::gre_ppp, TunnelId::call_id, 0x4001);
                    cut_everywhere(f);
                }
            }
        }
    }
    // IPv6 inside (0x0057), 1 byte or 2.
    const Frame v6 = read_frames("pcap/tcpdump/LINKTYPE_IPV6.pcap")[0];
    for (const bool one_byte : {false, true}) {
        const DecodeRun r = decode_frames({over_gre(q, pptp(true, false, 7, ppp(true, one_byte, 0x0057, v6.bytes)))});
        ASSERT_EQ(r.messages.size(), 1u);
        EXPECT_EQ(r.messages[0].datagram.src.to_string(), "2001:db8::1");
        EXPECT_EQ(r.counters.of(TunnelKind::gre_ppp), 1u);
    }
    // PPP without IP (LCP echo, IPCP), and an acknowledgement with no data.
    const Bytes lcp_echo = {0x09, 0x01, 0x00, 0x08, 0x12, 0x34, 0x56, 0x78};
    const DecodeRun r = decode_frames({over_gre(q, pptp(true, false, 7, ppp(true, false, 0xc021, lcp_echo))),
                                       over_gre(q, pptp(true, false, 7, ppp(false, false, 0x8021, lcp_echo))),
                                       over_gre(q, pptp(false, true, 7, {}))});
    EXPECT_TRUE(r.messages.empty());
    EXPECT_EQ(r.counters.of(SkipKind::ppp_not_ip), 3u);
    EXPECT_EQ(r.counters.of(TunnelKind::gre_ppp), 0u);
    // An address and control field and nothing more runs short.
    const DecodeRun bare = decode_frames({over_gre(q, pptp(true, false, 7, {0xff, 0x03}))});
    EXPECT_EQ(bare.counters.of(MalformedKind::tunnel_truncated), 1u);
}

TEST(Tunnels, PppInGreVersion0) {
    // RFC 2784 GRE whose protocol type is PPP (0x880B): keyed, sequenced or neither.
    const Query q = real_query();
    for (std::uint16_t flags : {0x0000, 0x2000, 0x3000, 0x1000}) {
        SCOPED_TRACE(flags);
        const Frame f = over_gre(q, gre(flags, 0x880b, ppp((flags & 0x1000) != 0, false, 0x0021, q.ip)));
        const bool keyed = (flags & 0x2000) != 0;
        expect_tunnel(expect_inner_query(f, q), TunnelKind::gre_ppp, keyed ? TunnelId::key : TunnelId::none,
                      keyed ? 0x1234 : 0);
        cut_everywhere(f);
    }
}

// GTP-U (3GPP TS 29.281) in UDP around `inner`: `flags` as in the header
// (0x30 plus E 0x04, S 0x02, PN 0x01), then `optional` (the 4 optional
// bytes and the extension headers, when the flags ask for them).
Bytes gtpu(std::uint8_t flags, std::uint8_t type, std::uint32_t teid, const Bytes& optional, const Bytes& inner,
           std::uint16_t src_port = 2152, std::uint16_t dst_port = 2152) {
    Bytes gtp = {flags, type, 0, 0, static_cast<std::uint8_t>(teid >> 24), static_cast<std::uint8_t>(teid >> 16),
                 static_cast<std::uint8_t>(teid >> 8), static_cast<std::uint8_t>(teid)};
    gtp.insert(gtp.end(), optional.begin(), optional.end());
    gtp.insert(gtp.end(), inner.begin(), inner.end());
    put16(gtp, 2, gtp.size() - 8);
    Bytes udp(8 + gtp.size());
    put16(udp, 0, src_port);
    put16(udp, 2, dst_port);
    put16(udp, 4, udp.size());
    std::copy(gtp.begin(), gtp.end(), udp.begin() + 8);
    return udp;
}

Frame over_udp(const Query& q, const Bytes& udp) { return ethernet(q.frame, 0x0800, outer_ipv4(q.ip, 17, udp)); }

TEST(Tunnels, GtpU) {
    const Query q = real_query();
    struct Form {
        std::uint8_t flags;
        Bytes optional;
    };
    const std::vector<Form> forms = {
        {0x30, {}},                                  // the mandatory header alone
        {0x32, {0x00, 0x07, 0x00, 0x00}},            // sequence number
        {0x31, {0x00, 0x00, 0x05, 0x00}},            // N-PDU number
        {0x33, {0x00, 0x07, 0x05, 0x85}},            // both; without E the next type means nothing
        {0x34, {0x00, 0x00, 0x00, 0x85, 0x01, 0x10, 0x09, 0x00}},  // a PDU session container
        {0x36, {0x00, 0x07, 0x00, 0x85, 0x01, 0x10, 0x09, 0x40,    // ... then a UDP port one
                0x01, 0x08, 0x68, 0x00}},
        {0x34, {0x00, 0x00, 0x00, 0xc0, 0x02, 0x12, 0x34, 0x00, 0x00, 0x00, 0x00, 0x00}},  // 8 bytes long
    };
    for (const Form& form : forms) {
        SCOPED_TRACE(testing::Message() << "flags " << int{form.flags} << ", " << form.optional.size() << " more bytes");
        const Frame f = over_udp(q, gtpu(form.flags, 0xff, 0xb3c4, form.optional, q.ip));
        expect_tunnel(expect_inner_query(f, q), TunnelKind::gtp_u, TunnelId::teid, 0xb3c4);
        cut_everywhere(f);
    }
    // Either end's port; and the port list is the config's.
    const Frame downlink = over_udp(q, gtpu(0x30, 0xff, 9, {}, q.ip, 2152, 40000));
    expect_inner_query(downlink, q);
    TransportOptions other_port = options_with();
    other_port.gtpu_ports = {3386};
    const Frame on_3386 = over_udp(q, gtpu(0x30, 0xff, 9, {}, q.ip, 3386, 3386));
    expect_inner_query(on_3386, q, other_port);
    EXPECT_EQ(decode_frames({on_3386}).counters.of(SkipKind::not_dns_port), 1u);
    TransportOptions none = options_with();
    none.gtpu_ports = {};
    EXPECT_EQ(decode_frames({downlink}, none).counters.of(SkipKind::not_dns_port), 1u);
    // A DNS port wins: 2152 -> 53 is DNS (Zeek's gtp3_false_gtp.pcap is that).
    Bytes dns_udp(q.ip.begin() + 20, q.ip.end());
    put16(dns_udp, 0, 2152);
    const DecodeRun direct = decode_frames({over_udp(q, dns_udp)});
    ASSERT_EQ(direct.messages.size(), 1u);
    EXPECT_FALSE(direct.messages[0].tunnel.has_value());
}

TEST(Tunnels, GtpUWithoutUserPacket) {
    const Query q = real_query();
    const std::vector<Frame> frames = {
        over_udp(q, gtpu(0x32, 1, 0, {0, 1, 0, 0}, {})),                          // echo request
        over_udp(q, gtpu(0x32, 2, 0, {0, 1, 0, 0}, {0x0e, 0x00})),                // echo response
        over_udp(q, gtpu(0x32, 26, 0, {0, 2, 0, 0}, {0x10, 0, 0, 0xde, 0xad})),  // error indication
        over_udp(q, gtpu(0x30, 254, 0, {}, {})),                                  // end marker
        over_udp(q, gtpu(0x20, 0xff, 0, {}, q.ip)),  // GTP' (protocol type 0)
        over_udp(q, gtpu(0x48, 0xff, 0, {}, q.ip)),  // version 2 is GTP-C's
    };
    const DecodeRun r = decode_frames(frames);
    EXPECT_TRUE(r.messages.empty());
    EXPECT_EQ(r.counters.of(SkipKind::gtp_u_not_tpdu), frames.size());
    EXPECT_EQ(r.counters.of(TunnelKind::gtp_u), 0u);
    // A T-PDU of a non-IP PDU session (Ethernet, unstructured) is not IP.
    const DecodeRun ethernet_pdu = decode_frames({over_udp(q, gtpu(0x30, 0xff, 1, {}, q.frame.bytes))});
    EXPECT_EQ(ethernet_pdu.counters.of(SkipKind::not_ip), 1u);
}

TEST(Tunnels, GtpUBadHeaders) {
    const Query q = real_query();
    auto counters_of = [&](const Bytes& udp) { return decode_frames({over_udp(q, udp)}).counters; };
    // An extension header of length 0 would never end.
    EXPECT_EQ(counters_of(gtpu(0x34, 0xff, 1, {0, 0, 0, 0x85, 0x00, 0x10, 0x09, 0x00}, q.ip))
                  .of(MalformedKind::tunnel_bad_header), 1u);
    // One whose length runs past the message, and a length field past the datagram.
    EXPECT_EQ(counters_of(gtpu(0x34, 0xff, 1, {0, 0, 0, 0x85, 0x40}, {})).of(MalformedKind::tunnel_truncated), 1u);
    Bytes longer = gtpu(0x30, 0xff, 1, {}, q.ip);
    put16(longer, 8 + 2, q.ip.size() + 1);
    EXPECT_EQ(counters_of(longer).of(MalformedKind::tunnel_truncated), 1u);
    // A T-PDU with nothing in it.
    EXPECT_EQ(counters_of(gtpu(0x30, 0xff, 1, {}, {})).of(MalformedKind::tunnel_truncated), 1u);
}

TEST(Tunnels, GtpUNestingLimit) {
    // GTP-U in GTP-U in ...: the fifth tunnel is one too many, and counted.
    const Query q = real_query();
    Bytes nested = q.ip;
    for (int depth = 1; depth <= 5; ++depth) {
        nested = outer_ipv4(q.ip, 17, gtpu(0x30, 0xff, static_cast<std::uint32_t>(depth), {}, nested));
        const DecodeRun r = decode_frames({ethernet(q.frame, 0x0800, nested)});
        EXPECT_EQ(r.messages.size(), depth <= 4 ? 1u : 0u) << depth;
        EXPECT_EQ(r.counters.of(SkipKind::tunnel_too_deep), depth <= 4 ? 0u : 1u) << depth;
        EXPECT_EQ(r.counters.of(TunnelKind::gtp_u), static_cast<std::uint64_t>(std::min(depth, 4))) << depth;
        // The vantage names the innermost tunnel: the first one wrapped.
        if (depth <= 4 && !r.messages.empty()) {
            EXPECT_EQ(r.messages[0].tunnel->id, 1u) << depth;
        }
    }
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
