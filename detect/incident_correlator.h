// Groups alerts into incidents (dnswatch.incident/1): the correlation stage
// after detection, at the head of the alert path, so that every alert is
// numbered and stored already carrying its incident_id.
//
// An alert joins an incident of the same zone that overlaps it in time (one
// of its members still open, or the last seen within `gap`) and that it is
// tied to by something they share:
//   - the same observed rdata (an address, an NS host name: the NS set the
//     referral and the attacker's server both show),
//   - the same diverging server (the attacker's server answers every name),
//   - the same delegation change (the parent's referral that moved the
//     zone, signal delegation_changed, and the answers of servers that are
//     not the zone's, signal unexpected_server),
//   - the same change record of the baseline (change_watcher alerts carry
//     their seqs; a wire alert whose rdata is what a change brought is tied
//     to that change).
// Otherwise it opens an incident of its own. After each alert record the
// incident is emitted again (same id, new seq) when anything of it changed;
// consumers that notify people watch its state and severity.
//
// What is remembered is bounded (max_incidents, the least recently seen
// first out, counted); incidents whose members are all closed are forgotten
// `gap` after their last alert.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "baseline/baseline_change.h"
#include "detect/alert.h"
#include "detect/alert_sink.h"
#include "detect/incident.h"

namespace dnswatch {

struct IncidentOptions {
    // How long after its last alert an incident whose members are all closed
    // still takes new ones: a resolver's cache keeps serving the attacker's
    // data for up to a TTL after the authority is restored.
    std::int64_t gap_us = 3600LL * 1000000;
    std::size_t max_incidents = 10000;   // remembered at once
    std::size_t max_changes = 10000;     // recent change records remembered, to tie wire alerts to them
};

struct IncidentCounters {
    std::uint64_t opened = 0;     // incidents created
    std::uint64_t joined = 0;     // alerts that joined an existing incident
    std::uint64_t emitted = 0;    // incident records handed on
    std::uint64_t expired = 0;    // closed incidents forgotten after `gap`
    std::uint64_t evicted = 0;    // incidents forgotten to stay within max_incidents
};

class IncidentCorrelator : public AlertSink {
public:
    IncidentCorrelator(IncidentOptions options, std::string sensor, AlertSink& next);

    // Sets the alert's incident_id, hands the alert on, then the incident
    // when it changed.
    void publish(const Alert& alert) override;
    void publish_change(const BaselineChange& change) override { next_.publish_change(change); }
    void publish_incident(const Incident& incident) override { next_.publish_incident(incident); }
    void flush() override;

    // A change record as numbered by the store (the correlator sees changes
    // before they are numbered): add change_observer() to the sinks after
    // the store, ahead of the change watcher.
    AlertSink& change_observer() { return change_observer_; }

    // State across restarts, rebuilt from the store's records
    // (publish/incident_rebuild.h): the incidents remembered then, each with
    // its members' last records, the one touched least recently first, and
    // the change records before them, oldest first. Ties are computed anew.
    std::vector<IncidentState> export_state() const;
    void import_state(std::vector<IncidentState> incidents, const std::vector<BaselineChange>& changes = {});

    const IncidentCounters& counters() const { return counters_; }
    std::size_t incidents() const { return incidents_.size(); }

private:
    struct Tracked {
        IncidentState state;
        std::uint64_t touched = 0;  // order of the last alert, for eviction
    };
    class ChangeObserver : public AlertSink {
    public:
        explicit ChangeObserver(IncidentCorrelator& owner) : owner_(owner) {}
        void publish(const Alert&) override {}
        void publish_change(const BaselineChange& change) override { owner_.note_change(change); }

    private:
        IncidentCorrelator& owner_;
    };
    struct NotedChange {
        std::uint64_t seq;
        std::string zone, name, rrtype;
        std::vector<std::string> after;
    };

    void note_change(const BaselineChange& change);
    std::vector<std::string> ties_of(const Alert& alert) const;
    Tracked* find_incident(const Alert& alert, const std::vector<std::string>& ties);
    // Recomputes the record from the members; true when it differs from before.
    bool refresh(Tracked& tracked) const;
    void forget_stale(std::int64_t now_us);

    IncidentOptions options_;
    std::string sensor_;
    AlertSink& next_;
    ChangeObserver change_observer_{*this};
    std::unordered_map<std::string, Tracked> incidents_;       // by incident id
    std::unordered_map<std::string, std::string> incident_of_;  // alert id -> incident id
    std::deque<NotedChange> changes_;
    std::uint64_t clock_ = 0;
    IncidentCounters counters_;
};

// The one line a person reads first, made from the members' latest records
// (detect/incident_title.cc), e.g. "victim.test delegated to
// ns1.victim-dns.example for 47 min, then restored; www and mail pointed at
// 203.0.113.66".
std::string incident_title(const std::string& zone, const std::vector<Alert>& members);

}  // namespace dnswatch
