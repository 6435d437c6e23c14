#include "decode/transport.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "decode/dnstap_message.h"
#include "decode/ip_reassembly.h"
#include "decode/reassembly_buffer.h"
#include "decode/tcp_reassembly.h"

namespace dnswatch {
namespace {

// Every read below goes through these helpers after the caller has checked
// the span is long enough; the checks are explicit at each layer so that a
// failure names the layer that ran short.
inline std::uint16_t load_be16(const std::uint8_t* p) {
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t load_be32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
constexpr std::uint16_t kEtherTypeIpv6 = 0x86dd;
constexpr std::uint16_t kEtherTypeVlan = 0x8100;     // 802.1Q
constexpr std::uint16_t kEtherTypeQinQ = 0x88a8;     // 802.1ad
constexpr std::uint16_t kEtherTypeQinQOld = 0x9100;  // pre-standard QinQ
constexpr int kMaxVlanTags = 4;

constexpr std::uint16_t kEtherTypeMpls = 0x8847;
constexpr std::uint16_t kEtherTypeMplsMulticast = 0x8848;
constexpr std::uint16_t kEtherTypeBridging = 0x6558;  // GRE / Geneve: an Ethernet frame follows
constexpr std::uint16_t kEtherTypePpp = 0x880b;       // GRE: a PPP frame follows

constexpr std::uint8_t kProtoTcp = 6;
constexpr std::uint8_t kProtoUdp = 17;
constexpr std::uint8_t kProtoGre = 47;
constexpr std::uint16_t kDnsOverTlsPort = 853;  // also DNS over DTLS and over QUIC
constexpr std::uint16_t kVxlanPort = 4789;
constexpr std::uint16_t kGenevePort = 6081;
constexpr int kMaxEncapsulations = 4;  // tunnels and MPLS stacks peeled per frame

// Link types as libpcap reports them. Values that libpcap maps from LINKTYPE_*
// on some platforms but not others are listed by number as well.
constexpr int kLinkNull = 0;         // DLT_NULL: BSD loopback, host byte order
constexpr int kLinkEthernet = 1;     // DLT_EN10MB
constexpr int kLinkRaw12 = 12;       // DLT_RAW on most platforms
constexpr int kLinkRaw14 = 14;       // DLT_RAW on OpenBSD
constexpr int kLinkRaw101 = 101;     // LINKTYPE_RAW when not mapped
constexpr int kLinkLoop = 108;       // DLT_LOOP: BSD loopback, network order
constexpr int kLinkLinuxSll = 113;   // DLT_LINUX_SLL
constexpr int kLinkIpv4 = 228;       // LINKTYPE_IPV4
constexpr int kLinkIpv6 = 229;       // LINKTYPE_IPV6
constexpr int kLinkLinuxSll2 = 276;  // DLT_LINUX_SLL2

constexpr std::size_t kEthernetHeader = 14;
constexpr std::size_t kSllHeader = 16;   // protocol at offset 14
constexpr std::size_t kSll2Header = 20;  // protocol at offset 0
constexpr std::size_t kLoopbackHeader = 4;
constexpr std::size_t kIpv4MinHeader = 20;
constexpr std::size_t kIpv6Header = 40;
constexpr std::size_t kUdpHeader = 8;
constexpr std::size_t kTcpMinHeader = 20;
constexpr std::size_t kVxlanHeader = 8;
constexpr std::size_t kGeneveMinHeader = 8;
constexpr std::size_t kGtpuHeader = 8;          // flags, type, length, TEID
constexpr std::size_t kGtpuOptionalFields = 4;  // sequence number, N-PDU number, next extension type
constexpr std::uint8_t kGtpuTpdu = 0xff;        // the message type that carries a user packet

constexpr std::uint16_t kPppIpv4 = 0x0021;
constexpr std::uint16_t kPppIpv6 = 0x0057;

constexpr std::uint8_t kIpv6Fragment = 44;
constexpr std::uint8_t kIpv6Auth = 51;

// Extension headers that share the "next header, length" layout and sit
// between the IPv6 header and the upper layer.
inline bool is_ipv6_extension(std::uint8_t next) {
    switch (next) {
    case 0:   // hop-by-hop options
    case 43:  // routing
    case kIpv6Fragment:
    case kIpv6Auth:
    case 60:   // destination options
    case 135:  // mobility
    case 139:  // HIP
    case 140:  // shim6
        return true;
    default:
        return false;
    }
}

// What follows a link header, a tunnel header or an MPLS stack.
enum class Network : std::uint8_t { ipv4, ipv6, any_ip, mpls, ethernet, other };

inline Network network_of_ethertype(std::uint16_t type) {
    switch (type) {
    case kEtherTypeIpv4: return Network::ipv4;
    case kEtherTypeIpv6: return Network::ipv6;
    case kEtherTypeMpls:
    case kEtherTypeMplsMulticast: return Network::mpls;
    case kEtherTypeBridging: return Network::ethernet;
    default: return Network::other;
    }
}

inline bool is_vlan_tag(std::uint16_t type) {
    return type == kEtherTypeVlan || type == kEtherTypeQinQ || type == kEtherTypeQinQOld;
}

// BSD loopback: a 4-byte address family written in the capturing host's byte
// order (DLT_NULL) or network order (DLT_LOOP). A family is a small number,
// so whichever order makes it small is the right one.
inline Network network_of_bsd_family(const std::uint8_t* p) {
    std::uint32_t family = load_be32(p);
    if ((family & 0xffff0000u) != 0)
        family = (family >> 24) | ((family >> 8) & 0xff00u) | ((family << 8) & 0xff0000u) |
                 (family << 24);
    switch (family) {
    case 2:
        return Network::ipv4;  // AF_INET everywhere
    case 24:
    case 28:
    case 30:
        return Network::ipv6;  // AF_INET6: NetBSD/OpenBSD, FreeBSD, Darwin
    default:
        return Network::other;
    }
}


// Copies an address the way ipv4() and ipv6() wrote it moments before (a
// family byte, then 4 or 16 address bytes, the rest of an IPv4 address
// zero in both), into an address whose bytes are zero. A plain struct copy
// loads 16 bytes across the several small stores that built it, which the
// CPU cannot forward from its store buffer: udp() stalled until they had
// reached the cache (~2.5% of replay).
inline void copy_address(IpAddress& to, const IpAddress& from) {
    to.family = from.family;
    if (from.family == 4) {
        std::memcpy(to.bytes.data(), from.bytes.data(), 4);
    } else {
        to.bytes = from.bytes;
    }
}

}  // namespace

std::string_view name_of(TunnelId id) {
    switch (id) {
    case TunnelId::none: return "";
    case TunnelId::teid: return "teid";
    case TunnelId::key: return "key";
    case TunnelId::call_id: return "call_id";
    case TunnelId::vni: return "vni";
    }
    return "";
}

std::string IpAddress::to_string() const {
    char text[INET6_ADDRSTRLEN] = {};
    const int af = family == 4 ? AF_INET : family == 6 ? AF_INET6 : 0;
    if (af == 0 || inet_ntop(af, bytes.data(), text, sizeof text) == nullptr) return {};
    return text;
}

// The walk through one frame's layers. Each step checks its header against
// the bytes it has, then hands the rest to the next step; tunnels and
// reassembled datagrams re-enter the walk, within depth limits.
struct TransportDecoder::Layers {
    TransportDecoder& self;
    const PacketView& packet;
    DnsMessageSink& sink;
    int encapsulations = 0;
    int reassemblies = 0;
    // The innermost tunnel peeled so far (in self.tunnel_), or null: what a
    // message takes as it is, one load for an untunnelled one.
    const Tunnel* innermost = nullptr;

    TransportResult skip(SkipKind kind) {
        self.counters_.count(kind);
        return TransportResult::skipped;
    }
    TransportResult malformed(MalformedKind kind) {
        self.counters_.count(kind);
        return TransportResult::malformed;
    }
    TransportResult held(HeldKind kind) {
        self.counters_.count(kind);
        return TransportResult::held;
    }
    bool is_dns_port(std::uint16_t port) const { return self.dns_ports_.contains(port); }
    bool too_deep() { return ++encapsulations > kMaxEncapsulations; }

    TransportResult link();
    TransportResult ethernet(std::span<const std::uint8_t> frame, std::size_t type_at);
    TransportResult network(Network network, std::span<const std::uint8_t> bytes);
    TransportResult decapsulated(TunnelKind kind, Network inner, std::span<const std::uint8_t> bytes);
    TransportResult tunnelled(TunnelKind kind, Network inner, std::span<const std::uint8_t> bytes,
                              const IpAddress& src, const IpAddress& dst, TunnelId id_kind = TunnelId::none,
                              std::uint32_t id = 0);
    TransportResult mpls(std::span<const std::uint8_t> bytes);
    TransportResult ipv4(std::span<const std::uint8_t> ip);
    TransportResult ipv6(std::span<const std::uint8_t> ip);
    TransportResult ipv6_chain(std::uint8_t next, std::span<const std::uint8_t> rest, const IpAddress& src,
                               const IpAddress& dst);
    TransportResult upper(std::uint8_t protocol, std::span<const std::uint8_t> l4, const IpAddress& src,
                          const IpAddress& dst, bool reassembled);
    TransportResult udp(std::span<const std::uint8_t> l4, const IpAddress& src, const IpAddress& dst,
                        bool reassembled);
    TransportResult tcp(std::span<const std::uint8_t> l4, const IpAddress& src, const IpAddress& dst);
    // The tunnels, out of line and each called with at most six arguments,
    // so that upper() and udp() reach them by a jump: inlined or called
    // with more, they cost every untunnelled packet a stack frame, spills
    // and a few instructions (measured: ~3% of the transport layer).
    [[gnu::noinline]] TransportResult udp_not_dns(std::span<const std::uint8_t> payload, const IpAddress& src,
                                                  const IpAddress& dst);
    [[gnu::noinline]] TransportResult ip_in_ip(Network inner, std::span<const std::uint8_t> bytes,
                                               const IpAddress& src, const IpAddress& dst);
    [[gnu::noinline]] TransportResult gre(std::span<const std::uint8_t> bytes, const IpAddress& src,
                                          const IpAddress& dst);
    TransportResult ppp(std::span<const std::uint8_t> bytes, const IpAddress& src, const IpAddress& dst,
                        TunnelId id_kind, std::uint32_t id);
    [[gnu::noinline]] TransportResult gtpu(std::span<const std::uint8_t> bytes, const IpAddress& src,
                                           const IpAddress& dst);
    [[gnu::noinline]] TransportResult vxlan(std::span<const std::uint8_t> bytes, const IpAddress& src,
                                            const IpAddress& dst);
    [[gnu::noinline]] TransportResult geneve(std::span<const std::uint8_t> bytes, const IpAddress& src,
                                             const IpAddress& dst);
};

TransportResult TransportDecoder::Layers::link() {
    const auto frame = packet.bytes;
    switch (packet.link_type) {
    case kLinkEthernet:
        if (frame.size() < kEthernetHeader) return malformed(MalformedKind::link_truncated);
        return ethernet(frame, 12);
    case kLinkLinuxSll:
        if (frame.size() < kSllHeader) return malformed(MalformedKind::link_truncated);
        return ethernet(frame, 14);
    case kLinkLinuxSll2:
        if (frame.size() < kSll2Header) return malformed(MalformedKind::link_truncated);
        return network(network_of_ethertype(load_be16(frame.data())), frame.subspan(kSll2Header));
    case kLinkNull:
    case kLinkLoop:
        if (frame.size() < kLoopbackHeader) return malformed(MalformedKind::link_truncated);
        return network(network_of_bsd_family(frame.data()), frame.subspan(kLoopbackHeader));
    case kLinkRaw12:
    case kLinkRaw14:
    case kLinkRaw101:
        return network(Network::any_ip, frame);
    case kLinkIpv4:
        return network(Network::ipv4, frame);
    case kLinkIpv6:
        return network(Network::ipv6, frame);
    default:
        return skip(SkipKind::unsupported_link_type);
    }
}

// Follows up to kMaxVlanTags VLAN tags from the EtherType at `type_at`; each
// tag is 2 bytes of TCI followed by the next EtherType.
TransportResult TransportDecoder::Layers::ethernet(std::span<const std::uint8_t> frame, std::size_t type_at) {
    std::uint16_t type = load_be16(frame.data() + type_at);
    std::size_t offset = type_at + 2;
    for (int tags = 0; is_vlan_tag(type) && tags < kMaxVlanTags; ++tags) {
        if (frame.size() - offset < 4) return malformed(MalformedKind::link_truncated);
        type = load_be16(frame.data() + offset + 2);
        offset += 4;
    }
    const Network next = network_of_ethertype(type);
    // Bridging is a tunnel's payload type, not something a frame carries.
    return network(next == Network::ethernet ? Network::other : next, frame.subspan(offset));
}

TransportResult TransportDecoder::Layers::network(Network network, std::span<const std::uint8_t> bytes) {
    if (network == Network::any_ip) {
        if (bytes.empty()) return malformed(MalformedKind::ip_truncated);
        const unsigned version = bytes[0] >> 4;
        if (version == 4) network = Network::ipv4;
        else if (version == 6) network = Network::ipv6;
        else return malformed(MalformedKind::ip_bad_header);
    }
    switch (network) {
    case Network::ipv4: return ipv4(bytes);
    case Network::ipv6: return ipv6(bytes);
    case Network::mpls:
        if (too_deep()) return skip(SkipKind::tunnel_too_deep);
        return mpls(bytes);
    default: return skip(SkipKind::not_ip);
    }
}

// A tunnel's payload: counted against the nesting limit and by kind, then
// walked.
TransportResult TransportDecoder::Layers::decapsulated(TunnelKind kind, Network inner,
                                                       std::span<const std::uint8_t> bytes) {
    if (too_deep()) return skip(SkipKind::tunnel_too_deep);
    self.counters_.count(kind);
    switch (inner) {
    case Network::mpls: return mpls(bytes);
    case Network::ethernet:
        if (bytes.size() < kEthernetHeader) return malformed(MalformedKind::tunnel_truncated);
        return ethernet(bytes, 12);
    default: return network(inner, bytes);
    }
}

// The same for a tunnel between two IP addresses, which becomes the
// innermost tunnel of the walk: what the messages it carries are said to
// have come through.
TransportResult TransportDecoder::Layers::tunnelled(TunnelKind kind, Network inner,
                                                    std::span<const std::uint8_t> bytes, const IpAddress& src,
                                                    const IpAddress& dst, TunnelId id_kind, std::uint32_t id) {
    self.tunnel_ = Tunnel{kind, id_kind, id, src, dst};
    innermost = &self.tunnel_;
    return decapsulated(kind, inner, bytes);
}

// An MPLS label stack: 4-byte entries down to the one with the bottom-of-
// stack bit; what follows carries no type, so the IP version nibble decides
// (a pseudowire's Ethernet, behind a zero nibble, is not followed). A stack
// counts as one encapsulation, whatever carried it.
TransportResult TransportDecoder::Layers::mpls(std::span<const std::uint8_t> bytes) {
    std::size_t offset = 0;
    for (;;) {
        if (bytes.size() - offset < 4) return malformed(MalformedKind::tunnel_truncated);
        const bool bottom = (bytes[offset + 2] & 0x01) != 0;
        offset += 4;
        if (bottom) break;
    }
    const std::span<const std::uint8_t> rest = bytes.subspan(offset);
    if (rest.empty()) return malformed(MalformedKind::tunnel_truncated);
    self.counters_.count(TunnelKind::mpls);
    const unsigned version = rest[0] >> 4;
    if (version == 4) return ipv4(rest);
    if (version == 6) return ipv6(rest);
    return skip(SkipKind::not_ip);
}

TransportResult TransportDecoder::Layers::ipv4(std::span<const std::uint8_t> ip) {
    if (ip.size() < kIpv4MinHeader) return malformed(MalformedKind::ip_truncated);
    const std::uint8_t* h = ip.data();
    const std::size_t header_length = std::size_t{h[0] & 0x0fu} * 4;
    if ((h[0] >> 4) != 4 || header_length < kIpv4MinHeader) return malformed(MalformedKind::ip_bad_header);
    const std::size_t total_length = load_be16(h + 2);
    if (total_length < header_length) return malformed(MalformedKind::ip_bad_header);
    if (total_length > ip.size()) return malformed(MalformedKind::ip_truncated);
    IpAddress src, dst;
    src.family = dst.family = 4;
    std::memcpy(src.bytes.data(), h + 12, 4);
    std::memcpy(dst.bytes.data(), h + 16, 4);
    const std::span<const std::uint8_t> payload = ip.subspan(header_length, total_length - header_length);
    const std::uint16_t fragment = load_be16(h + 6);
    if ((fragment & 0x3fffu) == 0) return upper(h[9], payload, src, dst, false);  // MF clear, offset 0

    if (reassemblies >= kMaxReassemblyDepth) return skip(SkipKind::tunnel_too_deep);
    const FragmentKey key{src, dst, load_be16(h + 4), h[9]};
    const Fragment piece{static_cast<std::uint32_t>((fragment & 0x1fffu) * 8), (fragment & 0x2000u) != 0, h[9],
                         payload};
    std::span<const std::uint8_t> datagram;
    std::uint8_t protocol = 0;
    MalformedKind why = MalformedKind::none;
    IpReassembler::Carriers kept{&packet, self.carrier_scratch(reassemblies), {}};
    switch (self.ip_->add(key, piece, self.now_us_, self.scratch(reassemblies), datagram, protocol,
                          why, &kept)) {
    case FragmentVerdict::held: return held(HeldKind::ip_fragment);
    case FragmentVerdict::malformed: return malformed(why);
    case FragmentVerdict::complete: break;
    }
    self.fragment_carriers_ = kept.out;
    ++reassemblies;
    return upper(protocol, datagram, src, dst, true);
}

TransportResult TransportDecoder::Layers::ipv6(std::span<const std::uint8_t> ip) {
    if (ip.size() < kIpv6Header) return malformed(MalformedKind::ip_truncated);
    const std::uint8_t* h = ip.data();
    const std::size_t payload_length = load_be16(h + 4);
    // Payload length 0 means a jumbogram (RFC 2675), which no DNS message needs.
    if ((h[0] >> 4) != 6 || payload_length == 0) return malformed(MalformedKind::ip_bad_header);
    if (payload_length > ip.size() - kIpv6Header) return malformed(MalformedKind::ip_truncated);
    IpAddress src, dst;
    src.family = dst.family = 6;
    std::memcpy(src.bytes.data(), h + 8, 16);
    std::memcpy(dst.bytes.data(), h + 24, 16);
    return ipv6_chain(h[6], ip.subspan(kIpv6Header, payload_length), src, dst);
}

// Walks extension headers from `next`. Each is at least 8 bytes, so the walk
// ends within rest.size() / 8 steps. A fragment header hands the rest to
// reassembly; the reassembled part may hold more headers, walked in turn.
TransportResult TransportDecoder::Layers::ipv6_chain(std::uint8_t next, std::span<const std::uint8_t> rest,
                                                     const IpAddress& src, const IpAddress& dst) {
    bool reassembled = false;
    while (is_ipv6_extension(next)) {
        if (rest.size() < 2) return malformed(MalformedKind::ip6_bad_ext_header);
        std::size_t length = (std::size_t{rest[1]} + 1) * 8;
        if (next == kIpv6Fragment) {
            if (rest.size() < 8) return malformed(MalformedKind::ip6_bad_ext_header);
            const std::uint16_t offset_flags = load_be16(rest.data() + 2);
            // An atomic fragment (offset 0, M clear, RFC 6946) is a whole
            // packet; the 2 reserved bits are ignored.
            if ((offset_flags & 0xfff9u) != 0) {
                if (reassemblies >= kMaxReassemblyDepth) return skip(SkipKind::tunnel_too_deep);
                const FragmentKey key{src, dst, load_be32(rest.data() + 4), 0};
                const Fragment piece{static_cast<std::uint32_t>(offset_flags & 0xfff8u), (offset_flags & 1u) != 0,
                                     rest[0], rest.subspan(8)};
                std::span<const std::uint8_t> datagram;
                MalformedKind why = MalformedKind::none;
                IpReassembler::Carriers kept{&packet, self.carrier_scratch(reassemblies), {}};
                switch (self.ip_->add(key, piece, self.now_us_, self.scratch(reassemblies), datagram,
                                      next, why, &kept)) {
                case FragmentVerdict::held: return held(HeldKind::ip_fragment);
                case FragmentVerdict::malformed: return malformed(why);
                case FragmentVerdict::complete: break;
                }
                self.fragment_carriers_ = kept.out;
                ++reassemblies;
                reassembled = true;
                rest = datagram;
                continue;
            }
            length = 8;  // its second byte is reserved, not a length
        } else if (next == kIpv6Auth) {
            length = (std::size_t{rest[1]} + 2) * 4;  // 4-byte units, minus 2
        }
        if (length > rest.size()) return malformed(MalformedKind::ip6_bad_ext_header);
        next = rest[0];
        rest = rest.subspan(length);
    }
    return upper(next, rest, src, dst, reassembled);
}

TransportResult TransportDecoder::Layers::upper(std::uint8_t protocol, std::span<const std::uint8_t> l4,
                                                const IpAddress& src, const IpAddress& dst, bool reassembled) {
    switch (protocol) {
    case kProtoUdp: return udp(l4, src, dst, reassembled);
    case kProtoTcp: return tcp(l4, src, dst);
    case kProtoGre: return gre(l4, src, dst);
    case 4: return ip_in_ip(Network::ipv4, l4, src, dst);   // IP in IP
    case 41: return ip_in_ip(Network::ipv6, l4, src, dst);  // IPv6 in IP
    default: return skip(SkipKind::not_udp_tcp);
    }
}

TransportResult TransportDecoder::Layers::udp(std::span<const std::uint8_t> l4, const IpAddress& src,
                                              const IpAddress& dst, bool reassembled) {
    if (l4.size() < kUdpHeader) return malformed(MalformedKind::udp_truncated);
    const std::size_t udp_length = load_be16(l4.data() + 4);
    if (udp_length < kUdpHeader) return malformed(MalformedKind::udp_bad_length);
    if (udp_length > l4.size()) return malformed(MalformedKind::udp_truncated);
    const std::uint16_t src_port = load_be16(l4.data());
    const std::uint16_t dst_port = load_be16(l4.data() + 2);
    const std::span<const std::uint8_t> payload = l4.subspan(kUdpHeader, udp_length - kUdpHeader);
    if (src_port == kDnsOverTlsPort || dst_port == kDnsOverTlsPort) return skip(SkipKind::dns_over_tls);
    if (is_dns_port(src_port) || is_dns_port(dst_port)) {
        DnsDatagram datagram;
        copy_address(datagram.src, src);
        copy_address(datagram.dst, dst);
        datagram.src_port = src_port;
        datagram.dst_port = dst_port;
        datagram.ip_protocol = kProtoUdp;
        datagram.reassembled = reassembled;
        datagram.dns = payload;
        datagram.tunnel = innermost;
        if (reassembled && !self.fragment_carriers_.empty()) {  // the other fragments' frames go with it
            sink.on_reassembled_dns(datagram, packet, self.fragment_carriers_);
        } else {
            sink.on_dns(datagram, packet);
        }
        return TransportResult::dns;
    }
    return udp_not_dns(payload, src, dst);
}

// UDP on no DNS port: a tunnel's, or nothing we read. The ports are read
// again from the UDP header right before `payload` (checked by udp()):
// passing them would keep them live in udp()'s DNS path for nothing.
TransportResult TransportDecoder::Layers::udp_not_dns(std::span<const std::uint8_t> payload, const IpAddress& src,
                                                      const IpAddress& dst) {
    const std::uint16_t src_port = load_be16(payload.data() - kUdpHeader);
    const std::uint16_t dst_port = load_be16(payload.data() - kUdpHeader + 2);
    if (dst_port == kVxlanPort) return vxlan(payload, src, dst);
    if (dst_port == kGenevePort) return geneve(payload, src, dst);
    // Either end: a gateway answers an echo request to the port it came from.
    if (self.gtpu_ports_.contains(dst_port) || self.gtpu_ports_.contains(src_port)) return gtpu(payload, src, dst);
    return skip(SkipKind::not_dns_port);
}

TransportResult TransportDecoder::Layers::ip_in_ip(Network inner, std::span<const std::uint8_t> bytes,
                                                   const IpAddress& src, const IpAddress& dst) {
    return tunnelled(TunnelKind::ip_in_ip, inner, bytes, src, dst);
}

TransportResult TransportDecoder::Layers::tcp(std::span<const std::uint8_t> l4, const IpAddress& src,
                                              const IpAddress& dst) {
    if (l4.size() < kTcpMinHeader) return malformed(MalformedKind::tcp_truncated);
    const std::size_t header_length = static_cast<std::size_t>(l4[12] >> 4) * 4;
    if (header_length < kTcpMinHeader) return malformed(MalformedKind::tcp_bad_header);
    if (header_length > l4.size()) return malformed(MalformedKind::tcp_truncated);
    TcpSegment segment;
    segment.src_port = load_be16(l4.data());
    segment.dst_port = load_be16(l4.data() + 2);
    if (segment.src_port == kDnsOverTlsPort || segment.dst_port == kDnsOverTlsPort)
        return skip(SkipKind::dns_over_tls);
    if (!is_dns_port(segment.src_port) && !is_dns_port(segment.dst_port)) return skip(SkipKind::not_dns_port);
    segment.seq = load_be32(l4.data() + 4);
    segment.ack = load_be32(l4.data() + 8);
    segment.flags = l4[13];
    segment.payload = l4.subspan(header_length);
    segment.tunnel = innermost;
    if (self.tcp_->add(src, dst, segment, self.now_us_, packet, sink) > 0) return TransportResult::dns;
    return held(HeldKind::tcp_segment);
}

// GRE (RFC 2784, with the key and sequence fields of RFC 2890): the payload
// type is an EtherType. Version 1 is enhanced GRE (PPTP, RFC 2637): always
// PPP, with the key field holding the payload length and the receiving
// peer's call id, and an acknowledgement number when the A bit is set.
TransportResult TransportDecoder::Layers::gre(std::span<const std::uint8_t> bytes, const IpAddress& src,
                                              const IpAddress& dst) {
    if (bytes.size() < 4) return malformed(MalformedKind::tunnel_truncated);
    const std::uint16_t flags = load_be16(bytes.data());
    const std::uint16_t type = load_be16(bytes.data() + 2);
    const unsigned version = flags & 0x0007u;
    const bool enhanced = version == 1;
    // Source routing (RFC 1701) is not followed; nor is a version we do not know.
    if ((flags & 0x4000u) != 0 || version > 1 || (enhanced && type != kEtherTypePpp)) return skip(SkipKind::not_ip);
    std::size_t length = 4;
    if (flags & 0x8000u) length += 4;  // checksum and reserved
    const std::size_t key_at = length;
    if (flags & 0x2000u) length += 4;               // key
    if (flags & 0x1000u) length += 4;               // sequence number
    if (enhanced && (flags & 0x0080u)) length += 4;  // acknowledgement number
    if (bytes.size() < length) return malformed(MalformedKind::tunnel_truncated);
    TunnelId id_kind = TunnelId::none;
    std::uint32_t id = 0;
    if (flags & 0x2000u) {
        id_kind = enhanced ? TunnelId::call_id : TunnelId::key;
        id = load_be32(bytes.data() + key_at) & (enhanced ? 0xffffu : 0xffffffffu);
    }
    if (type == kEtherTypePpp) return ppp(bytes.subspan(length), src, dst, id_kind, id);
    return tunnelled(TunnelKind::gre, network_of_ethertype(type), bytes.subspan(length), src, dst, id_kind, id);
}

// PPP (RFC 1661) as GRE carries it: the HDLC-like address and control bytes
// 0xff 0x03 (RFC 1662) unless they were compressed away, then the protocol,
// one byte when it was compressed: a protocol's first byte is even and its
// last odd, so an odd first byte is the whole of it, and 0xff never starts
// one. Empty, it is an enhanced GRE acknowledgement without data.
TransportResult TransportDecoder::Layers::ppp(std::span<const std::uint8_t> bytes, const IpAddress& src,
                                              const IpAddress& dst, TunnelId id_kind, std::uint32_t id) {
    if (bytes.empty()) return skip(SkipKind::ppp_not_ip);
    std::size_t offset = bytes.size() >= 2 && bytes[0] == 0xff && bytes[1] == 0x03 ? 2 : 0;
    if (bytes.size() - offset < 1) return malformed(MalformedKind::tunnel_truncated);
    std::uint16_t protocol = bytes[offset];
    if ((protocol & 1u) != 0) {
        offset += 1;
    } else {
        if (bytes.size() - offset < 2) return malformed(MalformedKind::tunnel_truncated);
        protocol = load_be16(bytes.data() + offset);
        offset += 2;
    }
    const Network inner = protocol == kPppIpv4 ? Network::ipv4 : protocol == kPppIpv6 ? Network::ipv6 : Network::other;
    if (inner == Network::other) return skip(SkipKind::ppp_not_ip);
    return tunnelled(TunnelKind::gre_ppp, inner, bytes.subspan(offset), src, dst, id_kind, id);
}

// GTP-U (3GPP TS 29.281): version 1 and protocol type 1 in the flags' top
// nibble; 8 bytes, 4 more when any of E, S, PN is set (sequence number,
// N-PDU number, next extension header type), then, when E is set, a chain
// of extension headers: each a length in 4-byte units (never 0), its
// content, and the type of the next (0: none). Each takes at least 4 bytes,
// so the chain ends within length / 4 steps. Only a T-PDU carries a user
// packet; the length field bounds it, and its version nibble says which IP.
TransportResult TransportDecoder::Layers::gtpu(std::span<const std::uint8_t> bytes, const IpAddress& src,
                                               const IpAddress& dst) {
    if (bytes.size() < kGtpuHeader) return malformed(MalformedKind::tunnel_truncated);
    const std::uint8_t flags = bytes[0];
    if ((flags & 0xf0u) != 0x30u || bytes[1] != kGtpuTpdu) return skip(SkipKind::gtp_u_not_tpdu);
    const std::size_t length = load_be16(bytes.data() + 2);
    if (length > bytes.size() - kGtpuHeader) return malformed(MalformedKind::tunnel_truncated);
    std::span<const std::uint8_t> rest = bytes.subspan(kGtpuHeader, length);
    if ((flags & 0x07u) != 0) {
        if (rest.size() < kGtpuOptionalFields) return malformed(MalformedKind::tunnel_truncated);
        // Without E the next-type byte is there but means nothing.
        std::uint8_t next = (flags & 0x04u) != 0 ? rest[3] : 0;
        rest = rest.subspan(kGtpuOptionalFields);
        while (next != 0) {
            if (rest.empty()) return malformed(MalformedKind::tunnel_truncated);
            const std::size_t extension = std::size_t{rest[0]} * 4;
            if (extension == 0) return malformed(MalformedKind::tunnel_bad_header);
            if (extension > rest.size()) return malformed(MalformedKind::tunnel_truncated);
            next = rest[extension - 1];
            rest = rest.subspan(extension);
        }
    }
    if (rest.empty()) return malformed(MalformedKind::tunnel_truncated);
    const unsigned version = rest[0] >> 4;
    // Anything else is an Ethernet or unstructured PDU session: not IP.
    const Network inner = version == 4 ? Network::ipv4 : version == 6 ? Network::ipv6 : Network::other;
    return tunnelled(TunnelKind::gtp_u, inner, rest, src, dst, TunnelId::teid, load_be32(bytes.data() + 4));
}

// VXLAN (RFC 7348): 8 bytes, the VNI in bytes 4-6, then an Ethernet frame.
TransportResult TransportDecoder::Layers::vxlan(std::span<const std::uint8_t> bytes, const IpAddress& src,
                                                const IpAddress& dst) {
    if (bytes.size() < kVxlanHeader) return malformed(MalformedKind::tunnel_truncated);
    return tunnelled(TunnelKind::vxlan, Network::ethernet, bytes.subspan(kVxlanHeader), src, dst, TunnelId::vni,
                     load_be32(bytes.data() + 4) >> 8);
}

// Geneve (RFC 8926): 8 bytes plus options, the VNI in bytes 4-6, then what
// the protocol type names.
TransportResult TransportDecoder::Layers::geneve(std::span<const std::uint8_t> bytes, const IpAddress& src,
                                                 const IpAddress& dst) {
    if (bytes.size() < kGeneveMinHeader) return malformed(MalformedKind::tunnel_truncated);
    if ((bytes[0] >> 6) != 0) return skip(SkipKind::not_ip);  // an unknown version
    const std::size_t length = kGeneveMinHeader + std::size_t{bytes[0] & 0x3fu} * 4;
    if (bytes.size() < length) return malformed(MalformedKind::tunnel_truncated);
    return tunnelled(TunnelKind::geneve, network_of_ethertype(load_be16(bytes.data() + 2)), bytes.subspan(length),
                     src, dst, TunnelId::vni, load_be32(bytes.data() + 4) >> 8);
}

TransportDecoder::TransportDecoder(const TransportOptions& options)
    : pool_(std::make_unique<BlockPool>(options.total_bytes)),
      ip_(std::make_unique<IpReassembler>(*pool_, options.max_fragment_datagrams, options.timeout_ms * 1000,
                                          counters_)),
      tcp_(std::make_unique<TcpReassembler>(*pool_, options.max_tcp_flows, options.tcp_flow_bytes,
                                            options.timeout_ms * 1000, counters_)) {
    for (std::uint16_t port : options.dns_ports) {
        if (port != kDnsOverTlsPort) dns_ports_.add(port);
    }
    for (std::uint16_t port : options.gtpu_ports) gtpu_ports_.add(port);
    // Not value-initialised: a decoder that never reassembles never touches them.
    for (auto& scratch : datagram_scratch_) scratch.reset(new std::uint8_t[IpReassembler::kMaxDatagram]);
    for (auto& scratch : carrier_scratch_) scratch.reset(new std::uint8_t[IpReassembler::kMaxCarrierBytes]);
}

TransportDecoder::~TransportDecoder() = default;

std::span<std::uint8_t> TransportDecoder::carrier_scratch(int depth) {
    return {carrier_scratch_[depth].get(), IpReassembler::kMaxCarrierBytes};
}

TransportResult TransportDecoder::decode(const PacketView& packet, DnsMessageSink& sink) {
    if (packet.link_type == kLinkTypeDnstap) return decode_dnstap(packet, sink);
    now_us_ = std::max(now_us_, packet.time_us);
    ip_->expire(now_us_);
    tcp_->expire(now_us_);
    Layers walk{*this, packet, sink};
    return walk.link();
}

TransportResult TransportDecoder::decode_dnstap(const PacketView& packet, DnsMessageSink& sink) {
    if (!dnstap_) dnstap_ = std::make_unique<DnstapDecoder>();
    DnstapMessage message;
    const DnstapOutcome outcome = dnstap_->decode(packet.bytes, message);
    if (outcome.result == DnstapResult::skipped) {
        counters_.count(outcome.skip);
        return TransportResult::skipped;
    }
    if (outcome.result == DnstapResult::malformed) {
        counters_.count(outcome.malformed);
        return TransportResult::malformed;
    }
    // Detection, evidence and the alert's times take the time the server
    // wrote down, not when the frame reached the sensor.
    PacketView timed = packet;
    if (message.time_us != 0) {
        timed.time_us = message.time_us;
        timed.time_ns = message.time_ns;
    }
    sink.on_dns(message.datagram, timed);
    return TransportResult::dns;
}

void TransportDecoder::flush() {
    ip_->clear();
    tcp_->clear();
}

std::size_t TransportDecoder::fragment_datagrams_in_flight() const { return ip_->in_flight(); }
std::size_t TransportDecoder::tcp_flows() const { return tcp_->flows(); }
std::size_t TransportDecoder::free_bytes() const { return pool_->free_blocks() * BlockPool::kBlockSize; }

}  // namespace dnswatch
