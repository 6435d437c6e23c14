#include "common/rfc3339.h"

#include <cstdio>
#include <stdexcept>
#include <string>

namespace dnswatch {
namespace {

constexpr std::int64_t kMicrosPerSecond = 1'000'000;
constexpr std::int64_t kSecondsPerDay = 86'400;

// Floor division: -1 us is in the second before the epoch, not in second 0.
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    const std::int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

struct CivilDate {
    std::int64_t year;
    unsigned month;  // 1..12
    unsigned day;    // 1..31
};

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian,
// 400-year eras), valid for the whole int64 microsecond range.
constexpr CivilDate civil_from_days(std::int64_t days) {
    days += 719'468;  // shift the epoch to 0000-03-01
    const std::int64_t era = floor_div(days, 146'097);
    const auto doe = static_cast<unsigned>(days - era * 146'097);            // [0, 146096]
    const unsigned yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;  // [0, 399]
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);            // [0, 365]
    const unsigned mp = (5 * doy + 2) / 153;                                 // [0, 11], March = 0
    const unsigned day = doy - (153 * mp + 2) / 5 + 1;
    const unsigned month = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t year = static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2 ? 1 : 0);
    return {year, month, day};
}

constexpr std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
    year -= month <= 2 ? 1 : 0;
    const std::int64_t era = floor_div(year, 400);
    const auto yoe = static_cast<unsigned>(year - era * 400);
    const unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146'097 + static_cast<std::int64_t>(doe) - 719'468;
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(civil_from_days(0).year == 1970);
static_assert(days_from_civil(2000, 3, 1) == 11'017);

constexpr bool is_leap(std::int64_t year) {
    return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

constexpr unsigned days_in_month(std::int64_t year, unsigned month) {
    constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap(year) ? 29 : kDays[month - 1];
}

[[noreturn]] void bad_timestamp(std::string_view text, const char* why) {
    throw std::invalid_argument("not an RFC 3339 timestamp (" + std::string(why) + "): '" +
                                std::string(text) + "'");
}

// Reads exactly `count` digits at `pos`.
unsigned read_digits(std::string_view text, std::size_t& pos, std::size_t count) {
    if (pos + count > text.size()) bad_timestamp(text, "too short");
    unsigned value = 0;
    for (std::size_t i = 0; i < count; ++i, ++pos) {
        const char c = text[pos];
        if (c < '0' || c > '9') bad_timestamp(text, "digit expected");
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    return value;
}

void expect_char(std::string_view text, std::size_t& pos, char lower, char upper) {
    if (pos >= text.size() || (text[pos] != lower && text[pos] != upper)) {
        bad_timestamp(text, "separator expected");
    }
    ++pos;
}

}  // namespace

std::string format_rfc3339_us(std::int64_t us_since_epoch) {
    const std::int64_t seconds = floor_div(us_since_epoch, kMicrosPerSecond);
    std::int64_t micros = us_since_epoch % kMicrosPerSecond;  // not seconds * 1e6: that overflows near INT64_MIN
    if (micros < 0) micros += kMicrosPerSecond;                // [0, 999999]
    const std::int64_t days = floor_div(seconds, kSecondsPerDay);
    const std::int64_t second_of_day = seconds - days * kSecondsPerDay;     // [0, 86399]
    const CivilDate date = civil_from_days(days);

    char buffer[64];
    const int n = std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%06lldZ",
                                static_cast<long long>(date.year), date.month, date.day,
                                static_cast<long long>(second_of_day / 3600),
                                static_cast<long long>(second_of_day / 60 % 60),
                                static_cast<long long>(second_of_day % 60), static_cast<long long>(micros));
    return std::string(buffer, static_cast<std::size_t>(n));
}

std::int64_t parse_rfc3339_us(std::string_view text) {
    std::size_t pos = 0;
    const unsigned year = read_digits(text, pos, 4);
    expect_char(text, pos, '-', '-');
    const unsigned month = read_digits(text, pos, 2);
    expect_char(text, pos, '-', '-');
    const unsigned day = read_digits(text, pos, 2);
    expect_char(text, pos, 't', 'T');
    const unsigned hour = read_digits(text, pos, 2);
    expect_char(text, pos, ':', ':');
    const unsigned minute = read_digits(text, pos, 2);
    expect_char(text, pos, ':', ':');
    const unsigned second = read_digits(text, pos, 2);
    if (month < 1 || month > 12) bad_timestamp(text, "month out of range");
    if (day < 1 || day > days_in_month(year, month)) bad_timestamp(text, "day out of range");
    if (hour > 23 || minute > 59 || second > 60) bad_timestamp(text, "time out of range");  // 60: leap second

    std::int64_t micros = 0;
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        std::size_t digits = 0;
        std::int64_t scale = 100'000;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            if (digits < 6) micros += (text[pos] - '0') * scale;
            scale /= 10;
            ++pos;
            ++digits;
        }
        if (digits == 0 || digits > 9) bad_timestamp(text, "1 to 9 fractional digits expected");
    }

    std::int64_t offset_seconds = 0;
    if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
        ++pos;
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
        const int sign = text[pos] == '-' ? -1 : 1;
        ++pos;
        const unsigned offset_hours = read_digits(text, pos, 2);
        expect_char(text, pos, ':', ':');
        const unsigned offset_minutes = read_digits(text, pos, 2);
        if (offset_hours > 23 || offset_minutes > 59) bad_timestamp(text, "offset out of range");
        offset_seconds = sign * static_cast<std::int64_t>(offset_hours * 3600 + offset_minutes * 60);
    } else {
        bad_timestamp(text, "'Z' or an offset expected");
    }
    if (pos != text.size()) bad_timestamp(text, "trailing characters");

    const std::int64_t seconds = days_from_civil(year, month, day) * kSecondsPerDay + hour * 3600 +
                                 minute * 60 + second - offset_seconds;
    return seconds * kMicrosPerSecond + micros;
}

}  // namespace dnswatch
