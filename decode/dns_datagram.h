// What the transport layer hands on: one DNS message with its addressing,
// and the interface through which it is handed.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "capture/packet.h"
#include "decode/decode_counters.h"

namespace dnswatch {

struct IpAddress {
    std::uint8_t family = 0;  // 4 or 6; 0 = unset
    std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first 4 bytes

    std::string to_string() const;  // "192.0.2.1", "2001:db8::1"
    friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// Who sent a response, when the source of the message says so. A packet
// does not: the detector reads it from the header's flags (RD+RA: a
// resolver; AA: an authoritative server). A dnstap message does, by its type:
// CLIENT_RESPONSE is a resolver answering a client; AUTH_RESPONSE and
// RESOLVER_RESPONSE are a name server answering (the resolver, upstream).
enum class Responder : std::uint8_t {
    from_flags,  // packets: judge by the header
    resolver,    // a recursive resolver answering its client
    server,      // a name server answering a resolver or a client
};

// What identifies a tunnel's session, when its header carries it.
enum class TunnelId : std::uint8_t {
    none,
    teid,     // GTP-U tunnel endpoint id: the bearer at the receiving end
    key,      // GRE key (RFC 2890)
    call_id,  // enhanced GRE (PPTP): the receiving peer's call id
    vni,      // VXLAN / Geneve virtual network id
};
std::string_view name_of(TunnelId id);  // "teid", "key", "call_id", "vni"; "" for none

// The tunnel a message came through, the innermost when they nest: what an
// analyst needs to find the subscriber's bearer or session (for GTP-U, the
// TEID and the addresses of the eNodeB / gNodeB and the gateway).
struct Tunnel {
    TunnelKind kind = TunnelKind::gtp_u;
    TunnelId id_kind = TunnelId::none;
    std::uint32_t id = 0;
    IpAddress outer_src;  // the IP header that carries the tunnel
    IpAddress outer_dst;
    friend bool operator==(const Tunnel&, const Tunnel&) = default;
};

// One DNS message and its addressing (the innermost IP header when it came
// through a tunnel). `dns` points into the packet's bytes or into a
// reassembly buffer, and `tunnel` into the decoder's walk of the packet:
// valid only while the call that handed them out runs.
struct DnsDatagram {
    IpAddress src;
    IpAddress dst;
    std::uint16_t src_port = 0;
    std::uint16_t dst_port = 0;
    std::uint8_t ip_protocol = 0;  // 17 = UDP, 6 = TCP
    bool reassembled = false;      // from IP fragments, or from more than one TCP segment
    Responder responder = Responder::from_flags;
    std::span<const std::uint8_t> dns;
    const Tunnel* tunnel = nullptr;  // null: not tunnelled
};

// Receives the DNS messages a packet completes. A virtual call per message
// rather than a container of results, so that decoding allocates nothing.
// Implementations must not call back into the decoder that calls them.
class DnsMessageSink {
public:
    virtual ~DnsMessageSink() = default;
    virtual void on_dns(const DnsDatagram& datagram, const PacketView& packet) = 0;
    // A message reassembled from several frames (TCP segments, IP
    // fragments): `packet` is the frame that completed it, `carriers` the
    // others as captured (decode/carrier_frames.h), valid as `dns` is; what
    // an alert's evidence shows. A call of its own, rather than a field of
    // DnsDatagram, so that a message in one frame (every UDP answer) carries
    // nothing more: a larger datagram cost the UDP path 9% (the compiler
    // cleared all of it with rep stos). A sink that keeps no evidence takes
    // it as any message.
    virtual void on_reassembled_dns(const DnsDatagram& datagram, const PacketView& packet,
                                    std::span<const std::uint8_t> carriers) {
        (void)carriers;
        on_dns(datagram, packet);
    }
};

}  // namespace dnswatch
