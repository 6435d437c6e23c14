// Durations ("30s", "15m", "48h", "7d", "1h30m", "250ms") and sizes ("64KiB",
// "64MiB", "1GiB", "1500", "10MB"): how the config spells them, shared by the
// schema table and by anything else that reads such values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dnswatch {

// Why a text did not parse: the value is malformed, or too large for 64 bits.
enum class UnitError { malformed, overflow };

struct UnitParse {
    std::int64_t value = 0;  // milliseconds (durations) or bytes (sizes)
    std::optional<UnitError> error;
};

// One or more <digits><unit> groups, units ms, s, m, h, d, w (largest first
// by convention, but any order adds up). A bare number counts in
// `bare_unit_ms` (1 for keys measured in ms, 1000 for keys in seconds), so
// that configs written before units existed keep their meaning.
UnitParse parse_duration_ms(std::string_view text, std::int64_t bare_unit_ms);

// <digits>[unit]: B, KiB, MiB, GiB, TiB (powers of 1024) or kB, MB, GB, TB
// (powers of 1000); a bare number is bytes.
UnitParse parse_size_bytes(std::string_view text);

// The shortest exact spelling: 90000 -> "90s", 5400000 -> "1h30m", 0 -> "0s".
std::string format_duration_ms(std::int64_t ms);

// The largest binary unit that divides exactly: 33554432 -> "32MiB",
// 65537 -> "65537".
std::string format_size_bytes(std::int64_t bytes);

}  // namespace dnswatch
