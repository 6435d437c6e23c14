#include "decode/transport.h"

#include <arpa/inet.h>

#include <cstring>

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

constexpr std::uint8_t kProtoTcp = 6;
constexpr std::uint8_t kProtoUdp = 17;
constexpr std::uint16_t kDnsPort = 53;

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

enum class Network : std::uint8_t { ipv4, ipv6, any_ip, other };

struct LinkResult {
    Network network = Network::other;
    std::size_t offset = 0;
};

inline TransportResult skip(DecodeCounters& counters, SkipKind kind) {
    counters.count(kind);
    return TransportResult::skipped;
}
inline TransportResult malformed(DecodeCounters& counters, MalformedKind kind) {
    counters.count(kind);
    return TransportResult::malformed;
}

inline Network network_of_ethertype(std::uint16_t type) {
    if (type == kEtherTypeIpv4) return Network::ipv4;
    if (type == kEtherTypeIpv6) return Network::ipv6;
    return Network::other;
}

inline bool is_vlan_tag(std::uint16_t type) {
    return type == kEtherTypeVlan || type == kEtherTypeQinQ || type == kEtherTypeQinQOld;
}

// Follows up to kMaxVlanTags VLAN tags from an EtherType at `type_at`; each tag
// is 2 bytes of TCI followed by the next EtherType. Returns false when a tag
// runs past the frame.
inline bool peel_vlan(std::span<const std::uint8_t> frame, std::size_t type_at, LinkResult& link) {
    std::uint16_t type = load_be16(frame.data() + type_at);
    std::size_t offset = type_at + 2;
    for (int tags = 0; is_vlan_tag(type) && tags < kMaxVlanTags; ++tags) {
        if (frame.size() - offset < 4) return false;
        type = load_be16(frame.data() + offset + 2);
        offset += 4;
    }
    link.network = network_of_ethertype(type);
    link.offset = offset;
    return true;
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

// Returns false (and counts) when the frame cannot be peeled; otherwise `link`
// says what network layer follows and where.
inline bool decode_link(const PacketView& packet, LinkResult& link, DecodeCounters& counters,
                        TransportResult& result) {
    const auto frame = packet.bytes;
    switch (packet.link_type) {
    case kLinkEthernet:
        if (frame.size() < kEthernetHeader || !peel_vlan(frame, 12, link)) {
            result = malformed(counters, MalformedKind::link_truncated);
            return false;
        }
        return true;
    case kLinkLinuxSll:
        if (frame.size() < kSllHeader || !peel_vlan(frame, 14, link)) {
            result = malformed(counters, MalformedKind::link_truncated);
            return false;
        }
        return true;
    case kLinkLinuxSll2:
        if (frame.size() < kSll2Header) {
            result = malformed(counters, MalformedKind::link_truncated);
            return false;
        }
        link.network = network_of_ethertype(load_be16(frame.data()));
        link.offset = kSll2Header;
        return true;
    case kLinkNull:
    case kLinkLoop:
        if (frame.size() < kLoopbackHeader) {
            result = malformed(counters, MalformedKind::link_truncated);
            return false;
        }
        link.network = network_of_bsd_family(frame.data());
        link.offset = kLoopbackHeader;
        return true;
    case kLinkRaw12:
    case kLinkRaw14:
    case kLinkRaw101:
        link.network = Network::any_ip;
        link.offset = 0;
        return true;
    case kLinkIpv4:
        link.network = Network::ipv4;
        link.offset = 0;
        return true;
    case kLinkIpv6:
        link.network = Network::ipv6;
        link.offset = 0;
        return true;
    default:
        result = skip(counters, SkipKind::unsupported_link_type);
        return false;
    }
}

// The IP layer's verdict: the upper-layer protocol and its bytes (bounded by
// the IP length, so trailing link padding is gone).
struct IpPayload {
    std::uint8_t protocol = 0;
    std::span<const std::uint8_t> bytes;
};

inline bool decode_ipv4(std::span<const std::uint8_t> ip, DnsDatagram& out, IpPayload& payload,
                        DecodeCounters& counters, TransportResult& result) {
    if (ip.size() < kIpv4MinHeader) {
        result = malformed(counters, MalformedKind::ip_truncated);
        return false;
    }
    const std::uint8_t* h = ip.data();
    const std::size_t header_length = std::size_t{h[0] & 0x0fu} * 4;
    if ((h[0] >> 4) != 4 || header_length < kIpv4MinHeader) {
        result = malformed(counters, MalformedKind::ip_bad_header);
        return false;
    }
    const std::size_t total_length = load_be16(h + 2);
    if (total_length < header_length) {
        result = malformed(counters, MalformedKind::ip_bad_header);
        return false;
    }
    if (total_length > ip.size()) {
        result = malformed(counters, MalformedKind::ip_truncated);
        return false;
    }
    const std::uint16_t fragment = load_be16(h + 6);
    if ((fragment & 0x3fffu) != 0) {  // MF set or a non-zero offset
        result = skip(counters, SkipKind::ip_fragment);
        return false;
    }
    out.src = IpAddress{};
    out.dst = IpAddress{};
    out.src.family = 4;
    out.dst.family = 4;
    std::memcpy(out.src.bytes.data(), h + 12, 4);
    std::memcpy(out.dst.bytes.data(), h + 16, 4);
    payload.protocol = h[9];
    payload.bytes = ip.subspan(header_length, total_length - header_length);
    return true;
}

inline bool decode_ipv6(std::span<const std::uint8_t> ip, DnsDatagram& out, IpPayload& payload,
                        DecodeCounters& counters, TransportResult& result) {
    if (ip.size() < kIpv6Header) {
        result = malformed(counters, MalformedKind::ip_truncated);
        return false;
    }
    const std::uint8_t* h = ip.data();
    const std::size_t payload_length = load_be16(h + 4);
    // Payload length 0 means a jumbogram (RFC 2675), which no DNS message needs.
    if ((h[0] >> 4) != 6 || payload_length == 0) {
        result = malformed(counters, MalformedKind::ip_bad_header);
        return false;
    }
    if (payload_length > ip.size() - kIpv6Header) {
        result = malformed(counters, MalformedKind::ip_truncated);
        return false;
    }
    std::span<const std::uint8_t> rest = ip.subspan(kIpv6Header, payload_length);
    std::uint8_t next = h[6];
    // Each extension header is at least 8 bytes, so the walk ends within
    // payload_length / 8 steps.
    while (is_ipv6_extension(next)) {
        if (rest.size() < 2) {
            result = malformed(counters, MalformedKind::ip6_bad_ext_header);
            return false;
        }
        std::size_t length = (std::size_t{rest[1]} + 1) * 8;
        if (next == kIpv6Fragment) {
            if (rest.size() < 8) {
                result = malformed(counters, MalformedKind::ip6_bad_ext_header);
                return false;
            }
            // An atomic fragment (offset 0, M clear, RFC 6946) is a whole
            // packet; the 2 reserved bits are ignored.
            if ((load_be16(rest.data() + 2) & 0xfff9u) != 0) {
                result = skip(counters, SkipKind::ip_fragment);
                return false;
            }
            length = 8;  // its second byte is reserved, not a length
        } else if (next == kIpv6Auth) {
            length = (std::size_t{rest[1]} + 2) * 4;  // 4-byte units, minus 2
        }
        if (length > rest.size()) {
            result = malformed(counters, MalformedKind::ip6_bad_ext_header);
            return false;
        }
        next = rest[0];
        rest = rest.subspan(length);
    }
    out.src.family = 6;
    out.dst.family = 6;
    std::memcpy(out.src.bytes.data(), h + 8, 16);
    std::memcpy(out.dst.bytes.data(), h + 24, 16);
    payload.protocol = next;
    payload.bytes = rest;
    return true;
}

}  // namespace

std::string IpAddress::to_string() const {
    char text[INET6_ADDRSTRLEN] = {};
    const int af = family == 4 ? AF_INET : family == 6 ? AF_INET6 : 0;
    if (af == 0 || inet_ntop(af, bytes.data(), text, sizeof text) == nullptr) return {};
    return text;
}

TransportResult decode_transport(const PacketView& packet, DnsDatagram& out,
                                 DecodeCounters& counters) {
    TransportResult result = TransportResult::skipped;
    LinkResult link;
    if (!decode_link(packet, link, counters, result)) return result;

    const std::span<const std::uint8_t> ip = packet.bytes.subspan(link.offset);
    Network network = link.network;
    if (network == Network::any_ip) {
        if (ip.empty()) return malformed(counters, MalformedKind::ip_truncated);
        const unsigned version = ip[0] >> 4;
        if (version == 4)
            network = Network::ipv4;
        else if (version == 6)
            network = Network::ipv6;
        else
            return malformed(counters, MalformedKind::ip_bad_header);
    }

    IpPayload payload;
    if (network == Network::ipv4) {
        if (!decode_ipv4(ip, out, payload, counters, result)) return result;
    } else if (network == Network::ipv6) {
        if (!decode_ipv6(ip, out, payload, counters, result)) return result;
    } else {
        return skip(counters, SkipKind::not_ip);
    }

    const std::span<const std::uint8_t> l4 = payload.bytes;
    if (payload.protocol == kProtoTcp) {
        if (l4.size() >= 4 &&
            (load_be16(l4.data()) == kDnsPort || load_be16(l4.data() + 2) == kDnsPort))
            return skip(counters, SkipKind::tcp_dns);
        return skip(counters, SkipKind::not_udp);
    }
    if (payload.protocol != kProtoUdp) return skip(counters, SkipKind::not_udp);

    if (l4.size() < kUdpHeader) return malformed(counters, MalformedKind::udp_truncated);
    const std::size_t udp_length = load_be16(l4.data() + 4);
    if (udp_length < kUdpHeader) return malformed(counters, MalformedKind::udp_bad_length);
    if (udp_length > l4.size()) return malformed(counters, MalformedKind::udp_truncated);

    out.src_port = load_be16(l4.data());
    out.dst_port = load_be16(l4.data() + 2);
    if (out.src_port != kDnsPort && out.dst_port != kDnsPort)
        return skip(counters, SkipKind::not_dns_port);
    out.ip_protocol = kProtoUdp;
    out.dns = l4.subspan(kUdpHeader, udp_length - kUdpHeader);
    return TransportResult::dns;
}

}  // namespace dnswatch
