// Link, IP and UDP layers: from a captured frame to the DNS payload it carries.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "capture/packet.h"
#include "decode/decode_counters.h"

namespace dnswatch {

struct IpAddress {
    std::uint8_t family = 0;  // 4 or 6; 0 = unset
    std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first 4 bytes

    std::string to_string() const;  // "192.0.2.1", "2001:db8::1"
    friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// A DNS payload found in a frame, with its addressing. `dns` points into the
// PacketView's bytes: valid as long as the packet is.
struct DnsDatagram {
    IpAddress src;
    IpAddress dst;
    std::uint16_t src_port = 0;
    std::uint16_t dst_port = 0;
    std::uint8_t ip_protocol = 0;  // 17 = UDP
    std::span<const std::uint8_t> dns;
};

enum class TransportResult : std::uint8_t {
    dns,        // `out` holds a DNS payload
    skipped,    // well formed, not DNS we decode (counted in counters.skipped)
    malformed,  // counted in counters.malformed
};

// Peels link (Ethernet with 802.1Q/QinQ, Linux SLL and SLL2, raw IPv4/IPv6,
// BSD loopback), IPv4 / IPv6 (skipping extension headers) and UDP. A datagram
// is DNS when either port is 53. Stateless: fragments and TCP are counted and
// skipped until reassembly exists.
TransportResult decode_transport(const PacketView& packet, DnsDatagram& out,
                                 DecodeCounters& counters);

}  // namespace dnswatch
