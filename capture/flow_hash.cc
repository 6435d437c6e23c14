#include "capture/flow_hash.h"

#include <cstddef>
#include <span>

namespace dnswatch {
namespace {

constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherIpv6 = 0x86DD;

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finaliser
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    x ^= x >> 31;
    return x;
}

std::uint64_t hash_bytes(const std::uint8_t* p, std::size_t n, std::uint64_t seed) {
    std::uint64_t h = seed;
    for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001B3ull;
    return mix(h);
}

// One endpoint (address, and port or 0); the flow is the sum of its two
// endpoints' hashes, which does not depend on their order.
std::uint32_t symmetric(const std::uint8_t* a, const std::uint8_t* b, std::size_t length, std::uint32_t port_a,
                        std::uint32_t port_b, std::uint64_t extra) {
    const std::uint64_t ha = hash_bytes(a, length, port_a);
    const std::uint64_t hb = hash_bytes(b, length, port_b);
    return static_cast<std::uint32_t>(mix(ha + hb + extra) >> 32);
}

bool is_l4_with_ports(std::uint8_t protocol) { return protocol == 6 || protocol == 17; }

std::uint32_t hash_ipv4(std::span<const std::uint8_t> ip) {
    if (ip.size() < 20 || (ip[0] >> 4) != 4) return 0;
    const std::size_t header = static_cast<std::size_t>(ip[0] & 0x0F) * 4;
    if (header < 20 || ip.size() < header) return 0;
    const std::uint8_t protocol = ip[9];
    const std::uint16_t flags_offset = be16(&ip[6]);
    const bool fragment = (flags_offset & 0x2000) != 0 || (flags_offset & 0x1FFF) != 0;
    if (fragment) return symmetric(&ip[12], &ip[16], 4, 0, 0, (std::uint64_t{be16(&ip[4])} << 8) | protocol);
    if (is_l4_with_ports(protocol) && ip.size() >= header + 4) {
        return symmetric(&ip[12], &ip[16], 4, be16(&ip[header]), be16(&ip[header + 2]), protocol);
    }
    return symmetric(&ip[12], &ip[16], 4, 0, 0, protocol);
}

std::uint32_t hash_ipv6(std::span<const std::uint8_t> ip) {
    if (ip.size() < 40 || (ip[0] >> 4) != 6) return 0;
    std::uint8_t next = ip[6];
    std::size_t offset = 40;
    // Walk the extension headers that may precede the fragment header or
    // the transport header (bounded: each step moves forward).
    for (int hops = 0; hops < 8; ++hops) {
        if (next == 44) {  // fragment header: id at +4
            if (ip.size() < offset + 8) return 0;
            const std::uint64_t id = std::uint64_t{be16(&ip[offset + 4])} << 16 | be16(&ip[offset + 6]);
            return symmetric(&ip[8], &ip[24], 16, 0, 0, id << 8 | 44);
        }
        if (next == 0 || next == 43 || next == 60 || next == 51) {
            if (ip.size() < offset + 2) return 0;
            const std::size_t length =
                next == 51 ? (static_cast<std::size_t>(ip[offset + 1]) + 2) * 4 : (static_cast<std::size_t>(ip[offset + 1]) + 1) * 8;
            next = ip[offset];
            offset += length;
            continue;
        }
        break;
    }
    if (is_l4_with_ports(next) && ip.size() >= offset + 4) {
        return symmetric(&ip[8], &ip[24], 16, be16(&ip[offset]), be16(&ip[offset + 2]), next);
    }
    return symmetric(&ip[8], &ip[24], 16, 0, 0, next);
}

std::uint32_t hash_ip(std::span<const std::uint8_t> ip) {
    if (ip.empty()) return 0;
    switch (ip[0] >> 4) {
        case 4: return hash_ipv4(ip);
        case 6: return hash_ipv6(ip);
        default: return 0;
    }
}

std::uint32_t hash_ethertype(std::uint16_t type, std::span<const std::uint8_t> payload) {
    if (type == kEtherIpv4 || type == kEtherIpv6) return hash_ip(payload);
    if (type == 0x8847 || type == 0x8848) {  // MPLS: skip to the bottom of the label stack
        std::size_t offset = 0;
        while (payload.size() >= offset + 4) {
            const bool bottom = (payload[offset + 2] & 0x01) != 0;
            offset += 4;
            if (bottom) return hash_ip(payload.subspan(offset));
        }
    }
    return 0;
}

std::uint32_t hash_ethernet(std::span<const std::uint8_t> frame) {
    if (frame.size() < 14) return 0;
    std::size_t offset = 12;
    std::uint16_t type = be16(&frame[offset]);
    // 802.1Q, 802.1ad and the old QinQ type, stacked a few deep.
    for (int tags = 0; tags < 4 && (type == 0x8100 || type == 0x88A8 || type == 0x9100); ++tags) {
        offset += 4;
        if (frame.size() < offset + 2) return 0;
        type = be16(&frame[offset]);
    }
    return hash_ethertype(type, frame.subspan(offset + 2));
}

}  // namespace

std::uint32_t flow_hash(const PacketView& packet) {
    const std::span<const std::uint8_t> frame = packet.bytes;
    switch (packet.link_type) {
        case 1:  // DLT_EN10MB
            return hash_ethernet(frame);
        case 113:  // DLT_LINUX_SLL: protocol at 14, 16-byte header
            return frame.size() < 16 ? 0 : hash_ethertype(be16(&frame[14]), frame.subspan(16));
        case 276:  // DLT_LINUX_SLL2: protocol at 0, 20-byte header
            return frame.size() < 20 ? 0 : hash_ethertype(be16(&frame[0]), frame.subspan(20));
        case 12:   // DLT_RAW
        case 14:   // DLT_RAW on some BSDs
        case 101:  // LINKTYPE_RAW
        case 228:  // DLT_IPV4
        case 229:  // DLT_IPV6
            return hash_ip(frame);
        case 0:    // DLT_NULL: 4-byte address family in host order
        case 108:  // DLT_LOOP: the same in network order
            return frame.size() < 4 ? 0 : hash_ip(frame.subspan(4));
        default:
            return 0;
    }
}

}  // namespace dnswatch
