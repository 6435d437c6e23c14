// Every row of docs/alerts.md's severity table, by name: the table itself
// (detect/severity.h), and through the detector where the evidence is
// worked out from packets (glue, vantages, reverts, the parent's servers).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "decode/dns_message.h"
#include "baseline/transparency_feed.h"
#include "detect/severity.h"
#include "tests/detect/detector_harness.h"

namespace dnswatch {
namespace {

Severity judge(std::string_view kind, std::uint16_t type, SignalSet signals = 0, std::size_t vantages = 1,
               bool glue = false) {
    return severity_from_evidence(
        {.kind = kind, .rrtype = type, .glue = glue, .signals = signals, .vantages = vantages});
}

constexpr std::uint16_t kTxt = 16;
constexpr std::uint16_t kSrv = 33;

TEST(SeverityTable, W1_DelegationAndKeysWeighHigh) {
    for (const std::uint16_t type : {rrtype::NS, rrtype::DS, rrtype::DNSKEY, rrtype::CDS, rrtype::CDNSKEY}) {
        EXPECT_EQ(record_weight(type, false), Severity::high) << type;
        EXPECT_EQ(judge("rrset_divergence", type), Severity::high) << type;
    }
}

TEST(SeverityTable, W2_GlueWeighsHigh) {
    EXPECT_EQ(judge("rrset_divergence", rrtype::A, 0, 1, /*glue=*/true), Severity::high);
    EXPECT_EQ(judge("rrset_divergence", rrtype::AAAA, 0, 1, /*glue=*/true), Severity::high);
    // Glue is an address: another type at a name server's name is not.
    EXPECT_EQ(record_weight(kTxt, /*glue=*/true), Severity::low);
}

TEST(SeverityTable, W3_WhatPointsClientsWeighsMedium) {
    for (const std::uint16_t type : {rrtype::A, rrtype::AAAA, rrtype::MX, rrtype::TLSA, rrtype::CNAME, rrtype::DNAME,
                                     rrtype::CAA, rrtype::SVCB, rrtype::HTTPS}) {
        EXPECT_EQ(judge("rrset_divergence", type), Severity::medium) << type;
    }
}

TEST(SeverityTable, W4_TheRestWeighsLow) {
    for (const std::uint16_t type : {kTxt, rrtype::SOA, kSrv, std::uint16_t{13} /* HINFO */}) {
        EXPECT_EQ(judge("unexpected_rrset", type), Severity::low) << type;
    }
}

TEST(SeverityTable, R1_DelegationChangedRaises) {
    EXPECT_EQ(judge("rrset_divergence", rrtype::NS, bit(Signal::delegation_changed)), Severity::critical);
    EXPECT_EQ(judge("rrset_divergence", rrtype::A, bit(Signal::delegation_changed)), Severity::high);
}

TEST(SeverityTable, R2_DsRemovedRaises) {
    EXPECT_EQ(judge("ds_removed", rrtype::DS, bit(Signal::proven_absent)), Severity::critical);
    // Proven absent alone raises nothing: an A record removed is its weight.
    EXPECT_EQ(judge("rrset_removed", rrtype::A, bit(Signal::proven_absent)), Severity::medium);
}

TEST(SeverityTable, R3_DnssecBogusOrStrippedRaisesOnce) {
    for (const Signal s : {Signal::rrsig_bogus, Signal::rrsig_unknown_key, Signal::rrsig_expired,
                           Signal::rrsig_not_yet_valid, Signal::unsigned_answer}) {
        EXPECT_EQ(judge("dnssec_bogus", rrtype::A, bit(s)), Severity::high) << static_cast<int>(s);
    }
    // The group counts once, however many of its signals are present.
    EXPECT_EQ(judge("dnssec_bogus", rrtype::A, bit(Signal::rrsig_bogus) | bit(Signal::rrsig_unknown_key)),
              Severity::high);
    EXPECT_EQ(judge("dnssec_stripped", rrtype::DNSKEY, bit(Signal::proven_absent)), Severity::critical);
    EXPECT_EQ(judge("dnssec_stripped", kTxt, bit(Signal::unsigned_answer)), Severity::medium);
}

TEST(SeverityTable, R4_SelfHostedRogueNsRaises) {
    EXPECT_EQ(judge("rrset_divergence", rrtype::A, bit(Signal::ns_address_matches_diverging_target)), Severity::high);
}

TEST(SeverityTable, R5_ConflictingAnswersRaise) {
    EXPECT_EQ(judge("rrset_divergence", rrtype::A, bit(Signal::conflicting_answers)), Severity::high);
}

TEST(SeverityTable, R6_UnexpectedServerRaises) {
    EXPECT_EQ(judge("rrset_divergence", rrtype::A, bit(Signal::unexpected_server)), Severity::high);
    EXPECT_EQ(judge("unexpected_rrset", kTxt, bit(Signal::unexpected_server)), Severity::medium);
}

TEST(SeverityTable, R7_SpoofingBurstRaises) {
    EXPECT_EQ(judge("rrset_divergence", rrtype::A, bit(Signal::txid_mismatch_burst)), Severity::high);
}

TEST(SeverityTable, R8_TwoVantagesRaise) {
    EXPECT_EQ(judge("rrset_divergence", rrtype::A, 0, 1), Severity::medium);
    EXPECT_EQ(judge("rrset_divergence", rrtype::A, 0, 2), Severity::high);
    EXPECT_EQ(judge("rrset_divergence", rrtype::A, 0, 3), Severity::high);  // one step, however many
}

TEST(SeverityTable, R9_ShortLivedRaisesOnlyBesideAnother) {
    const SignalSet reverted = bit(Signal::rdata_outside_baseline) | bit(Signal::short_lived);
    EXPECT_EQ(judge("rrset_divergence", rrtype::A, reverted), Severity::medium);
    EXPECT_EQ(judge("rrset_divergence", rrtype::NS, reverted), Severity::high);
    EXPECT_EQ(judge("rrset_divergence", rrtype::A, reverted | bit(Signal::unexpected_server)), Severity::critical);
    EXPECT_EQ(judge("rrset_divergence", rrtype::A, reverted, 2), Severity::critical);
}

TEST(SeverityTable, R10_StepsAddUpToCritical) {
    const SignalSet signals = bit(Signal::unexpected_server) | bit(Signal::conflicting_answers) |
                              bit(Signal::ns_address_matches_diverging_target) | bit(Signal::short_lived);
    EXPECT_EQ(severity_raise({.kind = "rrset_divergence", .rrtype = kTxt, .signals = signals}), 4u);
    EXPECT_EQ(judge("rrset_divergence", kTxt, signals), Severity::critical);
    EXPECT_EQ(judge("rrset_divergence", kTxt, bit(Signal::unexpected_server) | bit(Signal::conflicting_answers)),
              Severity::high);
    EXPECT_EQ(judge("rrset_divergence", rrtype::NS, signals), Severity::critical);
    // What raises nothing.
    EXPECT_EQ(judge("rrset_divergence", rrtype::A,
                    bit(Signal::ttl_collapse) | bit(Signal::ad_missing) | bit(Signal::rrset_not_in_baseline)),
              Severity::medium);
}

TEST(SeverityTable, F1_ResolverNotValidatingIsLow) {
    EXPECT_EQ(judge("resolver_not_validating", rrtype::DNSKEY, bit(Signal::ad_missing) | bit(Signal::short_lived), 3),
              Severity::low);
}

TEST(SeverityTable, F2_SpoofingAttemptIsHigh) {
    EXPECT_EQ(judge("spoofing_attempt", rrtype::A, bit(Signal::txid_mismatch_burst) | bit(Signal::unsolicited_response)),
              Severity::high);
    EXPECT_EQ(judge("spoofing_attempt", kTxt, bit(Signal::txid_mismatch_burst)), Severity::high);
}

TEST(SeverityTable, C1_ALockedNameIsCritical) {
    EXPECT_EQ(change_severity("suspicious_change", {"locked"}), Severity::critical);
    EXPECT_EQ(change_severity("short_lived_change", {"short_lived", "locked"}), Severity::critical);
}

TEST(SeverityTable, C2_AShortLivedChangeIsHigh) {
    EXPECT_EQ(change_severity("short_lived_change", {"short_lived"}), Severity::high);
}

TEST(SeverityTable, C3_TwoStrongChangeSignalsAreHigh) {
    EXPECT_EQ(change_severity("suspicious_change", {"ns_provider_changed", "ds_removed"}), Severity::high);
    EXPECT_EQ(change_severity("suspicious_change", {"ttl_lowered_before_change", "ds_removed", "unannounced"}),
              Severity::high);
}

TEST(SeverityTable, C4_OneStrongChangeSignalIsMedium) {
    EXPECT_EQ(change_severity("suspicious_change", {"ns_provider_changed", "unannounced"}), Severity::medium);
}

TEST(SeverityTable, C5_NoStrongChangeSignalIsLow) {
    EXPECT_EQ(change_severity("suspicious_change", {"unannounced"}), Severity::low);
}

// ---------------------------------------------------------------- through the detector

constexpr const char* kVictimZone = R"(
$TTL 3600
@       SOA  ns1 hostmaster 2026031401 3600 900 604800 300
@       NS   ns1
@       NS   ns2
ns1     A    192.0.2.1
ns2     A    192.0.2.2
www     A    192.0.2.10
)";

// The parent, watched too: its own NS and their addresses are in the
// baseline, so its servers are known.
constexpr const char* kParentZone = R"(
$ORIGIN test.
$TTL 86400
@            SOA  a.nic hostmaster 1 3600 900 604800 300
@            NS   a.nic
a.nic        A    192.0.2.200
victim       NS   ns1.victim
victim       NS   ns2.victim
victim       DS   12345 13 2 8A1F3C6E0B2D4F5A6978A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F6
ns1.victim   A    192.0.2.1
ns2.victim   A    192.0.2.2
)";

// A revert comes later than AnswerHistory::kWindowUs: not a second,
// conflicting answer to the same query.
constexpr std::int64_t kLater = 60'000'000;

class SeverityDetector : public test::DetectorFixture {
protected:
    void SetUp() override {
        watch_.add("test");
        start_detector("severity", {{"victim.test.zone", kVictimZone, "victim.test."}, {"test.zone", kParentZone, {}}});
    }
    void feed(const test::MessageSpec& spec, const char* server, std::int64_t time_us = 1'000'000) {
        test::deliver_response(*detector_, decoder_, wire_, spec, server, time_us, ++frame_);
    }
    static test::MessageSpec answer(const std::string& question, std::vector<std::string> records) {
        test::MessageSpec spec;
        spec.question = question;
        spec.answer = std::move(records);
        return spec;
    }
    static test::MessageSpec ds_nodata() {
        test::MessageSpec spec;
        spec.question = "victim.test. IN DS";
        spec.authority = {"test. 300 IN SOA a.nic.test. hostmaster.test. 2 3600 900 604800 300"};
        return spec;
    }
    const Alert& last() const { return sink_.alerts.back(); }
    bool has_signal(const Alert& alert, const char* signal) const {
        return std::find(alert.signals.begin(), alert.signals.end(), signal) != alert.signals.end();
    }
};

TEST_F(SeverityDetector, R2_DsRemovedFromTheParentIsCriticalAndExpected) {
    feed(ds_nodata(), "192.0.2.200");
    ASSERT_EQ(sink_.alerts.size(), 1u);
    EXPECT_EQ(last().kind, "ds_removed");
    EXPECT_EQ(last().severity, Severity::critical);
    EXPECT_FALSE(has_signal(last(), "unexpected_server")) << "the parent is where a DS comes from";
    // From the child's own server, or anyone else, it is unexpected.
    feed(ds_nodata(), "192.0.2.1");
    ASSERT_EQ(sink_.alerts.size(), 2u);
    EXPECT_TRUE(has_signal(last(), "unexpected_server"));
    feed(ds_nodata(), "203.0.113.66");
    ASSERT_EQ(sink_.alerts.size(), 3u);
    EXPECT_TRUE(has_signal(last(), "unexpected_server"));
}

TEST_F(SeverityDetector, W2_GlueInAReferralIsHigh) {
    // The address of ns1.victim.test, from the zone's own server: glue by
    // the baseline's NS, weighing as much as the NS itself.
    feed(answer("ns1.victim.test. IN A", {"ns1.victim.test. 3600 IN A 192.0.2.77"}), "192.0.2.1");
    ASSERT_EQ(sink_.alerts.size(), 1u);
    EXPECT_EQ(last().severity, Severity::high);
    EXPECT_TRUE(last().signals == std::vector<std::string>{"rdata_outside_baseline"});
    // The same address in a referral's additional section, from the parent:
    // glue, and the delegation changed.
    test::MessageSpec referral;
    referral.aa = false;
    referral.question = "www.victim.test. IN A";
    referral.authority = {"victim.test. 86400 IN NS ns1.victim.test.", "victim.test. 86400 IN NS ns2.victim.test."};
    referral.additional = {"ns2.victim.test. 86400 IN A 203.0.113.66"};
    feed(referral, "192.0.2.200");
    ASSERT_EQ(sink_.alerts.size(), 2u);
    EXPECT_EQ(last().name, "ns2.victim.test");
    EXPECT_EQ(last().severity, Severity::critical);
}

TEST_F(SeverityDetector, R6_UnexpectedServerRaisesAnAddress) {
    feed(answer("www.victim.test. IN A", {"www.victim.test. 3600 IN A 203.0.113.66"}), "203.0.113.66");
    ASSERT_EQ(sink_.alerts.size(), 1u);
    EXPECT_TRUE(has_signal(last(), "unexpected_server"));
    EXPECT_EQ(last().severity, Severity::high);
}

TEST_F(SeverityDetector, R8_ASecondServerRaises) {
    feed(answer("www.victim.test. IN A", {"www.victim.test. 3600 IN A 203.0.113.66"}), "192.0.2.1");
    ASSERT_EQ(sink_.alerts.size(), 1u);
    EXPECT_EQ(last().severity, Severity::medium);
    feed(answer("www.victim.test. IN A", {"www.victim.test. 3600 IN A 203.0.113.66"}), "192.0.2.2");
    ASSERT_EQ(sink_.alerts.size(), 2u);
    EXPECT_EQ(last().vantage.server, "192.0.2.2");
    EXPECT_EQ(last().severity, Severity::high);
    // The first server reverts while the second still diverges: two
    // vantages beside short_lived.
    feed(answer("www.victim.test. IN A", {"www.victim.test. 3600 IN A 192.0.2.10"}), "192.0.2.1", kLater);
    ASSERT_EQ(sink_.alerts.size(), 3u);
    EXPECT_EQ(last().state, AlertState::reverted);
    EXPECT_EQ(last().severity, Severity::critical);
}

TEST_F(SeverityDetector, R9_ARevertAloneDoesNotRaise) {
    feed(answer("www.victim.test. IN A", {"www.victim.test. 3600 IN A 203.0.113.66"}), "192.0.2.1");
    feed(answer("www.victim.test. IN A", {"www.victim.test. 3600 IN A 192.0.2.10"}), "192.0.2.1", kLater);
    ASSERT_EQ(sink_.alerts.size(), 2u);
    EXPECT_EQ(sink_.alerts[0].severity, Severity::medium);
    EXPECT_EQ(last().state, AlertState::reverted);
    EXPECT_TRUE(has_signal(last(), "short_lived"));
    EXPECT_EQ(last().severity, Severity::medium);
}

TEST_F(SeverityDetector, R9_ARevertBesideUnexpectedServerRaises) {
    feed(answer("www.victim.test. IN A", {"www.victim.test. 3600 IN A 203.0.113.66"}), "203.0.113.66");
    feed(answer("www.victim.test. IN A", {"www.victim.test. 3600 IN A 192.0.2.10"}), "203.0.113.66", kLater);
    ASSERT_EQ(sink_.alerts.size(), 2u);
    EXPECT_EQ(sink_.alerts[0].severity, Severity::high);
    EXPECT_EQ(last().state, AlertState::reverted);
    EXPECT_EQ(last().severity, Severity::critical);
}

// A feed entry with "rdata": [] announces a removal (scenarios/README.md):
// from its effective time the absence is legitimate, and ends the alert it
// had opened as accepted; before it, the absence is ds_removed.
TEST_F(SeverityDetector, AnAnnouncedRemovalMakesTheAbsenceLegitimateFromItsTime) {
    feed(ds_nodata(), "192.0.2.200", 1'000'000);
    ASSERT_EQ(sink_.alerts.size(), 1u);
    EXPECT_EQ(last().kind, "ds_removed");
    const Announcement removal = parse_announcement(
        R"({"zone":"victim.test","name":"victim.test","rrtype":"DS","rdata":[],"effective":"1970-01-01T00:00:10.000000Z"})",
        watch_);
    EXPECT_TRUE(removal.removal());
    for_each_announced(removal, watch_, [&](const DnsName& owner, std::uint16_t type, AnnouncedRdata rdata) {
        baseline_ = baseline_.with_announcement(owner, type, std::move(rdata));
    });
    detector_->set_baseline(watch_, baseline_);
    // Before its effective time it is not in force: another server's NODATA still alerts.
    feed(ds_nodata(), "192.0.2.201", 5'000'000);
    ASSERT_EQ(sink_.alerts.size(), 2u);
    EXPECT_EQ(last().state, AlertState::open);
    feed(ds_nodata(), "192.0.2.200", 20'000'000);
    ASSERT_EQ(sink_.alerts.size(), 3u);
    EXPECT_EQ(last().id, sink_.alerts[0].id);
    EXPECT_EQ(last().state, AlertState::accepted);
    feed(ds_nodata(), "192.0.2.202", 30'000'000);
    EXPECT_EQ(sink_.alerts.size(), 3u) << "a legitimate absence opens nothing";
}

}  // namespace
}  // namespace dnswatch
