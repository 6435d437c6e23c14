// Alert <-> JSON, schema dnswatch.alert/1 (DESIGN.md, "Contracts"). Field
// names are a contract: add fields, never rename them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "detect/alert.h"

namespace dnswatch {

inline constexpr const char* kAlertSchema = "dnswatch.alert/1";

// RFC 3339 UTC with exactly six fractional digits, e.g.
// format_rfc3339_us(0) == "1970-01-01T00:00:00.000000Z". Negative values are
// instants before 1970 (-1 is "1969-12-31T23:59:59.999999Z"). Pure arithmetic
// on the proleptic Gregorian calendar: no locale, no time zone, no gmtime.
// Years outside 0000..9999 are printed with more digits or a sign.
std::string format_rfc3339_us(std::int64_t us_since_epoch);

// The inverse: "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)", 'T'/'Z' in
// either case, fraction of 1..9 digits (beyond microseconds truncated toward
// the past). Throws std::invalid_argument naming the text if it is not one.
std::int64_t parse_rfc3339_us(std::string_view text);

// All fields of the schema, in schema order when dumped.
nlohmann::json to_json(const Alert& alert);

// One compact JSON object, no trailing newline, fields in schema order.
std::string to_json_line(const Alert& alert);

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
