// detect/incident_correlator: alerts grouped into incidents by zone, time
// and what they share; the records handed on (each alert with its
// incident_id, then the incident when it changed); the title; state across
// a restart. The replayed captures are in tests/scenarios (expected.json's
// "incidents") and tests/consumers.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "detect/incident_correlator.h"

namespace dnswatch {
namespace {

constexpr std::int64_t kMinute = 60LL * 1000000;
constexpr std::int64_t kStart = 1773820800LL * 1000000;  // 2026-03-18T08:00:00Z

class Recording : public AlertSink {
public:
    void publish(const Alert& alert) override { alerts.push_back(alert); }
    void publish_incident(const Incident& incident) override { incidents.push_back(incident); }
    std::vector<Alert> alerts;
    std::vector<Incident> incidents;
};

Alert alert(const std::string& id, const std::string& name, const std::string& rrtype, const std::string& role,
            const std::string& server, std::vector<std::string> observed, std::int64_t at,
            AlertState state = AlertState::open, Severity severity = Severity::high) {
    Alert a;
    a.id = id;
    a.sensor = "s1";
    a.kind = role == "resolver" ? "resolver_divergence" : "rrset_divergence";
    a.severity = severity;
    a.state = state;
    a.zone = "victim.test";
    a.name = name;
    a.rrtype = rrtype;
    a.observed = std::move(observed);
    a.first_seen_us = a.last_seen_us = at;
    a.signals = {"rdata_outside_baseline"};
    a.vantage = {role, server, "127.0.0.100"};
    return a;
}

TEST(IncidentCorrelator, OneChangeSeenAtTheAuthorityAndTwoResolversIsOneIncident) {
    Recording out;
    IncidentCorrelator correlator({}, "s1", out);
    correlator.publish(alert("a1", "www.victim.test", "A", "authoritative", "127.0.0.11", {"203.0.113.66"}, kStart));
    correlator.publish(alert("a2", "www.victim.test", "A", "resolver", "127.0.0.53", {"203.0.113.66"}, kStart + kMinute));
    correlator.publish(alert("a3", "www.victim.test", "A", "resolver", "127.0.0.54", {"203.0.113.66"}, kStart + 2 * kMinute));

    ASSERT_EQ(out.alerts.size(), 3u);
    ASSERT_EQ(out.incidents.size(), 3u);  // opened, then each member that joined
    const Incident& last = out.incidents.back();
    for (const Alert& a : out.alerts) EXPECT_EQ(a.incident_id, last.id);
    EXPECT_EQ(last.id.size(), 16u);
    EXPECT_EQ(last.members, (std::vector<std::string>{"a1", "a2", "a3"}));
    EXPECT_EQ(last.state, AlertState::open);
    EXPECT_EQ(last.severity, Severity::high);
    EXPECT_EQ(last.first_seen_us, kStart);
    EXPECT_EQ(last.last_seen_us, kStart + 2 * kMinute);
    EXPECT_EQ(last.vantages.size(), 3u);
    EXPECT_EQ(last.title, "victim.test: www pointed at 203.0.113.66");
    EXPECT_EQ(correlator.counters().opened, 1u);
    EXPECT_EQ(correlator.counters().joined, 2u);
}

TEST(IncidentCorrelator, TheDelegationAndTheAttackersServerTieTheHijackTogether) {
    Recording out;
    IncidentCorrelator correlator({}, "s1", out);
    const std::vector<std::string> rogue = {"ns1.victim-dns.example.", "ns2.victim-dns.example."};
    // The parent's referral shows the new NS set; the attacker's server shows
    // it too (the NS set ties them), then answers www and mail (same server).
    Alert referral = alert("ns-parent", "victim.test", "NS", "referral", "127.0.0.10", rogue, kStart, AlertState::open,
                           Severity::critical);
    correlator.publish(referral);
    correlator.publish(alert("ns-rogue", "victim.test", "NS", "authoritative", "127.0.0.66", rogue, kStart + 1));
    correlator.publish(alert("www", "www.victim.test", "A", "authoritative", "127.0.0.66", {"203.0.113.66"}, kStart + 2));
    correlator.publish(alert("mail", "mail.victim.test", "A", "authoritative", "127.0.0.66", {"203.0.113.66"}, kStart + 3));
    // 47 minutes later the parent serves the true delegation again.
    referral.state = AlertState::reverted;
    referral.last_seen_us = kStart + 47 * kMinute;
    referral.signals.push_back("short_lived");
    correlator.publish(referral);

    const Incident& last = out.incidents.back();
    EXPECT_EQ(correlator.incidents(), 1u);
    EXPECT_EQ(last.members.size(), 4u);
    EXPECT_EQ(last.severity, Severity::critical);
    EXPECT_EQ(last.state, AlertState::open);  // the attacker's answers were never seen reverted
    EXPECT_EQ(last.title,
              "victim.test delegated to ns1.victim-dns.example and ns2.victim-dns.example for 47 min, then restored; "
              "www and mail pointed at 203.0.113.66");
    EXPECT_EQ(last.signals, (std::vector<std::string>{"rdata_outside_baseline", "short_lived"}));
}

TEST(IncidentCorrelator, UnrelatedOrDistantAlertsOpenIncidentsOfTheirOwn) {
    Recording out;
    IncidentCorrelator correlator({}, "s1", out);
    Alert first = alert("a1", "www.victim.test", "A", "authoritative", "127.0.0.11", {"203.0.113.66"}, kStart,
                        AlertState::reverted);
    correlator.publish(first);
    // Nothing shared: another server, another address.
    correlator.publish(alert("a2", "mail.victim.test", "A", "authoritative", "127.0.0.12", {"198.51.100.7"}, kStart + 1));
    // The same address, but another zone.
    Alert elsewhere = alert("a3", "www.other.test", "A", "authoritative", "127.0.0.11", {"203.0.113.66"}, kStart + 2);
    elsewhere.zone = "other.test";
    correlator.publish(elsewhere);
    // The same server and address, but a day after the first closed.
    correlator.publish(alert("a4", "www.victim.test", "A", "authoritative", "127.0.0.11", {"203.0.113.66"},
                             kStart + 24 * 60 * kMinute));
    ASSERT_EQ(out.alerts.size(), 4u);
    EXPECT_NE(out.alerts[0].incident_id, out.alerts[1].incident_id);
    EXPECT_NE(out.alerts[0].incident_id, out.alerts[2].incident_id);
    EXPECT_NE(out.alerts[0].incident_id, out.alerts[3].incident_id);
    EXPECT_EQ(correlator.counters().opened, 4u);
    EXPECT_EQ(correlator.counters().expired, 1u);  // the first, a day old and closed, was forgotten
}

TEST(IncidentCorrelator, AChangeRecordTiesTheRegistrysAlertsAndTheWireAlertItExplains) {
    Recording out;
    IncidentCorrelator correlator({}, "s1", out);
    BaselineChange change;
    change.seq = 41;
    change.zone = "victim.test";
    change.name = "www.victim.test";
    change.rrtype = "A";
    change.after = {"203.0.113.66"};
    correlator.change_observer().publish_change(change);

    Alert registry = alert("c1", "www.victim.test", "A", "baseline", "", {"198.51.100.1"}, kStart);
    registry.kind = "suspicious_change";
    registry.changes = {41};
    correlator.publish(registry);
    // A resolver still answering what the change brought: tied by seq 41,
    // although no rdata or server is shared with the registry's alert.
    correlator.publish(alert("w1", "www.victim.test", "A", "resolver", "127.0.0.53", {"203.0.113.66"}, kStart + 1));
    EXPECT_EQ(out.alerts[0].incident_id, out.alerts[1].incident_id);
    EXPECT_EQ(correlator.incidents(), 1u);
}

TEST(IncidentCorrelator, StateIsTheWorstOfItsMembersAndUpdatesAreEmittedOnlyWhenSomethingChanged) {
    Recording out;
    IncidentCorrelator correlator({}, "s1", out);
    Alert a = alert("a1", "mail.victim.test", "A", "authoritative", "127.0.0.11", {"203.0.113.25"}, kStart);
    Alert b = alert("a2", "mail.victim.test", "A", "authoritative", "127.0.0.12", {"203.0.113.25"}, kStart + 1);
    correlator.publish(a);
    correlator.publish(b);
    a.state = AlertState::reverted;
    a.last_seen_us = kStart + 120 * kMinute;
    correlator.publish(a);
    EXPECT_EQ(out.incidents.back().state, AlertState::open);  // b is still open
    b.state = AlertState::accepted;
    b.last_seen_us = kStart + 121 * kMinute;
    correlator.publish(b);
    EXPECT_EQ(out.incidents.back().state, AlertState::reverted);  // reverted is worse than accepted
    EXPECT_EQ(out.incidents.back().title, "victim.test: mail pointed at 203.0.113.25 for 2 h 1 min, then restored");
    const std::size_t emitted = out.incidents.size();
    correlator.publish(b);  // the same record again: nothing of the incident changed
    EXPECT_EQ(out.incidents.size(), emitted);
    EXPECT_EQ(out.alerts.size(), 5u);
}

TEST(IncidentCorrelator, IncidentsSurviveARestart) {
    // What a restart rebuilds from the store (tests/publish/
    // incident_rebuild_test.cc shows the store gives back this state).
    Recording before;
    std::string id;
    std::vector<IncidentState> saved;
    {
        IncidentCorrelator correlator({}, "s1", before);
        correlator.publish(alert("a1", "www.victim.test", "A", "authoritative", "127.0.0.11", {"203.0.113.66"}, kStart));
        correlator.flush();
        id = before.alerts[0].incident_id;
        saved = correlator.export_state();
    }
    ASSERT_EQ(saved.size(), 1u);
    EXPECT_EQ(saved[0].incident.id, id);
    for (IncidentState& state : saved) state.ties.clear();  // not stored: computed again from the members

    // Restarted: the open alert reverts, and a resolver sees the change.
    Recording after;
    IncidentCorrelator correlator({}, "s1", after);
    correlator.import_state(saved);
    Alert reverted = alert("a1", "www.victim.test", "A", "authoritative", "127.0.0.11", {"203.0.113.66"}, kStart,
                           AlertState::reverted);
    reverted.last_seen_us = kStart + 10 * kMinute;
    correlator.publish(reverted);
    correlator.publish(alert("a2", "www.victim.test", "A", "resolver", "127.0.0.53", {"203.0.113.66"}, kStart + kMinute));
    EXPECT_EQ(after.alerts[0].incident_id, id);
    EXPECT_EQ(after.alerts[1].incident_id, id);
    EXPECT_EQ(after.incidents.back().members, (std::vector<std::string>{"a1", "a2"}));
}

TEST(IncidentCorrelator, MemoryIsBoundedAndEvictionsAreCounted) {
    Recording out;
    IncidentOptions options;
    options.max_incidents = 2;
    IncidentCorrelator correlator(options, "s1", out);
    for (int i = 0; i < 5; ++i) {
        correlator.publish(alert("a" + std::to_string(i), "n" + std::to_string(i) + ".victim.test", "A", "authoritative",
                                 "127.0.0." + std::to_string(20 + i), {"198.51.100." + std::to_string(i)}, kStart + i));
    }
    EXPECT_EQ(correlator.incidents(), 2u);
    EXPECT_EQ(correlator.counters().evicted, 3u);
}

}  // namespace
}  // namespace dnswatch
