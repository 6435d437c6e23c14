#include "config/units.h"

#include <array>
#include <utility>

namespace dnswatch {
namespace {

struct Unit {
    std::string_view name;
    std::int64_t factor;
};

// A unit is the whole run of letters after a number, so "ms" never reads as "m".
constexpr std::array<Unit, 6> kDurationUnits{{
    {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}, {"w", 604'800'000},
}};

constexpr std::array<Unit, 9> kSizeUnits{{
    {"B", 1},
    {"KiB", std::int64_t{1} << 10}, {"MiB", std::int64_t{1} << 20}, {"GiB", std::int64_t{1} << 30},
    {"TiB", std::int64_t{1} << 40},
    {"kB", 1000}, {"MB", 1000'000}, {"GB", 1000'000'000}, {"TB", 1000'000'000'000},
}};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads digits at text[pos...]; false on none or overflow (then `overflow` set).
bool read_number(std::string_view text, std::size_t& pos, std::int64_t& out, bool& overflow) {
    const std::size_t start = pos;
    out = 0;
    while (pos < text.size() && is_digit(text[pos])) {
        const int digit = text[pos] - '0';
        if (__builtin_mul_overflow(out, 10, &out) || __builtin_add_overflow(out, digit, &out)) overflow = true;
        ++pos;
    }
    return pos > start;
}

template <std::size_t N>
const Unit* read_unit(std::string_view text, std::size_t& pos, const std::array<Unit, N>& units) {
    std::size_t end = pos;
    while (end < text.size() && !is_digit(text[end])) ++end;
    const std::string_view name = text.substr(pos, end - pos);
    for (const Unit& unit : units) {
        if (unit.name == name) {
            pos = end;
            return &unit;
        }
    }
    return nullptr;
}

}  // namespace

UnitParse parse_duration_ms(std::string_view text, std::int64_t bare_unit_ms) {
    UnitParse result;
    std::size_t pos = 0;
    bool overflow = false;
    std::int64_t number = 0;
    if (!read_number(text, pos, number, overflow)) return {0, UnitError::malformed};
    if (pos == text.size()) {  // a bare number
        if (overflow || __builtin_mul_overflow(number, bare_unit_ms, &result.value)) result.error = UnitError::overflow;
        return result;
    }
    for (;;) {
        const Unit* unit = read_unit(text, pos, kDurationUnits);
        if (unit == nullptr) return {0, UnitError::malformed};
        std::int64_t part = 0;
        if (__builtin_mul_overflow(number, unit->factor, &part) ||
            __builtin_add_overflow(result.value, part, &result.value)) {
            overflow = true;
        }
        if (pos == text.size()) break;
        if (!read_number(text, pos, number, overflow) || pos == text.size()) return {0, UnitError::malformed};
    }
    if (overflow) result.error = UnitError::overflow;
    return result;
}

UnitParse parse_size_bytes(std::string_view text) {
    UnitParse result;
    std::size_t pos = 0;
    bool overflow = false;
    std::int64_t number = 0;
    if (!read_number(text, pos, number, overflow)) return {0, UnitError::malformed};
    std::int64_t factor = 1;
    if (pos < text.size()) {
        const Unit* unit = read_unit(text, pos, kSizeUnits);
        if (unit == nullptr || pos != text.size()) return {0, UnitError::malformed};
        factor = unit->factor;
    }
    if (overflow || __builtin_mul_overflow(number, factor, &result.value)) result.error = UnitError::overflow;
    return result;
}

std::string format_duration_ms(std::int64_t ms) {
    if (ms == 0) return "0s";
    if (ms < 0) return std::to_string(ms) + "ms";
    std::string text;
    // Sub-second remainders are written in ms alone ("1500ms", not "1s500ms").
    if (ms % 1000 != 0) return std::to_string(ms) + "ms";
    std::int64_t rest = ms;
    for (const std::int64_t factor : {std::int64_t{86'400'000}, std::int64_t{3'600'000}, std::int64_t{60'000},
                                      std::int64_t{1000}}) {
        if (rest >= factor) {
            text += std::to_string(rest / factor);
            text += factor == 86'400'000 ? "d" : factor == 3'600'000 ? "h" : factor == 60'000 ? "m" : "s";
            rest %= factor;
        }
    }
    return text;
}

std::string format_size_bytes(std::int64_t bytes) {
    if (bytes <= 0) return std::to_string(bytes);
    for (const auto& [name, shift] : {std::pair{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}}) {
        const std::int64_t factor = std::int64_t{1} << shift;
        if (bytes % factor == 0) return std::to_string(bytes / factor) + name;
    }
    return std::to_string(bytes);
}

}  // namespace dnswatch
