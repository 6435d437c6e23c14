#include "baseline/zone_fields.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

#include "decode/dns_name.h"
#include "decode/ldns_glue.h"

namespace dnswatch {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

char to_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }


struct Mnemonic {
    std::string_view name;
    std::uint16_t value;
};

// ldns's tables (host2str.c, str2host.c), matched without regard to case.
constexpr Mnemonic kAlgorithms[] = {
    {"RSAMD5", 1},           {"DH", 2},           {"DSA", 3},         {"ECC", 4},
    {"RSASHA1", 5},          {"DSA-NSEC3-SHA1", 6}, {"RSASHA1-NSEC3-SHA1", 7}, {"RSASHA256", 8},
    {"RSASHA512", 10},       {"ECC-GOST", 12},    {"ECDSAP256SHA256", 13}, {"ECDSAP384SHA384", 14},
    {"ED25519", 15},         {"ED448", 16},       {"INDIRECT", 252},  {"PRIVATEDNS", 253},
    {"PRIVATEOID", 254},
};
constexpr Mnemonic kTlsaUsages[] = {{"PKIX-TA", 0}, {"PKIX-EE", 1}, {"DANE-TA", 2}, {"DANE-EE", 3}, {"PrivCert", 255}};
constexpr Mnemonic kTlsaSelectors[] = {{"Cert", 0}, {"SPKI", 1}, {"PrivSel", 255}};
constexpr Mnemonic kTlsaMatchingTypes[] = {{"Full", 0}, {"SHA2-256", 1}, {"SHA2-512", 2}, {"PrivMatch", 255}};

// The types the zone reader reads itself, and those NSEC bitmaps name most;
// every other mnemonic is looked up in ldns's table.
constexpr Mnemonic kCommonTypes[] = {
    {"A", 1},      {"NS", 2},      {"CNAME", 5},   {"SOA", 6},     {"PTR", 12},       {"MX", 15},
    {"TXT", 16},   {"AAAA", 28},   {"SRV", 33},    {"DNAME", 39},  {"DS", 43},        {"RRSIG", 46},
    {"NSEC", 47},  {"DNSKEY", 48}, {"NSEC3", 50},  {"NSEC3PARAM", 51}, {"TLSA", 52},  {"CDS", 59},
    {"CDNSKEY", 60}, {"CAA", 257},
};

template <std::size_t N>
std::optional<std::uint16_t> find_mnemonic(const Mnemonic (&table)[N], std::string_view text) {
    for (const Mnemonic& entry : table) {
        if (equals_ignoring_case(entry.name, text)) return entry.value;
    }
    return std::nullopt;
}

template <std::size_t N>
std::uint8_t parse_int8_mnemonic(const Mnemonic (&table)[N], const ZoneToken& token, const char* what) {
    refuse_quoted(token, what);
    if (const auto value = find_mnemonic(table, token.text)) return static_cast<std::uint8_t>(*value);
    return static_cast<std::uint8_t>(parse_number(token, 255, what));
}

// "<prefix>nnn" with nnn in 1..65535 (TYPE65280, CLASS3).
std::optional<std::uint16_t> parse_numbered(std::string_view text, std::string_view prefix) {
    if (text.size() <= prefix.size() || text.size() > prefix.size() + 5) return std::nullopt;
    if (!equals_ignoring_case(text.substr(0, prefix.size()), prefix)) return std::nullopt;
    std::uint32_t value = 0;
    for (const char c : text.substr(prefix.size())) {
        if (!is_digit(c)) return std::nullopt;
        value = value * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (value == 0 || value > 0xFFFF) return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

// Days from 1970 as ldns_mktime_from_utc counts them (it accepts day 31 of
// any month, and so does this: the same input gives the same seconds).
std::int64_t ldns_days_since_epoch(int year, int month, int day) {
    static constexpr int kMonthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const auto leap_days_before = [](int y) { return y / 4 - y / 100 + y / 400; };
    const bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    std::int64_t days = 365 * static_cast<std::int64_t>(year - 1970) + leap_days_before(year - 1) - leap_days_before(1969);
    for (int m = 0; m < month - 1; ++m) days += kMonthDays[m];
    if (month > 2 && leap) ++days;
    return days + day - 1;
}

}  // namespace

std::string quoted(const ZoneToken& token) {
    // Appended, not "'" + std::string(...): GCC 12 at -O3 warns on that
    // (-Wrestrict, a false positive of GCC 12).
    std::string text;
    text.reserve(token.text.size() + 2);
    text += '\'';
    text += token.text;
    text += '\'';
    return text;
}

void refuse_quoted(const ZoneToken& token, const char* what) {
    if (token.quoted) throw ZoneSyntaxError(token, std::string(what) + " cannot be quoted");
}

// The lexer guarantees a byte after the backslash; the check is for tokens made elsewhere.
std::uint8_t decode_escape(const ZoneToken& token, std::size_t& i) {
    const std::string_view text = token.text;
    if (i + 1 >= text.size()) throw ZoneSyntaxError(token, "backslash at the end of " + quoted(token));
    if (!is_digit(text[i + 1])) {
        ++i;
        return static_cast<std::uint8_t>(text[i]);
    }
    if (i + 3 >= text.size() || !is_digit(text[i + 2]) || !is_digit(text[i + 3])) {
        throw ZoneSyntaxError(token, "bad escape in " + quoted(token) + ": \\DDD takes three digits");
    }
    const unsigned value = (text[i + 1] - '0') * 100u + (text[i + 2] - '0') * 10u + (text[i + 3] - '0');
    if (value > 255) throw ZoneSyntaxError(token, "bad escape in " + quoted(token) + ": over \\255");
    i += 3;
    return static_cast<std::uint8_t>(value);
}
bool equals_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (to_upper(a[i]) != to_upper(b[i])) return false;
    }
    return true;
}

void parse_name(const ZoneToken& token, const WireName* origin, WireName& out) {
    refuse_quoted(token, "a name");
    const std::string_view text = token.text;
    if (text == "@") {
        if (origin == nullptr) throw ZoneSyntaxError(token, "'@' but no origin ($ORIGIN, or the zone's origin)");
        out = *origin;
        return;
    }
    // ldns reads an owner that starts with '@' ("@foo") as the origin, and an
    // rdata name whose first label is "@" ("@.x", "\@") likewise: refuse both.
    if (text[0] == '@') throw ZoneSyntaxError(token, "'@' must stand alone, in " + quoted(token));
    std::uint8_t* const bytes = out.bytes.data();
    out.labels = 0;
    if (text == ".") {
        bytes[0] = 0;
        out.length = 1;
        return;
    }
    std::size_t label_start = 0;  // where the current label's length byte goes
    std::size_t length = 1;       // bytes written, that length byte included
    std::size_t label_length = 0;
    bool absolute = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '.') {
            if (label_length == 0) throw ZoneSyntaxError(token, "empty label in " + quoted(token));
            bytes[label_start] = static_cast<std::uint8_t>(label_length);
            ++out.labels;
            if (length >= kMaxNameLength) throw ZoneSyntaxError(token, "name longer than 255 bytes: " + quoted(token));
            label_start = length++;
            label_length = 0;
            absolute = i + 1 == text.size();
            continue;
        }
        std::uint8_t byte = static_cast<std::uint8_t>(c);
        if (c == '\\') {
            byte = decode_escape(token, i);
            if (byte == 0) throw ZoneSyntaxError(token, "NUL byte (\\000) in the name " + quoted(token));
        }
        if (label_length == kMaxLabelLength) throw ZoneSyntaxError(token, "label longer than 63 bytes in " + quoted(token));
        if (length >= kMaxNameLength) throw ZoneSyntaxError(token, "name longer than 255 bytes: " + quoted(token));
        bytes[length++] = byte;
        ++label_length;
    }
    if (absolute) {
        bytes[label_start] = 0;
    } else {
        bytes[label_start] = static_cast<std::uint8_t>(label_length);
        ++out.labels;
    }
    if (bytes[0] == 1 && bytes[1] == '@') throw ZoneSyntaxError(token, "'@' must stand alone, in " + quoted(token));
    if (absolute) {
        out.length = static_cast<std::uint8_t>(length);
        return;
    }
    if (origin == nullptr) {
        throw ZoneSyntaxError(token, "relative name " + quoted(token) + " but no origin ($ORIGIN, or the zone's origin)");
    }
    if (length + origin->length > kMaxNameLength) {
        throw ZoneSyntaxError(token, "name longer than 255 bytes: " + quoted(token) + " under the origin");
    }
    std::memcpy(bytes + length, origin->bytes.data(), origin->length);
    out.length = static_cast<std::uint8_t>(length + origin->length);
    out.labels = static_cast<std::uint8_t>(out.labels + origin->labels);
}

std::string name_to_ldns_text(const WireName& name) {
    if (name.length <= 1) return ".";
    std::string text;
    std::size_t pos = 0;
    while (pos < name.length && name.bytes[pos] != 0) {
        const std::size_t label_length = name.bytes[pos];
        for (std::size_t i = 1; i <= label_length; ++i) {
            const auto c = static_cast<char>(name.bytes[pos + i]);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' || c == '_') {
                text.push_back(c);
            } else {
                char escaped[5];
                std::snprintf(escaped, sizeof escaped, "\\%03u", static_cast<unsigned>(name.bytes[pos + i]));
                text += escaped;
            }
        }
        text.push_back('.');
        pos += 1 + label_length;
    }
    return text;
}

std::uint32_t parse_ttl(const ZoneToken& token, const char* what) {
    refuse_quoted(token, what);
    std::uint64_t total = 0;
    std::uint64_t group = 0;
    bool digits = false;
    const auto bad = [&](const char* why) {
        return ZoneSyntaxError(token, std::string("bad ") + what + " " + quoted(token) + ": " + why);
    };
    for (const char c : token.text) {
        if (is_digit(c)) {
            group = group * 10 + static_cast<std::uint64_t>(c - '0');
            if (group > 0xFFFFFFFFull) throw bad("over 4294967295");
            digits = true;
            continue;
        }
        std::uint64_t unit = 0;
        switch (c) {
            case 's': case 'S': unit = 1; break;
            case 'm': case 'M': unit = 60; break;
            case 'h': case 'H': unit = 3600; break;
            case 'd': case 'D': unit = 86400; break;
            case 'w': case 'W': unit = 604800; break;
            default: throw bad("expected digits and the units s, m, h, d, w");
        }
        if (!digits) throw bad("a unit needs a number before it");
        total += group * unit;
        if (total > 0xFFFFFFFFull) throw bad("over 4294967295 seconds");
        group = 0;
        digits = false;
    }
    total += group;
    if (total > 0xFFFFFFFFull) throw bad("over 4294967295 seconds");
    return static_cast<std::uint32_t>(total);
}

std::uint32_t parse_number(const ZoneToken& token, std::uint32_t max, const char* what) {
    refuse_quoted(token, what);
    std::uint64_t value = 0;
    if (token.text.empty()) throw ZoneSyntaxError(token, std::string("empty ") + what);
    for (const char c : token.text) {
        if (!is_digit(c)) throw ZoneSyntaxError(token, std::string("bad ") + what + " " + quoted(token) + ": not a number");
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
        if (value > max) {
            throw ZoneSyntaxError(token, std::string("bad ") + what + " " + quoted(token) + ": over " + std::to_string(max));
        }
    }
    return static_cast<std::uint32_t>(value);
}

std::optional<std::uint16_t> parse_class(std::string_view text) {
    static constexpr Mnemonic kClasses[] = {{"IN", 1}, {"CH", 3}, {"HS", 4}, {"NONE", 254}, {"ANY", 255}};
    if (const auto value = find_mnemonic(kClasses, text)) return value;
    return parse_numbered(text, "CLASS");
}

std::optional<std::uint16_t> parse_type(std::string_view text) {
    if (text.empty()) return std::nullopt;
    if (const auto value = find_mnemonic(kCommonTypes, text)) return value;
    if (text.size() > 4 && equals_ignoring_case(text.substr(0, 4), "TYPE")) return parse_numbered(text, "TYPE");
    return rrtype_from_text(text);
}

std::uint8_t parse_algorithm(const ZoneToken& token) { return parse_int8_mnemonic(kAlgorithms, token, "algorithm"); }
std::uint8_t parse_tlsa_usage(const ZoneToken& token) {
    return parse_int8_mnemonic(kTlsaUsages, token, "certificate usage");
}
std::uint8_t parse_tlsa_selector(const ZoneToken& token) { return parse_int8_mnemonic(kTlsaSelectors, token, "selector"); }
std::uint8_t parse_tlsa_matching_type(const ZoneToken& token) {
    return parse_int8_mnemonic(kTlsaMatchingTypes, token, "matching type");
}

std::uint32_t parse_signature_time(const ZoneToken& token) {
    refuse_quoted(token, "a signature time");
    const std::string_view text = token.text;
    if (text.size() != 14) return parse_number(token, 0xFFFFFFFFu, "signature time");
    for (const char c : text) {
        if (!is_digit(c)) throw ZoneSyntaxError(token, "bad signature time " + quoted(token) + ": expected YYYYMMDDHHmmSS");
    }
    const auto field = [&](std::size_t at, std::size_t size) {
        int value = 0;
        for (std::size_t i = at; i < at + size; ++i) value = value * 10 + (text[i] - '0');
        return value;
    };
    const int year = field(0, 4), month = field(4, 2), day = field(6, 2);
    const int hour = field(8, 2), minute = field(10, 2), second = field(12, 2);
    if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
        throw ZoneSyntaxError(token, "bad signature time " + quoted(token) + ": no such date and time");
    }
    const std::int64_t seconds = ((ldns_days_since_epoch(year, month, day) * 24 + hour) * 60 + minute) * 60 + second;
    return static_cast<std::uint32_t>(seconds);  // serial arithmetic (RFC 4034 §3.1.5): modulo 2^32
}

void append_u8(std::vector<std::uint8_t>& out, std::uint32_t value) { out.push_back(static_cast<std::uint8_t>(value)); }

void append_u16(std::vector<std::uint8_t>& out, std::uint32_t value) {
    out.push_back(static_cast<std::uint8_t>(value >> 8));
    out.push_back(static_cast<std::uint8_t>(value));
}

void append_u32(std::vector<std::uint8_t>& out, std::uint32_t value) {
    const std::uint8_t bytes[4] = {static_cast<std::uint8_t>(value >> 24), static_cast<std::uint8_t>(value >> 16),
                                   static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)};
    out.insert(out.end(), bytes, bytes + 4);
}

void append_name(std::vector<std::uint8_t>& out, const WireName& name) {
    out.insert(out.end(), name.bytes.data(), name.bytes.data() + name.length);
}

// As glibc's inet_pton(AF_INET) reads it: four decimal parts of 0-255, no
// leading zeros, nothing else.
void append_ipv4(const ZoneToken& token, std::vector<std::uint8_t>& out) {
    refuse_quoted(token, "an address");
    std::uint8_t address[4] = {};
    int parts = 0;
    unsigned value = 0;
    bool digits = false;
    const auto bad = [&] { return ZoneSyntaxError(token, "bad IPv4 address " + quoted(token)); };
    for (const char c : token.text) {
        if (is_digit(c)) {
            if (digits && value == 0) throw bad();
            value = value * 10 + static_cast<unsigned>(c - '0');
            if (value > 255) throw bad();
            if (!digits && ++parts > 4) throw bad();
            digits = true;
        } else if (c == '.' && digits) {
            if (parts == 4) throw bad();
            address[parts - 1] = static_cast<std::uint8_t>(value);
            value = 0;
            digits = false;
        } else {
            throw bad();
        }
    }
    if (parts < 4 || !digits) throw bad();
    address[3] = static_cast<std::uint8_t>(value);
    out.insert(out.end(), address, address + 4);
}

void append_ipv6(const ZoneToken& token, std::vector<std::uint8_t>& out) {
    refuse_quoted(token, "an address");
    char text[64];
    std::uint8_t address[16];
    if (token.text.size() >= sizeof text) throw ZoneSyntaxError(token, "bad IPv6 address " + quoted(token));
    std::memcpy(text, token.text.data(), token.text.size());
    text[token.text.size()] = '\0';
    if (inet_pton(AF_INET6, text, address) != 1) throw ZoneSyntaxError(token, "bad IPv6 address " + quoted(token));
    out.insert(out.end(), address, address + 16);
}

}  // namespace dnswatch
