// A zero-copy view of one DNS message: the header, the first question, and
// every resource record as offsets into the message (CONVENTIONS 4). Rdata is
// decoded only when a caller asks (decode/rdata.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "decode/decode_counters.h"
#include "decode/dns_name.h"

namespace dnswatch {

enum class Section : std::uint8_t { question, answer, authority, additional };
const char* to_string(Section section);

namespace rrtype {
inline constexpr std::uint16_t A = 1, NS = 2, CNAME = 5, SOA = 6, PTR = 12, MX = 15, TXT = 16,
                               AAAA = 28, SRV = 33, DNAME = 39, OPT = 41, DS = 43, RRSIG = 46,
                               NSEC = 47, DNSKEY = 48, NSEC3 = 50, NSEC3PARAM = 51, TLSA = 52,
                               CDS = 59, CDNSKEY = 60, SVCB = 64, HTTPS = 65, TKEY = 249,
                               TSIG = 250, IXFR = 251, AXFR = 252, ANY = 255, CAA = 257;
}

struct DnsHeader {
    std::uint16_t id = 0;
    std::uint16_t flags = 0;
    std::uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;

    bool qr() const { return flags & 0x8000; }
    unsigned opcode() const { return (flags >> 11) & 0xF; }
    bool aa() const { return flags & 0x0400; }
    bool tc() const { return flags & 0x0200; }
    bool rd() const { return flags & 0x0100; }
    bool ra() const { return flags & 0x0080; }
    bool ad() const { return flags & 0x0020; }
    bool cd() const { return flags & 0x0010; }
    unsigned rcode() const { return flags & 0xF; }  // header bits only; EDNS extends it
};

struct RecordView {
    std::uint16_t owner_offset = 0;  // where the owner name starts (may be a pointer)
    std::uint16_t type = 0;
    std::uint16_t rrclass = 0;
    std::uint32_t ttl = 0;
    std::uint16_t rdata_offset = 0;
    std::uint16_t rdata_length = 0;
    std::uint32_t owner_hash = 0;  // hash_name() of the owner: cheap RRset grouping
    Section section = Section::answer;
};

struct DnsMessageView {
    std::span<const std::uint8_t> wire;
    DnsHeader header;
    bool has_question = false;
    DnsName qname;  // the first question; further questions are validated and skipped
    std::uint16_t qtype = 0;
    std::uint16_t qclass = 0;
    std::size_t records_offset = 0;        // where the answer section starts
    std::span<const RecordView> records;   // answer, authority, additional, in order
    std::size_t trailing_bytes = 0;        // bytes after the last record

    std::span<const RecordView> section(Section s) const;
    // Decodes a record's owner name (already validated by the decoder).
    DnsName owner(const RecordView& record) const;
    std::span<const std::uint8_t> rdata(const RecordView& record) const {
        return wire.subspan(record.rdata_offset, record.rdata_length);
    }
};

// Decodes messages into views. Holds the record table that views point into,
// allocated once and reused, so decoding allocates nothing per message once
// the table has grown to the largest message seen.
class DnsDecoder {
public:
    DnsDecoder();

    // Header and question only: enough to reject unwatched traffic.
    MalformedKind decode_question(std::span<const std::uint8_t> wire, DnsMessageView& out);
    // The records of a message whose question decode_question() accepted.
    // The view's records stay valid until the next call on this decoder.
    MalformedKind decode_records(DnsMessageView& message);
    // Both steps.
    MalformedKind decode(std::span<const std::uint8_t> wire, DnsMessageView& out) {
        const MalformedKind kind = decode_question(wire, out);
        return kind == MalformedKind::none ? decode_records(out) : kind;
    }

private:
    std::vector<RecordView> records_;
};

}  // namespace dnswatch
