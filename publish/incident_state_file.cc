#include "publish/incident_state_file.h"

#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/json_lines.h"
#include "publish/alert_json.h"
#include "publish/incident_json.h"

namespace dnswatch {

void IncidentStateFile::save(const std::vector<IncidentState>& incidents) {
    std::string text;
    for (const IncidentState& state : incidents) {
        nlohmann::json line;
        line["incident"] = nlohmann::json::parse(to_json_line(state.incident));
        line["members"] = nlohmann::json::array();
        for (const Alert& member : state.members) line["members"].push_back(to_json(member));
        line["ties"] = state.ties;
        text += line.dump() + "\n";
    }
    write_file_atomically(path_, text, fsync_);
}

std::vector<IncidentState> IncidentStateFile::load() const {
    std::vector<IncidentState> incidents;
    read_json_lines(path_, "an incident", [&](const nlohmann::json& json) {
        IncidentState state;
        state.incident = incident_from_json(json.at("incident"));
        for (const auto& member : json.at("members")) state.members.push_back(alert_from_json(member));
        state.ties = json.at("ties").get<std::vector<std::string>>();
        incidents.push_back(std::move(state));
    });
    return incidents;
}

}  // namespace dnswatch
