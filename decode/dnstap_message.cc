#include "decode/dnstap_message.h"

#include <algorithm>
#include <cstring>

#include "dnstap.pb-c.h"

namespace dnswatch {

// protobuf-c allocates the unpacked structs and a copy of every bytes field
// through a ProtobufCAllocator: this one hands out slices of one buffer and
// forgets them all at the next frame. It grows (rarely: only for a frame
// larger than any before) and never shrinks. When a frame needs more than
// the room given — one stuffed with thousands of unknown fields — the
// allocation fails and protobuf-c reports the frame as undecodable.
class DnstapDecoder::Arena {
public:
    ProtobufCAllocator allocator{&Arena::allocate, &Arena::release, this};

    // Room for a frame of `frame_bytes`: the structs (well under 1 KiB),
    // the copies of its bytes fields (at most the frame), and slack for
    // protobuf-c's bookkeeping of fields it scans.
    void reset_for(std::size_t frame_bytes) {
        const std::size_t wanted = 3 * frame_bytes + 16384;
        if (wanted > capacity_) {
            capacity_ = std::max(wanted, kInitialBytes);
            buffer_ = std::make_unique<std::max_align_t[]>(capacity_ / sizeof(std::max_align_t) + 1);
        }
        used_ = 0;
    }

private:
    static constexpr std::size_t kInitialBytes = 256u << 10;

    static void* allocate(void* data, std::size_t size) {
        auto& self = *static_cast<Arena*>(data);
        const std::size_t rounded = (size + alignof(std::max_align_t) - 1) & ~(alignof(std::max_align_t) - 1);
        if (rounded < size || rounded > self.capacity_ - self.used_) return nullptr;
        void* at = reinterpret_cast<std::uint8_t*>(self.buffer_.get()) + self.used_;
        self.used_ += rounded;
        return at;
    }
    static void release(void*, void*) {}

    std::unique_ptr<std::max_align_t[]> buffer_;
    std::size_t capacity_ = 0;
    std::size_t used_ = 0;
};

namespace {

DnstapOutcome skipped(SkipKind kind) { return {DnstapResult::skipped, kind, MalformedKind::none}; }
DnstapOutcome malformed(MalformedKind kind) { return {DnstapResult::malformed, SkipKind{}, kind}; }

// An address field: 4 or 16 bytes, of the socket family when one is given
// (NSD gives none: the length says). Absent: family 0, which alerts print
// as an empty address. False when it cannot be an address.
bool read_address(protobuf_c_boolean present, const ProtobufCBinaryData& field, std::uint8_t family,
                  IpAddress& out) {
    out = IpAddress{};
    if (!present) return true;
    const std::uint8_t length_family = field.len == 4 ? 4 : field.len == 16 ? 6 : 0;
    if (length_family == 0 || (family != 0 && family != length_family)) return false;
    out.family = length_family;
    std::memcpy(out.bytes.data(), field.data, field.len);
    return true;
}

// Microseconds since the epoch; 0 when absent or past the year 9999
// (which no clock writes, and whose microseconds would overflow nothing,
// but would make no sense in an alert either).
std::int64_t time_of(protobuf_c_boolean has_sec, std::uint64_t sec, protobuf_c_boolean has_nsec, std::uint32_t nsec) {
    constexpr std::uint64_t kYear9999 = 253402300799;
    if (!has_sec || sec > kYear9999) return 0;
    const std::uint32_t fraction = has_nsec && nsec < 1'000'000'000u ? nsec : 0;
    return static_cast<std::int64_t>(sec) * 1'000'000 + fraction / 1000;
}

// Messages arrive whole whatever carried them: only the IP protocol under
// the transport is kept (DoT and DoH: TCP, DoQ: UDP), so that they are
// judged as UDP and TCP messages are — a capture never reads them.
std::uint8_t ip_protocol_of(DnstapTransport transport) {
    switch (transport) {
        case DnstapTransport::tcp:
        case DnstapTransport::dot:
        case DnstapTransport::doh:
        case DnstapTransport::dnscrypt_tcp:
            return 6;
        default:
            return 17;
    }
}

}  // namespace

bool is_response(DnstapType type) { return (static_cast<int>(type) & 1) == 0; }

Responder responder_of(DnstapType type) {
    switch (type) {
        case DnstapType::auth_response:      // a name server answering anyone
        case DnstapType::resolver_response:  // an upstream server answering the resolver
            return Responder::server;
        case DnstapType::client_response:     // the resolver answering its client
        case DnstapType::forwarder_response:  // an upstream resolver answering a forwarder
        case DnstapType::stub_response:       // a resolver answering a stub
            return Responder::resolver;
        default:
            return Responder::from_flags;
    }
}

DnstapDecoder::DnstapDecoder() : arena_(std::make_unique<Arena>()) {}
DnstapDecoder::~DnstapDecoder() = default;

DnstapOutcome DnstapDecoder::decode(std::span<const std::uint8_t> frame, DnstapMessage& out) {
    if (frame.size() > kMaxFrameBytes) return malformed(MalformedKind::dnstap_too_large);
    arena_->reset_for(frame.size());
    const Dnstap__Dnstap* tap = dnstap__dnstap__unpack(&arena_->allocator, frame.size(), frame.data());
    if (tap == nullptr) return malformed(MalformedKind::dnstap_undecodable);
    if (tap->type != DNSTAP__DNSTAP__TYPE__MESSAGE || tap->message == nullptr) return skipped(SkipKind::dnstap_no_dns);
    const Dnstap__Message& m = *tap->message;
    // protobuf-c keeps enum values it does not know; so do later schemas.
    if (m.type < DNSTAP__MESSAGE__TYPE__AUTH_QUERY || m.type > DNSTAP__MESSAGE__TYPE__UPDATE_RESPONSE) {
        return skipped(SkipKind::dnstap_no_dns);
    }
    out.type = static_cast<DnstapType>(m.type);
    // An UPDATE's question is the zone and its records are the change asked
    // for: nothing the zone serves.
    if (out.type == DnstapType::update_query || out.type == DnstapType::update_response) {
        return skipped(SkipKind::dnstap_no_dns);
    }
    const bool response = is_response(out.type);
    const bool has_dns = response ? m.has_response_message : m.has_query_message;
    const ProtobufCBinaryData& dns = response ? m.response_message : m.query_message;
    if (!has_dns || dns.len == 0) return skipped(SkipKind::dnstap_no_dns);

    std::uint8_t family = 0;
    if (m.has_socket_family) {
        if (m.socket_family == DNSTAP__SOCKET_FAMILY__INET) family = 4;
        else if (m.socket_family == DNSTAP__SOCKET_FAMILY__INET6) family = 6;
        else return malformed(MalformedKind::dnstap_bad_address);
    }
    IpAddress initiator;
    IpAddress responder;
    if (!read_address(m.has_query_address, m.query_address, family, initiator) ||
        !read_address(m.has_response_address, m.response_address, family, responder) ||
        (m.has_query_port && m.query_port > 65535) || (m.has_response_port && m.response_port > 65535)) {
        return malformed(MalformedKind::dnstap_bad_address);
    }
    const auto initiator_port = static_cast<std::uint16_t>(m.has_query_port ? m.query_port : 0);
    const auto responder_port = static_cast<std::uint16_t>(m.has_response_port ? m.response_port : 0);

    out.transport = m.has_socket_protocol && m.socket_protocol >= 1 && m.socket_protocol <= 7
                        ? static_cast<DnstapTransport>(m.socket_protocol)
                        : DnstapTransport::unknown;
    DnsDatagram& d = out.datagram;
    d = DnsDatagram{};
    d.src = response ? responder : initiator;
    d.dst = response ? initiator : responder;
    d.src_port = response ? responder_port : initiator_port;
    d.dst_port = response ? initiator_port : responder_port;
    d.ip_protocol = ip_protocol_of(out.transport);
    d.responder = response ? responder_of(out.type) : Responder::from_flags;
    d.dns = {dns.data, dns.len};

    const std::int64_t query_time =
        time_of(m.has_query_time_sec, m.query_time_sec, m.has_query_time_nsec, m.query_time_nsec);
    const std::int64_t response_time =
        time_of(m.has_response_time_sec, m.response_time_sec, m.has_response_time_nsec, m.response_time_nsec);
    out.time_us = response ? (response_time != 0 ? response_time : query_time)
                           : (query_time != 0 ? query_time : response_time);
    // The nanoseconds below the microsecond, of whichever time was taken.
    const bool took_response = out.time_us != 0 && out.time_us == response_time &&
                               (response || query_time == 0);
    const std::uint32_t nsec = took_response ? (m.has_response_time_nsec ? m.response_time_nsec : 0)
                                             : (m.has_query_time_nsec && out.time_us != 0 ? m.query_time_nsec : 0);
    out.time_ns = nsec < 1'000'000'000u ? static_cast<std::uint16_t>(nsec % 1000) : 0;
    return {DnstapResult::message, SkipKind{}, MalformedKind::none};
}

std::vector<std::uint8_t> encode_dnstap(const DnstapMessage& message) {
    const DnsDatagram& d = message.datagram;
    const bool response = is_response(message.type);
    const IpAddress& initiator = response ? d.dst : d.src;
    const IpAddress& responder = response ? d.src : d.dst;
    auto address_bytes = [](const IpAddress& a) {
        return ProtobufCBinaryData{a.family == 6 ? 16u : 4u, const_cast<std::uint8_t*>(a.bytes.data())};
    };
    Dnstap__Message m = DNSTAP__MESSAGE__INIT;
    m.type = static_cast<Dnstap__Message__Type>(message.type);
    if (d.src.family != 0 || d.dst.family != 0) {
        m.has_socket_family = true;
        m.socket_family = (d.src.family == 6 || d.dst.family == 6) ? DNSTAP__SOCKET_FAMILY__INET6
                                                                   : DNSTAP__SOCKET_FAMILY__INET;
    }
    if (message.transport != DnstapTransport::unknown) {
        m.has_socket_protocol = true;
        m.socket_protocol = static_cast<Dnstap__SocketProtocol>(message.transport);
    }
    if (initiator.family != 0) {
        m.has_query_address = true;
        m.query_address = address_bytes(initiator);
    }
    if (responder.family != 0) {
        m.has_response_address = true;
        m.response_address = address_bytes(responder);
    }
    m.has_query_port = true;
    m.query_port = response ? d.dst_port : d.src_port;
    m.has_response_port = true;
    m.response_port = response ? d.src_port : d.dst_port;
    const auto sec = static_cast<std::uint64_t>(message.time_us / 1'000'000);
    const auto nsec = static_cast<std::uint32_t>(message.time_us % 1'000'000) * 1000 + message.time_ns % 1000;
    const ProtobufCBinaryData dns{d.dns.size(), const_cast<std::uint8_t*>(d.dns.data())};
    if (response) {
        m.has_response_time_sec = m.has_response_time_nsec = m.has_response_message = true;
        m.response_time_sec = sec;
        m.response_time_nsec = nsec;
        m.response_message = dns;
    } else {
        m.has_query_time_sec = m.has_query_time_nsec = m.has_query_message = true;
        m.query_time_sec = sec;
        m.query_time_nsec = nsec;
        m.query_message = dns;
    }
    Dnstap__Dnstap tap = DNSTAP__DNSTAP__INIT;
    tap.type = DNSTAP__DNSTAP__TYPE__MESSAGE;
    tap.message = &m;
    std::vector<std::uint8_t> out(dnstap__dnstap__get_packed_size(&tap));
    dnstap__dnstap__pack(&tap, out.data());
    return out;
}

}  // namespace dnswatch
