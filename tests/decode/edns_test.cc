#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "decode/dns_message.h"
#include "decode/edns.h"
#include "tests/support/message_builder.h"
#include "tests/support/pcap_reader.h"

namespace dnswatch {
namespace {

const std::string kCorpus = DNSWATCH_CORPUS_DIR;

using Bytes = std::vector<std::uint8_t>;

Bytes vec(std::span<const std::uint8_t> s) { return {s.begin(), s.end()}; }
std::string str(std::span<const std::uint8_t> s) { return {s.begin(), s.end()}; }
Bytes be16(unsigned v) { return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)}; }
Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

Bytes option(std::uint16_t code, const Bytes& data) { return cat({be16(code), be16(data.size()), data}); }

Bytes opt_record(std::uint16_t udp, std::uint8_t rcode_high, std::uint8_t version, std::uint16_t flags,
                 const Bytes& options, const Bytes& owner = {0}) {
    return cat({owner, be16(rrtype::OPT), be16(udp), Bytes{rcode_high, version}, be16(flags), be16(options.size()),
                options});
}

// A response built by ldns with `records` appended to the section that ends
// the message (additional unless `in_answer`), its count raised.
Bytes response_with(const std::vector<Bytes>& records, unsigned rcode = 0, bool in_answer = false) {
    test::MessageSpec spec;
    spec.question = "x.test. IN A";
    spec.rcode = rcode;
    Bytes wire = test::build_message(spec);
    const std::size_t count_at = in_answer ? 6 : 10;
    wire[count_at + 1] = static_cast<std::uint8_t>(wire[count_at + 1] + records.size());
    for (const auto& r : records) wire.insert(wire.end(), r.begin(), r.end());
    return wire;
}

struct Read {
    EdnsStatus status;
    Edns edns;
};

class EdnsTest : public ::testing::Test {
protected:
    Read read(const Bytes& wire) {
        wire_ = wire;
        EXPECT_EQ(decoder_.decode(wire_, view_), MalformedKind::none);
        Read out;
        out.status = read_edns(view_, out.edns);
        return out;
    }
    Bytes wire_;
    DnsDecoder decoder_;
    DnsMessageView view_;
};

TEST_F(EdnsTest, NoOptRecordIsFineAndAbsent) {
    const auto r = read(response_with({}));
    EXPECT_EQ(r.status, EdnsStatus::ok);
    EXPECT_FALSE(r.edns.present);
    EXPECT_EQ(extended_rcode(view_.header, r.edns), 0u);
}

TEST_F(EdnsTest, HeaderFieldsAndTheExtendedRcode) {
    // BADVERS (16): upper bits 1, header RCODE 0 (RFC 6891 6.1.3).
    const auto r = read(response_with({opt_record(1232, 1, 0, 0x8000, {})}));
    EXPECT_EQ(r.status, EdnsStatus::ok);
    ASSERT_TRUE(r.edns.present);
    EXPECT_EQ(r.edns.udp_payload_size, 1232);
    EXPECT_EQ(r.edns.version, 0);
    EXPECT_TRUE(r.edns.dnssec_ok());
    EXPECT_EQ(extended_rcode(view_.header, r.edns), 16u);
    EXPECT_TRUE(r.edns.options.empty());
    ASSERT_NE(r.edns.record, nullptr);
    EXPECT_EQ(r.edns.record->type, rrtype::OPT);

    const auto badcookie = read(response_with({opt_record(4096, 1, 0, 0, {})}, 7));  // 23 = 1 << 4 | 7
    EXPECT_EQ(extended_rcode(view_.header, badcookie.edns), 23u);
    const auto version1 = read(response_with({opt_record(512, 0, 1, 0x7FFF, {})}));
    EXPECT_EQ(version1.edns.version, 1);
    EXPECT_FALSE(version1.edns.dnssec_ok());
    EXPECT_EQ(version1.edns.flags, 0x7FFF);
}

TEST_F(EdnsTest, OptionsIterateInOrderWithTheirData) {
    const Bytes options = cat({option(edns_option::nsid, {'n', 's', '1'}),
                               option(edns_option::client_subnet, {0, 1, 24, 0, 192, 0, 2}),
                               option(edns_option::cookie, {1, 2, 3, 4, 5, 6, 7, 8}),
                               option(edns_option::padding, Bytes(5, 0)),
                               option(edns_option::tcp_keepalive, be16(1234)),
                               option(edns_option::extended_error, cat({be16(18), Bytes{'n', 'o'}})),
                               option(65001, {0xDE, 0xAD})});
    const auto r = read(response_with({opt_record(4096, 0, 0, 0, options)}));
    ASSERT_EQ(r.status, EdnsStatus::ok);
    std::vector<std::uint16_t> codes;
    for (const EdnsOption o : r.edns.options) codes.push_back(o.code);
    EXPECT_EQ(codes, (std::vector<std::uint16_t>{3, 8, 10, 12, 11, 15, 65001}));
    EXPECT_EQ(validate_options(r.edns.options), EdnsStatus::ok);

    EXPECT_EQ(str(r.edns.options.find(edns_option::nsid)->data), "ns1");
    EXPECT_EQ(r.edns.options.find(edns_option::padding)->data.size(), 5u);
    EXPECT_EQ(vec(r.edns.options.find(65001)->data), (Bytes{0xDE, 0xAD}));
    EXPECT_FALSE(r.edns.options.find(edns_option::chain).has_value());

    const auto ecs = read_client_subnet(*r.edns.options.find(edns_option::client_subnet));
    ASSERT_TRUE(ecs);
    EXPECT_EQ(ecs->family, 1);
    EXPECT_EQ(ecs->source_prefix, 24);
    EXPECT_EQ(ecs->scope_prefix, 0);
    EXPECT_EQ(vec(ecs->address), (Bytes{192, 0, 2}));
    EXPECT_EQ(ecs->padded_address()[3], 0);
    const auto cookie = read_cookie(*r.edns.options.find(edns_option::cookie));
    ASSERT_TRUE(cookie);
    EXPECT_EQ(cookie->client.size(), 8u);
    EXPECT_TRUE(cookie->server.empty());
    const auto keepalive = read_tcp_keepalive(*r.edns.options.find(edns_option::tcp_keepalive));
    ASSERT_TRUE(keepalive);
    EXPECT_EQ(keepalive->timeout, 1234);
    const auto ede = read_extended_error(*r.edns.options.find(edns_option::extended_error));
    ASSERT_TRUE(ede);
    EXPECT_EQ(ede->info_code, 18);  // Prohibited
    EXPECT_EQ(str(ede->extra_text), "no");
}

// An option over bytes that outlive it.
EdnsOption make_option(std::uint16_t code, const Bytes& data) {
    static std::vector<Bytes> kept;
    kept.reserve(64);
    kept.push_back(data);
    return {code, kept.back()};
}

TEST(EdnsOptionViews, ClientSubnetFollowsRfc7871) {
    auto ecs = [](const Bytes& data) { return read_client_subnet(make_option(edns_option::client_subnet, data)); };
    EXPECT_TRUE(ecs({0, 1, 24, 0, 192, 0, 2}));
    EXPECT_TRUE(ecs({0, 1, 0, 0}));  // no address bytes for /0
    EXPECT_TRUE(ecs({0, 1, 32, 32, 192, 0, 2, 1}));
    EXPECT_TRUE(ecs({0, 2, 56, 0, 0x20, 0x01, 0x04, 0x70, 0x1f, 0x0b, 0x16}));
    EXPECT_TRUE(ecs({0, 2, 128, 64, 0x20, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
    EXPECT_EQ(ecs({0, 1, 24, 0, 192, 0, 2, 0}).error, EdnsStatus::bad_option);  // too many address bytes
    EXPECT_FALSE(ecs({0, 1, 24, 0, 192, 0}));                                   // too few
    EXPECT_FALSE(ecs({0, 1, 23, 0, 192, 0, 3}));                                // a bit past the prefix
    EXPECT_FALSE(ecs({0, 1, 33, 0, 192, 0, 2, 1, 0}));                          // prefix beyond IPv4
    EXPECT_FALSE(ecs({0, 2, 56, 129, 0x20, 0x01, 0x04, 0x70, 0x1f, 0x0b, 0x16}));  // scope beyond IPv6
    EXPECT_FALSE(ecs({0, 3, 0, 0}));                                               // unknown family
    EXPECT_FALSE(ecs({0, 1, 0}));                                                  // truncated
}

TEST(EdnsOptionViews, CookieErrorAndKeepaliveSizes) {
    auto cookie = [](std::size_t n) { return read_cookie(make_option(edns_option::cookie, Bytes(n, 0xAA))); };
    EXPECT_TRUE(cookie(8));
    EXPECT_TRUE(cookie(16));
    EXPECT_TRUE(cookie(40));
    EXPECT_EQ(cookie(24)->server.size(), 16u);
    for (std::size_t bad : {0, 7, 9, 12, 15, 41}) EXPECT_FALSE(cookie(bad)) << bad;

    EXPECT_TRUE(read_extended_error(make_option(edns_option::extended_error, {0, 0})));
    EXPECT_FALSE(read_extended_error(make_option(edns_option::extended_error, {0})));

    EXPECT_TRUE(read_tcp_keepalive(make_option(edns_option::tcp_keepalive, {})));
    EXPECT_FALSE(read_tcp_keepalive(make_option(edns_option::tcp_keepalive, {}))->timeout.has_value());
    EXPECT_FALSE(read_tcp_keepalive(make_option(edns_option::tcp_keepalive, {1})));

    const Bytes bad_list = cat({option(edns_option::nsid, {}), option(edns_option::cookie, Bytes(12, 1))});
    EXPECT_EQ(validate_options(EdnsOptions::of_valid(bad_list)), EdnsStatus::bad_option);
    EXPECT_EQ(validate_options(EdnsOptions::of_valid(option(edns_option::expire, {0, 0, 1}))), EdnsStatus::bad_option);
    EXPECT_EQ(validate_options(EdnsOptions::of_valid(option(edns_option::key_tag, {0x9C, 0x40}))), EdnsStatus::ok);
}

TEST_F(EdnsTest, WhatRfc6891ForbidsIsReported) {
    // Two OPT records: FORMERR; the first is described.
    const auto two = read(response_with({opt_record(1232, 0, 0, 0, {}), opt_record(4096, 0, 0, 0, {})}));
    EXPECT_EQ(two.status, EdnsStatus::multiple_opt);
    EXPECT_EQ(two.edns.udp_payload_size, 1232);
    // An owner other than the root.
    const auto named = read(response_with({opt_record(1232, 0, 0, 0, {}, {1, 'x', 0})}));
    EXPECT_EQ(named.status, EdnsStatus::opt_not_root);
    EXPECT_TRUE(named.edns.present);
    // In the answer section.
    const auto answer = read(response_with({opt_record(1232, 0, 0, 0, {})}, 0, true));
    EXPECT_EQ(answer.status, EdnsStatus::opt_outside_additional);
    EXPECT_EQ(answer.edns.udp_payload_size, 1232);
    // An option whose length runs past the rdata: no options, fields still read.
    const auto truncated = read(response_with({opt_record(1232, 0, 0, 0x8000, cat({be16(3), be16(9), Bytes{1, 2}}))}));
    EXPECT_EQ(truncated.status, EdnsStatus::bad_option_list);
    EXPECT_TRUE(truncated.edns.options.empty());
    EXPECT_TRUE(truncated.edns.dnssec_ok());
    EXPECT_EQ(name_of(EdnsStatus::bad_option_list), "edns_bad_option_list");
}

// ------------------------------------------------ real packets

// The EDNS of every message of a capture that has one, in order.
struct CapturedEdns {
    Bytes wire;
    EdnsStatus status;
    Edns edns;
    DnsHeader header;
};
std::vector<CapturedEdns> edns_of(const std::string& capture) {
    std::vector<CapturedEdns> out;
    for (const auto& captured : test::read_dns_payloads(kCorpus + "/pcap/" + capture)) {
        CapturedEdns entry;
        entry.wire = captured.payload;  // the views below point into this buffer, which moves with it
        DnsDecoder decoder;
        DnsMessageView view;
        if (decoder.decode(entry.wire, view) != MalformedKind::none) continue;
        entry.status = read_edns(view, entry.edns);
        entry.header = view.header;
        entry.edns.record = nullptr;  // it points into the decoder's table
        if (entry.edns.present) out.push_back(std::move(entry));
    }
    return out;
}

std::string hex(std::span<const std::uint8_t> bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string text;
    for (const auto b : bytes) {
        text.push_back(kHex[b >> 4]);
        text.push_back(kHex[b & 0xF]);
    }
    return text;
}

// The options of tcpdump's tests/edns-opts.pcap, as expected/tcpdump/edns-opts-vv.out prints them.
TEST(EdnsOnCorpus, TcpdumpEdnsOptions) {
    const auto all = edns_of("tcpdump/edns-opts.pcap");
    ASSERT_EQ(all.size(), 40u);  // 42 messages, the first exchange without EDNS
    for (const auto& e : all) {
        EXPECT_EQ(e.status, EdnsStatus::ok);
        EXPECT_EQ(validate_options(e.edns.options), EdnsStatus::ok);
    }
    // "OPT UDPsize=12345 DO"
    EXPECT_EQ(all[0].edns.udp_payload_size, 12345);
    EXPECT_TRUE(all[0].edns.dnssec_ok());
    // "[ECS 192.0.2.0/24/0]"
    const auto ecs = read_client_subnet(*all[2].edns.options.find(edns_option::client_subnet));
    ASSERT_TRUE(ecs);
    EXPECT_EQ(ecs->family, 1);
    EXPECT_EQ(ecs->source_prefix, 24);
    EXPECT_EQ(vec(ecs->address), (Bytes{192, 0, 2}));
    // "[ECS 2001:db8:85a3::8a2e:0:0/100/0]"
    const auto ecs6 = read_client_subnet(*all[6].edns.options.find(edns_option::client_subnet));
    ASSERT_TRUE(ecs6);
    EXPECT_EQ(ecs6->source_prefix, 100);
    EXPECT_EQ(hex(ecs6->address), "20010db885a3000000008a2e00");
    // "[COOKIE a954d29208767b5c cf75f75b5db0bf0575c9f2d76c962883]"
    const auto cookie = read_cookie(*all[9].edns.options.find(edns_option::cookie));
    ASSERT_TRUE(cookie);
    EXPECT_EQ(hex(cookie->client), "a954d29208767b5c");
    EXPECT_EQ(hex(cookie->server), "cf75f75b5db0bf0575c9f2d76c962883");
    // "[KEEPALIVE 123.4 sec]"
    const auto keepalive = read_tcp_keepalive(*all[16].edns.options.find(edns_option::tcp_keepalive));
    ASSERT_TRUE(keepalive);
    EXPECT_EQ(keepalive->timeout, 1234);
    // "[NSID 00112233445566778899]", "[Opt77 deadbeef]", "[PADDING (6)]"
    EXPECT_EQ(hex(all[28].edns.options.find(edns_option::nsid)->data), "00112233445566778899");
    EXPECT_EQ(hex(all[30].edns.options.find(77)->data), "deadbeef");
    EXPECT_EQ(all[32].edns.options.find(edns_option::padding)->data.size(), 6u);
    // "[NSID 0123456789abcdef,PADDING (12),COOKIE aaaaaaaaaaaaaaaa]"
    std::vector<std::uint16_t> codes;
    for (const EdnsOption o : all[34].edns.options) codes.push_back(o.code);
    EXPECT_EQ(codes, (std::vector<std::uint16_t>{edns_option::nsid, edns_option::padding, edns_option::cookie}));
}

// Zeek's dns-edns-ecs*.pcap and its expected output (scripts.base.protocols.dns.dns-edns-ecs).
TEST(EdnsOnCorpus, ZeekClientSubnet) {
    std::vector<std::string> seen;
    for (const auto& e : edns_of("zeek/dns-edns-ecs.pcap")) {
        const auto option = e.edns.options.find(edns_option::client_subnet);
        if (!option) continue;
        const auto ecs = read_client_subnet(*option);
        ASSERT_TRUE(ecs);
        seen.push_back(std::to_string(ecs->family) + " " + hex(ecs->address) + "/" + std::to_string(ecs->source_prefix));
    }
    ASSERT_GE(seen.size(), 3u);
    EXPECT_EQ(seen[0], "1 d53d1d/24");         // 213.61.29.0/24
    EXPECT_EQ(seen[2], "2 200104701f0b16/56");  // 2001:470:1f0b:1600::/56

    // Zeek logs EDNS_ECS_invalid_addr_v4 / _v4_prefix / _v6_prefix / _v6 and
    // EDNS_ECS_invalid_option_len + EDNS_truncated_option for this one.
    std::vector<std::string> outcomes;
    for (const auto& e : edns_of("zeek/dns-edns-ecs-weirds.pcap")) {
        if (e.status != EdnsStatus::ok) {
            outcomes.push_back(std::string(name_of(e.status)));
            continue;
        }
        const auto option = e.edns.options.find(edns_option::client_subnet);
        if (option) outcomes.push_back(read_client_subnet(*option) ? "ok" : "bad_ecs");
    }
    EXPECT_EQ(outcomes, (std::vector<std::string>{"bad_ecs", "bad_ecs", "bad_ecs", "bad_ecs", "edns_bad_option_list"}));
}

// Zeek's dns-edns-cookie.pcap (DNS over TCP), expected outputs of
// scripts.base.protocols.dns.dns-edns-cookie and dns-edns-tcp-keepalive.
TEST(EdnsOnCorpus, ZeekCookieAndKeepaliveOverTcp) {
    const auto all = edns_of("zeek/dns-edns-cookie.pcap");
    ASSERT_EQ(all.size(), 4u);
    std::vector<std::string> cookies, keepalives;
    for (const auto& e : all) {
        const auto cookie = read_cookie(*e.edns.options.find(edns_option::cookie));
        ASSERT_TRUE(cookie);
        cookies.push_back(hex(cookie->client) + " " + hex(cookie->server));
        const auto keepalive = read_tcp_keepalive(*e.edns.options.find(edns_option::tcp_keepalive));
        ASSERT_TRUE(keepalive);
        keepalives.push_back(keepalive->timeout ? std::to_string(*keepalive->timeout) : "omitted");
    }
    EXPECT_EQ(cookies[0], "c814985a928a6342 ");
    EXPECT_EQ(cookies[1].substr(0, 33), "c814985a928a6342 3dcd3e4f7ba9247a");
    EXPECT_EQ(keepalives, (std::vector<std::string>{"10", "370", "omitted", "370"}));
}

TEST(EdnsOnCorpus, TcpdumpExtendedRcodes) {
    const auto badvers = edns_of("tcpdump/dns-badvers.pcap");
    ASSERT_GE(badvers.size(), 2u);
    EXPECT_EQ(extended_rcode(badvers[1].header, badvers[1].edns), 16u);  // "BadVers"
    const auto badcookie = edns_of("tcpdump/dns-badcookie.pcap");
    ASSERT_GE(badcookie.size(), 2u);
    EXPECT_EQ(extended_rcode(badcookie[1].header, badcookie[1].edns), 23u);  // "BadCookie"
}

}  // namespace
}  // namespace dnswatch
