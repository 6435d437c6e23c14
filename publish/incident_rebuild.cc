#include "publish/incident_rebuild.h"

#include <algorithm>
#include <exception>

#include "publish/alert_json.h"
#include "publish/change_json.h"
#include "publish/incident_json.h"

namespace dnswatch {

IncidentRebuild::IncidentRebuild(std::size_t max_incidents, std::size_t max_changes)
    : max_incidents_(std::max<std::size_t>(max_incidents, 1)), max_changes_(max_changes) {}

IncidentRebuild::Rebuilt& IncidentRebuild::touch(const std::string& incident_id) {
    if (const auto it = by_id_.find(incident_id); it != by_id_.end()) {
        order_.splice(order_.end(), order_, it->second);
        return *it->second;
    }
    if (order_.size() >= max_incidents_) {
        by_id_.erase(order_.front().incident.id);
        order_.pop_front();
    }
    order_.emplace_back();
    order_.back().incident.id = incident_id;
    by_id_.emplace(incident_id, std::prev(order_.end()));
    return order_.back();
}

void IncidentRebuild::fold(const nlohmann::json& record) {
    const std::string schema = schema_of(record);
    try {
        if (schema == kAlertSchema) {
            const auto incident_id = record.find("incident_id");
            if (incident_id == record.end() || !incident_id->is_string()) return;  // stored before incidents
            Alert alert = alert_from_json(record);
            alert.incident_id = incident_id->get<std::string>();
            Rebuilt& rebuilt = touch(alert.incident_id);
            if (const auto at = rebuilt.member_at.find(alert.id); at != rebuilt.member_at.end()) {
                rebuilt.members[at->second] = std::move(alert);
            } else {
                rebuilt.member_at.emplace(alert.id, rebuilt.members.size());
                rebuilt.members.push_back(std::move(alert));
            }
        } else if (schema == kIncidentSchema) {
            Incident incident = incident_from_json(record);
            Rebuilt& rebuilt = touch(incident.id);
            rebuilt.incident = std::move(incident);
            rebuilt.has_record = true;
        } else if (schema == kChangeSchema && max_changes_ > 0) {
            // What the correlator keeps of a change (IncidentCorrelator::note_change).
            BaselineChange change;
            change.seq = record.at("seq").get<std::uint64_t>();
            change.zone = record.at("zone").get<std::string>();
            change.name = record.at("name").get<std::string>();
            change.rrtype = record.at("rrtype").get<std::string>();
            change.after = record.at("after").get<std::vector<std::string>>();
            if (changes_.size() < max_changes_) {
                changes_.push_back(std::move(change));
            } else {
                changes_[changes_next_] = std::move(change);
                changes_next_ = (changes_next_ + 1) % max_changes_;
            }
        }
    } catch (const std::exception&) {
        // A record this version cannot read: left out (see the header).
    }
}

std::vector<IncidentState> IncidentRebuild::incidents() const {
    std::vector<IncidentState> out;
    out.reserve(order_.size());
    for (const Rebuilt& rebuilt : order_) {
        // Members whose incident record was pruned, or never written (a
        // crash between the two): nothing to carry on.
        if (!rebuilt.has_record || rebuilt.members.empty()) continue;
        IncidentState state{rebuilt.incident, rebuilt.members, {}};
        // A member stored after the incident's last record (a crash between
        // the two) is a member all the same.
        for (const Alert& member : state.members) {
            if (std::find(state.incident.members.begin(), state.incident.members.end(), member.id) ==
                state.incident.members.end()) {
                state.incident.members.push_back(member.id);
            }
        }
        out.push_back(std::move(state));
    }
    return out;
}

std::vector<BaselineChange> IncidentRebuild::changes() const {
    std::vector<BaselineChange> out;
    out.reserve(changes_.size());
    for (std::size_t i = 0; i < changes_.size(); ++i) out.push_back(changes_[(changes_next_ + i) % changes_.size()]);
    return out;
}

}  // namespace dnswatch
