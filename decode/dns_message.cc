#include "decode/dns_message.h"

#include "decode/wire_reader.h"

namespace dnswatch {
namespace {

constexpr std::size_t kHeaderLength = 12;
constexpr std::size_t kMinQuestionLength = 5;  // root name + type + class
constexpr std::size_t kMinRecordLength = 11;   // root name + type, class, ttl, rdlength

}  // namespace

const char* to_string(Section section) {
    switch (section) {
        case Section::question: return "question";
        case Section::answer: return "answer";
        case Section::authority: return "authority";
        case Section::additional: return "additional";
    }
    return "answer";
}

std::span<const RecordView> DnsMessageView::section(Section s) const {
    const std::size_t an = header.ancount, ns = header.nscount;
    switch (s) {
        case Section::question: return {};
        case Section::answer: return records.subspan(0, an);
        case Section::authority: return records.subspan(an, ns);
        case Section::additional: return records.subspan(an + ns);
    }
    return {};
}

DnsName DnsMessageView::owner(const RecordView& record) const {
    DnsName name;
    std::size_t next = 0;
    read_name(wire, record.owner_offset, &name, &next);
    return name;
}

DnsDecoder::DnsDecoder() { records_.reserve(512); }

MalformedKind DnsDecoder::decode_question(std::span<const std::uint8_t> wire, DnsMessageView& out) {
    out = DnsMessageView{};
    out.wire = wire;
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

    // Counts are claims: check them against the bytes present before
    // trusting them with anything (CONVENTIONS 3).
    const std::size_t claimed = std::size_t{h.qdcount} * kMinQuestionLength +
                                (std::size_t{h.ancount} + h.nscount + h.arcount) * kMinRecordLength;
    if (claimed > wire.size() - kHeaderLength) return MalformedKind::dns_count_exceeds_bytes;

    std::size_t pos = kHeaderLength;
    for (unsigned i = 0; i < h.qdcount; ++i) {
        std::size_t next = 0;
        const MalformedKind kind = read_name(wire, pos, i == 0 ? &out.qname : nullptr, &next);
        if (kind != MalformedKind::none) return kind;
        reader.seek(next);
        const std::uint16_t qtype = reader.u16();
        const std::uint16_t qclass = reader.u16();
        if (reader.failed()) return MalformedKind::dns_truncated;
        if (i == 0) {
            out.has_question = true;
            out.qtype = qtype;
            out.qclass = qclass;
        }
        pos = reader.offset();
    }
    out.records_offset = pos;
    return MalformedKind::none;
}

MalformedKind DnsDecoder::decode_records(DnsMessageView& message) {
    const DnsHeader& h = message.header;
    const std::span<const std::uint8_t> wire = message.wire;
    records_.clear();
    WireReader reader(wire, message.records_offset);
    const std::size_t total = std::size_t{h.ancount} + h.nscount + h.arcount;
    DnsName owner;
    for (std::size_t i = 0; i < total; ++i) {
        RecordView record;
        record.section = i < h.ancount ? Section::answer
                         : i < std::size_t{h.ancount} + h.nscount ? Section::authority
                                                                   : Section::additional;
        record.owner_offset = static_cast<std::uint16_t>(reader.offset());
        std::size_t next = 0;
        const MalformedKind kind = read_name(wire, reader.offset(), &owner, &next);
        if (kind != MalformedKind::none) return kind;
        record.owner_hash = hash_name(owner);
        reader.seek(next);
        record.type = reader.u16();
        record.rrclass = reader.u16();
        record.ttl = reader.u32();
        record.rdata_length = reader.u16();
        record.rdata_offset = static_cast<std::uint16_t>(reader.offset());
        reader.skip(record.rdata_length);
        if (reader.failed()) return MalformedKind::dns_truncated;
        records_.push_back(record);
    }
    message.records = records_;
    message.trailing_bytes = reader.remaining();
    return MalformedKind::none;
}

}  // namespace dnswatch
