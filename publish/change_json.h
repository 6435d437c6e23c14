// BaselineChange <-> JSON, schema dnswatch.change/1 (docs/schema/). Field
// names are a contract: add fields, never rename them.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "baseline/baseline_change.h"

namespace dnswatch {

inline constexpr const char* kChangeSchema = "dnswatch.change/1";

// All fields of the schema, in schema order when dumped; serial_before and
// serial_after only where the zone has a SOA, tlog_index only when a log is kept.
nlohmann::ordered_json to_json(const BaselineChange& change);
// One compact JSON object, no trailing newline.
std::string to_json_line(const BaselineChange& change);

// The record's schema ("dnswatch.alert/1", "dnswatch.change/1"), "" when it has none.
std::string schema_of(const nlohmann::json& record);
// The topic a stored record went out on: change.<reversed labels> for a
// change, incident.<the zone's labels reversed> for an incident,
// alert.<reversed labels> for everything else.
std::string record_topic(const nlohmann::json& record);

}  // namespace dnswatch
