// The dnstap envelope: one Frame Streams data frame (a serialized
// dnstap.Dnstap protobuf, decode/dnstap.proto) in, the DNS message it
// carries out, with the addresses, ports, transport and time dnstap gives
// and who answered (the vantage), read from the message type.
//
// Why dnstap enters here, as a "link layer" of decode/, and not as a second
// path beside it: a dnstap message is a DNS message that some resolver or
// name server has already taken off the wire, with its addressing written
// down. Peeling the protobuf yields exactly the DnsDatagram that peeling
// Ethernet, IP and UDP yields, so the transport decoder hands it to the same
// sink, and everything after — the watch filter, routing to shards, the
// detector, query matching, evidence, ordered replay — sees what it sees
// for a packet. capture/ only moves frames (kLinkTypeDnstap) and never
// parses them; the message time replaces the frame's arrival time.
//
// protobuf-c decodes (its code generated from dnstap.proto at build time);
// it allocates from an arena of this decoder's, reset for every frame, so
// decoding allocates nothing per message once the arena is sized.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "decode/decode_counters.h"
#include "decode/dns_datagram.h"

namespace dnswatch {

// dnstap.Message.Type values (dnstap.proto).
enum class DnstapType : std::uint8_t {
    auth_query = 1, auth_response, resolver_query, resolver_response, client_query, client_response,
    forwarder_query, forwarder_response, stub_query, stub_response, tool_query, tool_response,
    update_query, update_response,
};

// How the message travelled (dnstap.SocketProtocol); 0 when dnstap does not say.
enum class DnstapTransport : std::uint8_t {
    unknown = 0, udp, tcp, dot, doh, dnscrypt_udp, dnscrypt_tcp, doq,
};

struct DnstapMessage {
    // src/dst: for a query, the initiator (query_address) to the responder;
    // for a response, the other way round. An address dnstap leaves out has
    // family 0. `dns` points into the decoder's arena: valid until the next
    // decode().
    DnsDatagram datagram;
    std::int64_t time_us = 0;  // query_time for queries, response_time for responses; 0: none given
    std::uint16_t time_ns = 0; // the nanoseconds of that time past time_us (0..999)
    DnstapType type = DnstapType::auth_query;
    DnstapTransport transport = DnstapTransport::unknown;
};

enum class DnstapResult : std::uint8_t {
    message,    // `out` holds a DNS message
    skipped,    // well formed, nothing to judge: `skip` says why
    malformed,  // `malformed` says how
};

struct DnstapOutcome {
    DnstapResult result = DnstapResult::malformed;
    SkipKind skip = SkipKind::unsupported_link_type;
    MalformedKind malformed = MalformedKind::none;
};

class DnstapDecoder {
public:
    // Frames larger than this are malformed (dnstap_too_large): the arena
    // holds a copy of every bytes field, so it is sized from it.
    static constexpr std::size_t kMaxFrameBytes = 1u << 20;

    DnstapDecoder();
    ~DnstapDecoder();
    DnstapDecoder(const DnstapDecoder&) = delete;
    DnstapDecoder& operator=(const DnstapDecoder&) = delete;

    DnstapOutcome decode(std::span<const std::uint8_t> frame, DnstapMessage& out);

private:
    class Arena;
    std::unique_ptr<Arena> arena_;
};

// Builds a serialized dnstap.Dnstap holding `message` (its datagram's
// addresses, ports, DNS bytes; its type, transport and time): what a
// resolver writes. For tests, benchmarks and tools; allocates.
std::vector<std::uint8_t> encode_dnstap(const DnstapMessage& message);

// The vantage a message type gives its responses (Responder::from_flags for
// queries and for tools, whose responder dnstap does not characterise).
Responder responder_of(DnstapType type);
bool is_response(DnstapType type);

}  // namespace dnswatch
