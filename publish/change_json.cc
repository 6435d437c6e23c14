#include "publish/change_json.h"

#include "common/rfc3339.h"
#include "publish/incident_json.h"
#include "publish/topic.h"

namespace dnswatch {

nlohmann::ordered_json to_json(const BaselineChange& change) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    j["schema"] = kChangeSchema;
    j["seq"] = change.seq;
    j["sensor"] = change.sensor;
    j["zone"] = change.zone;
    j["name"] = change.name;
    j["rrtype"] = change.rrtype;
    j["op"] = to_string(change.op);
    j["source"] = to_string(change.source);
    j["before"] = change.before;
    j["after"] = change.after;
    j["ttl_before"] = change.ttl_before;
    j["ttl_after"] = change.ttl_after;
    if (change.serial_before) j["serial_before"] = *change.serial_before;
    if (change.serial_after) j["serial_after"] = *change.serial_after;
    j["announced"] = change.announced;
    j["time"] = format_rfc3339_us(change.time_us);
    if (change.tlog_index >= 0) j["tlog_index"] = change.tlog_index;
    return j;
}

std::string to_json_line(const BaselineChange& change) { return to_json(change).dump(); }

std::string schema_of(const nlohmann::json& record) {
    if (!record.is_object()) return {};
    const auto it = record.find("schema");
    return it != record.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string record_topic(const nlohmann::json& record) {
    const auto name = record.is_object() ? record.find("name") : record.end();
    const std::string owner = name != record.end() && name->is_string() ? name->get<std::string>() : std::string();
    const std::string schema = schema_of(record);
    if (schema == kIncidentSchema) {
        const auto zone = record.find("zone");
        return topic_for("incident", zone != record.end() && zone->is_string() ? zone->get<std::string>() : "");
    }
    return schema == kChangeSchema ? topic_for("change", owner) : alert_topic(owner);
}

}  // namespace dnswatch
