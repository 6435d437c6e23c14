// Incident <-> JSON, schema dnswatch.incident/1 (docs/schema/). Field names
// are a contract: add fields, never rename them.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "detect/incident.h"

namespace dnswatch {

inline constexpr const char* kIncidentSchema = "dnswatch.incident/1";

// All fields of the schema, in schema order when dumped; tlog_index only
// when a log is kept.
nlohmann::ordered_json to_json(const Incident& incident);
// One compact JSON object, no trailing newline.
std::string to_json_line(const Incident& incident);
// The reverse of to_json. Throws std::invalid_argument naming the field.
Incident incident_from_json(const nlohmann::json& json);

}  // namespace dnswatch
