// Incidents survive a restart through the store alone: a real AlertStore
// written by the real correlator and durable sink, closed, opened again;
// what the store's records give back (publish/incident_rebuild.h) carries
// the incidents on as if the sensor had never stopped.
#include "publish/incident_rebuild.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "detect/incident_correlator.h"
#include "publish/alert_store.h"
#include "tests/support/scratch_dir.h"

namespace dnswatch {
namespace {

constexpr std::int64_t kStart = 1'700'000'000'000'000;
constexpr std::int64_t kMinute = 60'000'000;

class Recording : public AlertSink {
public:
    void publish(const Alert& alert) override { alerts.push_back(alert); }
    void publish_incident(const Incident& incident) override { incidents.push_back(incident); }
    // Numbered change records go on to the correlator, as the sensor wires it.
    void publish_change(const BaselineChange& change) override {
        if (changes_to != nullptr) changes_to->publish_change(change);
    }
    std::vector<Alert> alerts;
    std::vector<Incident> incidents;
    AlertSink* changes_to = nullptr;
};

Alert alert(const std::string& id, const std::string& name, const std::string& role, const std::string& server,
            const std::string& observed, std::int64_t at, AlertState state = AlertState::open) {
    Alert a;
    a.id = id;
    a.sensor = "s1";
    a.kind = role == "resolver" ? "resolver_divergence" : "rrset_divergence";
    a.severity = Severity::high;
    a.state = state;
    a.zone = "victim.test";
    a.name = name;
    a.rrtype = "A";
    a.observed = {observed};
    a.first_seen_us = at;
    a.last_seen_us = at;
    a.signals = {"rdata_outside_baseline"};
    a.vantage = {role, server, "127.0.0.100"};
    return a;
}

// One run of the sensor's alert path over the store in `dir`: correlator ->
// durable sink -> store, the correlator started from what the store gives.
class SensorRun {
public:
    explicit SensorRun(const std::filesystem::path& dir, IncidentRebuild rebuild = IncidentRebuild())
        : rebuild_(std::move(rebuild)) {
        store_ = std::make_unique<AlertStore>(dir.string(), /*fsync=*/false, 1000, std::vector<OpenAlertState>{},
                                              [&](const nlohmann::json& record) { rebuild_.fold(record); });
        durable_ = std::make_unique<DurableAlertSink>(*store_, nullptr, out, 1);
        correlator_ = std::make_unique<IncidentCorrelator>(IncidentOptions{}, "s1", *durable_);
        correlator_->import_state(rebuild_.incidents(), rebuild_.changes());
        out.changes_to = &correlator_->change_observer();
    }
    ~SensorRun() {
        correlator_->flush();
        correlator_.reset();
        durable_.reset();
    }
    void publish(const Alert& a) { correlator_->publish(a); }
    void publish_change(const BaselineChange& change) { durable_->publish_change(change); }
    IncidentCorrelator& correlator() { return *correlator_; }
    Recording out;

private:
    IncidentRebuild rebuild_;
    std::unique_ptr<AlertStore> store_;
    std::unique_ptr<DurableAlertSink> durable_;
    std::unique_ptr<IncidentCorrelator> correlator_;
};

TEST(IncidentRebuild, AnIncidentCarriesOnAfterARestartFromTheStoreAlone) {
    const auto dir = test::scratch_dir("incident-rebuild");
    std::string id;
    {
        SensorRun first(dir);
        first.publish(alert("a1", "www.victim.test", "authoritative", "127.0.0.11", "203.0.113.66", kStart));
        ASSERT_EQ(first.out.incidents.size(), 1u);
        id = first.out.incidents[0].id;
    }
    EXPECT_FALSE(std::filesystem::exists(dir / "incidents.jsonl"));  // the store is the only state

    SensorRun second(dir);
    EXPECT_EQ(second.correlator().incidents(), 1u);
    // The authority's alert reverts and a resolver sees the change: both are
    // the incident of before, which now has two members.
    second.publish(alert("a1", "www.victim.test", "authoritative", "127.0.0.11", "203.0.113.66", kStart,
                         AlertState::reverted));
    second.publish(alert("a2", "www.victim.test", "resolver", "127.0.0.53", "203.0.113.66", kStart + kMinute));
    ASSERT_EQ(second.out.alerts.size(), 2u);
    EXPECT_EQ(second.out.alerts[0].incident_id, id);
    EXPECT_EQ(second.out.alerts[1].incident_id, id);
    ASSERT_FALSE(second.out.incidents.empty());
    EXPECT_EQ(second.out.incidents.back().id, id);
    EXPECT_EQ(second.out.incidents.back().members, (std::vector<std::string>{"a1", "a2"}));
    EXPECT_EQ(second.out.incidents.back().state, AlertState::open);  // a2 is still open
}

TEST(IncidentRebuild, AChangeRecordStillTiesAfterARestart) {
    const auto dir = test::scratch_dir("incident-rebuild");
    {
        SensorRun first(dir);  // the registry changed mail's address; nothing alerted yet
        BaselineChange change;
        change.sensor = "s1";
        change.zone = "victim.test";
        change.name = "mail.victim.test";
        change.rrtype = "A";
        change.type = 1;
        change.before = {"192.0.2.25"};
        change.after = {"203.0.113.25"};
        change.time_us = kStart;
        first.publish_change(change);
    }
    // Restarted: an answer on the wire with what the change brought, then
    // the change watcher's alert about change 1, which shares nothing else
    // with it (no rdata, no server): the change record, read back from the
    // store, ties them into one incident.
    SensorRun second(dir);
    second.publish(alert("w1", "mail.victim.test", "authoritative", "127.0.0.12", "203.0.113.25", kStart + kMinute));
    Alert suspicious = alert("c1", "mail.victim.test", "baseline", "", "", kStart + 2 * kMinute);
    suspicious.kind = "suspicious_change";
    suspicious.observed.clear();
    suspicious.changes = {1};
    second.publish(suspicious);
    ASSERT_EQ(second.out.alerts.size(), 2u);
    EXPECT_EQ(second.out.alerts[1].incident_id, second.out.alerts[0].incident_id);
}

TEST(IncidentRebuild, KeepsTheIncidentsTouchedLastWithinItsBound) {
    const auto dir = test::scratch_dir("incident-rebuild");
    {
        SensorRun first(dir);
        // Three unrelated incidents: other names, servers and addresses, hours apart.
        for (int i = 0; i < 3; ++i) {
            const std::string n = std::to_string(i);
            first.publish(alert("x" + n, "h" + n + ".victim.test", "authoritative", "127.0.1." + n, "198.51.100." + n,
                                kStart + i * 120 * kMinute, AlertState::reverted));
        }
        ASSERT_EQ(first.out.incidents.size(), 3u);
    }
    IncidentRebuild bounded(/*max_incidents=*/2);
    SensorRun second(dir, std::move(bounded));
    const std::vector<IncidentState> kept = second.correlator().export_state();
    ASSERT_EQ(kept.size(), 2u);
    EXPECT_EQ(kept[0].members.at(0).id, "x1");
    EXPECT_EQ(kept[1].members.at(0).id, "x2");
}

}  // namespace
}  // namespace dnswatch
