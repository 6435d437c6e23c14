#include "publish/incident_json.h"

#include <stdexcept>

#include "common/rfc3339.h"
#include "publish/alert_json.h"

namespace dnswatch {

nlohmann::ordered_json to_json(const Incident& incident) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    j["schema"] = kIncidentSchema;
    j["id"] = incident.id;
    j["seq"] = incident.seq;
    j["sensor"] = incident.sensor;
    j["zone"] = incident.zone;
    j["state"] = to_string(incident.state);
    j["severity"] = to_string(incident.severity);
    j["title"] = incident.title;
    j["first_seen"] = format_rfc3339_us(incident.first_seen_us);
    j["last_seen"] = format_rfc3339_us(incident.last_seen_us);
    nlohmann::ordered_json vantages = nlohmann::ordered_json::array();
    for (const IncidentVantage& v : incident.vantages) {
        nlohmann::ordered_json vantage = nlohmann::ordered_json::object();
        vantage["role"] = v.role;
        vantage["server"] = v.server;
        vantages.push_back(std::move(vantage));
    }
    j["vantages"] = std::move(vantages);
    j["members"] = incident.members;
    j["signals"] = incident.signals;
    if (incident.tlog_index >= 0) j["tlog_index"] = incident.tlog_index;
    return j;
}

std::string to_json_line(const Incident& incident) { return to_json(incident).dump(); }

Incident incident_from_json(const nlohmann::json& j) {
    auto field = [&](const char* key) -> const nlohmann::json& {
        if (!j.is_object() || !j.contains(key)) {
            throw std::invalid_argument(std::string("incident JSON: field '") + key + "': missing");
        }
        return j[key];
    };
    try {
        if (field("schema").get<std::string>() != kIncidentSchema) {
            throw std::invalid_argument(std::string("incident JSON: field 'schema': not ") + kIncidentSchema);
        }
        Incident incident;
        incident.id = field("id").get<std::string>();
        incident.seq = field("seq").get<std::uint64_t>();
        incident.sensor = field("sensor").get<std::string>();
        incident.zone = field("zone").get<std::string>();
        incident.state = alert_state_from_string(field("state").get<std::string>());
        incident.severity = severity_from_string(field("severity").get<std::string>());
        incident.title = field("title").get<std::string>();
        incident.first_seen_us = parse_rfc3339_us(field("first_seen").get<std::string>());
        incident.last_seen_us = parse_rfc3339_us(field("last_seen").get<std::string>());
        for (const auto& v : field("vantages")) {
            incident.vantages.push_back({v.at("role").get<std::string>(), v.at("server").get<std::string>()});
        }
        incident.members = field("members").get<std::vector<std::string>>();
        incident.signals = field("signals").get<std::vector<std::string>>();
        if (j.contains("tlog_index")) incident.tlog_index = j["tlog_index"].get<std::int64_t>();
        return incident;
    } catch (const nlohmann::json::exception& e) {
        throw std::invalid_argument(std::string("incident JSON: ") + e.what());
    }
}

}  // namespace dnswatch
