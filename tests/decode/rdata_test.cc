#include <gtest/gtest.h>

#include <vector>

#include "decode/dns_message.h"
#include "decode/ldns_glue.h"
#include "decode/rdata.h"
#include "tests/support/message_builder.h"

namespace dnswatch {
namespace {

std::vector<std::uint8_t> canonical_of_first_answer(const test::MessageSpec& spec) {
    const auto wire = test::build_message(spec);
    DnsDecoder decoder;
    DnsMessageView view;
    EXPECT_EQ(decoder.decode(wire, view), MalformedKind::none);
    const RecordView& r = view.section(Section::answer).front();
    std::vector<std::uint8_t> out;
    EXPECT_EQ(append_canonical_rdata(view.wire, r.type, r.rdata_offset, r.rdata_length, out), MalformedKind::none);
    return out;
}

TEST(CanonicalRdata, CaseAndCompressionDoNotMakeEqualDataDiffer) {
    test::MessageSpec compressed;  // ldns compresses "mail.victim.test" against the owner
    compressed.question = "victim.test. IN MX";
    compressed.answer = {"victim.test. 300 IN MX 10 MAIL.Victim.test."};
    test::MessageSpec plain;
    plain.question = "other.example. IN MX";
    plain.answer = {"other.example. 300 IN MX 10 mail.victim.test."};
    const auto a = canonical_of_first_answer(compressed);
    const auto b = canonical_of_first_answer(plain);
    EXPECT_EQ(a, b);
    EXPECT_EQ(rdata_to_text(rrtype::MX, a), "10 mail.victim.test.");
}

TEST(CanonicalRdata, SoaNamesAreDecompressedAndTheTimersKept) {
    test::MessageSpec spec;
    spec.question = "victim.test. IN SOA";
    spec.answer = {"victim.test. 300 IN SOA NS1.victim.test. Hostmaster.victim.test. 2026031401 3600 900 604800 300"};
    const auto rdata = canonical_of_first_answer(spec);
    EXPECT_EQ(rdata_to_text(rrtype::SOA, rdata),
              "ns1.victim.test. hostmaster.victim.test. 2026031401 3600 900 604800 300");
}

TEST(CanonicalRdata, OpaqueTypesAreCopiedAndFixedSizesChecked) {
    const std::vector<std::uint8_t> a = {192, 0, 2, 1};
    std::vector<std::uint8_t> out;
    ASSERT_EQ(append_canonical_rdata(a, rrtype::A, 0, 4, out), MalformedKind::none);
    EXPECT_EQ(rdata_to_text(rrtype::A, out), "192.0.2.1");
    out.clear();
    EXPECT_EQ(append_canonical_rdata(a, rrtype::A, 0, 3, out), MalformedKind::dns_bad_rdata);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(append_canonical_rdata(a, rrtype::AAAA, 0, 4, out), MalformedKind::dns_bad_rdata);
    EXPECT_EQ(append_canonical_rdata(a, 65280, 0, 4, out), MalformedKind::none);
    EXPECT_EQ(out.size(), 4u);
    // Out of bounds is refused, not read.
    EXPECT_EQ(append_canonical_rdata(a, rrtype::TXT, 2, 4, out), MalformedKind::dns_bad_rdata);
}

TEST(CanonicalRdata, NameFieldsMayNotRunPastTheRdata) {
    // MX whose name claims more bytes than rdlength holds.
    const std::vector<std::uint8_t> mx = {0, 10, 4, 'm', 'a', 'i', 'l', 0};
    std::vector<std::uint8_t> out;
    EXPECT_EQ(append_canonical_rdata(mx, rrtype::MX, 0, 8, out), MalformedKind::none);
    out.clear();
    EXPECT_NE(append_canonical_rdata(mx, rrtype::MX, 0, 6, out), MalformedKind::none);
    // Trailing bytes after the name are a layout error too.
    const std::vector<std::uint8_t> ns = {0, 0xFF};
    EXPECT_EQ(append_canonical_rdata(ns, rrtype::NS, 0, 2, out), MalformedKind::dns_bad_rdata);
}

TEST(RdataText, UnknownRdataFallsBackToTheGenericForm) {
    EXPECT_EQ(rrtype_to_text(rrtype::NS), "NS");
    EXPECT_EQ(rrtype_to_text(65280), "TYPE65280");
    const std::vector<std::uint8_t> bad_a = {1, 2, 3};
    EXPECT_EQ(rdata_to_text(rrtype::A, bad_a), "\\# 3 010203");
}

}  // namespace
}  // namespace dnswatch
