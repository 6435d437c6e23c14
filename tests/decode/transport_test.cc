// TransportDecoder against real captures from the shared corpus. Expected
// addresses, ports and DNS ids are what `tcpdump -nn -r FILE` prints. Frames
// for link types and IPv6 headers the corpus lacks are derived from real
// frames (a header swapped or inserted), never made up from scratch.
#include "decode/transport.h"

#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

#include "capture/pcap_file_source.h"

namespace dnswatch {
namespace {

std::string corpus(const std::string& relative) {
    return std::string(DNSWATCH_CORPUS_DIR) + "/" + relative;
}

using Bytes = std::vector<std::uint8_t>;

// The messages one decode() call hands over, copied.
struct FrameSink : DnsMessageSink {
    std::vector<DnsDatagram> datagrams;
    std::vector<Bytes> payloads;
    void on_dns(const DnsDatagram& datagram, const PacketView&) override {
        datagrams.push_back(datagram);
        datagrams.back().dns = {};
        payloads.emplace_back(datagram.dns.begin(), datagram.dns.end());
    }
    void clear() {
        datagrams.clear();
        payloads.clear();
    }
};

// Small bounds: tests build many decoders.
TransportOptions small_options(std::vector<std::uint16_t> ports = {53}) {
    TransportOptions options;
    options.dns_ports = std::move(ports);
    options.max_fragment_datagrams = 16;
    options.max_tcp_flows = 64;
    options.total_bytes = 1u << 20;
    return options;
}

// One frame of a capture, copied out of the source, with its verdict and
// the first message it completed.
struct Decoded {
    Bytes frame;
    int link_type = 0;
    TransportResult result = TransportResult::skipped;
    std::size_t messages = 0;
    DnsDatagram datagram;  // `dns` left empty: the bytes are in `payload`
    Bytes payload;
};

struct FileResult {
    std::vector<Decoded> frames;
    DecodeCounters counters;
    std::uint64_t dns = 0;         // messages
    std::uint64_t dns_frames = 0;  // frames that completed at least one
};

FileResult decode_file(const std::string& relative, const TransportOptions& options = small_options()) {
    FileResult out;
    TransportDecoder decoder(options);
    FrameSink sink;
    PcapFileSource source(corpus(relative));
    PacketBatch batch;
    while (source.next_batch(batch)) {
        for (const PacketView& p : batch) {
            Decoded d;
            d.frame.assign(p.bytes.begin(), p.bytes.end());
            d.link_type = p.link_type;
            sink.clear();
            d.result = decoder.decode(p, sink);
            d.messages = sink.datagrams.size();
            EXPECT_EQ(d.result == TransportResult::dns, d.messages > 0) << relative;
            if (d.messages > 0) {
                ++out.dns_frames;
                out.dns += d.messages;
                d.datagram = sink.datagrams[0];
                d.payload = sink.payloads[0];
            }
            out.frames.push_back(std::move(d));
        }
    }
    decoder.flush();
    out.counters = decoder.counters();
    EXPECT_FALSE(source.truncated()) << relative << ": " << source.read_error();
    return out;
}

// Decodes one frame held in a vector of exactly its size, so that the
// sanitizers catch any read past its end. A fresh decoder: no state.
TransportResult decode_frame(const Bytes& frame, int link_type, DnsDatagram& out,
                             DecodeCounters& counters) {
    TransportOptions options = small_options();
    options.max_fragment_datagrams = 2;
    options.max_tcp_flows = 2;
    options.total_bytes = 64u << 10;
    TransportDecoder decoder(options);
    FrameSink sink;
    PacketView view;
    view.bytes = std::span<const std::uint8_t>(frame.data(), frame.size());
    view.wire_length = static_cast<std::uint32_t>(frame.size());
    view.link_type = link_type;
    view.frame_number = 1;
    const TransportResult result = decoder.decode(view, sink);
    const DecodeCounters& got = decoder.counters();
    for (std::size_t i = 0; i < got.skipped.size(); ++i) counters.skipped[i] += got.skipped[i];
    for (std::size_t i = 0; i < got.held.size(); ++i) counters.held[i] += got.held[i];
    for (std::size_t i = 0; i < got.malformed.size(); ++i) counters.malformed[i] += got.malformed[i];
    for (std::size_t i = 0; i < got.events.size(); ++i) counters.events[i] += got.events[i];
    if (!sink.datagrams.empty()) {
        // Keep the payload alive for the caller: it points into the frame or
        // a buffer of the decoder, gone now; hand a copy that lives on.
        static thread_local std::vector<Bytes> keep;
        keep.push_back(sink.payloads[0]);
        if (keep.size() > 64) keep.erase(keep.begin());
        out = sink.datagrams[0];
        out.dns = keep.back();
    } else {
        out = DnsDatagram{};
    }
    return result;
}

std::uint16_t dns_id(const Bytes& payload) {
    return payload.size() < 2 ? 0 : static_cast<std::uint16_t>(payload[0] << 8 | payload[1]);
}

using SkipCounts = std::vector<std::pair<SkipKind, std::uint64_t>>;
using MalformedCounts = std::vector<std::pair<MalformedKind, std::uint64_t>>;

using HeldCounts = std::vector<std::pair<HeldKind, std::uint64_t>>;

// Exact counts for one capture: every kind not named must be zero. `dns` is
// messages; each frame is DNS, held, skipped or malformed exactly once.
void expect_counts(const std::string& file, std::uint64_t dns, const SkipCounts& skipped = {},
                   const MalformedCounts& malformed = {}, const HeldCounts& held = {},
                   const TransportOptions& options = small_options()) {
    SCOPED_TRACE(file);
    const FileResult got = decode_file(file, options);
    EXPECT_EQ(got.dns, dns);
    DecodeCounters expected;
    for (auto [kind, n] : skipped) expected.skipped[static_cast<std::size_t>(kind)] = n;
    for (auto [kind, n] : malformed) expected.malformed[static_cast<std::size_t>(kind)] = n;
    for (auto [kind, n] : held) expected.held[static_cast<std::size_t>(kind)] = n;
    for (std::size_t i = 0; i < expected.skipped.size(); ++i)
        EXPECT_EQ(got.counters.skipped[i], expected.skipped[i]) << kSkipKindNames[i];
    for (std::size_t i = 0; i < expected.held.size(); ++i)
        EXPECT_EQ(got.counters.held[i], expected.held[i]) << kHeldKindNames[i];
    for (std::size_t i = 1; i < expected.malformed.size(); ++i)
        EXPECT_EQ(got.counters.malformed[i], expected.malformed[i]) << kMalformedKindNames[i];
    EXPECT_EQ(got.dns_frames + got.counters.skipped_total() + got.counters.held_total() +
                  got.counters.malformed_total(),
              got.frames.size());
}

void expect_datagram(const Decoded& d, const std::string& src, std::uint16_t src_port,
                     const std::string& dst, std::uint16_t dst_port, std::uint16_t id,
                     std::size_t dns_size) {
    ASSERT_EQ(d.result, TransportResult::dns);
    EXPECT_EQ(d.datagram.src.to_string(), src);
    EXPECT_EQ(d.datagram.src_port, src_port);
    EXPECT_EQ(d.datagram.dst.to_string(), dst);
    EXPECT_EQ(d.datagram.dst_port, dst_port);
    EXPECT_EQ(d.datagram.ip_protocol, 17);
    EXPECT_EQ(dns_id(d.payload), id);
    EXPECT_EQ(d.payload.size(), dns_size);
}

// --- IpAddress ---------------------------------------------------------------

TEST(IpAddress, FormatsBothFamilies) {
    IpAddress v4;
    v4.family = 4;
    v4.bytes[0] = 192, v4.bytes[1] = 0, v4.bytes[2] = 2, v4.bytes[3] = 1;
    EXPECT_EQ(v4.to_string(), "192.0.2.1");
    IpAddress v6;
    v6.family = 6;
    v6.bytes[0] = 0x20, v6.bytes[1] = 0x01, v6.bytes[2] = 0x0d, v6.bytes[3] = 0xb8;
    v6.bytes[15] = 1;
    EXPECT_EQ(v6.to_string(), "2001:db8::1");
    EXPECT_EQ(IpAddress{}.to_string(), "");
}

// --- link types, from real captures -------------------------------------------

TEST(Transport, EthernetIpv4Udp) {
    expect_counts("pcap/tcpdump/dns_udp.pcap", 2);
    const FileResult r = decode_file("pcap/tcpdump/dns_udp.pcap");
    expect_datagram(r.frames[0], "192.168.1.11", 43966, "209.87.249.18", 53, 22836, 56);
    expect_datagram(r.frames[1], "209.87.249.18", 53, "192.168.1.11", 43966, 22836, 224);
}

TEST(Transport, Vlan8021QMatchesUntaggedCopy) {
    // vlan11.pcap is dns.pcap with an 802.1Q tag (VLAN 11) on every frame.
    const SkipCounts skipped = {{SkipKind::not_ip, 10}, {SkipKind::not_udp_tcp, 41}};
    expect_counts("pcap/dnscap/vlan11.pcap", 82, skipped);
    expect_counts("pcap/dnscap/dns.pcap", 82, skipped);
    const FileResult tagged = decode_file("pcap/dnscap/vlan11.pcap");
    const FileResult plain = decode_file("pcap/dnscap/dns.pcap");
    ASSERT_EQ(tagged.frames.size(), 133u);
    ASSERT_EQ(plain.frames.size(), 133u);
    EXPECT_EQ(tagged.frames[0].frame[12], 0x81);
    EXPECT_EQ(tagged.frames[0].frame[13], 0x00);
    for (std::size_t i = 0; i < tagged.frames.size(); ++i) {
        SCOPED_TRACE(i + 1);
        EXPECT_EQ(tagged.frames[i].result, plain.frames[i].result);
        EXPECT_EQ(tagged.frames[i].payload, plain.frames[i].payload);
        EXPECT_EQ(tagged.frames[i].datagram.src, plain.frames[i].datagram.src);
        EXPECT_EQ(tagged.frames[i].datagram.src_port, plain.frames[i].datagram.src_port);
    }
    // 172.17.0.10.53199 > 8.8.8.8.53: 59311+ A? google.com. (28)
    expect_datagram(tagged.frames[0], "172.17.0.10", 53199, "8.8.8.8", 53, 59311, 28);
    expect_datagram(tagged.frames[1], "8.8.8.8", 53, "172.17.0.10", 53199, 59311, 180);
}

TEST(Transport, OtherVlanCaptures) {
    expect_counts("pcap/zeek/dns/dns_notify2.pcap", 4);
    expect_counts("pcap/suricata-verify/datasets-06-state-long/input.pcap", 1200);
}

TEST(Transport, LinuxCookedV2) {
    expect_counts("pcap/dnscap/sll2.pcap", 2);
    const FileResult r = decode_file("pcap/dnscap/sll2.pcap");
    EXPECT_EQ(r.frames[0].link_type, DLT_LINUX_SLL2);
    expect_datagram(r.frames[0], "238.0.0.1", 37273, "238.0.0.2", 53, 20793, 43);
    expect_datagram(r.frames[1], "238.0.0.2", 53, "238.0.0.1", 37273, 20793, 732);
}

TEST(Transport, LinktypeIpv4AndIpv6) {
    expect_counts("pcap/tcpdump/LINKTYPE_IPV4.pcap", 1);
    expect_counts("pcap/tcpdump/LINKTYPE_IPV6.pcap", 1);
    const FileResult v4 = decode_file("pcap/tcpdump/LINKTYPE_IPV4.pcap");
    EXPECT_EQ(v4.frames[0].link_type, 228);
    expect_datagram(v4.frames[0], "192.168.1.100", 12345, "9.9.9.9", 53, 4660, 29);
    const FileResult v6 = decode_file("pcap/tcpdump/LINKTYPE_IPV6.pcap");
    EXPECT_EQ(v6.frames[0].link_type, 229);
    expect_datagram(v6.frames[0], "2001:db8::1", 12345, "2620:fe::9", 53, 4660, 29);
}

TEST(Transport, LinktypeRaw) {
    const FileResult v4 = decode_file("pcap/tcpdump/LINKTYPE_RAW_ipv4.pcap");
    ASSERT_EQ(v4.frames.size(), 1u);
    EXPECT_EQ(v4.frames[0].link_type, DLT_RAW);
    expect_datagram(v4.frames[0], "192.168.1.100", 12345, "9.9.9.9", 53, 4660, 29);
    const FileResult v6 = decode_file("pcap/tcpdump/LINKTYPE_RAW_ipv6.pcap");
    ASSERT_EQ(v6.frames.size(), 1u);
    expect_datagram(v6.frames[0], "2001:db8::1", 12345, "2620:fe::9", 53, 4660, 29);
    expect_counts("pcap/dnsjit/pellets.pcap", 91);
    expect_counts("pcap/zeek/dns/ech.pcap", 4);
}

TEST(Transport, BsdLoopbackNull) {
    expect_counts("pcap/tcpdump/dns-badcookie.pcap", 4);
    const FileResult r = decode_file("pcap/tcpdump/dns-badcookie.pcap");
    EXPECT_EQ(r.frames[0].link_type, DLT_NULL);
    expect_datagram(r.frames[0], "127.0.0.1", 54954, "127.0.0.1", 53, 63147, 40);
    expect_datagram(r.frames[1], "127.0.0.1", 53, "127.0.0.1", 54954, 63147, 56);
    expect_datagram(r.frames[2], "127.0.0.1", 49830, "127.0.0.1", 53, 46131, 56);
    expect_datagram(r.frames[3], "127.0.0.1", 53, "127.0.0.1", 49830, 46131, 131);
    expect_counts("pcap/zeek/dns-svcb.pcap", 2);
}

TEST(Transport, Ipv6OverEthernet) {
    expect_counts("pcap/dnscap/dns6.pcap", 2);
    const FileResult r = decode_file("pcap/dnscap/dns6.pcap");
    expect_datagram(r.frames[0], "2a01:3f0:0:57::245", 51972, "2001:4860:4860::8888", 53, 51420,
                    39);
    expect_datagram(r.frames[1], "2001:4860:4860::8888", 53, "2a01:3f0:0:57::245", 51972, 51420,
                    55);
}

TEST(Transport, TrailingEthernetPaddingIsIgnored) {
    expect_counts("pcap/dnscap/ipv6-with-ethernet-padding.pcap", 1);
    const FileResult r = decode_file("pcap/dnscap/ipv6-with-ethernet-padding.pcap");
    // ::1.37083 > ::1.53: 36580+ NS? . (17): the frame is longer than the
    // IPv6 datagram, and the padding must not become DNS bytes.
    expect_datagram(r.frames[0], "::1", 37083, "::1", 53, 36580, 17);
    EXPECT_GT(r.frames[0].frame.size(), 14u + 40u + 8u + 17u);
    // The same for IPv4 and for raw IPv6 with padding.
    expect_counts("pcap/dnscap/dnspad.pcap", 1);
    expect_counts("pcap/dnsjit/ip6-udp-padd.pcap", 1);
}

TEST(Transport, Pcapng) {
    expect_counts("pcap/ndpi/dns-google-nsid.pcapng", 14);
    const FileResult r = decode_file("pcap/ndpi/dns-google-nsid.pcapng");
    expect_datagram(r.frames[0], "2001:b07:a3d:c112:b332:20d:89ab:105e", 41624,
                    "2001:4860:4860::8844", 53, 37201, 44);
    expect_datagram(r.frames[2], "192.168.1.29", 58580, "8.8.4.4", 53, 19733, 45);
    int v4 = 0, v6 = 0;
    for (const Decoded& d : r.frames) (d.datagram.src.family == 4 ? v4 : v6)++;
    EXPECT_EQ(v4, 6);
    EXPECT_EQ(v6, 8);
}

// --- IPv6 extension headers ------------------------------------------------------

TEST(Transport, Ipv6HopByHopAndAtomicFragmentAreWalked) {
    // frag-9.pcap: frames 4 and 5 are MLD reports behind a hop-by-hop header,
    // frame 7 an ICMPv6 echo in an atomic fragment (offset 0, M=0); all reach
    // ICMPv6, so none is a fragment or malformed. Frames 6 and 11 are mDNS.
    expect_counts("pcap/suricata-verify/ipv6-evasion/ipv6-malformed-fragments-9/frag-9.pcap", 0,
                  {{SkipKind::not_udp_tcp, 9}, {SkipKind::not_dns_port, 2}});
    const FileResult r =
        decode_file("pcap/suricata-verify/ipv6-evasion/ipv6-malformed-fragments-9/frag-9.pcap");
    for (int frame : {4, 5, 7}) {
        const Decoded& d = r.frames[static_cast<std::size_t>(frame - 1)];
        EXPECT_EQ(d.frame[14 + 6], frame == 7 ? 44 : 0) << frame;
        EXPECT_EQ(d.result, TransportResult::skipped) << frame;
    }
    expect_counts("pcap/zeek/dns/mdns.pcap", 0,
                  {{SkipKind::not_udp_tcp, 6}, {SkipKind::not_dns_port, 18}});
}

// The real IPv6 query of LINKTYPE_IPV6.pcap with `header` inserted after the
// fixed header; `next` is the header's protocol number.
Bytes with_ipv6_ext_header(const Bytes& packet, std::uint8_t next, Bytes header) {
    Bytes out(packet.begin(), packet.begin() + 40);
    header[0] = out[6];  // the inserted header points at what the IPv6 header did
    out[6] = next;
    out.insert(out.end(), header.begin(), header.end());
    out.insert(out.end(), packet.begin() + 40, packet.end());
    const std::size_t payload = out.size() - 40;
    out[4] = static_cast<std::uint8_t>(payload >> 8);
    out[5] = static_cast<std::uint8_t>(payload);
    return out;
}

TEST(Transport, Ipv6ExtensionHeaderChains) {
    const FileResult real = decode_file("pcap/tcpdump/LINKTYPE_IPV6.pcap");
    ASSERT_EQ(real.frames.size(), 1u);
    const Bytes& packet = real.frames[0].frame;
    const Bytes hop_by_hop = {0, 0, 1, 4, 0, 0, 0, 0};                             // PadN, 8 bytes
    const Bytes dest_options = {0, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};  // 16 bytes
    const Bytes atomic_fragment = {0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78};
    Bytes auth(24, 0);  // AH with a 96-bit ICV: length field 4 = (24 / 4) - 2
    auth[1] = 4;
    const Bytes routing = {0, 0, 0, 0, 0, 0, 0, 0};  // type 0, no segments left

    // Build hop-by-hop, routing, destination options, atomic fragment, AH -> UDP
    // by inserting from the innermost outwards.
    Bytes chain = with_ipv6_ext_header(packet, 51, auth);
    chain = with_ipv6_ext_header(chain, 44, atomic_fragment);
    chain = with_ipv6_ext_header(chain, 60, dest_options);
    chain = with_ipv6_ext_header(chain, 43, routing);
    chain = with_ipv6_ext_header(chain, 0, hop_by_hop);

    for (const Bytes& frame : {with_ipv6_ext_header(packet, 0, hop_by_hop),
                               with_ipv6_ext_header(packet, 60, dest_options),
                               with_ipv6_ext_header(packet, 44, atomic_fragment),
                               with_ipv6_ext_header(packet, 51, auth), chain}) {
        DecodeCounters counters;
        DnsDatagram out;
        ASSERT_EQ(decode_frame(frame, 229, out, counters), TransportResult::dns);
        EXPECT_EQ(out.src.to_string(), "2001:db8::1");
        EXPECT_EQ(out.dst.to_string(), "2620:fe::9");
        EXPECT_EQ(out.dst_port, 53);
        EXPECT_EQ(Bytes(out.dns.begin(), out.dns.end()), real.frames[0].payload);
    }

    DecodeCounters counters;
    DnsDatagram out;
    // A first fragment (offset 0, M=1) of 37 bytes is malformed: all but
    // the last fragment carry a multiple of 8 bytes. A later one (offset 8,
    // M=0) is held, waiting for the rest.
    Bytes first_fragment = atomic_fragment;
    first_fragment[3] = 1;
    EXPECT_EQ(decode_frame(with_ipv6_ext_header(packet, 44, first_fragment), 229, out, counters),
              TransportResult::malformed);
    EXPECT_EQ(counters.of(MalformedKind::frag_bad_length), 1u);
    Bytes later_fragment = atomic_fragment;
    later_fragment[3] = 8;
    EXPECT_EQ(decode_frame(with_ipv6_ext_header(packet, 44, later_fragment), 229, out, counters),
              TransportResult::held);
    EXPECT_EQ(counters.of(HeldKind::ip_fragment), 1u);

    // A hop-by-hop header claiming 8 * (1 + 200) bytes runs off the end.
    Bytes too_long = hop_by_hop;
    too_long[1] = 200;
    EXPECT_EQ(decode_frame(with_ipv6_ext_header(packet, 0, too_long), 229, out, counters),
              TransportResult::malformed);
    EXPECT_EQ(counters.of(MalformedKind::ip6_bad_ext_header), 1u);

    // No next header (59) is not UDP.
    Bytes no_next = with_ipv6_ext_header(packet, 0, hop_by_hop);
    no_next[40] = 59;
    EXPECT_EQ(decode_frame(no_next, 229, out, counters), TransportResult::skipped);
    EXPECT_EQ(counters.of(SkipKind::not_udp_tcp), 1u);
}

// --- link types the corpus lacks, derived from real frames -----------------------

TEST(Transport, LinuxCookedV1DerivedFromEthernet) {
    // No SLL (v1) capture exists in the corpus: swap the Ethernet header of the
    // real dns_udp.pcap query for a 16-byte SLL header (outgoing, ARPHRD_ETHER).
    const FileResult real = decode_file("pcap/tcpdump/dns_udp.pcap");
    const Bytes& ether = real.frames[0].frame;
    Bytes sll = {0, 4, 0, 1, 0, 6};
    sll.insert(sll.end(), ether.begin() + 6, ether.begin() + 12);  // source MAC
    sll.insert(sll.end(), {0, 0, 0x08, 0x00});
    ASSERT_EQ(sll.size(), 16u);
    sll.insert(sll.end(), ether.begin() + 14, ether.end());
    DecodeCounters counters;
    DnsDatagram out;
    ASSERT_EQ(decode_frame(sll, DLT_LINUX_SLL, out, counters), TransportResult::dns);
    EXPECT_EQ(out.src.to_string(), "192.168.1.11");
    EXPECT_EQ(out.dst.to_string(), "209.87.249.18");
    EXPECT_EQ(Bytes(out.dns.begin(), out.dns.end()), real.frames[0].payload);

    // An SLL frame carrying ARP is not IP.
    sll[14] = 0x08, sll[15] = 0x06;
    EXPECT_EQ(decode_frame(sll, DLT_LINUX_SLL, out, counters), TransportResult::skipped);
    EXPECT_EQ(counters.of(SkipKind::not_ip), 1u);
}

TEST(Transport, BsdLoopbackFamiliesInEitherByteOrder) {
    const FileResult v4 = decode_file("pcap/tcpdump/dns-badcookie.pcap");
    const FileResult v6 = decode_file("pcap/tcpdump/LINKTYPE_IPV6.pcap");
    const Bytes ip4(v4.frames[0].frame.begin() + 4, v4.frames[0].frame.end());
    const Bytes& ip6 = v6.frames[0].frame;
    auto framed = [](std::uint32_t family, bool big_endian, const Bytes& ip) {
        Bytes out(4);
        for (int i = 0; i < 4; ++i) {
            const int shift = big_endian ? 24 - 8 * i : 8 * i;
            out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(family >> shift);
        }
        out.insert(out.end(), ip.begin(), ip.end());
        return out;
    };
    for (int link : {DLT_NULL, DLT_LOOP}) {
        for (bool big_endian : {false, true}) {
            SCOPED_TRACE(::testing::Message() << "link " << link << " big_endian " << big_endian);
            DecodeCounters counters;
            DnsDatagram out;
            const Bytes frame4 = framed(2, big_endian, ip4);
            EXPECT_EQ(decode_frame(frame4, link, out, counters), TransportResult::dns);
            EXPECT_EQ(dns_id(Bytes(out.dns.begin(), out.dns.end())), 63147);
            for (std::uint32_t af_inet6 : {24u, 28u, 30u}) {
                ASSERT_EQ(decode_frame(framed(af_inet6, big_endian, ip6), link, out, counters),
                          TransportResult::dns);
                EXPECT_EQ(out.src.to_string(), "2001:db8::1");
            }
            // AF_APPLETALK (16) is not IP.
            EXPECT_EQ(decode_frame(framed(16, big_endian, ip4), link, out, counters),
                      TransportResult::skipped);
            EXPECT_EQ(counters.of(SkipKind::not_ip), 1u);
        }
    }
}

TEST(Transport, StackedVlanTags) {
    const FileResult real = decode_file("pcap/tcpdump/dns_udp.pcap");
    const Bytes& ether = real.frames[0].frame;
    auto tagged = [&](std::initializer_list<std::uint16_t> tpids) {
        Bytes out(ether.begin(), ether.begin() + 12);
        std::uint16_t vid = 100;
        for (std::uint16_t tpid : tpids) {
            out.insert(out.end(),
                       {static_cast<std::uint8_t>(tpid >> 8), static_cast<std::uint8_t>(tpid), 0,
                        static_cast<std::uint8_t>(vid++)});
        }
        out.insert(out.end(), ether.begin() + 12, ether.end());
        return out;
    };
    DecodeCounters counters;
    DnsDatagram out;
    for (const Bytes& frame : {tagged({0x88a8, 0x8100}), tagged({0x9100, 0x8100}),
                               tagged({0x88a8, 0x8100, 0x8100, 0x8100})}) {
        ASSERT_EQ(decode_frame(frame, DLT_EN10MB, out, counters), TransportResult::dns);
        EXPECT_EQ(Bytes(out.dns.begin(), out.dns.end()), real.frames[0].payload);
    }
    // Five tags is more than we peel.
    EXPECT_EQ(
        decode_frame(tagged({0x88a8, 0x8100, 0x8100, 0x8100, 0x8100}), DLT_EN10MB, out, counters),
        TransportResult::skipped);
    EXPECT_EQ(counters.of(SkipKind::not_ip), 1u);
    // A tag cut in half.
    Bytes cut = tagged({0x8100});
    cut.resize(16);
    EXPECT_EQ(decode_frame(cut, DLT_EN10MB, out, counters), TransportResult::malformed);
    EXPECT_EQ(counters.of(MalformedKind::link_truncated), 1u);
}

// --- skips ----------------------------------------------------------------------

TEST(Transport, FragmentsAreReassembled) {
    // Message counts as tshark gives them in SUMMARY.tsv (frags.pcap: the 82
    // messages of dnscap's dns.gold, which reads it with defrag_ipv4=yes).
    using H = HeldKind;
    expect_counts("pcap/dnscap/frags.pcap", 82, {}, {}, {{H::ip_fragment, 413}});
    expect_counts("pcap/go-dnscollector/dnsdump_ip4_fragmented+udp.pcap", 2, {}, {}, {{H::ip_fragment, 1}});
    expect_counts("pcap/go-dnscollector/dnsdump_ip4_fragmented_query.pcap", 2, {}, {}, {{H::ip_fragment, 2}});
    expect_counts("pcap/go-dnscollector/dnsdump_ip6_fragmented+udp.pcap", 2, {}, {}, {{H::ip_fragment, 1}});
    expect_counts("pcap/go-dnscollector/dnsdump_ip6_fragmented_query.pcap", 1, {}, {}, {{H::ip_fragment, 1}});
    expect_counts("pcap/zeek/ipv6-fragmented-dns.pcap", 5, {}, {}, {{H::ip_fragment, 3}});
    expect_counts("pcap/ndpi/dns_fragmented.pcap", 43, {}, {}, {{H::ip_fragment, 7}, {H::tcp_segment, 16}});
    const FileResult r = decode_file("pcap/go-dnscollector/dnsdump_ip4_fragmented+udp.pcap");
    expect_datagram(r.frames[0], "172.217.40.76", 56680, "193.24.227.238", 53, 54335, 40);
    EXPECT_FALSE(r.frames[0].datagram.reassembled);
    EXPECT_EQ(r.frames[1].result, TransportResult::held);
    ASSERT_EQ(r.frames[2].result, TransportResult::dns);
    EXPECT_TRUE(r.frames[2].datagram.reassembled);
    EXPECT_EQ(r.frames[2].datagram.src.to_string(), "193.24.227.238");
    EXPECT_EQ(r.counters.of(ReassemblyEvent::frag_reassembled), 1u);
}

TEST(Transport, TcpAndOtherProtocols) {
    using H = HeldKind;
    expect_counts("pcap/tcpdump/dns_tcp.pcap", 2, {}, {}, {{H::tcp_segment, 9}});
    expect_counts("pcap/tcpdump/dns_tcp_8053.pcap", 0, {{SkipKind::not_dns_port, 11}});
    expect_counts("pcap/tcpdump/dns_tcp_8053.pcap", 2, {}, {}, {{H::tcp_segment, 9}}, small_options({8053}));
    expect_counts("pcap/tcpdump/dns_udp_8053.pcap", 0, {{SkipKind::not_dns_port, 2}});
    expect_counts("pcap/tcpdump/dns_udp_8053.pcap", 2, {}, {}, {}, small_options({53, 8053}));
    expect_counts("pcap/zeek/dns/proto255.pcap", 0, {{SkipKind::not_udp_tcp, 1}});
    expect_counts("pcap/dnscap/icmp.pcap", 0, {{SkipKind::not_udp_tcp, 2}});
    expect_counts("pcap/zeek/dns-edns-ecs.pcap", 85, {}, {}, {{H::ip_fragment, 4}});
    expect_counts("pcap/suricata-verify/dns/dns-answer-emptydata/input.pcap", 2, {}, {},
                  {{H::tcp_segment, 9}});
}

TEST(Transport, UnsupportedLinkTypesAreCounted) {
    expect_counts("pcap/tcpdump/ppp_ip_udp_dns.pcap", 0, {{SkipKind::unsupported_link_type, 1}});
    expect_counts("pcap/tcpdump/nflog.pcap", 0, {{SkipKind::unsupported_link_type, 4}});
    expect_counts("pcap/zeek/dns-inverse-query.pcap", 0, {{SkipKind::unsupported_link_type, 11}});
}

// --- malformed ------------------------------------------------------------------

TEST(Transport, ZeroLengthDnsPayloadIsPassedOn) {
    // dns-zlip-*: the UDP length says 8 (no DNS bytes) inside a longer IP
    // datagram. The transport layer is well formed; the DNS decoder is what
    // rejects the empty message (dns_truncated_header).
    for (const char* file : {"pcap/tcpdump/dns-zlip-1.pcap", "pcap/tcpdump/dns-zlip-2.pcap",
                             "pcap/tcpdump/dns-zlip-3.pcap"}) {
        expect_counts(file, 1);
        const FileResult r = decode_file(file);
        expect_datagram(r.frames[0], "10.0.0.1", 1024, "146.84.28.88", 53, 0, 0);
    }
}

TEST(Transport, IpLengthBeyondCapturedBytesIsTruncated) {
    expect_counts("pcap/tcpdump/ipv4_invalid_total_length.pcap", 0, {},
                  {{MalformedKind::ip_truncated, 1}});
    expect_counts("pcap/tcpdump/ipv6_invalid_length_2.pcap", 0, {},
                  {{MalformedKind::ip_truncated, 1}});
    // Snap-length cut response (caplen 98 < len 266).
    expect_counts("pcap/tcpdump/dns_udp_2.pcap", 1, {}, {{MalformedKind::ip_truncated, 1}});
    expect_counts("pcap/zeek/dns-edns-ecs-bad.pcap", 3, {}, {{MalformedKind::ip_truncated, 1}});
}

TEST(Transport, BadHeadersDerivedFromRealFrames) {
    const FileResult real = decode_file("pcap/tcpdump/LINKTYPE_IPV4.pcap");
    const Bytes& ip = real.frames[0].frame;  // 20-byte IPv4 header, UDP, 29 DNS bytes
    ASSERT_EQ(ip.size(), 20u + 8u + 29u);
    DecodeCounters counters;
    DnsDatagram out;
    auto decode_with = [&](auto&& edit, int link = 228) {
        Bytes frame = ip;
        edit(frame);
        return decode_frame(frame, link, out, counters);
    };
    EXPECT_EQ(decode_with([](Bytes& f) { f[0] = 0x65; }), TransportResult::malformed);  // version 6
    EXPECT_EQ(decode_with([](Bytes& f) { f[0] = 0x44; }), TransportResult::malformed);  // IHL 4
    EXPECT_EQ(decode_with([](Bytes& f) { f[2] = 0, f[3] = 19; }), TransportResult::malformed);
    EXPECT_EQ(decode_with([](Bytes& f) { f[0] = 0x5f; }, DLT_RAW), TransportResult::malformed);
    // IHL 60 with total length 57: the header would not fit its own datagram.
    EXPECT_EQ(decode_with([](Bytes& f) { f[0] = 0x4f; }), TransportResult::malformed);
    EXPECT_EQ(counters.of(MalformedKind::ip_bad_header), 5u);
    // IHL 60 and total length 100, with 57 bytes captured.
    EXPECT_EQ(decode_with([](Bytes& f) { f[0] = 0x4f, f[3] = 100; }), TransportResult::malformed);
    EXPECT_EQ(counters.of(MalformedKind::ip_truncated), 1u);
    // UDP length 7, and UDP length one more than the datagram holds.
    EXPECT_EQ(decode_with([](Bytes& f) { f[24] = 0, f[25] = 7; }), TransportResult::malformed);
    EXPECT_EQ(counters.of(MalformedKind::udp_bad_length), 1u);
    EXPECT_EQ(decode_with([](Bytes& f) { f[24] = 0, f[25] = 38; }), TransportResult::malformed);
    EXPECT_EQ(counters.of(MalformedKind::udp_truncated), 1u);
    // IP total length leaves only 4 bytes for UDP.
    EXPECT_EQ(decode_with([](Bytes& f) { f[2] = 0, f[3] = 24; }), TransportResult::malformed);
    EXPECT_EQ(counters.of(MalformedKind::udp_truncated), 2u);
    // MF set on 37 bytes (not a multiple of 8): malformed; offset set: held.
    EXPECT_EQ(decode_with([](Bytes& f) { f[6] = 0x20; }), TransportResult::malformed);
    EXPECT_EQ(counters.of(MalformedKind::frag_bad_length), 1u);
    EXPECT_EQ(decode_with([](Bytes& f) { f[7] = 0x01; }), TransportResult::held);
    // DF alone is not a fragment.
    EXPECT_EQ(decode_with([](Bytes& f) { f[6] = 0x40; }), TransportResult::dns);
    EXPECT_EQ(counters.of(HeldKind::ip_fragment), 1u);

    const FileResult real6 = decode_file("pcap/tcpdump/LINKTYPE_IPV6.pcap");
    Bytes jumbo = real6.frames[0].frame;
    jumbo[4] = 0, jumbo[5] = 0;  // payload length 0 = jumbogram
    EXPECT_EQ(decode_frame(jumbo, 229, out, counters), TransportResult::malformed);
    EXPECT_EQ(counters.of(MalformedKind::ip_bad_header), 6u);
}

// --- robustness -------------------------------------------------------------------

// Cuts every frame of `file` at every length. A cut frame must never crash,
// must be counted exactly once when it is not DNS, must be malformed when the
// cut falls inside the DNS payload's datagram, and when it still decodes it
// must give the same payload as the whole frame. Each frame is decoded alone.
void cut_every_frame(const std::string& file) {
    SCOPED_TRACE(file);
    const FileResult whole = decode_file(file);
    ASSERT_FALSE(whole.frames.empty());
    for (std::size_t index = 0; index < whole.frames.size(); ++index) {
        const Decoded& full = whole.frames[index];
        DecodeCounters scratch;
        DnsDatagram alone;
        const TransportResult full_result = decode_frame(full.frame, full.link_type, alone, scratch);
        // Where the DNS payload ends within the frame (0 when not DNS alone):
        // a UDP payload is the frame's bytes up to the end of its datagram.
        std::size_t dns_end = 0;
        if (full_result == TransportResult::dns) {
            const Bytes payload(alone.dns.begin(), alone.dns.end());
            for (std::size_t end = payload.size(); end <= full.frame.size(); ++end) {
                if (std::equal(payload.begin(), payload.end(), full.frame.begin() + static_cast<long>(end - payload.size()))) {
                    dns_end = end;
                    break;
                }
            }
            if (!payload.empty()) {
                ASSERT_GT(dns_end, 0u);
            }
        }
        for (std::size_t cut = 0; cut < full.frame.size(); ++cut) {
            const Bytes frame(full.frame.begin(), full.frame.begin() + static_cast<long>(cut));
            DecodeCounters counters;
            DnsDatagram out;
            const TransportResult result = decode_frame(frame, full.link_type, out, counters);
            const std::uint64_t counted =
                counters.malformed_total() + counters.skipped_total() + counters.held_total();
            if (result == TransportResult::dns) {
                ASSERT_EQ(counted, 0u) << "frame " << index + 1 << " cut " << cut;
                ASSERT_EQ(full_result, TransportResult::dns) << "frame " << index + 1 << " cut " << cut;
                ASSERT_GE(cut, dns_end) << "frame " << index + 1;
                ASSERT_EQ(Bytes(out.dns.begin(), out.dns.end()), Bytes(alone.dns.begin(), alone.dns.end()));
            } else {
                ASSERT_EQ(counted, 1u) << "frame " << index + 1 << " cut " << cut;
                if (cut < dns_end) {
                    ASSERT_EQ(result, TransportResult::malformed) << "frame " << index + 1 << " cut " << cut;
                }
            }
        }
    }
}

TEST(Transport, EveryCutOfRealFramesIsSafe) {
    for (const char* file :
         {"pcap/tcpdump/dns_udp.pcap", "pcap/dnscap/vlan11.pcap", "pcap/dnscap/sll2.pcap",
          "pcap/tcpdump/LINKTYPE_IPV4.pcap", "pcap/tcpdump/LINKTYPE_IPV6.pcap",
          "pcap/tcpdump/LINKTYPE_RAW_ipv4.pcap", "pcap/tcpdump/LINKTYPE_RAW_ipv6.pcap",
          "pcap/tcpdump/dns-badcookie.pcap", "pcap/dnscap/dns6.pcap",
          "pcap/dnscap/ipv6-with-ethernet-padding.pcap", "pcap/ndpi/dns-google-nsid.pcapng",
          "pcap/suricata-verify/ipv6-evasion/ipv6-malformed-fragments-9/frag-9.pcap",
          "pcap/zeek/dns/mdns.pcap", "pcap/zeek/ipv6-fragmented-dns.pcap",
          "pcap/tcpdump/dns-zlip-3.pcap", "pcap/tcpdump/ppp_ip_udp_dns.pcap"}) {
        cut_every_frame(file);
    }
}

// Counts frames by verdict, and checks every message lies inside its frame
// or inside the decoder's own buffers (never in freed memory: ASan).
struct VerdictSink : DnsMessageSink {
    std::uint64_t messages = 0;
    std::uint64_t in_frame = 0;
    const PacketView* current = nullptr;
    void on_dns(const DnsDatagram& datagram, const PacketView& packet) override {
        EXPECT_EQ(&packet, current);
        ++messages;
        const auto* begin = packet.bytes.data();
        if (datagram.dns.data() >= begin && datagram.dns.data() + datagram.dns.size() <= begin + packet.bytes.size())
            ++in_frame;
        volatile std::uint64_t sum = 0;  // every byte readable
        for (std::uint8_t b : datagram.dns) sum = sum + b;
    }
};

TEST(Transport, WholeCorpusIsCountedOncePerFrame) {
    // Every frame of every readable capture ends as exactly one of: DNS, one
    // held kind, one skip kind, one malformed kind. Under the sanitizers this
    // is also the out-of-bounds sweep, reassembly included.
    namespace fs = std::filesystem;
    std::uint64_t files = 0;
    std::uint64_t frames = 0;
    for (const auto& entry : fs::recursive_directory_iterator(corpus("pcap"))) {
        if (!entry.is_regular_file() || entry.path().extension() == ".gz") continue;
        PcapFileSource source(entry.path().string());
        TransportDecoder decoder(small_options());
        VerdictSink sink;
        std::uint64_t dns_frames = 0;
        PacketBatch batch;
        while (source.next_batch(batch)) {
            for (const PacketView& p : batch) {
                sink.current = &p;
                if (decoder.decode(p, sink) == TransportResult::dns) ++dns_frames;
            }
        }
        decoder.flush();
        const DecodeCounters& c = decoder.counters();
        EXPECT_EQ(dns_frames + c.skipped_total() + c.held_total() + c.malformed_total(), source.packets_read())
            << entry.path();
        EXPECT_GE(sink.messages, dns_frames) << entry.path();
        EXPECT_EQ(decoder.free_bytes(), (1u << 20)) << entry.path() << ": flush gives every block back";
        frames += source.packets_read();
        ++files;
    }
    EXPECT_GE(files, 190u);
    EXPECT_GE(frames, 5600u);
}

TEST(Transport, BenchmarkMixCounts) {
    // 40 replicas of 3,224 real packets: per replica 2,402 UDP DNS datagrams,
    // 820 TCP segments on port 53 (270 of which complete 292 messages, the
    // other 550 are handshakes, ACKs and parts), and 2 IP-truncated frames
    // (the snap-length cut response of dns_udp_2.pcap and
    // ipv6_invalid_length_2.pcap).
    PcapFileSource source(DNSWATCH_BENCH_CAPTURE);
    TransportDecoder decoder(small_options());
    VerdictSink sink;
    PacketBatch batch;
    while (source.next_batch(batch)) {
        for (const PacketView& p : batch) {
            sink.current = &p;
            decoder.decode(p, sink);
        }
    }
    const DecodeCounters& counters = decoder.counters();
    const std::uint64_t dns = sink.messages;
    EXPECT_EQ(source.packets_read(), 128'960u);
    EXPECT_EQ(dns, 96'080u + 40 * 292);
    EXPECT_EQ(counters.of(HeldKind::tcp_segment), 40u * 550);
    EXPECT_EQ(counters.of(MalformedKind::ip_truncated), 80u);
    EXPECT_EQ(counters.malformed_total(), 80u);
}

}  // namespace
}  // namespace dnswatch
