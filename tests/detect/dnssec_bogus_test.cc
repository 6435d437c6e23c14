// dnssec_bogus: RRSIGs over watched RRsets checked against the baseline's
// DNSKEYs. Real keys made with ldns in each test, real signatures made with
// ldns_sign_public over the RRsets the responses carry.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <ldns/ldns.h>

#include "decode/ldns_glue.h"
#include "detect/detector.h"
#include "detect/dnssec_verifier.h"
#include "tests/detect/detector_harness.h"
#include "tests/support/message_builder.h"
#include "tests/support/scratch_dir.h"

namespace dnswatch {
namespace {

using test::RecordingSink;

std::int64_t utc_seconds(int year, int month, int day) {
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    return timegm(&tm);
}

const std::int64_t kInception = utc_seconds(2026, 3, 1);
const std::int64_t kExpiration = utc_seconds(2026, 6, 1);
const std::int64_t kPacketTimeUs = utc_seconds(2026, 3, 15) * 1'000'000;

std::string to_text(const ldns_rr* rr) {
    char* text = ldns_rr2str(rr);
    std::string s(text);
    std::free(text);
    s = s.substr(0, s.find(" ;"));  // ldns comments a DNSKEY with its id
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
    return s;
}

// A zone signing key made by ldns: its DNSKEY record and signatures.
class SigningKey {
public:
    explicit SigningKey(const char* owner = "victim.test.") {
        key_ = ldns_key_new_frm_algorithm(LDNS_SIGN_ECDSAP256SHA256, 256);
        if (key_ == nullptr) throw std::runtime_error("ldns could not make a key");
        ldns_key_set_pubkey_owner(key_, ldns_dname_new_frm_str(owner));
        ldns_key_set_flags(key_, 257);
        ldns_rr* dnskey = ldns_key2rr(key_);
        ldns_key_set_keytag(key_, ldns_calc_keytag(dnskey));
        dnskey_ = to_text(dnskey);
        ldns_rr_free(dnskey);
    }
    ~SigningKey() { ldns_key_deep_free(key_); }

    const std::string& dnskey() const { return dnskey_; }

    // The RRSIG over `records` (one RRset), valid from `inception` to `expiration`.
    std::string sign(const std::vector<std::string>& records, std::int64_t inception = kInception,
                     std::int64_t expiration = kExpiration) const {
        ldns_rr_list* rrset = ldns_rr_list_new();
        for (const std::string& text : records) {
            ldns_rr* rr = nullptr;
            if (ldns_rr_new_frm_str(&rr, text.c_str(), 3600, nullptr, nullptr) != LDNS_STATUS_OK) {
                throw std::runtime_error("bad record " + text);
            }
            ldns_rr_list_push_rr(rrset, rr);
        }
        ldns_key_set_inception(key_, static_cast<std::uint32_t>(inception));
        ldns_key_set_expiration(key_, static_cast<std::uint32_t>(expiration));
        ldns_key_list* keys = ldns_key_list_new();
        ldns_key_list_push_key(keys, key_);
        ldns_rr_list* signatures = ldns_sign_public(rrset, keys);
        std::string text = to_text(ldns_rr_list_rr(signatures, 0));
        ldns_rr_list_deep_free(signatures);
        ldns_key_list_set_key_count(keys, 0);  // ldns_key_list_free frees its keys: this one stays ours
        ldns_key_list_free(keys);
        ldns_rr_list_deep_free(rrset);
        return text;
    }

private:
    ldns_key* key_ = nullptr;
    std::string dnskey_;
};

const std::vector<std::string> kWww = {"www.victim.test. 3600 IN A 192.0.2.10",
                                       "www.victim.test. 3600 IN A 192.0.2.11"};

class DnssecBogusTest : public test::DetectorFixture {
protected:
    void SetUp() override {
        start_detector("dnssec", {{"victim.test.zone",
                                   "$ORIGIN victim.test.\n$TTL 3600\n"
                                   "@ SOA ns1 hostmaster 1 3600 900 604800 300\n"
                                   "@ NS ns1\nns1 A 192.0.2.1\n"
                                   "www A 192.0.2.10\nwww A 192.0.2.11\n" +
                                       zone_key_.dnskey() + "\n",
                                   {}}});
    }

    void feed(std::vector<std::string> answer, std::int64_t time_us = kPacketTimeUs,
              const char* server = "192.0.2.1") {
        test::MessageSpec spec;
        spec.question = "www.victim.test. IN A";
        spec.answer = std::move(answer);
        test::deliver_response(*detector_, decoder_, wire_, spec, server, time_us, ++frame_);
    }

    static std::vector<std::string> with(std::vector<std::string> records, const std::string& extra) {
        records.push_back(extra);
        return records;
    }

    SigningKey zone_key_;
};

TEST_F(DnssecBogusTest, AGoodSignatureRaisesNothingAndIsVerifiedOnce) {
    const auto signed_www = with(kWww, zone_key_.sign(kWww));
    feed(signed_www);
    // Another order of the same records, as round-robin servers send them.
    feed({signed_www[1], signed_www[0], signed_www[2]});
    feed(signed_www, kPacketTimeUs + 60'000'000);
    EXPECT_TRUE(sink_.alerts.empty());
    const DnssecCounters& c = detector_->dnssec_counters();
    EXPECT_EQ(c.rrsets_checked, 3u);
    EXPECT_EQ(c.verifications, 1u);
    EXPECT_EQ(c.cache_hits, 2u);
    EXPECT_EQ(c.bogus_rrsets, 0u);
}

TEST_F(DnssecBogusTest, AnExpiredSignatureIsBogusAtPacketTime) {
    const auto signed_www = with(kWww, zone_key_.sign(kWww, utc_seconds(2026, 1, 1), utc_seconds(2026, 2, 1)));
    feed(signed_www);
    ASSERT_EQ(sink_.alerts.size(), 1u);
    const Alert& a = sink_.alerts[0];
    EXPECT_EQ(a.kind, "dnssec_bogus");
    EXPECT_EQ(a.name, "www.victim.test");
    EXPECT_EQ(a.rrtype, "A");
    EXPECT_EQ(a.state, AlertState::open);
    EXPECT_EQ(a.signals, (std::vector<std::string>{"rrsig_expired"}));
    EXPECT_EQ(a.observed, (std::vector<std::string>{"192.0.2.10", "192.0.2.11"}));
    // The same bytes judged at a time inside the validity: the cached crypto
    // verdict holds, and the time is judged again.
    detector_ = std::make_unique<Detector>(watch_, baseline_, "test-sensor", sink_);
    feed(signed_www, utc_seconds(2026, 1, 15) * 1'000'000);
    EXPECT_EQ(sink_.alerts.size(), 1u);
}

TEST_F(DnssecBogusTest, ASignatureNotYetValidIsBogus) {
    feed(with(kWww, zone_key_.sign(kWww, utc_seconds(2026, 4, 1), kExpiration)));
    ASSERT_EQ(sink_.alerts.size(), 1u);
    EXPECT_EQ(sink_.alerts[0].signals, (std::vector<std::string>{"rrsig_not_yet_valid"}));
}

TEST_F(DnssecBogusTest, AKeyTheBaselineLacksIsBogusEvenWhenThePacketCarriesIt) {
    const SigningKey attacker;
    // The attacker's DNSKEY rides along in the packet: it must not be trusted.
    feed(with(with(kWww, attacker.sign(kWww)), attacker.dnskey()));
    ASSERT_EQ(sink_.alerts.size(), 2u);
    EXPECT_EQ(sink_.alerts[0].kind, "dnssec_bogus");
    EXPECT_EQ(sink_.alerts[0].rrtype, "A");
    EXPECT_EQ(sink_.alerts[0].signals, (std::vector<std::string>{"rrsig_unknown_key"}));
    EXPECT_EQ(sink_.alerts[1].kind, "rrset_divergence");  // the foreign DNSKEY itself
    EXPECT_EQ(sink_.alerts[1].rrtype, "DNSKEY");
    EXPECT_EQ(detector_->dnssec_counters().bogus_rrsets, 1u);
}

TEST_F(DnssecBogusTest, TamperedDataUnderTheOldSignatureIsBogusAndDivergent) {
    const std::string old_signature = zone_key_.sign(kWww);
    feed({"www.victim.test. 3600 IN A 203.0.113.66", old_signature});
    ASSERT_EQ(sink_.alerts.size(), 2u);  // the data's alert and the signature's, two lifecycles
    EXPECT_EQ(sink_.alerts[0].kind, "rrset_divergence");
    EXPECT_EQ(sink_.alerts[1].kind, "dnssec_bogus");
    EXPECT_EQ(sink_.alerts[1].signals, (std::vector<std::string>{"rrsig_bogus"}));
    EXPECT_NE(sink_.alerts[0].id, sink_.alerts[1].id);
}

TEST_F(DnssecBogusTest, AValidSignatureFromTheSameServerRevertsIt) {
    const SigningKey attacker;
    feed(with(kWww, attacker.sign(kWww)), kPacketTimeUs, "203.0.113.66");
    ASSERT_EQ(sink_.alerts.size(), 1u);
    // Another server signing well says nothing about this one.
    feed(with(kWww, zone_key_.sign(kWww)), kPacketTimeUs + 1'000'000, "192.0.2.1");
    ASSERT_EQ(sink_.alerts.size(), 1u);
    feed(with(kWww, zone_key_.sign(kWww)), kPacketTimeUs + 600'000'000, "203.0.113.66");
    ASSERT_EQ(sink_.alerts.size(), 2u);
    EXPECT_EQ(sink_.alerts[1].id, sink_.alerts[0].id);
    EXPECT_EQ(sink_.alerts[1].state, AlertState::reverted);
}

TEST_F(DnssecBogusTest, OneValidSignatureAmongSeveralIsEnough) {
    const SigningKey other;
    feed(with(with(kWww, other.sign(kWww)), zone_key_.sign(kWww)));
    EXPECT_TRUE(sink_.alerts.empty());
    EXPECT_EQ(detector_->dnssec_counters().signatures, 2u);
}

TEST_F(DnssecBogusTest, SignaturesByAnotherSignerOrWithoutBaselineKeysAreNotJudged) {
    const SigningKey parent("test.");
    feed(with(kWww, parent.sign(kWww)));  // signer "test.": not this zone's key to check
    EXPECT_TRUE(sink_.alerts.empty());
    EXPECT_EQ(detector_->dnssec_counters().rrsets_checked, 0u);

    // A zone whose baseline holds no DNSKEY: nothing to check against.
    Baseline unsigned_baseline;
    unsigned_baseline.add_zone_records({record_from_text("www.victim.test. 3600 IN A 192.0.2.10"),
                                        record_from_text("www.victim.test. 3600 IN A 192.0.2.11")},
                                       watch_);
    detector_ = std::make_unique<Detector>(watch_, unsigned_baseline, "test-sensor", sink_);
    feed(with(kWww, SigningKey().sign(kWww)));
    EXPECT_TRUE(sink_.alerts.empty());
    EXPECT_EQ(detector_->dnssec_counters().rrsets_checked, 0u);
}

TEST_F(DnssecBogusTest, TheCacheIsBoundedAndCountsEvictions) {
    // More distinct signed RRsets than the cache holds: every one is
    // verified, the table does not grow, replaced verdicts are counted.
    const std::size_t n = DnssecVerifier::kCacheEntries + 64;
    for (std::size_t i = 0; i < n; ++i) {
        const std::vector<std::string> rrset = {"www.victim.test. " + std::to_string(i) + " IN A 192.0.2.10"};
        // Same data, a new signature each time (ECDSA signatures are randomised).
        feed(with(rrset, zone_key_.sign(rrset)));
    }
    const DnssecCounters& c = detector_->dnssec_counters();
    EXPECT_EQ(c.verifications, n);
    EXPECT_GT(c.cache_evictions, 0u);
    EXPECT_TRUE(sink_.alerts.empty());
}

TEST(SipHash, MatchesTheReferenceVectors) {
    // Key 00..0f, messages 00..(n-1): the first vectors of the SipHash paper's reference code.
    const std::array<std::uint64_t, 2> key = {0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
    std::vector<std::uint8_t> message;
    EXPECT_EQ(siphash24(key, message), 0x726fdb47dd0e0e31ull);
    for (std::uint8_t i = 0; i < 15; ++i) message.push_back(i);
    EXPECT_EQ(siphash24(key, message), 0xa129ca6149be45e5ull);
}

TEST(RrsigTime, SerialArithmeticAroundTheValidity) {
    RrsigFields fields;
    fields.inception = 1000;
    fields.expiration = 2000;
    EXPECT_EQ(rrsig_time_check(fields, 999), SignatureTime::not_yet_valid);
    EXPECT_EQ(rrsig_time_check(fields, 1000), SignatureTime::valid);
    EXPECT_EQ(rrsig_time_check(fields, 2000), SignatureTime::valid);
    EXPECT_EQ(rrsig_time_check(fields, 2001), SignatureTime::expired);
    // After 2106 the 32-bit fields wrap; serial arithmetic still orders them.
    fields.inception = 0xFFFFFF00u;
    fields.expiration = 0x00000100u;
    EXPECT_EQ(rrsig_time_check(fields, 0x100000000ll + 0x10), SignatureTime::valid);
}

}  // namespace
}  // namespace dnswatch
