// What the transport layer hands on: one DNS message with its addressing,
// and the interface through which it is handed.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "capture/packet.h"

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

// One DNS message and its addressing (the innermost IP header when it came
// through a tunnel). `dns` points into the packet's bytes or into a
// reassembly buffer: valid only while the call that handed it out runs.
struct DnsDatagram {
    IpAddress src;
    IpAddress dst;
    std::uint16_t src_port = 0;
    std::uint16_t dst_port = 0;
    std::uint8_t ip_protocol = 0;  // 17 = UDP, 6 = TCP
    bool reassembled = false;      // from IP fragments, or from more than one TCP segment
    Responder responder = Responder::from_flags;
    std::span<const std::uint8_t> dns;
};

// Receives the DNS messages a packet completes. A virtual call per message
// rather than a container of results, so that decoding allocates nothing.
// Implementations must not call back into the decoder that calls them.
class DnsMessageSink {
public:
    virtual ~DnsMessageSink() = default;
    virtual void on_dns(const DnsDatagram& datagram, const PacketView& packet) = 0;
};

}  // namespace dnswatch
