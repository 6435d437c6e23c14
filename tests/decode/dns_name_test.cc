#include <gtest/gtest.h>

#include <vector>

#include "decode/dns_name.h"

namespace dnswatch {
namespace {

TEST(DnsName, TextRoundTripFoldsCaseAndDropsTrailingDot) {
    const auto name = DnsName::from_text("Mail.Victim.TEST.");
    ASSERT_TRUE(name);
    EXPECT_EQ(name->to_text(), "mail.victim.test");
    EXPECT_EQ(name->label_count, 3);
    EXPECT_EQ(name->length, 18);
    EXPECT_EQ(DnsName::from_text("mail.victim.test")->key(), name->key());
}

TEST(DnsName, EscapesSpecialAndUnprintableBytes) {
    const auto name = DnsName::from_text("a\\.b.c\\032d.\\@x");
    ASSERT_TRUE(name);
    EXPECT_EQ(name->label_count, 3);
    EXPECT_EQ(name->to_text(), "a\\.b.c\\032d.\\@x");
    EXPECT_EQ(DnsName::from_text(".")->to_text(), ".");
}

TEST(DnsName, RejectsBadPresentationForms) {
    EXPECT_FALSE(DnsName::from_text("a..b"));
    EXPECT_FALSE(DnsName::from_text(std::string(64, 'a') + ".test"));
    EXPECT_TRUE(DnsName::from_text(std::string(63, 'a') + ".test"));
    EXPECT_FALSE(DnsName::from_text("a\\25"));
    EXPECT_FALSE(DnsName::from_text("a\\999.test"));
    std::string long_name;
    for (int i = 0; i < 5; ++i) long_name += std::string(63, 'x') + ".";
    EXPECT_FALSE(DnsName::from_text(long_name));  // 320 bytes
}

TEST(DnsName, SubdomainMatchingIsOnLabelBoundaries) {
    const auto zone = *DnsName::from_text("victim.test");
    EXPECT_TRUE(DnsName::from_text("victim.test")->is_at_or_below(zone));
    EXPECT_TRUE(DnsName::from_text("a.b.victim.test")->is_at_or_below(zone));
    EXPECT_FALSE(DnsName::from_text("evilvictim.test")->is_at_or_below(zone));
    EXPECT_FALSE(DnsName::from_text("test")->is_at_or_below(zone));
    EXPECT_FALSE(DnsName::from_text("victim.test.evil")->is_at_or_below(zone));
}

// Wire names: a message prefix (12 bytes of header) then names.
std::vector<std::uint8_t> with_header(std::vector<std::uint8_t> body) {
    std::vector<std::uint8_t> message(12 + body.size(), 0);
    for (std::size_t i = 0; i < body.size(); ++i) message[12 + i] = body[i];
    return message;
}

TEST(ReadName, FollowsBackwardPointersAndReportsTheInPlaceEnd) {
    // 12: "victim.test" ; 25: "www" + pointer to 12
    const auto message = with_header({6, 'V', 'i', 'c', 't', 'i', 'm', 4, 't', 'e', 's', 't', 0,
                                      3, 'W', 'W', 'W', 0xC0, 12});
    DnsName name;
    std::size_t next = 0;
    ASSERT_EQ(read_name(message, 25, &name, &next), MalformedKind::none);
    EXPECT_EQ(name.to_text(), "www.victim.test");
    EXPECT_EQ(next, 31u);  // after the 2-byte pointer, not after the target
}

TEST(ReadName, RejectsForwardAndSelfPointers) {
    DnsName name;
    std::size_t next = 0;
    const auto forward = with_header({0xC0, 14, 1, 'a', 0});
    EXPECT_EQ(read_name(forward, 12, &name, &next), MalformedKind::dns_forward_pointer);
    const auto self = with_header({0xC0, 12});
    EXPECT_EQ(read_name(self, 12, &name, &next), MalformedKind::dns_forward_pointer);
}

TEST(ReadName, RejectsPointersIntoTheHeader) {
    // The header's id and counts would be read as labels: 0x00 0x01 at
    // offset 4 (QDCOUNT 1) is an empty name there, a "valid" root. ldns
    // refuses offset 0 only.
    DnsName name;
    std::size_t next = 0;
    for (const std::uint8_t target : {0, 4, 11}) {
        EXPECT_EQ(read_name(with_header({0xC0, target}), 12, &name, &next), MalformedKind::dns_pointer_into_header)
            << int{target};
    }
    EXPECT_EQ(read_name(with_header({1, 'a', 0, 0xC0, 12}), 15, &name, &next), MalformedKind::none);
}

TEST(ReadName, StopsCompressionLoopsMadeOfBackwardPointers) {
    // 12: label "a" then a pointer back to 12: every pointer is backwards,
    // but the label read after the jump runs into the pointer itself.
    const auto loop = with_header({1, 'a', 0xC0, 12});
    DnsName name;
    std::size_t next = 0;
    EXPECT_EQ(read_name(loop, 12, &name, &next), MalformedKind::dns_pointer_loop);
    // Two pointers pointing at each other: backward-only means one of them
    // is forward, so a pure pointer cycle cannot even start.
    const auto pair = with_header({0xC0, 14, 0xC0, 12});
    EXPECT_EQ(read_name(pair, 14, &name, &next), MalformedKind::dns_forward_pointer);
}

TEST(ReadName, RejectsTruncationBadLabelTypesAndOverlongNames) {
    DnsName name;
    std::size_t next = 0;
    EXPECT_EQ(read_name(with_header({3, 'a', 'b'}), 12, &name, &next), MalformedKind::dns_truncated);
    EXPECT_EQ(read_name(with_header({3, 'a', 'b', 'c'}), 12, &name, &next), MalformedKind::dns_truncated);
    EXPECT_EQ(read_name(with_header({0xC0}), 12, &name, &next), MalformedKind::dns_truncated);
    EXPECT_EQ(read_name(with_header({0x41, 'a', 0}), 12, &name, &next), MalformedKind::dns_bad_label_type);
    EXPECT_EQ(read_name(with_header({0x80, 'a', 0}), 12, &name, &next), MalformedKind::dns_bad_label_type);
    std::vector<std::uint8_t> body;
    for (int i = 0; i < 5; ++i) {
        body.push_back(63);
        body.insert(body.end(), 63, 'x');
    }
    body.push_back(0);
    EXPECT_EQ(read_name(with_header(body), 12, &name, &next), MalformedKind::dns_name_too_long);
    // Exactly 255 bytes is allowed: 3 x 63-byte labels + one 61-byte label + root.
    body.clear();
    for (int i = 0; i < 3; ++i) {
        body.push_back(63);
        body.insert(body.end(), 63, 'x');
    }
    body.push_back(61);
    body.insert(body.end(), 61, 'y');
    body.push_back(0);
    ASSERT_EQ(read_name(with_header(body), 12, &name, &next), MalformedKind::none);
    EXPECT_EQ(name.length, 255);
}

TEST(ReadName, EveryPrefixOfAValidNameFailsCleanly) {
    const auto full = with_header({6, 'v', 'i', 'c', 't', 'i', 'm', 4, 't', 'e', 's', 't', 0,
                                   3, 'w', 'w', 'w', 0xC0, 12});
    for (std::size_t cut = 12; cut < full.size(); ++cut) {
        const std::vector<std::uint8_t> prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut));
        DnsName name;
        std::size_t next = 0;
        EXPECT_NE(read_name(prefix, cut >= 25 ? 25 : 12, &name, &next), MalformedKind::none) << "cut " << cut;
    }
}

}  // namespace
}  // namespace dnswatch
