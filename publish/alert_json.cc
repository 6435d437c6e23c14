#include "publish/alert_json.h"

#include <cstdio>
#include <limits>
#include <stdexcept>

namespace dnswatch {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

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

// Builds the record with either json (sorted keys) or ordered_json (schema order).
template <class Json>
Json build(const Alert& alert) {
    Json vantage = Json::object();
    vantage["role"] = alert.vantage.role;
    vantage["server"] = alert.vantage.server;
    vantage["client"] = alert.vantage.client;
    if (const AlertTunnel& t = alert.vantage.tunnel; !t.protocol.empty()) {  // only when tunnelled
        Json tunnel = Json::object();
        tunnel["protocol"] = t.protocol;
        if (!t.id_name.empty()) tunnel[t.id_name] = t.id;
        tunnel["outer_src"] = t.outer_src;
        tunnel["outer_dst"] = t.outer_dst;
        vantage["tunnel"] = std::move(tunnel);
    }

    Json evidence = Json::object();
    evidence["source"] = alert.evidence.source;
    evidence["frame"] = alert.evidence.frame;
    evidence["dns_id"] = alert.evidence.dns_id;
    evidence["qname"] = alert.evidence.qname;
    evidence["qtype"] = alert.evidence.qtype;
    evidence["section"] = alert.evidence.section;
    if (!alert.evidence.pcap.empty()) evidence["pcap"] = alert.evidence.pcap;

    Json j = Json::object();
    j["schema"] = kAlertSchema;
    j["id"] = alert.id;
    j["seq"] = alert.seq;
    j["sensor"] = alert.sensor;
    j["kind"] = alert.kind;
    j["severity"] = to_string(alert.severity);
    j["state"] = to_string(alert.state);
    j["zone"] = alert.zone;
    j["name"] = alert.name;
    j["rrtype"] = alert.rrtype;
    j["baseline"] = alert.baseline;
    j["observed"] = alert.observed;
    j["first_seen"] = format_rfc3339_us(alert.first_seen_us);
    j["last_seen"] = format_rfc3339_us(alert.last_seen_us);
    j["duration_s"] = alert.duration_s();
    j["signals"] = alert.signals;
    j["vantage"] = std::move(vantage);
    j["evidence"] = std::move(evidence);
    if (alert.tlog_index >= 0) j["tlog_index"] = alert.tlog_index;  // only when a log is kept
    return j;
}

// Field readers that name the field in their errors.
[[noreturn]] void bad_field(std::string_view field, const std::string& why) {
    throw std::invalid_argument("alert JSON: field '" + std::string(field) + "': " + why);
}

// `parent` names the enclosing object in messages ("vantage." for vantage.role).
const json& field(const json& object, const char* key, std::string_view parent = {}) {
    const std::string name = std::string(parent) + key;
    if (!object.is_object()) bad_field(name, std::string("not inside an object (got ") + object.type_name() + ")");
    const auto it = object.find(key);
    if (it == object.end()) bad_field(name, "missing");
    return *it;
}

std::string get_string(const json& object, const char* key, std::string_view parent = {}) {
    const json& value = field(object, key, parent);
    if (!value.is_string()) bad_field(std::string(parent) + key, std::string("expected a string, got ") + value.type_name());
    return value.get<std::string>();
}

std::uint64_t get_unsigned(const json& object, const char* key, std::uint64_t max,
                           std::string_view parent = {}) {
    const std::string name = std::string(parent) + key;
    const json& value = field(object, key, parent);
    if (!value.is_number_unsigned() && !(value.is_number_integer() && value.get<std::int64_t>() >= 0)) {
        bad_field(name, std::string("expected a non-negative integer, got ") + value.dump());
    }
    const auto number = value.get<std::uint64_t>();
    if (number > max) bad_field(name, value.dump() + " is out of range (0.." + std::to_string(max) + ")");
    return number;
}

std::vector<std::string> get_strings(const json& object, const char* key) {
    const json& value = field(object, key);
    if (!value.is_array()) bad_field(key, std::string("expected a list of strings, got ") + value.type_name());
    std::vector<std::string> out;
    out.reserve(value.size());
    for (const json& item : value) {
        if (!item.is_string()) bad_field(key, std::string("expected a list of strings, got a ") + item.type_name() + " in it");
        out.push_back(item.get<std::string>());
    }
    return out;
}

std::int64_t get_time(const json& object, const char* key) {
    const std::string text = get_string(object, key);
    try {
        return parse_rfc3339_us(text);
    } catch (const std::invalid_argument& e) {
        bad_field(key, e.what());
    }
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

Severity severity_from_string(std::string_view text) {
    for (Severity s : {Severity::low, Severity::medium, Severity::high, Severity::critical}) {
        if (text == to_string(s)) return s;
    }
    throw std::invalid_argument("unknown severity '" + std::string(text) + "'");
}

AlertState alert_state_from_string(std::string_view text) {
    for (AlertState s : {AlertState::open, AlertState::reverted, AlertState::accepted}) {
        if (text == to_string(s)) return s;
    }
    throw std::invalid_argument("unknown alert state '" + std::string(text) + "'");
}

json to_json(const Alert& alert) { return build<json>(alert); }

std::string to_json_line(const Alert& alert) { return build<ordered_json>(alert).dump(); }

Alert alert_from_json(const json& j) {
    const std::string schema = get_string(j, "schema");
    if (schema != kAlertSchema) bad_field("schema", "'" + schema + "' is not " + kAlertSchema);

    Alert alert;
    alert.id = get_string(j, "id");
    alert.seq = get_unsigned(j, "seq", std::numeric_limits<std::uint64_t>::max());
    alert.sensor = get_string(j, "sensor");
    alert.kind = get_string(j, "kind");
    try {
        alert.severity = severity_from_string(get_string(j, "severity"));
    } catch (const std::invalid_argument& e) {
        bad_field("severity", e.what());
    }
    try {
        alert.state = alert_state_from_string(get_string(j, "state"));
    } catch (const std::invalid_argument& e) {
        bad_field("state", e.what());
    }
    alert.zone = get_string(j, "zone");
    alert.name = get_string(j, "name");
    alert.rrtype = get_string(j, "rrtype");
    alert.baseline = get_strings(j, "baseline");
    alert.observed = get_strings(j, "observed");
    alert.first_seen_us = get_time(j, "first_seen");
    alert.last_seen_us = get_time(j, "last_seen");
    alert.signals = get_strings(j, "signals");

    const json& vantage = field(j, "vantage");
    alert.vantage.role = get_string(vantage, "role", "vantage.");
    alert.vantage.server = get_string(vantage, "server", "vantage.");
    alert.vantage.client = get_string(vantage, "client", "vantage.");
    if (vantage.contains("tunnel")) {
        const json& tunnel = field(vantage, "tunnel", "vantage.");
        AlertTunnel& t = alert.vantage.tunnel;
        t.protocol = get_string(tunnel, "protocol", "vantage.tunnel.");
        t.outer_src = get_string(tunnel, "outer_src", "vantage.tunnel.");
        t.outer_dst = get_string(tunnel, "outer_dst", "vantage.tunnel.");
        for (const char* id_name : {"teid", "key", "call_id", "vni"}) {  // as AlertTunnel::id_name names them
            if (!tunnel.contains(id_name)) continue;
            t.id_name = id_name;
            t.id = static_cast<std::uint32_t>(get_unsigned(tunnel, id_name, 0xffffffffu, "vantage.tunnel."));
        }
    }

    const json& evidence = field(j, "evidence");
    alert.evidence.source = get_string(evidence, "source", "evidence.");
    alert.evidence.frame = get_unsigned(evidence, "frame", std::numeric_limits<std::uint64_t>::max(), "evidence.");
    alert.evidence.dns_id = static_cast<std::uint16_t>(get_unsigned(evidence, "dns_id", 0xffff, "evidence."));
    alert.evidence.qname = get_string(evidence, "qname", "evidence.");
    alert.evidence.qtype = get_string(evidence, "qtype", "evidence.");
    alert.evidence.section = get_string(evidence, "section", "evidence.");
    if (evidence.contains("pcap")) alert.evidence.pcap = get_string(evidence, "pcap", "evidence.");
    if (j.contains("tlog_index")) {
        alert.tlog_index = static_cast<std::int64_t>(
            get_unsigned(j, "tlog_index", static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())));
    }
    return alert;
}

}  // namespace dnswatch
