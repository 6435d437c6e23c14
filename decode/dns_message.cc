#include "decode/dns_message.h"

#include <array>

namespace dnswatch {
namespace {

constexpr std::size_t kHeaderLength = 12;
constexpr std::size_t kMinQuestionLength = 5;  // root name + type + class
constexpr std::size_t kMinRecordLength = 11;   // root name + type, class, ttl, rdlength

// Big-endian loads; callers have checked the bytes are there.
inline std::uint16_t load16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }
inline std::uint32_t load32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

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
    // Field by field rather than `out = DnsMessageView{}`: that would zero
    // the 255-byte qname buffer for every message.
    out.wire = wire;
    out.header = DnsHeader{};
    out.has_question = false;
    out.qname.length = 0;
    out.qname.label_count = 0;
    out.qtype = 0;
    out.qclass = 0;
    out.records_offset = 0;
    out.records = {};
    out.trailing_bytes = 0;
    if (wire.size() > 65535) return MalformedKind::dns_too_large;
    if (wire.size() < kHeaderLength) return MalformedKind::dns_truncated_header;
    const std::uint8_t* const bytes = wire.data();
    DnsHeader& h = out.header;
    h.id = load16(bytes);
    h.flags = load16(bytes + 2);
    h.qdcount = load16(bytes + 4);
    h.ancount = load16(bytes + 6);
    h.nscount = load16(bytes + 8);
    h.arcount = load16(bytes + 10);

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
        if (wire.size() - next < 4) return MalformedKind::dns_truncated;
        if (i == 0) {
            out.has_question = true;
            out.qtype = load16(bytes + next);
            out.qclass = load16(bytes + next + 2);
        }
        pos = next + 4;
    }
    out.records_offset = pos;
    return MalformedKind::none;
}

MalformedKind DnsDecoder::decode_records(DnsMessageView& message) {
    const DnsHeader& h = message.header;
    const std::span<const std::uint8_t> wire = message.wire;
    const std::uint8_t* const bytes = wire.data();
    const std::size_t size = wire.size();
    records_.clear();
    const std::size_t total = std::size_t{h.ancount} + h.nscount + h.arcount;

    // Names already validated from their first byte, with their hash: an
    // owner that is just a pointer to one of them (C0 0C, the question, is
    // most owners) needs neither walking nor hashing again. Reusing one is
    // exactly what walking would find when the name ends (`next`) at or
    // before the pointer: then the shrinking window of read_name() changes
    // nothing, and the pointer adds one hop.
    struct KnownName {
        std::size_t offset;
        std::size_t next;
        std::uint32_t hash;
        std::uint8_t hops;
    };
    std::array<KnownName, 8> known;
    std::size_t known_count = 0;
    if (total != 0 && h.qdcount == 1 && message.has_question &&
        kHeaderLength + message.qname.length + 4 == message.records_offset) {
        // An uncompressed question name (a compressed one is never exactly
        // its own length): no hops.
        known[known_count++] = {kHeaderLength, kHeaderLength + message.qname.length, hash_name(message.qname), 0};
    }

    static const std::uint32_t root_hash = hash_name(*DnsName::from_text("."));
    std::size_t pos = message.records_offset;
    for (std::size_t i = 0; i < total; ++i) {
        // Filled in place: a RecordView built on the stack and then copied
        // costs a store-forwarding stall per record.
        RecordView& record = records_.emplace_back();
        record.section = i < h.ancount ? Section::answer
                         : i < std::size_t{h.ancount} + h.nscount ? Section::authority
                                                                   : Section::additional;
        record.owner_offset = static_cast<std::uint16_t>(pos);
        std::size_t next = 0;
        const KnownName* hit = nullptr;
        if (pos < size && bytes[pos] == 0) {  // the root: every OPT record
            record.owner_hash = root_hash;
            next = pos + 1;
        } else {
            if (pos + 1 < size && (bytes[pos] & 0xC0) == 0xC0) {
                const std::size_t target = (std::size_t{bytes[pos] & 0x3Fu} << 8) | bytes[pos + 1];
                auto usable = [pos](const KnownName& name) {
                    return name.next <= pos && name.hops < kMaxCompressionHops;
                };
                for (std::size_t k = 0; k < known_count && hit == nullptr; ++k) {
                    if (known[k].offset == target && usable(known[k])) hit = &known[k];
                }
                if (hit == nullptr && target < pos && target >= kHeaderLength && known_count < known.size()) {
                    // Learn the target (a suffix of the question, a name in
                    // earlier rdata): later owners often point to it too.
                    NameScan scan;
                    std::size_t end = 0;
                    if (scan_name(wire, target, &scan, &end) == MalformedKind::none) {
                        known[known_count] = {target, end, scan.hash, scan.hops};
                        if (usable(known[known_count])) hit = &known[known_count];
                        ++known_count;
                    }
                }
            }
            if (hit != nullptr) {
                record.owner_hash = hit->hash;
                next = pos + 2;
            } else {
                NameScan scan;
                const MalformedKind kind = scan_name(wire, pos, &scan, &next);
                if (kind != MalformedKind::none) return kind;
                record.owner_hash = scan.hash;
                if (known_count < known.size()) known[known_count++] = {pos, next, scan.hash, scan.hops};
            }
        }
        if (size - next < 10) return MalformedKind::dns_truncated;
        record.type = load16(bytes + next);
        record.rrclass = load16(bytes + next + 2);
        record.ttl = load32(bytes + next + 4);
        record.rdata_length = load16(bytes + next + 8);
        record.rdata_offset = static_cast<std::uint16_t>(next + 10);
        if (record.rdata_length > size - next - 10) return MalformedKind::dns_truncated;
        pos = next + 10 + record.rdata_length;
    }
    message.records = records_;
    message.trailing_bytes = size - pos;
    return MalformedKind::none;
}

}  // namespace dnswatch
