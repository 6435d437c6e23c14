#include "detect/incident_correlator.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>

namespace dnswatch {
namespace {

// Open is the worst: the hijack may still be on. Reverted is worse than
// accepted: it was real, if short.
int worseness(AlertState state) {
    switch (state) {
        case AlertState::open: return 2;
        case AlertState::reverted: return 1;
        case AlertState::accepted: return 0;
    }
    return 2;
}

std::string lower(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

bool intersects(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    // Both sorted.
    auto i = a.begin();
    auto j = b.begin();
    while (i != a.end() && j != b.end()) {
        if (*i < *j) {
            ++i;
        } else if (*j < *i) {
            ++j;
        } else {
            return true;
        }
    }
    return false;
}

bool any_open(const std::vector<Alert>& members) {
    return std::any_of(members.begin(), members.end(), [](const Alert& a) { return a.state == AlertState::open; });
}

}  // namespace

IncidentCorrelator::IncidentCorrelator(IncidentOptions options, std::string sensor, AlertSink& next)
    : options_(std::move(options)), sensor_(std::move(sensor)), next_(next) {
    options_.max_incidents = std::max<std::size_t>(options_.max_incidents, 1);
}

void IncidentCorrelator::note_change(const BaselineChange& change) {
    changes_.push_back({change.seq, change.zone, change.name, change.rrtype, change.after});
    while (changes_.size() > options_.max_changes) changes_.pop_front();
}

std::vector<std::string> IncidentCorrelator::ties_of(const Alert& alert) const {
    std::vector<std::string> ties;
    for (const std::string& rdata : alert.observed) ties.push_back("rdata " + alert.rrtype + " " + lower(rdata));
    // A change record's alerts have no server: the registry's data is theirs.
    if (!alert.vantage.server.empty() && alert.vantage.role != "baseline") ties.push_back("server " + alert.vantage.server);
    for (const std::uint64_t seq : alert.changes) ties.push_back("change " + std::to_string(seq));
    // The same delegation change: the parent's referral that moved the zone
    // and the answers of servers that are not the zone's (the ones it moved
    // to), whichever of them the sensor saw first.
    for (const std::string& signal : alert.signals) {
        if (signal == "delegation_changed" || signal == "unexpected_server") {
            ties.push_back("delegation " + alert.zone);
            break;
        }
    }
    for (const NotedChange& change : changes_) {
        if (change.zone != alert.zone || change.name != alert.name || change.rrtype != alert.rrtype) continue;
        for (const std::string& rdata : alert.observed) {
            if (std::find(change.after.begin(), change.after.end(), rdata) != change.after.end()) {
                ties.push_back("change " + std::to_string(change.seq));
                break;
            }
        }
    }
    std::sort(ties.begin(), ties.end());
    ties.erase(std::unique(ties.begin(), ties.end()), ties.end());
    return ties;
}

IncidentCorrelator::Tracked* IncidentCorrelator::find_incident(const Alert& alert, const std::vector<std::string>& ties) {
    Tracked* best = nullptr;
    for (auto& [id, tracked] : incidents_) {
        const Incident& incident = tracked.state.incident;
        if (incident.zone != alert.zone) continue;
        const bool overlaps = any_open(tracked.state.members) ||
                              (alert.first_seen_us <= incident.last_seen_us + options_.gap_us &&
                               alert.last_seen_us + options_.gap_us >= incident.first_seen_us);
        if (!overlaps || !intersects(tracked.state.ties, ties)) continue;
        // The earliest incident it ties to, whatever the map's order.
        if (best == nullptr || incident.first_seen_us < best->state.incident.first_seen_us ||
            (incident.first_seen_us == best->state.incident.first_seen_us && incident.id < best->state.incident.id)) {
            best = &tracked;
        }
    }
    return best;
}

void IncidentCorrelator::publish(const Alert& given) {
    ++clock_;
    forget_stale(given.last_seen_us);
    const std::vector<std::string> ties = ties_of(given);
    Tracked* tracked = nullptr;
    if (const auto known = incident_of_.find(given.id); known != incident_of_.end()) {
        const auto it = incidents_.find(known->second);
        if (it != incidents_.end()) tracked = &it->second;
    }
    if (tracked == nullptr) {
        tracked = find_incident(given, ties);
        if (tracked != nullptr) ++counters_.joined;
    }
    bool created = false;
    if (tracked == nullptr) {
        if (incidents_.size() >= options_.max_incidents) {
            // The one touched least recently goes; its members' later
            // updates open a new incident.
            const auto oldest = std::min_element(incidents_.begin(), incidents_.end(), [](const auto& a, const auto& b) {
                return a.second.touched < b.second.touched;
            });
            for (const Alert& member : oldest->second.state.members) incident_of_.erase(member.id);
            incidents_.erase(oldest);
            ++counters_.evicted;
        }
        Incident incident;
        incident.id = alert_id(sensor_, "incident/" + given.id, given.first_seen_us);
        incident.sensor = given.sensor.empty() ? sensor_ : given.sensor;
        incident.zone = given.zone;
        tracked = &incidents_[incident.id];
        tracked->state.incident = std::move(incident);
        created = true;
        ++counters_.opened;
    }
    IncidentState& state = tracked->state;
    tracked->touched = clock_;

    Alert record = given;
    record.incident_id = state.incident.id;
    const auto member = std::find_if(state.members.begin(), state.members.end(),
                                     [&](const Alert& a) { return a.id == given.id; });
    const bool added = member == state.members.end();
    if (!added) {
        *member = record;
    } else {
        state.members.push_back(record);
        state.incident.members.push_back(record.id);
    }
    incident_of_[record.id] = state.incident.id;
    std::vector<std::string> merged;
    std::set_union(state.ties.begin(), state.ties.end(), ties.begin(), ties.end(), std::back_inserter(merged));
    state.ties = std::move(merged);

    next_.publish(record);
    if (refresh(*tracked) || created || added) {
        ++counters_.emitted;
        next_.publish_incident(state.incident);
    }
}

bool IncidentCorrelator::refresh(Tracked& tracked) const {
    IncidentState& state = tracked.state;
    Incident next = state.incident;
    const std::vector<Alert>& members = state.members;
    if (members.empty()) return false;
    next.first_seen_us = members.front().first_seen_us;
    next.last_seen_us = members.front().last_seen_us;
    next.state = AlertState::accepted;
    next.severity = Severity::low;
    std::set<IncidentVantage> vantages;
    std::set<std::string> signals;
    for (const Alert& a : members) {
        next.first_seen_us = std::min(next.first_seen_us, a.first_seen_us);
        next.last_seen_us = std::max(next.last_seen_us, a.last_seen_us);
        if (worseness(a.state) > worseness(next.state)) next.state = a.state;
        next.severity = std::max(next.severity, a.severity);
        vantages.insert({a.vantage.role, a.vantage.server});
        signals.insert(a.signals.begin(), a.signals.end());
    }
    next.vantages.assign(vantages.begin(), vantages.end());
    next.signals.assign(signals.begin(), signals.end());
    next.title = incident_title(next.zone, members);
    const Incident& before = state.incident;
    const bool changed = next.state != before.state || next.severity != before.severity || next.title != before.title ||
                         next.first_seen_us != before.first_seen_us || next.last_seen_us != before.last_seen_us ||
                         next.vantages != before.vantages || next.signals != before.signals;
    state.incident = std::move(next);
    return changed;
}

void IncidentCorrelator::forget_stale(std::int64_t now_us) {
    for (auto it = incidents_.begin(); it != incidents_.end();) {
        const IncidentState& state = it->second.state;
        if (!any_open(state.members) && state.incident.last_seen_us + options_.gap_us < now_us) {
            for (const Alert& member : state.members) incident_of_.erase(member.id);
            it = incidents_.erase(it);
            ++counters_.expired;
        } else {
            ++it;
        }
    }
}

void IncidentCorrelator::flush() { next_.flush(); }

std::vector<IncidentState> IncidentCorrelator::export_state() const {
    std::vector<std::pair<std::uint64_t, const IncidentState*>> order;
    order.reserve(incidents_.size());
    for (const auto& [id, tracked] : incidents_) order.emplace_back(tracked.touched, &tracked.state);
    std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<IncidentState> out;
    out.reserve(order.size());
    for (const auto& [touched, state] : order) out.push_back(*state);
    return out;
}

void IncidentCorrelator::import_state(std::vector<IncidentState> incidents, const std::vector<BaselineChange>& changes) {
    for (const BaselineChange& change : changes) note_change(change);
    for (IncidentState& state : incidents) {
        if (state.incident.id.empty()) continue;
        std::vector<std::string> ties;
        for (const Alert& member : state.members) {
            incident_of_[member.id] = state.incident.id;
            const std::vector<std::string> more = ties_of(member);
            std::vector<std::string> merged;
            std::set_union(ties.begin(), ties.end(), more.begin(), more.end(), std::back_inserter(merged));
            ties = std::move(merged);
        }
        state.ties = std::move(ties);
        Tracked& tracked = incidents_[state.incident.id];
        tracked.state = std::move(state);
        tracked.touched = ++clock_;
    }
}

}  // namespace dnswatch
