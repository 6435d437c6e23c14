// A slow, obviously-correct DNS decoder for differential fuzzing: the name
// reader and message decoder as first written (commit c51db09), byte by byte
// through WireReader, before decode/ was made fast. fuzz_dns_message checks
// that the fast decoder accepts and rejects exactly what this one does and
// finds the same names, records and hashes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "decode/dns_message.h"
#include "decode/dns_name.h"
#include "decode/wire_reader.h"

namespace dnswatch::reference {

inline MalformedKind read_name(std::span<const std::uint8_t> message, std::size_t offset, DnsName& name,
                               std::size_t& next) {
    std::size_t pos = offset;
    std::size_t limit = message.size();
    bool jumped = false;
    int hops = 0;
    std::size_t length = 0;
    std::uint8_t labels = 0;
    while (true) {
        if (pos >= limit) return jumped ? MalformedKind::dns_pointer_loop : MalformedKind::dns_truncated;
        const std::uint8_t octet = message[pos];
        if (octet == 0) {
            if (length + 1 > kMaxNameLength) return MalformedKind::dns_name_too_long;
            name.wire[length++] = 0;
            name.length = static_cast<std::uint8_t>(length);
            name.label_count = labels;
            if (!jumped) next = pos + 1;
            return MalformedKind::none;
        }
        if ((octet & 0xC0) == 0xC0) {
            if (pos + 1 >= limit) return jumped ? MalformedKind::dns_pointer_loop : MalformedKind::dns_truncated;
            const std::size_t target = (std::size_t{octet & 0x3Fu} << 8) | message[pos + 1];
            if (!jumped) next = pos + 2;
            if (target >= pos) return MalformedKind::dns_forward_pointer;
            if (target < 12) return MalformedKind::dns_pointer_into_header;
            if (++hops > kMaxCompressionHops) return MalformedKind::dns_pointer_loop;
            jumped = true;
            limit = pos;
            pos = target;
            continue;
        }
        if ((octet & 0xC0) != 0) return MalformedKind::dns_bad_label_type;
        if (octet >= limit - pos - 1) return jumped ? MalformedKind::dns_pointer_loop : MalformedKind::dns_truncated;
        if (length + 1 + octet + 1 > kMaxNameLength) return MalformedKind::dns_name_too_long;
        name.wire[length++] = octet;
        for (std::size_t i = 0; i < octet; ++i) {
            const std::uint8_t c = message[pos + 1 + i];
            name.wire[length++] = (c >= 'A' && c <= 'Z') ? static_cast<std::uint8_t>(c | 0x20) : c;
        }
        ++labels;
        pos += 1 + octet;
    }
}

struct Record {
    std::uint16_t owner_offset, type, rrclass, rdata_offset, rdata_length;
    std::uint32_t ttl;
    DnsName owner;
};

struct Message {
    DnsHeader header;
    bool has_question = false;
    DnsName qname;
    std::uint16_t qtype = 0, qclass = 0;
    std::size_t records_offset = 0;
    std::vector<Record> records;
    std::size_t trailing_bytes = 0;
};

inline MalformedKind decode(std::span<const std::uint8_t> wire, Message& out) {
    if (wire.size() > 65535) return MalformedKind::dns_too_large;
    WireReader reader(wire);
    DnsHeader& h = out.header;
    h.id = reader.u16();
    h.flags = reader.u16();
    h.qdcount = reader.u16();
    h.ancount = reader.u16();
    h.nscount = reader.u16();
    h.arcount = reader.u16();
    if (reader.failed()) return MalformedKind::dns_truncated_header;
    const std::size_t claimed = std::size_t{h.qdcount} * 5 + (std::size_t{h.ancount} + h.nscount + h.arcount) * 11;
    if (claimed > wire.size() - 12) return MalformedKind::dns_count_exceeds_bytes;
    std::size_t pos = 12;
    for (unsigned i = 0; i < h.qdcount; ++i) {
        DnsName name;
        std::size_t next = 0;
        const MalformedKind kind = read_name(wire, pos, name, next);
        if (kind != MalformedKind::none) return kind;
        reader.seek(next);
        const std::uint16_t qtype = reader.u16();
        const std::uint16_t qclass = reader.u16();
        if (reader.failed()) return MalformedKind::dns_truncated;
        if (i == 0) {
            out.has_question = true;
            out.qname = name;
            out.qtype = qtype;
            out.qclass = qclass;
        }
        pos = reader.offset();
    }
    out.records_offset = pos;
    const std::size_t total = std::size_t{h.ancount} + h.nscount + h.arcount;
    for (std::size_t i = 0; i < total; ++i) {
        Record record;
        record.owner_offset = static_cast<std::uint16_t>(reader.offset());
        std::size_t next = 0;
        const MalformedKind kind = read_name(wire, reader.offset(), record.owner, next);
        if (kind != MalformedKind::none) return kind;
        reader.seek(next);
        record.type = reader.u16();
        record.rrclass = reader.u16();
        record.ttl = reader.u32();
        record.rdata_length = reader.u16();
        record.rdata_offset = static_cast<std::uint16_t>(reader.offset());
        reader.skip(record.rdata_length);
        if (reader.failed()) return MalformedKind::dns_truncated;
        out.records.push_back(record);
    }
    out.trailing_bytes = reader.remaining();
    return MalformedKind::none;
}

}  // namespace dnswatch::reference
