#include <gtest/gtest.h>

#include <ldns/ldns.h>

#include <string>
#include <vector>

#include "decode/dns_message.h"
#include "decode/rr_views.h"
#include "tests/support/message_builder.h"
#include "tests/support/pcap_reader.h"

namespace dnswatch {
namespace {

const std::string kCorpus = DNSWATCH_CORPUS_DIR;

using Bytes = std::vector<std::uint8_t>;

Bytes vec(std::span<const std::uint8_t> s) { return {s.begin(), s.end()}; }
std::string str(std::span<const std::uint8_t> s) { return {s.begin(), s.end()}; }
Bytes hex(const std::string& text) {
    Bytes out;
    for (std::size_t i = 0; i + 1 < text.size(); i += 2) {
        out.push_back(static_cast<std::uint8_t>(std::stoi(text.substr(i, 2), nullptr, 16)));
    }
    return out;
}

class RrViews : public ::testing::Test {
protected:
    // The first answer of a message ldns builds around `record` (compressed
    // as servers compress).
    const RecordView& answer(const std::string& record) {
        test::MessageSpec spec;
        spec.question = "x.test. IN A";
        spec.answer = {record};
        wire_ = test::build_message(spec);
        EXPECT_EQ(decoder_.decode(wire_, view_), MalformedKind::none);
        return view_.section(Section::answer).front();
    }
    // Rdata on its own, as a record outside a message.
    RecordView raw(std::uint16_t type, const Bytes& rdata) {
        raw_ = rdata;
        RecordView record;
        record.type = type;
        record.rdata_length = static_cast<std::uint16_t>(rdata.size());
        return record;
    }

    Bytes wire_, raw_;
    DnsDecoder decoder_;
    DnsMessageView view_;
};

TEST_F(RrViews, AddressesHaveExactSizes) {
    const auto a = read_a(wire_, answer("x.test. 300 IN A 192.0.2.1"));
    ASSERT_TRUE(a);
    EXPECT_EQ(vec(a->address), (Bytes{192, 0, 2, 1}));
    const auto aaaa = read_aaaa(wire_, answer("x.test. 300 IN AAAA 2001:db8::1"));
    ASSERT_TRUE(aaaa);
    EXPECT_EQ(aaaa->address.size(), 16u);
    EXPECT_EQ(aaaa->address[15], 1);
    EXPECT_EQ(read_a(raw_, raw(rrtype::A, {1, 2, 3})).error, MalformedKind::dns_bad_rdata);
    EXPECT_EQ(read_a(raw_, raw(rrtype::A, {1, 2, 3, 4, 5})).error, MalformedKind::dns_bad_rdata);
    EXPECT_EQ(read_aaaa(raw_, raw(rrtype::AAAA, {1, 2, 3, 4})).error, MalformedKind::dns_bad_rdata);
}

TEST_F(RrViews, NamesAreDecompressedAndLowerCased) {
    for (const char* type : {"NS", "CNAME", "DNAME", "PTR"}) {
        const auto v = read_name_rdata(wire_, answer(std::string("x.test. 300 IN ") + type + " Target.X.Test."));
        ASSERT_TRUE(v) << type;
        EXPECT_EQ(v->name.to_text(), "target.x.test") << type;
    }
    // ldns compressed "x.test" in the rdata against the owner.
    const RecordView& r = answer("x.test. 300 IN NS ns1.x.test.");
    EXPECT_LT(r.rdata_length, 12);
    // A name that would run past rdlength, and bytes after the name.
    EXPECT_NE(read_name_rdata(raw_, raw(rrtype::NS, {3, 'n', 's', '1'})).error, MalformedKind::none);
    EXPECT_EQ(read_name_rdata(raw_, raw(rrtype::NS, {0, 0})).error, MalformedKind::dns_bad_rdata);
}

TEST_F(RrViews, SoaAndMx) {
    const auto soa =
        read_soa(wire_, answer("x.test. 300 IN SOA NS1.x.test. Hostmaster.x.test. 2026031401 3600 900 604800 300"));
    ASSERT_TRUE(soa);
    EXPECT_EQ(soa->mname.to_text(), "ns1.x.test");
    EXPECT_EQ(soa->rname.to_text(), "hostmaster.x.test");
    EXPECT_EQ(soa->serial, 2026031401u);
    EXPECT_EQ(soa->refresh, 3600u);
    EXPECT_EQ(soa->retry, 900u);
    EXPECT_EQ(soa->expire, 604800u);
    EXPECT_EQ(soa->minimum, 300u);
    // An SOA without its timers (ldns accepts it: see the differential test).
    EXPECT_EQ(read_soa(raw_, raw(rrtype::SOA, {0, 0, 0, 0, 0, 1})).error, MalformedKind::dns_bad_rdata);

    const auto mx = read_mx(wire_, answer("x.test. 300 IN MX 10 Mail.X.Test."));
    ASSERT_TRUE(mx);
    EXPECT_EQ(mx->preference, 10);
    EXPECT_EQ(mx->exchange.to_text(), "mail.x.test");
    EXPECT_NE(read_mx(raw_, raw(rrtype::MX, {0, 10})).error, MalformedKind::none);  // no exchange
}

TEST_F(RrViews, TxtIteratesEveryString) {
    const auto txt = read_txt(wire_, answer("x.test. 300 IN TXT \"v=spf1 -all\" \"\" \"second\""));
    ASSERT_TRUE(txt);
    std::vector<std::string> strings;
    for (const auto s : txt->strings) strings.push_back(str(s));
    EXPECT_EQ(strings, (std::vector<std::string>{"v=spf1 -all", "", "second"}));
    EXPECT_EQ(txt->strings.count(), 3u);
    EXPECT_EQ(read_txt(raw_, raw(rrtype::TXT, {})).error, MalformedKind::dns_bad_rdata);         // none at all
    EXPECT_EQ(read_txt(raw_, raw(rrtype::TXT, {5, 'a', 'b'})).error, MalformedKind::dns_bad_rdata);  // runs over
}

// RFC 4034 5.4: the DS of dskey.example.com and the key it digests.
constexpr const char* kRfc4034Key =
    "AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/"
    "M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==";

TEST_F(RrViews, DsAndDnskeyMatchTheRfc4034Example) {
    const auto ds = read_ds(wire_, answer("dskey.example.com. 86400 IN DS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118"));
    ASSERT_TRUE(ds);
    EXPECT_EQ(ds->key_tag, 60485);
    EXPECT_EQ(ds->algorithm, 5);
    EXPECT_EQ(ds->digest_type, 1);
    EXPECT_EQ(vec(ds->digest), hex("2bb183af5f22588179a53b0a98631fad1a292118"));

    const auto key = read_dnskey(wire_, answer(std::string("dskey.example.com. 86400 IN DNSKEY 256 3 5 ") + kRfc4034Key));
    ASSERT_TRUE(key);
    EXPECT_EQ(key->key_tag, 60485);
    EXPECT_EQ(key->flags, 256);
    EXPECT_TRUE(key->zone_key());
    EXPECT_FALSE(key->secure_entry_point());
    EXPECT_EQ(key->protocol, 3);
    EXPECT_EQ(key->algorithm, 5);
    EXPECT_EQ(key->public_key.size(), 130u);

    const auto cdnskey = read_dnskey(wire_, answer(std::string("x.test. 300 IN CDNSKEY 257 3 5 ") + kRfc4034Key));
    ASSERT_TRUE(cdnskey);
    EXPECT_TRUE(cdnskey->secure_entry_point());
    // CDS "delete" (RFC 8078 4): digest type 0 with a one-byte digest.
    const auto cds = read_ds(wire_, answer("x.test. 300 IN CDS 0 0 0 00"));
    ASSERT_TRUE(cds);
    EXPECT_EQ(cds->digest.size(), 1u);
}

TEST_F(RrViews, DigestSizesAreChecked) {
    Bytes sha256_short = {0xEC, 0x45, 8, 2};
    sha256_short.resize(4 + 31, 0xAB);
    EXPECT_EQ(read_ds(raw_, raw(rrtype::DS, sha256_short)).error, MalformedKind::dns_bad_rdata);
    sha256_short.push_back(0xAB);
    EXPECT_TRUE(read_ds(raw_, raw(rrtype::DS, sha256_short)));
    EXPECT_EQ(read_ds(raw_, raw(rrtype::DS, {0, 1, 8, 200})).error, MalformedKind::dns_bad_rdata);  // no digest
    EXPECT_EQ(read_dnskey(raw_, raw(rrtype::DNSKEY, {1, 0, 3, 8})).error, MalformedKind::dns_bad_rdata);  // no key
    Bytes tlsa = {3, 1, 1};
    tlsa.resize(3 + 32, 0x01);
    EXPECT_TRUE(read_tlsa(raw_, raw(rrtype::TLSA, tlsa)));
    tlsa.pop_back();
    EXPECT_EQ(read_tlsa(raw_, raw(rrtype::TLSA, tlsa)).error, MalformedKind::dns_bad_rdata);
}

TEST_F(RrViews, DnskeyKeyTagAgreesWithLdnsForRsaMd5) {
    // RSA/MD5 keys take their tag from the modulus, not from the checksum.
    const std::string record =
        "x.test. 300 IN DNSKEY 256 3 1 "
        "AQPF8uDjSwmDRXBxg8kHf1E3WMbHbJdhTYb3lXBxgrQfbaDVZyHRZVP0ygdGTsYUOLwYmVDhCz3Ynvl2m2gBPV1k";
    const auto key = read_dnskey(wire_, answer(record));
    ASSERT_TRUE(key);
    ldns_rr* rr = nullptr;
    ASSERT_EQ(ldns_rr_new_frm_str(&rr, record.c_str(), 0, nullptr, nullptr), LDNS_STATUS_OK);
    EXPECT_EQ(key->key_tag, ldns_calc_keytag(rr));
    ldns_rr_free(rr);
}

TEST_F(RrViews, Rrsig) {
    const auto sig = read_rrsig(
        wire_, answer("x.test. 300 IN RRSIG A 8 2 300 20260401000000 20260301000000 12345 X.Test. c2lnbmF0dXJl"));
    ASSERT_TRUE(sig);
    EXPECT_EQ(sig->type_covered, rrtype::A);
    EXPECT_EQ(sig->algorithm, 8);
    EXPECT_EQ(sig->labels, 2);
    EXPECT_EQ(sig->original_ttl, 300u);
    EXPECT_EQ(sig->expiration, 1775001600u);
    EXPECT_EQ(sig->inception, 1772323200u);
    EXPECT_EQ(sig->key_tag, 12345);
    EXPECT_EQ(sig->signer.to_text(), "x.test");
    EXPECT_EQ(str(sig->signature), "signature");
}

TEST_F(RrViews, NsecTypeBitmapIteratesTheTypesPresent) {
    const auto nsec = read_nsec(wire_, answer("x.test. 300 IN NSEC Next.x.test. A NS SOA MX RRSIG NSEC DNSKEY TYPE1234"));
    ASSERT_TRUE(nsec);
    EXPECT_EQ(nsec->next.to_text(), "next.x.test");
    std::vector<std::uint16_t> types(nsec->types.begin(), nsec->types.end());
    EXPECT_EQ(types, (std::vector<std::uint16_t>{1, 2, 6, 15, 46, 47, 48, 1234}));
    EXPECT_TRUE(nsec->types.contains(1234));
    EXPECT_TRUE(nsec->types.contains(rrtype::DNSKEY));
    EXPECT_FALSE(nsec->types.contains(rrtype::DS));
    EXPECT_FALSE(nsec->types.contains(1235));
    EXPECT_FALSE(nsec->types.contains(65535));
    // An empty bitmap is allowed (NSEC3 of an empty non-terminal).
    EXPECT_TRUE(read_nsec(raw_, raw(rrtype::NSEC, {0})));
}

TEST_F(RrViews, TypeBitmapRulesOfRfc4034) {
    EXPECT_TRUE(TypeBitmap::valid(Bytes{0, 1, 0x40, 4, 1, 0x80}));
    EXPECT_FALSE(TypeBitmap::valid(Bytes{4, 1, 0x80, 0, 1, 0x40}));  // windows out of order
    EXPECT_FALSE(TypeBitmap::valid(Bytes{0, 1, 0x40, 0, 1, 0x20}));  // window repeated
    EXPECT_FALSE(TypeBitmap::valid(Bytes{0, 0}));                    // empty window
    EXPECT_FALSE(TypeBitmap::valid(Bytes{0, 2, 0x40, 0}));           // trailing zero byte
    EXPECT_FALSE(TypeBitmap::valid(Bytes{0, 3, 0x40}));              // runs off the end
    EXPECT_FALSE(TypeBitmap::valid(Bytes{0}));
    Bytes too_long = {0, 33};
    too_long.resize(35, 0xFF);
    EXPECT_FALSE(TypeBitmap::valid(too_long));
    too_long[1] = 32;
    too_long.pop_back();
    EXPECT_TRUE(TypeBitmap::valid(too_long));
    EXPECT_EQ(std::distance(TypeBitmap::of_valid(too_long).begin(), TypeBitmap::of_valid(too_long).end()), 256);
}

TEST_F(RrViews, Nsec3AndNsec3Param) {
    const auto nsec3 =
        read_nsec3(wire_, answer("x.test. 300 IN NSEC3 1 1 12 aabbccdd 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG"));
    ASSERT_TRUE(nsec3);
    EXPECT_EQ(nsec3->hash_algorithm, 1);
    EXPECT_TRUE(nsec3->opt_out());
    EXPECT_EQ(nsec3->iterations, 12);
    EXPECT_EQ(vec(nsec3->salt), hex("aabbccdd"));
    EXPECT_EQ(nsec3->next_hashed_owner.size(), 20u);
    std::vector<std::uint16_t> types(nsec3->types.begin(), nsec3->types.end());
    EXPECT_EQ(types, (std::vector<std::uint16_t>{rrtype::A, rrtype::RRSIG}));

    const auto param = read_nsec3param(wire_, answer("x.test. 300 IN NSEC3PARAM 1 0 12 -"));
    ASSERT_TRUE(param);
    EXPECT_TRUE(param->salt.empty());
    EXPECT_EQ(param->iterations, 12);
    // A SHA-1 hash of 19 bytes, and a salt longer than the rdata.
    Bytes short_hash = {1, 0, 0, 12, 0, 19};
    short_hash.resize(6 + 19, 0x11);
    EXPECT_EQ(read_nsec3(raw_, raw(rrtype::NSEC3, short_hash)).error, MalformedKind::dns_bad_rdata);
    EXPECT_EQ(read_nsec3param(raw_, raw(rrtype::NSEC3PARAM, {1, 0, 0, 12, 4, 0xAA})).error,
              MalformedKind::dns_bad_rdata);
    EXPECT_EQ(read_nsec3param(raw_, raw(rrtype::NSEC3PARAM, {1, 0, 0, 12, 0, 0xAA})).error,
              MalformedKind::dns_bad_rdata);  // bytes left over
}

TEST_F(RrViews, TlsaAndCaa) {
    const auto tlsa = read_tlsa(
        wire_, answer("_443._tcp.x.test. 300 IN TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
    ASSERT_TRUE(tlsa);
    EXPECT_EQ(tlsa->usage, 3);
    EXPECT_EQ(tlsa->selector, 1);
    EXPECT_EQ(tlsa->matching_type, 1);
    EXPECT_EQ(vec(tlsa->data), hex("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));

    const auto caa = read_caa(wire_, answer("x.test. 300 IN CAA 128 issue \"letsencrypt.org\""));
    ASSERT_TRUE(caa);
    EXPECT_TRUE(caa->critical());
    EXPECT_EQ(str(caa->tag), "issue");
    EXPECT_EQ(str(caa->value), "letsencrypt.org");
    EXPECT_EQ(read_caa(raw_, raw(rrtype::CAA, {0, 0, 'x'})).error, MalformedKind::dns_bad_rdata);      // empty tag
    EXPECT_EQ(read_caa(raw_, raw(rrtype::CAA, {0, 2, 'a', '-'})).error, MalformedKind::dns_bad_rdata);  // not alnum
    EXPECT_EQ(read_caa(raw_, raw(rrtype::CAA, {0, 9, 'a'})).error, MalformedKind::dns_bad_rdata);       // runs over
    EXPECT_TRUE(read_caa(raw_, raw(rrtype::CAA, {0, 5, 'i', 'o', 'd', 'e', 'f'})));                   // empty value
}

TEST_F(RrViews, HttpsDecodesTheCheapSvcParams) {
    const auto https = read_svcb(
        wire_, answer("x.test. 300 IN HTTPS 1 . mandatory=alpn,port alpn=h2,h3 port=8443 ipv4hint=192.0.2.1,192.0.2.2 "
                      "ech=AEX+DQBBpQAgACCW2/dfOBZAtQU55/py/BlhdRdaauPAkrERAUwppoeSEgAEAAEAAQASY2xvdWRmbGFyZS1lY2guY29tAAA= "
                      "ipv6hint=2001:db8::1"));
    ASSERT_TRUE(https);
    EXPECT_EQ(https->priority, 1);
    EXPECT_FALSE(https->alias_mode());
    EXPECT_EQ(https->target.to_text(), ".");
    std::vector<std::uint16_t> keys;
    for (const SvcParam p : https->params) keys.push_back(p.key);
    EXPECT_EQ(keys, (std::vector<std::uint16_t>{0, 1, 3, 4, 5, 6}));
    ASSERT_EQ(https->mandatory.size(), 2u);
    EXPECT_EQ(vec(https->mandatory[0]), (Bytes{0, 1}));
    EXPECT_EQ(vec(https->mandatory[1]), (Bytes{0, 3}));
    std::vector<std::string> alpn;
    for (const auto id : https->alpn) alpn.push_back(str(id));
    EXPECT_EQ(alpn, (std::vector<std::string>{"h2", "h3"}));
    EXPECT_EQ(https->port, 8443);
    ASSERT_EQ(https->ipv4hint.size(), 2u);
    EXPECT_EQ(vec(https->ipv4hint[1]), (Bytes{192, 0, 2, 2}));
    ASSERT_EQ(https->ipv6hint.size(), 1u);
    EXPECT_EQ(https->ipv6hint[0][0], 0x20);
    ASSERT_TRUE(https->ech.has_value());
    EXPECT_EQ(https->ech->size(), 71u);
    EXPECT_FALSE(https->no_default_alpn);
    ASSERT_TRUE(https->params.find(svc_key::port).has_value());
    EXPECT_FALSE(https->params.find(svc_key::dohpath).has_value());

    const auto alias = read_svcb(wire_, answer("x.test. 300 IN SVCB 0 Foo.Example.com."));
    ASSERT_TRUE(alias);
    EXPECT_TRUE(alias->alias_mode());
    EXPECT_EQ(alias->target.to_text(), "foo.example.com");
    EXPECT_TRUE(alias->params.empty());
}

// rdata of an SVCB record: priority 1, target root, then `params`.
Bytes svcb(std::uint16_t priority, const Bytes& params) {
    Bytes rdata;
    rdata.reserve(3 + params.size());
    rdata.push_back(static_cast<std::uint8_t>(priority >> 8));
    rdata.push_back(static_cast<std::uint8_t>(priority));
    rdata.push_back(0);
    for (const std::uint8_t b : params) rdata.push_back(b);
    return rdata;
}

TEST_F(RrViews, SvcParamsAreValidatedInServiceMode) {
    EXPECT_TRUE(read_svcb(raw_, raw(rrtype::SVCB, svcb(1, {0, 3, 0, 2, 0x01, 0xBB}))));
    // Keys must strictly increase.
    EXPECT_FALSE(read_svcb(raw_, raw(rrtype::SVCB, svcb(1, {0, 3, 0, 2, 0, 1, 0, 1, 0, 2, 2, 'h', '2'}))));
    EXPECT_FALSE(read_svcb(raw_, raw(rrtype::SVCB, svcb(1, {0, 3, 0, 2, 0, 1, 0, 3, 0, 2, 0, 1}))));
    // A length past the rdata; a truncated key.
    EXPECT_FALSE(read_svcb(raw_, raw(rrtype::SVCB, svcb(1, {0, 3, 0, 9, 0x01, 0xBB}))));
    EXPECT_FALSE(read_svcb(raw_, raw(rrtype::SVCB, svcb(1, {0, 3, 0}))));
    // port is 2 bytes; alpn ids are non-empty and fill the value; hints are whole addresses.
    EXPECT_FALSE(read_svcb(raw_, raw(rrtype::SVCB, svcb(1, {0, 3, 0, 3, 0x01, 0xBB, 0}))));
    EXPECT_FALSE(read_svcb(raw_, raw(rrtype::SVCB, svcb(1, {0, 1, 0, 3, 3, 'h', '2'}))));
    EXPECT_FALSE(read_svcb(raw_, raw(rrtype::SVCB, svcb(1, {0, 1, 0, 1, 0}))));
    EXPECT_FALSE(read_svcb(raw_, raw(rrtype::SVCB, svcb(1, {0, 4, 0, 5, 1, 2, 3, 4, 5}))));
    EXPECT_FALSE(read_svcb(raw_, raw(rrtype::SVCB, svcb(1, {0, 6, 0, 4, 1, 2, 3, 4}))));
    // no-default-alpn has no value; mandatory lists present keys only, never itself.
    EXPECT_FALSE(read_svcb(raw_, raw(rrtype::SVCB, svcb(1, {0, 2, 0, 1, 0}))));
    EXPECT_FALSE(read_svcb(raw_, raw(rrtype::SVCB, svcb(1, {0, 0, 0, 2, 0, 3}))));
    EXPECT_FALSE(read_svcb(raw_, raw(rrtype::SVCB, svcb(1, {0, 0, 0, 2, 0, 0}))));
    EXPECT_TRUE(read_svcb(raw_, raw(rrtype::SVCB, svcb(1, {0, 0, 0, 2, 0, 3, 0, 3, 0, 2, 0, 1}))));
    // Unknown keys and dohpath are opaque.
    EXPECT_TRUE(read_svcb(raw_, raw(rrtype::SVCB, svcb(1, {0, 7, 0, 1, '/', 0xFF, 0x00, 0, 0}))));
    // AliasMode: values are to be ignored (RFC 9460 2.4.2), the framing is still checked.
    EXPECT_TRUE(read_svcb(raw_, raw(rrtype::SVCB, svcb(0, {0, 3, 0, 3, 0x01, 0xBB, 0}))));
    EXPECT_FALSE(read_svcb(raw_, raw(rrtype::SVCB, svcb(0, {0, 3, 0, 9, 0x01}))));
}

TEST_F(RrViews, RdataOutsideTheMessageIsRefusedNotRead) {
    RecordView r = raw(rrtype::A, {1, 2, 3, 4});
    r.rdata_offset = 2;  // 2 + 4 > 4
    EXPECT_EQ(read_a(raw_, r).error, MalformedKind::dns_bad_rdata);
    r.rdata_offset = 0xFFFF;
    EXPECT_EQ(read_txt(raw_, r).error, MalformedKind::dns_bad_rdata);
    EXPECT_EQ(read_svcb(raw_, r).error, MalformedKind::dns_bad_rdata);
}

// ------------------------------------------------ real packets
// Values checked against Zeek's expected output for the same captures
// (zeek/zeek testing/btest/Baseline/scripts.base.protocols.dns.*/output, at
// the commit tests/corpus/SOURCES.md gives).

// Every record of `type` in a capture, with the message it is in.
struct Found {
    Bytes wire;
    RecordView record;
};
std::vector<Found> records_of(const std::string& capture, std::uint16_t type) {
    std::vector<Found> found;
    DnsDecoder decoder;
    for (const auto& captured : test::read_dns_payloads(kCorpus + "/pcap/" + capture)) {
        DnsMessageView view;
        if (decoder.decode(captured.payload, view) != MalformedKind::none) continue;
        for (const RecordView& r : view.records) {
            if (r.type == type) found.push_back({captured.payload, r});
        }
    }
    return found;
}

TEST(RrViewsOnCorpus, ZeekDsAndRrsig) {
    const auto ds = records_of("zeek/dnssec/ds.pcap", rrtype::DS);
    ASSERT_GE(ds.size(), 2u);
    const auto first = read_ds(ds[0].wire, ds[0].record);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->key_tag, 18463);
    EXPECT_EQ(first->algorithm, 5);
    EXPECT_EQ(first->digest_type, 1);
    EXPECT_EQ(vec(first->digest), hex("0c45b3d090b221e0e33bbeb5a619d89416baf197"));
    const auto second = read_ds(ds[1].wire, ds[1].record);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->digest_type, 2);
    EXPECT_EQ(vec(second->digest), hex("6003992326da06785c9e30b259750fab0960bf57054bddffdeee1188977dabb8"));

    const auto sigs = records_of("zeek/dnssec/ds.pcap", rrtype::RRSIG);
    ASSERT_FALSE(sigs.empty());
    const auto sig = read_rrsig(sigs[0].wire, sigs[0].record);
    ASSERT_TRUE(sig);
    EXPECT_EQ(sig->type_covered, rrtype::DS);
    EXPECT_EQ(sig->algorithm, 8);
    EXPECT_EQ(sig->labels, 2);
    EXPECT_EQ(sig->original_ttl, 86400u);
    EXPECT_EQ(sig->inception, 1537503220u);
    EXPECT_EQ(sig->key_tag, 50219);
    EXPECT_EQ(sig->signer.to_text(), "edu");
    EXPECT_EQ(sig->signature.front(), 0x9a);
}

TEST(RrViewsOnCorpus, ZeekDnskeyNsec3AndNsec3Param) {
    const auto keys = records_of("zeek/dnssec/dnskey.pcap", rrtype::DNSKEY);
    ASSERT_FALSE(keys.empty());
    const auto key = read_dnskey(keys[0].wire, keys[0].record);
    ASSERT_TRUE(key);
    EXPECT_EQ(key->flags, 256);
    EXPECT_EQ(key->protocol, 3);
    EXPECT_EQ(key->algorithm, 5);
    EXPECT_EQ(vec(key->public_key.first(8)), hex("03010001a833d499"));

    const auto nsec3s = records_of("zeek/dnssec/nsec3.pcap", rrtype::NSEC3);
    ASSERT_FALSE(nsec3s.empty());
    const auto nsec3 = read_nsec3(nsec3s[0].wire, nsec3s[0].record);
    ASSERT_TRUE(nsec3);
    EXPECT_EQ(nsec3->flags, 0);
    EXPECT_EQ(nsec3->hash_algorithm, 1);
    EXPECT_EQ(nsec3->iterations, 20);
    EXPECT_EQ(vec(nsec3->salt), hex("80637d8af055b5eeca2a621edaaa3c5e"));
    EXPECT_EQ(vec(nsec3->next_hashed_owner), hex("3d8a3eb61a9dfa951a42d7779c1f150685a01947"));
    std::vector<std::uint16_t> types(nsec3->types.begin(), nsec3->types.end());
    EXPECT_EQ(types, (std::vector<std::uint16_t>{rrtype::A, rrtype::NS, rrtype::SOA, rrtype::MX, rrtype::TXT,
                                                 rrtype::AAAA, rrtype::RRSIG, rrtype::DNSKEY, rrtype::NSEC3PARAM}));

    const auto params = records_of("zeek/dnssec/nsec3param.pcap", rrtype::NSEC3PARAM);
    ASSERT_FALSE(params.empty());
    const auto param = read_nsec3param(params[0].wire, params[0].record);
    ASSERT_TRUE(param);
    EXPECT_EQ(param->iterations, 20);
    EXPECT_EQ(vec(param->salt), hex("7b1a90a916197e45d0772abcb6441156"));
}

TEST(RrViewsOnCorpus, ZeekCaaAndNsec) {
    const auto caas = records_of("zeek/dns-caa.pcap", rrtype::CAA);
    ASSERT_FALSE(caas.empty());
    const auto caa = read_caa(caas[0].wire, caas[0].record);
    ASSERT_TRUE(caa);
    EXPECT_EQ(caa->flags, 0);
    EXPECT_EQ(str(caa->tag), "issue");
    EXPECT_EQ(str(caa->value), "symantec.com");

    const auto nsecs = records_of("zeek/dnssec/nsec.pcap", rrtype::NSEC);
    ASSERT_FALSE(nsecs.empty());
    const auto nsec = read_nsec(nsecs[0].wire, nsecs[0].record);
    ASSERT_TRUE(nsec);
    EXPECT_EQ(nsec->next.to_text(), "dlxssvr.library.upenn.edu");
    std::vector<std::uint16_t> types(nsec->types.begin(), nsec->types.end());
    EXPECT_EQ(types, (std::vector<std::uint16_t>{rrtype::A, rrtype::RRSIG, rrtype::NSEC}));  // 40 00 00 00 00 03
}

TEST(RrViewsOnCorpus, ZeekSvcbAndHttps) {
    const auto https = records_of("zeek/dns-https.pcap", rrtype::HTTPS);
    ASSERT_FALSE(https.empty());
    const auto h = read_svcb(https[0].wire, https[0].record);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->priority, 1);
    EXPECT_EQ(h->target.to_text(), ".");
    std::vector<std::string> alpn;
    for (const auto id : h->alpn) alpn.push_back(str(id));
    EXPECT_EQ(alpn, (std::vector<std::string>{"h3", "h3-29", "h3-28", "h3-27", "h2"}));
    ASSERT_EQ(h->ipv4hint.size(), 2u);
    EXPECT_EQ(vec(h->ipv4hint[0]), (Bytes{104, 16, 132, 229}));
    ASSERT_EQ(h->ipv6hint.size(), 2u);
    EXPECT_EQ(vec(h->ipv6hint[1]), hex("260647000000000000000000681085e5"));

    const auto svcb = records_of("zeek/dns-svcb.pcap", rrtype::SVCB);
    ASSERT_FALSE(svcb.empty());
    const auto s = read_svcb(svcb[0].wire, svcb[0].record);
    ASSERT_TRUE(s);
    EXPECT_TRUE(s->alias_mode());
    EXPECT_EQ(s->target.to_text(), "foo.example.com");

    const auto ech = records_of("zeek/dns/ech.pcap", rrtype::HTTPS);
    ASSERT_FALSE(ech.empty());
    const auto e = read_svcb(ech[0].wire, ech[0].record);
    ASSERT_TRUE(e);
    ASSERT_TRUE(e->ech.has_value());
    EXPECT_EQ(vec(e->ech->first(4)), hex("00c0fe0d"));  // "AMD+DQ..." in base64
    ASSERT_EQ(e->ipv4hint.size(), 1u);
    EXPECT_EQ(vec(e->ipv4hint[0]), (Bytes{213, 108, 108, 101}));
}

TEST(RrViewsOnCorpus, ZeekMalformedSvcParamsAreRefused) {
    // Zeek logs DNS_SVCB_alpn_length_invalid / DNS_SVCB_port_length_invalid for these.
    for (const char* capture : {"zeek/dns/svcb-alpn-malformed-len-too-long.pcap",
                                "zeek/dns/svcb-alpn-malformed-len-too-short.pcap", "zeek/dns/svcb-port-malformed.pcap"}) {
        const auto found = records_of(capture, rrtype::HTTPS);
        ASSERT_FALSE(found.empty()) << capture;
        std::size_t refused = 0;
        for (const auto& f : found) refused += !read_svcb(f.wire, f.record).ok();
        EXPECT_GT(refused, 0u) << capture;
    }
}

TEST(RrViewsOnCorpus, ZeekMultipleTxtStrings) {
    const auto txts = records_of("zeek/dns-txt-multiple.pcap", rrtype::TXT);
    ASSERT_FALSE(txts.empty());
    for (const auto& f : txts) {
        const auto txt = read_txt(f.wire, f.record);
        ASSERT_TRUE(txt);
        EXPECT_GE(txt->strings.count(), 1u);
    }
}

}  // namespace
}  // namespace dnswatch
