// libFuzzer target: one DNS message, as an attacker sends it, through
// everything a detector does with it: decode the header, question and
// records; for every record, the owner's presentation form, the canonical
// rdata and its presentation form (ldns glue). Checks on the way that the
// decoder's own invariants hold, and that it agrees with the slow reference
// decoder (fuzz/reference_decoder.h) on every name and record; aborts when
// one does not.
#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "decode/dns_message.h"
#include "decode/ldns_glue.h"
#include "decode/rdata.h"
#include "baseline/baseline.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/reference_decoder.h"

namespace dnswatch {
namespace {

void check_record(const DnsMessageView& message, const RecordView& record, std::vector<std::uint8_t>& canonical,
                  std::vector<std::uint8_t>& again) {
    const DnsName owner = message.owner(record);
    FUZZ_CHECK(owner.length > 0);
    FUZZ_CHECK(hash_name(owner) == record.owner_hash);
    // Presentation form round-trips: what an alert prints names the same owner.
    const auto parsed = DnsName::from_text(owner.to_text());
    FUZZ_CHECK(parsed.has_value() && *parsed == owner && parsed->label_count == owner.label_count);
    FUZZ_CHECK(owner.is_at_or_below(owner));

    canonical.clear();
    canonical.push_back(0xAA);  // bytes already in the buffer must survive a failure
    const MalformedKind kind =
        append_canonical_rdata(message.wire, record.type, record.rdata_offset, record.rdata_length, canonical);
    FUZZ_CHECK(canonical.front() == 0xAA);
    if (kind != MalformedKind::none) {
        FUZZ_CHECK(canonical.size() == 1);
        return;
    }
    const std::span<const std::uint8_t> rdata = std::span(canonical).subspan(1);
    // Canonical form is a fixed point: decoding it on its own (as zone-file
    // rdata is) gives the same bytes.
    again.clear();
    FUZZ_CHECK(append_canonical_rdata(rdata, record.type, 0, rdata.size(), again) == MalformedKind::none);
    FUZZ_CHECK(again.size() == rdata.size() && std::equal(again.begin(), again.end(), rdata.begin()));

    const std::string text = rdata_to_text(record.type, rdata);
    FUZZ_CHECK(!text.empty() || rdata.empty());
    const std::string type = rrtype_to_text(record.type);
    FUZZ_CHECK(!type.empty());
    to_comparison_form(record.type, std::span(canonical).subspan(1));
}

// Every way of reading the name at `offset` agrees with the reference reader.
void check_name_at(std::span<const std::uint8_t> wire, std::size_t offset) {
    DnsName expected;
    std::size_t expected_next = 0;
    const MalformedKind expected_kind = reference::read_name(wire, offset, expected, expected_next);

    DnsName name;
    std::size_t next = 0;
    FUZZ_CHECK(read_name(wire, offset, &name, &next) == expected_kind);
    std::size_t validated_next = 0;
    FUZZ_CHECK(read_name(wire, offset, nullptr, &validated_next) == expected_kind);
    NameScan scan;
    std::size_t scanned_next = 0;
    FUZZ_CHECK(scan_name(wire, offset, &scan, &scanned_next) == expected_kind);
    if (expected_kind != MalformedKind::none) return;
    FUZZ_CHECK(name.key() == expected.key() && name.label_count == expected.label_count);
    FUZZ_CHECK(next == expected_next && validated_next == expected_next && scanned_next == expected_next);
    FUZZ_CHECK(scan.hash == hash_name(expected) && scan.length == expected.length);
}

void check_against_reference(std::span<const std::uint8_t> wire, MalformedKind kind, const DnsMessageView& message) {
    reference::Message expected;
    FUZZ_CHECK(reference::decode(wire, expected) == kind);
    if (kind != MalformedKind::none) return;
    const DnsHeader& h = message.header;
    FUZZ_CHECK(h.id == expected.header.id && h.flags == expected.header.flags);
    FUZZ_CHECK(h.qdcount == expected.header.qdcount && h.ancount == expected.header.ancount &&
               h.nscount == expected.header.nscount && h.arcount == expected.header.arcount);
    FUZZ_CHECK(message.has_question == expected.has_question);
    if (message.has_question) {
        FUZZ_CHECK(message.qname.key() == expected.qname.key());
        FUZZ_CHECK(message.qname.label_count == expected.qname.label_count);
        FUZZ_CHECK(message.qtype == expected.qtype && message.qclass == expected.qclass);
    }
    FUZZ_CHECK(message.records_offset == expected.records_offset);
    FUZZ_CHECK(message.trailing_bytes == expected.trailing_bytes);
    FUZZ_CHECK(message.records.size() == expected.records.size());
    for (std::size_t i = 0; i < message.records.size(); ++i) {
        const RecordView& r = message.records[i];
        const reference::Record& e = expected.records[i];
        FUZZ_CHECK(r.owner_offset == e.owner_offset && r.type == e.type && r.rrclass == e.rrclass);
        FUZZ_CHECK(r.ttl == e.ttl && r.rdata_offset == e.rdata_offset && r.rdata_length == e.rdata_length);
        FUZZ_CHECK(r.owner_hash == hash_name(e.owner));
        FUZZ_CHECK(message.owner(r).key() == e.owner.key());
        const Section section = i < h.ancount                                ? Section::answer
                                : i < std::size_t{h.ancount} + h.nscount ? Section::authority
                                                                           : Section::additional;
        FUZZ_CHECK(r.section == section);
    }
}

}  // namespace
}  // namespace dnswatch

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace dnswatch;
    static DnsDecoder decoder;  // reused, as on the packet path
    static std::vector<std::uint8_t> canonical, again;
    const std::span<const std::uint8_t> wire(data, size);

    // Names at the first offsets of the message, wherever they start.
    for (std::size_t offset = 0; offset < std::min<std::size_t>(size, 300); ++offset) check_name_at(wire, offset);

    DnsMessageView message;
    MalformedKind kind = decoder.decode_question(wire, message);
    if (kind == MalformedKind::none) {
        if (message.has_question) {
            const auto parsed = DnsName::from_text(message.qname.to_text());
            FUZZ_CHECK(parsed.has_value() && *parsed == message.qname);
        }
        kind = decoder.decode_records(message);
    }
    check_against_reference(wire, kind, message);
    if (kind != MalformedKind::none) return 0;

    const DnsHeader& h = message.header;
    FUZZ_CHECK(message.records.size() == std::size_t{h.ancount} + h.nscount + h.arcount);
    FUZZ_CHECK(message.section(Section::answer).size() == h.ancount);
    FUZZ_CHECK(message.section(Section::authority).size() == h.nscount);
    FUZZ_CHECK(message.section(Section::additional).size() == h.arcount);
    for (const RecordView& record : message.records) {
        FUZZ_CHECK(std::size_t{record.rdata_offset} + record.rdata_length <= size);
        check_name_at(wire, record.owner_offset);
        check_record(message, record, canonical, again);
    }
    return 0;
}
