#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "decode/ldns_glue.h"
#include "detect/detector.h"
#include "publish/alert_json.h"
#include "publish/evidence_pcap.h"
#include "publish/open_alert_file.h"
#include "tests/detect/detector_harness.h"
#include "tests/support/message_builder.h"
#include "tests/support/scratch_dir.h"

namespace dnswatch {
namespace {

// Collects what the detector emits.
using test::RecordingSink;

constexpr const char* kVictimZone = R"(
$TTL 3600
@       SOA  ns1 hostmaster 2026031401 3600 900 604800 300
@       NS   ns1
@       NS   ns2
@       MX   10 mail
ns1     A    192.0.2.1
ns2     A    192.0.2.2
www     A    192.0.2.10
www     A    192.0.2.11
mail    A    192.0.2.25
*.dyn   A    192.0.2.99
sub     NS   ns.sub
ns.sub  A    192.0.2.53
)";

constexpr const char* kParentZone = R"(
$ORIGIN test.
$TTL 86400
@            SOA  a.nic hostmaster 1 3600 900 604800 300
@            NS   a.nic
a.nic        A    192.0.2.200
victim       NS   ns1.victim
victim       NS   ns2.victim
ns1.victim   A    192.0.2.1
ns2.victim   A    192.0.2.2
other        NS   ns.other
)";

class DetectorTest : public test::DetectorFixture {
protected:
    void SetUp() override {
        start_detector("detector", {{"victim.test.zone", kVictimZone, "victim.test."}, {"test.zone", kParentZone, {}}});
    }

    // Feeds one response from `server` at time `time_us`.
    void feed(const test::MessageSpec& spec, const char* server = "192.0.2.1", std::int64_t time_us = 1'000'000) {
        test::deliver_response(*detector_, decoder_, wire_, spec, server, time_us, ++frame_);
    }

    static test::MessageSpec answer(const std::string& question, std::vector<std::string> records) {
        test::MessageSpec spec;
        spec.question = question;
        spec.answer = std::move(records);
        return spec;
    }

};

TEST_F(DetectorTest, BaselineAnswersRaiseNothing) {
    feed(answer("victim.test. IN NS", {"victim.test. 3600 IN NS ns1.victim.test.",
                                       "victim.test. 3600 IN NS ns2.victim.test."}));
    feed(answer("www.victim.test. IN A", {"www.victim.test. 3600 IN A 192.0.2.10",
                                          "www.victim.test. 3600 IN A 192.0.2.11"}));
    EXPECT_TRUE(sink_.alerts.empty());
    EXPECT_EQ(detector_->counters().observations, 2u);
}

// Issue 5's records beyond NS/A/DS: the mail host's DANE TLSA (RFC 7672),
// the MTA-STS policy TXT (RFC 8461), CAA, AAAA, MX and DNSKEY each alert
// when they change, and stay silent when they do not.
TEST_F(DetectorTest, MailSecurityAndKeyRecordsDivergeLikeAnyOther) {
    std::ofstream(dir_ / "extra.zone") << R"(
$ORIGIN victim.test.
$TTL 3600
_25._tcp.mail  TLSA  3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
@              CAA   0 issue "letsencrypt.org"
_mta-sts       TXT   "v=STSv1; id=20260314T000000"
www            AAAA  2001:db8::10
@              DNSKEY 257 3 13 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==
)";
    baseline_.add_zone_records(read_zone_file((dir_ / "extra.zone").string(), std::nullopt), watch_);
    detector_ = std::make_unique<Detector>(watch_, baseline_, "test-sensor", sink_);
    const struct {
        const char* question;
        const char* truth;
        const char* forged;
        const char* type;
    } cases[] = {
        {"_25._tcp.mail.victim.test. IN TLSA",
         "_25._tcp.mail.victim.test. 3600 IN TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
         "_25._tcp.mail.victim.test. 3600 IN TLSA 3 1 1 ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
         "TLSA"},
        {"victim.test. IN CAA", "victim.test. 3600 IN CAA 0 issue \"letsencrypt.org\"",
         "victim.test. 3600 IN CAA 0 issue \"attacker-ca.example\"", "CAA"},
        {"_mta-sts.victim.test. IN TXT", "_mta-sts.victim.test. 3600 IN TXT \"v=STSv1; id=20260314T000000\"",
         "_mta-sts.victim.test. 3600 IN TXT \"v=STSv1; id=20260401T000000\"", "TXT"},
        {"www.victim.test. IN AAAA", "www.victim.test. 3600 IN AAAA 2001:db8::10",
         "www.victim.test. 3600 IN AAAA 2001:db8:bad::66", "AAAA"},
        {"victim.test. IN MX", "victim.test. 3600 IN MX 10 mail.victim.test.",
         "victim.test. 3600 IN MX 10 mx.attacker.example.", "MX"},
        {"victim.test. IN DNSKEY", "victim.test. 3600 IN DNSKEY 257 3 13 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==",
         "victim.test. 3600 IN DNSKEY 257 3 13 AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/QA==", "DNSKEY"},
    };
    for (const auto& c : cases) {
        feed(answer(c.question, {c.truth}));
        EXPECT_TRUE(sink_.alerts.empty()) << c.type << ": " << sink_.alerts.front().kind;
        feed(answer(c.question, {c.forged}));
        ASSERT_EQ(sink_.alerts.size(), 1u) << c.type;
        EXPECT_EQ(sink_.alerts.front().kind, "rrset_divergence") << c.type;
        EXPECT_EQ(sink_.alerts.front().rrtype, c.type);
        EXPECT_EQ(sink_.alerts.front().state, AlertState::open) << c.type;
        sink_.alerts.clear();
    }
}

TEST_F(DetectorTest, TtlOnlyAndSerialOnlyChangesNeverDiverge) {
    feed(answer("victim.test. IN NS", {"victim.test. 5 IN NS ns1.victim.test.", "victim.test. 5 IN NS ns2.victim.test."}));
    feed(answer("victim.test. IN SOA",
                {"victim.test. 300 IN SOA ns1.victim.test. hostmaster.victim.test. 2026112901 3600 900 604800 300"}));
    EXPECT_TRUE(sink_.alerts.empty());
    // Any other SOA field does.
    feed(answer("victim.test. IN SOA",
                {"victim.test. 300 IN SOA ns1.evil.example. hostmaster.victim.test. 2026112901 3600 900 604800 300"}));
    ASSERT_EQ(sink_.alerts.size(), 1u);
    EXPECT_EQ(sink_.alerts[0].rrtype, "SOA");
}

TEST_F(DetectorTest, SubsetsOfAnAddressPoolAndCaseOrCompressionNeverDiverge) {
    feed(answer("www.victim.test. IN A", {"www.victim.test. 60 IN A 192.0.2.11"}));
    feed(answer("victim.test. IN MX", {"Victim.TEST. 60 IN MX 10 MAIL.victim.TEST."}));
    EXPECT_TRUE(sink_.alerts.empty());
}

TEST_F(DetectorTest, NsOutsideThePoolOpensOneAlertWithEveryField) {
    feed(answer("victim.test. IN NS", {"victim.test. 3600 IN NS ns1.victim.test.",
                                       "victim.test. 3600 IN NS ns1.attacker.example."}),
         "203.0.113.66", 1'700'000'000'123'456);
    ASSERT_EQ(sink_.alerts.size(), 1u);
    const Alert& a = sink_.alerts[0];
    EXPECT_EQ(a.id.size(), 16u);
    EXPECT_EQ(a.seq, 1u);
    EXPECT_EQ(a.sensor, "test-sensor");
    EXPECT_EQ(a.kind, "rrset_divergence");
    EXPECT_EQ(a.severity, Severity::critical);
    EXPECT_EQ(a.state, AlertState::open);
    EXPECT_EQ(a.zone, "victim.test");
    EXPECT_EQ(a.name, "victim.test");
    EXPECT_EQ(a.rrtype, "NS");
    EXPECT_EQ(a.baseline, (std::vector<std::string>{"ns1.victim.test.", "ns2.victim.test."}));
    EXPECT_EQ(a.observed, (std::vector<std::string>{"ns1.attacker.example.", "ns1.victim.test."}));
    EXPECT_EQ(a.first_seen_us, 1'700'000'000'123'456);
    EXPECT_EQ(a.last_seen_us, a.first_seen_us);
    // 203.0.113.66 is none of the zone's name servers (192.0.2.1, 192.0.2.2).
    EXPECT_EQ(a.signals, (std::vector<std::string>{"rdata_outside_baseline", "unexpected_server"}));
    EXPECT_EQ(a.vantage.role, "authoritative");
    EXPECT_EQ(a.vantage.server, "203.0.113.66");
    EXPECT_EQ(a.vantage.client, "198.51.100.7");
    EXPECT_EQ(a.evidence.source, "unit.pcap");
    EXPECT_EQ(a.evidence.frame, 1u);
    EXPECT_EQ(a.evidence.dns_id, 0x1234);
    EXPECT_EQ(a.evidence.qname, "victim.test");
    EXPECT_EQ(a.evidence.qtype, "NS");
    EXPECT_EQ(a.evidence.section, "answer");
}

TEST_F(DetectorTest, TheOpeningPacketIsKeptAsEvidence) {
    PcapEvidenceWriter writer((dir_ / "evidence").string());
    detector_->set_evidence_recorder(&writer);
    feed(answer("victim.test. IN NS", {"victim.test. 300 IN NS ns1.attacker.example."}), "203.0.113.66");
    feed(answer("victim.test. IN NS", {"victim.test. 300 IN NS ns2.attacker.example."}), "203.0.113.66");
    ASSERT_EQ(sink_.alerts.size(), 2u);
    EXPECT_EQ(sink_.alerts[0].evidence.pcap, (dir_ / "evidence" / (sink_.alerts[0].id + ".pcap")).string());
    EXPECT_TRUE(std::filesystem::exists(sink_.alerts[0].evidence.pcap));
    EXPECT_EQ(sink_.alerts[1].evidence.pcap, sink_.alerts[0].evidence.pcap);  // one file per alert
    EXPECT_EQ(writer.written(), 1u);
}

TEST_F(DetectorTest, LifecycleOpenUpdateRevertKeepsTheId) {
    const auto hijacked = answer("victim.test. IN NS", {"victim.test. 300 IN NS ns1.attacker.example."});
    feed(hijacked, "203.0.113.66", 1'000'000);
    feed(hijacked, "203.0.113.66", 2'000'000);  // same divergence: nothing new to say
    ASSERT_EQ(sink_.alerts.size(), 1u);
    feed(answer("victim.test. IN NS", {"victim.test. 300 IN NS ns2.attacker.example."}), "203.0.113.66", 3'000'000);
    ASSERT_EQ(sink_.alerts.size(), 2u);  // more divergent rdata: an update
    EXPECT_EQ(sink_.alerts[1].id, sink_.alerts[0].id);
    EXPECT_EQ(sink_.alerts[1].seq, 2u);
    EXPECT_EQ(sink_.alerts[1].observed,
              (std::vector<std::string>{"ns1.attacker.example.", "ns2.attacker.example."}));
    // Another server's true answer does not revert this server's alert.
    feed(answer("victim.test. IN NS", {"victim.test. 300 IN NS ns1.victim.test."}), "192.0.2.2", 4'000'000);
    ASSERT_EQ(sink_.alerts.size(), 2u);
    // The same server back on the baseline: reverted, short-lived.
    feed(answer("victim.test. IN NS", {"victim.test. 300 IN NS ns1.victim.test.", "victim.test. 300 IN NS ns2.victim.test."}),
         "203.0.113.66", 2'821'000'000);
    ASSERT_EQ(sink_.alerts.size(), 3u);
    const Alert& reverted = sink_.alerts[2];
    EXPECT_EQ(reverted.id, sink_.alerts[0].id);
    EXPECT_EQ(reverted.seq, 3u);
    EXPECT_EQ(reverted.state, AlertState::reverted);
    EXPECT_EQ(reverted.first_seen_us, 1'000'000);
    EXPECT_EQ(reverted.last_seen_us, 2'821'000'000);
    EXPECT_DOUBLE_EQ(reverted.duration_s(), 2820.0);
    EXPECT_EQ(reverted.signals.back(), "short_lived");
    EXPECT_EQ(detector_->open_alerts(), 0u);
    // A later divergence is a new alert with a new id.
    feed(hijacked, "203.0.113.66", 9'000'000'000);
    ASSERT_EQ(sink_.alerts.size(), 4u);
    EXPECT_NE(sink_.alerts[3].id, sink_.alerts[0].id);
    EXPECT_EQ(sink_.alerts[3].state, AlertState::open);
}

TEST_F(DetectorTest, ParentReferralAndGlueAreObservationsOfTheDelegation) {
    test::MessageSpec referral;
    referral.aa = false;
    referral.question = "www.victim.test. IN A";
    referral.authority = {"victim.test. 86400 IN NS ns1.victim.test.", "victim.test. 86400 IN NS ns2.victim.test."};
    referral.additional = {"ns1.victim.test. 86400 IN A 192.0.2.1", "ns2.victim.test. 86400 IN A 192.0.2.2"};
    feed(referral, "192.0.2.200");
    EXPECT_TRUE(sink_.alerts.empty());
    // Glue re-pointed at the parent: the NS names are unchanged, their address is not.
    referral.additional = {"ns1.victim.test. 86400 IN A 203.0.113.66", "ns2.victim.test. 86400 IN A 192.0.2.2"};
    feed(referral, "192.0.2.200");
    ASSERT_EQ(sink_.alerts.size(), 1u);
    const Alert& glue = sink_.alerts[0];
    EXPECT_EQ(glue.name, "ns1.victim.test");
    EXPECT_EQ(glue.rrtype, "A");
    EXPECT_EQ(glue.vantage.role, "referral");
    EXPECT_EQ(glue.evidence.section, "additional");
    EXPECT_EQ(glue.observed, (std::vector<std::string>{"203.0.113.66"}));
    // The delegation itself moved.
    referral.authority = {"victim.test. 86400 IN NS ns1.victim-dns.example."};
    referral.additional.clear();
    feed(referral, "192.0.2.200");
    ASSERT_EQ(sink_.alerts.size(), 2u);
    EXPECT_EQ(sink_.alerts[1].rrtype, "NS");
    EXPECT_EQ(sink_.alerts[1].evidence.section, "authority");
    EXPECT_EQ(sink_.alerts[1].signals,
              (std::vector<std::string>{"rdata_outside_baseline", "delegation_changed"}));
}

TEST_F(DetectorTest, RRsetsTheZoneDoesNotHoldAreUnexpected) {
    feed(answer("www.victim.test. IN CNAME", {"www.victim.test. 300 IN CNAME www.evil.example."}));
    ASSERT_EQ(sink_.alerts.size(), 1u);
    EXPECT_EQ(sink_.alerts[0].kind, "unexpected_rrset");
    EXPECT_EQ(sink_.alerts[0].severity, Severity::medium);  // a CNAME weighs medium; nothing corroborates it
    EXPECT_TRUE(sink_.alerts[0].baseline.empty());
    EXPECT_EQ(sink_.alerts[0].signals, (std::vector<std::string>{"rrset_not_in_baseline"}));
}

TEST_F(DetectorTest, WildcardsAndDelegatedSubzonesAreRespected) {
    feed(answer("host1.dyn.victim.test. IN A", {"host1.dyn.victim.test. 60 IN A 192.0.2.99"}));
    EXPECT_TRUE(sink_.alerts.empty());
    feed(answer("host1.dyn.victim.test. IN A", {"host1.dyn.victim.test. 60 IN A 192.0.2.98"}));
    EXPECT_EQ(sink_.alerts.size(), 1u);
    // Below the sub.victim.test delegation the child answers for itself.
    feed(answer("www.sub.victim.test. IN A", {"www.sub.victim.test. 60 IN A 198.51.100.1"}));
    EXPECT_EQ(sink_.alerts.size(), 1u);
    EXPECT_EQ(detector_->counters().not_judged, 1u);
    // But its glue in the baseline is still judged.
    feed(answer("ns.sub.victim.test. IN A", {"ns.sub.victim.test. 60 IN A 198.51.100.53"}));
    EXPECT_EQ(sink_.alerts.size(), 2u);
}

TEST_F(DetectorTest, UnwatchedNamesErrorsAndQueriesAreIgnored) {
    feed(answer("evilvictim.test. IN NS", {"evilvictim.test. 300 IN NS ns.evil.example."}));
    feed(answer("other.test. IN NS", {"other.test. 300 IN NS ns.elsewhere.example."}));
    test::MessageSpec servfail = answer("victim.test. IN NS", {"victim.test. 300 IN NS ns.evil.example."});
    servfail.rcode = 2;
    feed(servfail);
    test::MessageSpec query = answer("victim.test. IN NS", {});
    query.qr = false;
    feed(query);
    EXPECT_TRUE(sink_.alerts.empty());
}

TEST_F(DetectorTest, AuthoritativeTtlCollapseIsASignal) {
    feed(answer("www.victim.test. IN A", {"www.victim.test. 30 IN A 203.0.113.9"}), "192.0.2.1");
    ASSERT_EQ(sink_.alerts.size(), 1u);
    EXPECT_EQ(sink_.alerts[0].signals, (std::vector<std::string>{"rdata_outside_baseline", "ttl_collapse"}));
}

TEST_F(DetectorTest, AResolverAnsweringOutsideThePoolIsAResolverDivergence) {
    test::MessageSpec lie = answer("www.victim.test. IN A", {"www.victim.test. 300 IN A 203.0.113.80"});
    lie.ra = true;  // recursion available, and asked for (RD, set on the wire below)
    auto wire = test::build_message(lie);
    wire[2] |= 0x01;  // RD: the client asked for recursion
    DnsMessageView view;
    ASSERT_EQ(decoder_.decode(wire, view), MalformedKind::none);
    PacketView packet;
    packet.time_us = 5;
    DnsDatagram datagram;
    datagram.src.family = datagram.dst.family = 4;
    datagram.dns = wire;
    detector_->observe(view, MessageContext{&packet, &datagram, "unit.pcap"});
    ASSERT_EQ(sink_.alerts.size(), 1u);
    EXPECT_EQ(sink_.alerts[0].kind, "resolver_divergence");
    EXPECT_EQ(sink_.alerts[0].vantage.role, "resolver");
}

TEST_F(DetectorTest, ProvenAbsenceCountsOnlyFromTheZoneThatHoldsTheRRset) {
    // The baseline holds victim.test MX; a NODATA from the zone itself removes it.
    test::MessageSpec nodata;
    nodata.question = "victim.test. IN MX";
    nodata.authority = {"victim.test. 300 IN SOA ns1.victim.test. hostmaster.victim.test. 2 3600 900 604800 300"};
    feed(nodata, "192.0.2.1", 1'000'000);
    ASSERT_EQ(sink_.alerts.size(), 1u);
    EXPECT_EQ(sink_.alerts[0].kind, "rrset_removed");
    EXPECT_TRUE(sink_.alerts[0].observed.empty());
    EXPECT_EQ(sink_.alerts[0].signals, (std::vector<std::string>{"proven_absent"}));
    // A NODATA whose SOA is another zone's proves nothing here.
    nodata.question = "mail.victim.test. IN A";
    nodata.authority = {"test. 300 IN SOA a.nic.test. hostmaster.test. 2 3600 900 604800 300"};
    feed(nodata, "192.0.2.1");
    EXPECT_EQ(sink_.alerts.size(), 1u);
    // The MX is back: reverted.
    feed(answer("victim.test. IN MX", {"victim.test. 300 IN MX 10 mail.victim.test."}), "192.0.2.1", 2'000'000);
    ASSERT_EQ(sink_.alerts.size(), 2u);
    EXPECT_EQ(sink_.alerts[1].state, AlertState::reverted);
}

TEST_F(DetectorTest, OpenAlertsSurviveARestartAndRevertUnderTheSameId) {
    feed(answer("victim.test. IN NS", {"victim.test. 300 IN NS ns1.attacker.example."}), "203.0.113.66", 1'000'000);
    ASSERT_EQ(sink_.alerts.size(), 1u);
    EXPECT_TRUE(detector_->changed());
    const std::string path = (dir_ / "open-alerts.jsonl").string();
    save_open_alerts(path, detector_->export_open_alerts());
    EXPECT_FALSE(detector_->changed());

    // A new sensor process: same baseline, alerts loaded from the file.
    RecordingSink after;
    Detector restarted(watch_, baseline_, "test-sensor", after);
    restarted.import_open_alerts(load_open_alerts(path));
    EXPECT_EQ(restarted.open_alerts(), 1u);
    wire_ = test::build_message(answer("victim.test. IN NS", {"victim.test. 300 IN NS ns1.victim.test."}));
    DnsMessageView view;
    ASSERT_EQ(decoder_.decode(wire_, view), MalformedKind::none);
    PacketView packet;
    packet.time_us = 3'600'000'000;
    DnsDatagram datagram;
    datagram.src.family = datagram.dst.family = 4;
    inet_pton(AF_INET, "203.0.113.66", datagram.src.bytes.data());
    datagram.dns = wire_;
    restarted.observe(view, MessageContext{&packet, &datagram, "unit.pcap"});
    ASSERT_EQ(after.alerts.size(), 1u);
    EXPECT_EQ(after.alerts[0].id, sink_.alerts[0].id);
    EXPECT_EQ(after.alerts[0].state, AlertState::reverted);
    EXPECT_EQ(after.alerts[0].first_seen_us, 1'000'000);
    EXPECT_EQ(after.alerts[0].signals.back(), "short_lived");
}

TEST_F(DetectorTest, OpenAlertsAreBoundedAndEvictionsCounted) {
    Detector bounded(watch_, baseline_, "test-sensor", sink_, /*max_open_alerts=*/3);
    detector_.reset();
    for (int i = 0; i < 5; ++i) {
        wire_ = test::build_message(answer("www.victim.test. IN A", {"www.victim.test. 300 IN A 203.0.113.7"}));
        DnsMessageView view;
        ASSERT_EQ(decoder_.decode(wire_, view), MalformedKind::none);
        PacketView packet;
        packet.time_us = i + 1;
        DnsDatagram datagram;
        datagram.src.family = datagram.dst.family = 4;
        datagram.src.bytes[3] = static_cast<std::uint8_t>(i);  // a different server each time
        datagram.dns = wire_;
        bounded.observe(view, MessageContext{&packet, &datagram, "unit.pcap"});
    }
    EXPECT_EQ(bounded.open_alerts(), 3u);
    EXPECT_EQ(bounded.counters().alerts_evicted, 2u);
    EXPECT_EQ(bounded.counters().alerts_opened, 5u);
}

TEST_F(DetectorTest, TheBoundEvictsTheAlertSeenLeastRecentlyNotTheOldest) {
    // Three alerts open from three servers; the first one opened is seen
    // again, so the second is now the least recently seen. Packet times run
    // backwards here: eviction follows what the sensor saw last, in O(1),
    // not a scan for the smallest last_seen.
    Detector bounded(watch_, baseline_, "test-sensor", sink_, /*max_open_alerts=*/3);
    detector_.reset();
    const auto deliver = [&](const char* server, const char* address, std::int64_t time_us) {
        test::deliver_response(bounded, decoder_, wire_,
                               answer("www.victim.test. IN A", {std::string("www.victim.test. 300 IN A ") + address}),
                               server, time_us, ++frame_);
    };
    deliver("203.0.113.1", "203.0.113.7", 9'000'000);
    deliver("203.0.113.2", "203.0.113.7", 8'000'000);
    deliver("203.0.113.3", "203.0.113.7", 7'000'000);
    ASSERT_NE(bounded.least_recently_seen(), nullptr);
    EXPECT_EQ(bounded.least_recently_seen()->vantage.server, "203.0.113.1");
    deliver("203.0.113.1", "203.0.113.8", 6'000'000);  // seen again, with more rdata
    EXPECT_EQ(bounded.least_recently_seen()->vantage.server, "203.0.113.2");
    deliver("203.0.113.4", "203.0.113.7", 5'000'000);  // past the bound: .2 goes
    EXPECT_EQ(bounded.open_alerts(), 3u);
    EXPECT_EQ(bounded.counters().alerts_evicted, 1u);
    EXPECT_EQ(bounded.least_recently_seen()->vantage.server, "203.0.113.3");
    // .2's lifecycle is gone: its baseline answer reverts nothing, .1's does.
    const std::size_t before = sink_.alerts.size();
    test::deliver_response(bounded, decoder_, wire_,
                           answer("www.victim.test. IN A", {"www.victim.test. 300 IN A 192.0.2.10"}), "203.0.113.2",
                           10'000'000, ++frame_);
    EXPECT_EQ(sink_.alerts.size(), before);
    test::deliver_response(bounded, decoder_, wire_,
                           answer("www.victim.test. IN A", {"www.victim.test. 300 IN A 192.0.2.10"}), "203.0.113.1",
                           10'000'000, ++frame_);
    ASSERT_EQ(sink_.alerts.size(), before + 1);
    EXPECT_EQ(sink_.alerts.back().state, AlertState::reverted);
    EXPECT_EQ(bounded.open_alerts(), 2u);
}

TEST_F(DetectorTest, ForgedRdataFloodGivesBoundedOutput) {
    // 16,000 forged answers from one server, each with an address never seen
    // before: the alert lists the first max_observed_rdata, says it is
    // truncated, counts the rest, and is not re-sent for each of them.
    constexpr std::size_t kCap = 16;
    Detector bounded(watch_, baseline_, "test-sensor", sink_, 100000, kCap);
    detector_.reset();
    for (int i = 0; i < 16000; ++i) {
        const std::string address =
            "10." + std::to_string(i / 65536) + "." + std::to_string(i / 256 % 256) + "." + std::to_string(i % 256);
        test::deliver_response(bounded, decoder_, wire_,
                               answer("www.victim.test. IN A", {"www.victim.test. 300 IN A " + address}),
                               "192.0.2.1", 1'000'000 + i, ++frame_);
    }
    // Opened, updated once per new rdata up to the cap, once more on truncation.
    ASSERT_EQ(sink_.alerts.size(), kCap + 1);
    std::size_t bytes = 0;
    for (const Alert& alert : sink_.alerts) {
        EXPECT_LE(alert.observed.size(), kCap);
        bytes += to_json_line(alert).size();
    }
    EXPECT_LT(bytes, 64u * 1024);  // was 1.84 GB before the cap
    const Alert& last = sink_.alerts.back();
    EXPECT_TRUE(last.observed_truncated);
    EXPECT_EQ(last.observed.size(), kCap);
    EXPECT_EQ(last.observed_omitted, 1u);  // the one that truncated it; the rest are counted silently
    EXPECT_EQ(bounded.counters().observed_rdata_omitted, 16000u - kCap);
    const nlohmann::json json = nlohmann::json::parse(to_json_line(last));
    EXPECT_TRUE(json["truncated"].get<bool>());
    EXPECT_EQ(json["observed_omitted"].get<int>(), 1);

    // The count goes out with the next record of the alert: the revert.
    test::deliver_response(bounded, decoder_, wire_,
                           answer("www.victim.test. IN A", {"www.victim.test. 300 IN A 192.0.2.10"}), "192.0.2.1",
                           2'000'000'000, ++frame_);
    ASSERT_EQ(sink_.alerts.size(), kCap + 2);
    EXPECT_EQ(sink_.alerts.back().state, AlertState::reverted);
    EXPECT_EQ(sink_.alerts.back().observed_omitted, 16000u - kCap);
    EXPECT_EQ(alert_from_json(nlohmann::json::parse(to_json_line(sink_.alerts.back()))).observed_omitted,
              16000u - kCap);
}

TEST_F(DetectorTest, SignaturesAndOptAreNotJudged) {
    feed(answer("www.victim.test. IN A",
                {"www.victim.test. 300 IN A 192.0.2.10",
                 "www.victim.test. 300 IN RRSIG A 13 3 300 20261231000000 20261201000000 12345 victim.test. "
                 "dGVzdHNpZ25hdHVyZQ=="}));
    EXPECT_TRUE(sink_.alerts.empty());
}

}  // namespace
}  // namespace dnswatch
