// Alert <-> JSON, schema dnswatch.alert/1 (DESIGN.md, "Contracts"). Field
// names are a contract: add fields, never rename them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/rfc3339.h"
#include "detect/alert.h"

namespace dnswatch {

inline constexpr const char* kAlertSchema = "dnswatch.alert/1";

// All fields of the schema, in schema order when dumped.
nlohmann::json to_json(const Alert& alert);

// One compact JSON object, no trailing newline, fields in schema order.
std::string to_json_line(const Alert& alert);
// The same line made the slow way, as an nlohmann::ordered_json document
// dumped: what the tests and the fuzzer hold to_json_line() equal to.
std::string to_json_line_through_a_document(const Alert& alert);

// The reverse of to_json (duration_s is derived, so it is not read back).
// Throws std::invalid_argument naming the field for another schema, a missing
// field, a field of the wrong type or out of range, an unknown severity or
// state, a bad timestamp. Fields it does not know are ignored: later versions
// of the schema may add some.
Alert alert_from_json(const nlohmann::json& json);

// Parsers for the enum strings detect/alert.h prints; throw std::invalid_argument.
Severity severity_from_string(std::string_view text);
AlertState alert_state_from_string(std::string_view text);

}  // namespace dnswatch
