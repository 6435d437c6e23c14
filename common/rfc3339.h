// Times as the alerts, the feed and the state files write them: RFC 3339,
// UTC, microseconds since the epoch in memory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dnswatch {

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

}  // namespace dnswatch
