// Responses matched with the queries they answer: the AD bit of a resolver
// asked for authentic data (resolver_not_validating, ad_missing), responses
// nobody asked for (unsolicited_response), and bursts of them for one name —
// blind spoofing (txid_mismatch_burst, spoofing_attempt).
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "decode/ldns_glue.h"
#include "detect/detector.h"
#include "tests/detect/detector_harness.h"
#include "tests/support/message_builder.h"
#include "tests/support/scratch_dir.h"
#include "tests/support/run_command.h"

namespace dnswatch {
namespace {

using test::RecordingSink;

constexpr std::uint16_t kRd = 0x0100, kRa = 0x0080, kAd = 0x0020, kCd = 0x0010;
constexpr const char* kClient = "198.51.100.7";
constexpr const char* kResolver = "192.0.2.53";
constexpr const char* kServer = "192.0.2.1";  // ns1.victim.test

// A signed victim.test: the baseline holds a DNSKEY (the key's bytes do not
// matter here: nothing is signed).
constexpr const char* kZone = R"($ORIGIN victim.test.
$TTL 3600
@    SOA ns1 hostmaster 1 3600 900 604800 300
@    NS ns1
@    DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==
ns1  A 192.0.2.1
www  A 192.0.2.10
)";

IpAddress address(const char* text) {
    IpAddress a;
    a.family = 4;
    inet_pton(AF_INET, text, a.bytes.data());
    return a;
}

class QueryTrackingTest : public test::DetectorFixture {
protected:
    void SetUp() override { start_detector("queries", {{"victim.test.zone", kZone, {}}}); }

    // One message from src:sport to dst:dport; `flags` are ORed into the
    // header, `dnssec_ok` adds an OPT record with DO.
    void send(test::MessageSpec spec, const char* src, std::uint16_t sport, const char* dst, std::uint16_t dport,
              std::uint16_t flags, bool dnssec_ok, std::int64_t time_us) {
        wire_ = test::build_message(spec);
        wire_[2] |= static_cast<std::uint8_t>(flags >> 8);
        wire_[3] |= static_cast<std::uint8_t>(flags);
        if (dnssec_ok) {
            const std::uint8_t opt[] = {0, 0, 41, 0x10, 0x00, 0, 0, 0x80, 0, 0, 0};  // root, OPT, 4096, DO, rdlen 0
            wire_.insert(wire_.end(), std::begin(opt), std::end(opt));
            wire_[11] = static_cast<std::uint8_t>(wire_[11] + 1);  // ARCOUNT (small in these tests)
        }
        DnsMessageView view;
        ASSERT_EQ(decoder_.decode(wire_, view), MalformedKind::none);
        PacketView packet;
        packet.time_us = time_us;
        packet.frame_number = ++frame_;
        DnsDatagram datagram;
        datagram.src = address(src);
        datagram.dst = address(dst);
        datagram.src_port = sport;
        datagram.dst_port = dport;
        datagram.dns = wire_;
        if (spec.qr) {
            detector_->observe(view, MessageContext{&packet, &datagram, "unit.pcap"});
        } else {
            detector_->observe_query(view, datagram, time_us);
        }
    }

    void query(const char* question, std::uint16_t id, const char* server, std::uint16_t flags = 0,
               bool dnssec_ok = false, std::int64_t time_us = 1'000'000) {
        test::MessageSpec spec;
        spec.qr = false;
        spec.aa = false;
        spec.id = id;
        spec.question = question;
        send(spec, kClient, 40000, server, 53, flags, dnssec_ok, time_us);
    }

    void answer(const char* question, std::uint16_t id, const char* server, std::vector<std::string> records,
                std::uint16_t flags = 0, bool dnssec_ok = false, std::int64_t time_us = 1'001'000) {
        test::MessageSpec spec;
        spec.id = id;
        spec.question = question;
        spec.answer = std::move(records);
        spec.aa = (flags & kRa) == 0;  // a resolver's answer is not authoritative
        send(spec, server, 53, kClient, 40000, flags, dnssec_ok, time_us);
    }
};

const char* const kWwwA = "www.victim.test. IN A";
const std::vector<std::string> kTrueWww = {"www.victim.test. 3600 IN A 192.0.2.10"};
const std::vector<std::string> kForgedWww = {"www.victim.test. 3600 IN A 203.0.113.66"};

TEST_F(QueryTrackingTest, AResolverAnsweringWithoutAdIsNotValidatingUntilItSetsAdAgain) {
    query(kWwwA, 1, kResolver, kRd | kAd);
    answer(kWwwA, 1, kResolver, kTrueWww, kRd | kRa);
    ASSERT_EQ(sink_.alerts.size(), 1u);
    const Alert a = sink_.alerts[0];  // a copy: the sink grows below
    EXPECT_EQ(a.kind, "resolver_not_validating");
    EXPECT_EQ(a.severity, Severity::low);
    EXPECT_EQ(a.name, "victim.test");
    EXPECT_EQ(a.rrtype, "DNSKEY");
    EXPECT_EQ(a.vantage.role, "resolver");
    EXPECT_EQ(a.vantage.server, kResolver);
    EXPECT_EQ(a.signals, (std::vector<std::string>{"ad_missing"}));
    EXPECT_TRUE(a.observed.empty());

    // Once per (resolver, zone): more answers without AD say nothing new.
    query("www.victim.test. IN AAAA", 2, kResolver, 0, /*dnssec_ok=*/true, 2'000'000);
    answer("www.victim.test. IN AAAA", 2, kResolver, {}, kRd | kRa, true, 2'001'000);
    EXPECT_EQ(sink_.alerts.size(), 1u);

    // A lie from the same non-validating resolver carries the signal.
    query(kWwwA, 3, kResolver, kRd | kAd, false, 3'000'000);
    answer(kWwwA, 3, kResolver, kForgedWww, kRd | kRa, false, 3'001'000);
    ASSERT_EQ(sink_.alerts.size(), 2u);
    EXPECT_EQ(sink_.alerts[1].kind, "resolver_divergence");
    EXPECT_EQ(sink_.alerts[1].signals, (std::vector<std::string>{"rdata_outside_baseline", "ad_missing"}));

    // AD again: reverted, and still an advisory (no short_lived, low).
    query(kWwwA, 4, kResolver, kRd | kAd, false, 4'000'000);
    answer(kWwwA, 4, kResolver, kTrueWww, kRd | kRa | kAd, false, 4'001'000);
    ASSERT_EQ(sink_.alerts.size(), 4u);  // and the divergence reverts too
    const Alert& reverted = sink_.alerts[2];
    EXPECT_EQ(reverted.id, a.id);
    EXPECT_EQ(reverted.state, AlertState::reverted);
    EXPECT_EQ(reverted.severity, Severity::low);
    EXPECT_EQ(reverted.signals, (std::vector<std::string>{"ad_missing"}));
}

TEST_F(QueryTrackingTest, NoAdVerdictWithoutAskingWithCheckingDisabledOrForAnUnsignedZone) {
    query(kWwwA, 1, kResolver, kRd);  // neither AD nor DO asked
    answer(kWwwA, 1, kResolver, kTrueWww, kRd | kRa);
    query(kWwwA, 2, kResolver, kRd | kAd | kCd);  // the client validates itself
    answer(kWwwA, 2, kResolver, kTrueWww, kRd | kRa | kCd);
    EXPECT_TRUE(sink_.alerts.empty());

    Baseline unsigned_baseline;
    unsigned_baseline.add_zone_records({record_from_text("www.victim.test. 3600 IN A 192.0.2.10")}, watch_);
    detector_ = std::make_unique<Detector>(watch_, unsigned_baseline, "test-sensor", sink_);
    query(kWwwA, 3, kResolver, kRd | kAd);
    answer(kWwwA, 3, kResolver, kTrueWww, kRd | kRa);
    EXPECT_TRUE(sink_.alerts.empty());
}

TEST_F(QueryTrackingTest, WithoutTheQueryTheEchoedDoBitTellsWhatWasAsked) {
    answer(kWwwA, 9, kResolver, kTrueWww, kRd | kRa, /*dnssec_ok=*/true);
    ASSERT_EQ(sink_.alerts.size(), 1u);
    EXPECT_EQ(sink_.alerts[0].kind, "resolver_not_validating");
    EXPECT_EQ(detector_->query_counters().unknown, 1u);
}

TEST_F(QueryTrackingTest, AnUnsolicitedResponseChangesNothingAtTheClient) {
    query(kWwwA, 100, kServer);
    answer(kWwwA, 101, kServer, kForgedWww);  // wrong transaction id: the client drops it
    EXPECT_TRUE(sink_.alerts.empty());
    EXPECT_EQ(detector_->query_counters().unsolicited, 1u);
    answer(kWwwA, 100, kServer, kTrueWww, 0, false, 1'002'000);
    EXPECT_TRUE(sink_.alerts.empty());
    EXPECT_EQ(detector_->query_counters().matched, 1u);
    // A second, different answer to the same query still answers a real
    // query: judged (on-path injection is caught by conflicting_answers).
    answer(kWwwA, 100, kServer, kForgedWww, 0, false, 1'003'000);
    ASSERT_EQ(sink_.alerts.size(), 1u);
    EXPECT_EQ(sink_.alerts[0].kind, "rrset_divergence");
}

TEST_F(QueryTrackingTest, ResponsesToAClientNeverSeenAskingAreJudgedAsBefore) {
    answer(kWwwA, 7, kServer, kForgedWww);  // one-way capture: nothing known of the query
    ASSERT_EQ(sink_.alerts.size(), 1u);
    EXPECT_EQ(sink_.alerts[0].kind, "rrset_divergence");
    EXPECT_EQ(detector_->query_counters().unknown, 1u);
}

TEST_F(QueryTrackingTest, ABurstOfUnmatchedResponsesIsASpoofingAttempt) {
    query(kWwwA, 500, kServer);
    // Nine forged answers within the window: below the threshold (10).
    for (int i = 0; i < 9; ++i) answer(kWwwA, static_cast<std::uint16_t>(1000 + i), kServer, kForgedWww, 0, false,
                                       1'001'000 + i * 1000);
    EXPECT_TRUE(sink_.alerts.empty());
    // The tenth: a burst. One alert, however many more follow.
    for (int i = 9; i < 50; ++i) answer(kWwwA, static_cast<std::uint16_t>(1000 + i), kServer, kForgedWww, 0, false,
                                        1'001'000 + i * 1000);
    ASSERT_EQ(sink_.alerts.size(), 1u);
    const Alert a = sink_.alerts[0];  // a copy: the sink grows below
    EXPECT_EQ(a.kind, "spoofing_attempt");
    EXPECT_EQ(a.severity, Severity::high);
    EXPECT_EQ(a.name, "www.victim.test");
    EXPECT_EQ(a.rrtype, "A");
    EXPECT_EQ(a.vantage.server, kServer);
    EXPECT_EQ(a.signals, (std::vector<std::string>{"unsolicited_response", "txid_mismatch_burst"}));
    EXPECT_EQ(a.first_seen_us, 1'010'000);  // the tenth
    EXPECT_EQ(detector_->query_counters().bursts, 1u);
    // The real answer: nothing diverges, the attempt stays on record.
    answer(kWwwA, 500, kServer, kTrueWww, 0, false, 1'060'000);
    EXPECT_EQ(sink_.alerts.size(), 1u);
}

TEST_F(QueryTrackingTest, UnmatchedResponsesSpreadBeyondTheWindowAreNoBurst) {
    detector_->configure_query_tracking(1024, TxidBurstOptions{5, 1'000'000});
    for (int i = 0; i < 20; ++i) {
        const std::int64_t t = 1'000'000 + i * 300'000;  // 3.3 per second: never 5 within 1 s
        query(kWwwA, static_cast<std::uint16_t>(i), kServer, 0, false, t);
        answer(kWwwA, static_cast<std::uint16_t>(3000 + i), kServer, kForgedWww, 0, false, t + 1000);
    }
    EXPECT_TRUE(sink_.alerts.empty());
    EXPECT_EQ(detector_->query_counters().unsolicited, 20u);
    EXPECT_EQ(detector_->query_counters().bursts, 0u);
}

TEST_F(QueryTrackingTest, ADivergentAnswerMatchingTheQueryDuringABurstIsThePoisoning) {
    query(kWwwA, 500, kServer);
    for (int i = 0; i < 12; ++i) answer(kWwwA, static_cast<std::uint16_t>(1000 + i), kServer, kForgedWww, 0, false,
                                        1'001'000 + i * 1000);
    ASSERT_EQ(sink_.alerts.size(), 1u);
    // The attacker guessed the id: the client takes the forged data.
    answer(kWwwA, 500, kServer, kForgedWww, 0, false, 1'020'000);
    ASSERT_EQ(sink_.alerts.size(), 2u);
    EXPECT_EQ(sink_.alerts[1].kind, "rrset_divergence");
    EXPECT_EQ(sink_.alerts[1].signals, (std::vector<std::string>{"rdata_outside_baseline", "txid_mismatch_burst"}));
}

TEST_F(QueryTrackingTest, NoSpoofingAttemptOnceTheForgedAnswerWasAccepted) {
    query(kWwwA, 500, kServer);
    answer(kWwwA, 500, kServer, kForgedWww);  // accepted first
    ASSERT_EQ(sink_.alerts.size(), 1u);
    for (int i = 0; i < 20; ++i) answer(kWwwA, static_cast<std::uint16_t>(1000 + i), kServer, kForgedWww, 0, false,
                                        1'002'000 + i * 1000);
    EXPECT_EQ(sink_.alerts.size(), 1u);  // the divergence already says it
    EXPECT_EQ(detector_->query_counters().bursts, 1u);
}

TEST_F(QueryTrackingTest, TheTableIsBoundedAndCountsEvictions) {
    detector_->configure_query_tracking(64, TxidBurstOptions{});
    for (int i = 0; i < 200; ++i) {
        query(kWwwA, static_cast<std::uint16_t>(i), kServer, 0, false, 1'000'000 + i);
    }
    const QueryTrackerCounters& c = detector_->query_counters();
    EXPECT_EQ(c.queries, 200u);
    EXPECT_GE(c.evicted, 200u - 64u);
    // The latest query is still there to be matched.
    answer(kWwwA, 199, kServer, kTrueWww, 0, false, 1'001'000);
    EXPECT_EQ(c.matched, 1u);
}

// The burst table is bounded and its hash seed is random per tracker, so
// that nobody outside can plan which names share a slot. While the table has
// room, that sharing must change nothing: otherwise a burst is forgotten by
// one tracker and kept by another, and `replay` and a sharded `run` (each
// shard has its own tracker), or two replays, disagree about
// txid_mismatch_burst. Here, per tracker: one burst and three more (name,
// server) pairs, as the scenarios have (matched divergent answers mark their
// pair); each tracker draws a fresh seed.
TEST(QueryTrackerBursts, ABurstOutlivesOtherNamesWhateverTheHashSeed) {
    static_assert(QueryTracker::kBurstWays >= 4, "four pairs must fit in one bucket");
    const IpAddress server = address(kServer);
    const DnsName www = *DnsName::from_text("www.victim.test");
    const DnsName mail = *DnsName::from_text("mail.victim.test");
    const DnsName apex = *DnsName::from_text("victim.test");
    for (int t = 0; t < 2000; ++t) {
        QueryTracker tracker(64, TxidBurstOptions{3, 1'000'000});
        for (int i = 0; i < 3; ++i) tracker.count_unsolicited(www, server, 1'000'000 + i);
        ASSERT_TRUE(tracker.burst(www, server, 1'000'010).active);
        tracker.mark_poisoned(mail, server, 1'000'020);
        tracker.mark_poisoned(apex, server, 1'000'030);
        tracker.mark_poisoned(www, address(kResolver), 1'000'040);
        ASSERT_TRUE(tracker.burst(www, server, 1'000'050).active)
            << "tracker " << t << ": another name took the burst's slot over";
        EXPECT_TRUE(tracker.burst(mail, server, 1'000'050).poisoned);
    }
}

TEST_F(QueryTrackingTest, TheBurstIsConfiguredUnderDetectAndBadValuesAreRejectedWithTheirPosition) {
    const std::string head = "watch:\n  zones:\n    - name: victim.test\n      zone_file: victim.test.zone\n";
    std::ofstream(dir_ / "ok.yaml") << head
                                    << "detect:\n  outstanding_queries: 4096\n  txid_burst:\n    count: 25\n"
                                       "    window: 2s\n";
    const Config config = load_config((dir_ / "ok.yaml").string());
    EXPECT_EQ(config.detect.outstanding_queries, 4096);
    EXPECT_EQ(config.detect.txid_burst_count, 25);
    EXPECT_EQ(config.detect.txid_burst_window_ms, 2000);
    const Config defaults = [&] {
        std::ofstream(dir_ / "defaults.yaml") << head;
        return load_config((dir_ / "defaults.yaml").string());
    }();
    EXPECT_EQ(defaults.detect.txid_burst_count, 10);
    EXPECT_EQ(defaults.detect.txid_burst_window_ms, 1000);

    std::ofstream(dir_ / "bad.yaml") << head << "detect:\n  txid_burst:\n    count: 0\n    window: soon\n";
    try {
        load_config((dir_ / "bad.yaml").string());
        ADD_FAILURE() << "a burst of 0 and a window of 'soon' were accepted";
    } catch (const ConfigError& e) {
        ASSERT_EQ(e.issues().size(), 2u);
        EXPECT_EQ(e.issues()[0].line, 7);
        EXPECT_EQ(e.issues()[0].column, 12);
        EXPECT_NE(e.issues()[0].message.find("detect.txid_burst.count"), std::string::npos) << e.issues()[0].message;
        EXPECT_EQ(e.issues()[1].line, 8);
        EXPECT_NE(e.issues()[1].message.find("duration"), std::string::npos) << e.issues()[1].message;
    }
}

TEST_F(QueryTrackingTest, ReplayTakesTheBurstThresholdFromTheConfig) {
    // The txid-flood scenario: 50 forged answers. A threshold above 50 sees
    // no burst; at 50 the alert opens at the last of them.
    const std::filesystem::path scenario = std::filesystem::path(DNSWATCH_SOURCE_DIR) / "scenarios" / "txid-flood";
    std::filesystem::copy_file(scenario / "victim.test.zone", dir_ / "victim.test.zone",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(scenario / "test.zone", dir_ / "test.zone");
    auto replay = [&](int count) {
        std::ofstream(dir_ / "dnswatch.yaml") << "watch:\n  zones:\n    - name: victim.test\n"
                                                 "      zone_file: victim.test.zone\nbaseline:\n"
                                                 "  zone_files: [test.zone]\ndetect:\n  txid_burst:\n    count: "
                                              << count << "\n";
        return test::run_command({DNSWATCH_BINARY, "replay", "--config", (dir_ / "dnswatch.yaml").string(),
                                  (scenario / "capture.pcap").string()},
                                 dir_);
    };
    const test::CommandResult quiet = replay(51);
    ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
    EXPECT_EQ(quiet.out, "");
    EXPECT_NE(quiet.err.find("unsolicited=50"), std::string::npos) << quiet.err;
    EXPECT_NE(quiet.err.find("bursts=0"), std::string::npos) << quiet.err;
    const test::CommandResult loud = replay(50);
    ASSERT_EQ(loud.exit_code, 0) << loud.err;
    EXPECT_NE(loud.out.find("\"kind\":\"spoofing_attempt\""), std::string::npos) << loud.out;
    EXPECT_NE(loud.err.find("bursts=1"), std::string::npos) << loud.err;
}

}  // namespace
}  // namespace dnswatch
