// Presentation-form fields to wire form, for the zone reader: names, TTLs,
// integers, addresses, strings, base64, hex, base32hex, type bitmaps and
// signature times. Each accepts what ldns accepts for that field, minus
// ldns's leniencies (integers that wrap, trailing garbage after a TTL, odd
// hex digits, unknown type names read as type 0, a NUL byte in a name), and
// writes exactly ldns's bytes. Errors throw ZoneSyntaxError at the token.
// Numbers, names and mnemonics are in zone_fields.cc; strings, base64, hex,
// base32hex and type bitmaps in zone_field_encodings.cc.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "baseline/zone_lexer.h"

namespace dnswatch {

// A name in wire form with its case as written: rdata names keep their case
// (ldns does), and so does an origin appended to them.
struct WireName {
    std::array<std::uint8_t, 255> bytes;
    std::uint8_t length = 0;  // 0: none
    std::uint8_t labels = 0;  // root excluded
};

// The token's text in single quotes, for error messages.
std::string quoted(const ZoneToken& token);
// Refuses a quoted string where `what` (a name, a number...) must be a word.
void refuse_quoted(const ZoneToken& token, const char* what);
// One escape of RFC 1035 §5.1 at token.text[i] == '\\': "\DDD" (a byte,
// 0-255) or "\X" (X itself, X not a digit). Returns the byte; `i` ends on
// the escape's last character.
std::uint8_t decode_escape(const ZoneToken& token, std::size_t& i);

// ASCII case-insensitive comparison, as mnemonics are matched.
bool equals_ignoring_case(std::string_view a, std::string_view b);

// Parses a name token ("www", "Mail.Example.", "\065b\.c", "@") into `out`.
// Relative names are completed with `origin` ("@" is the origin itself);
// without one they are refused.
void parse_name(const ZoneToken& token, const WireName* origin, WireName& out);

// Presentation form of a wire name that ldns reads back to the same bytes.
std::string name_to_ldns_text(const WireName& name);

// A TTL or SOA timer: "3600", "1h30m", "2W" (units s m h d w, any case; a
// last group may lack its unit). Refuses values over 2^32 - 1.
std::uint32_t parse_ttl(const ZoneToken& token, const char* what);

// A decimal number of at most `max`.
std::uint32_t parse_number(const ZoneToken& token, std::uint32_t max, const char* what);

// A class mnemonic (IN, CH, HS, NONE, ANY, CLASSnnn); nullopt if the text is none.
std::optional<std::uint16_t> parse_class(std::string_view text);
// A type mnemonic or TYPEnnn; nullopt if the text is none.
std::optional<std::uint16_t> parse_type(std::string_view text);

// DNSSEC algorithm (mnemonic or number), TLSA usage, selector and matching type.
std::uint8_t parse_algorithm(const ZoneToken& token);
std::uint8_t parse_tlsa_usage(const ZoneToken& token);
std::uint8_t parse_tlsa_selector(const ZoneToken& token);
std::uint8_t parse_tlsa_matching_type(const ZoneToken& token);

// RRSIG times: YYYYMMDDHHmmSS (UTC) or seconds since the epoch.
std::uint32_t parse_signature_time(const ZoneToken& token);

void append_u8(std::vector<std::uint8_t>& out, std::uint32_t value);
void append_u16(std::vector<std::uint8_t>& out, std::uint32_t value);
void append_u32(std::vector<std::uint8_t>& out, std::uint32_t value);
void append_name(std::vector<std::uint8_t>& out, const WireName& name);

void append_ipv4(const ZoneToken& token, std::vector<std::uint8_t>& out);
void append_ipv6(const ZoneToken& token, std::vector<std::uint8_t>& out);
// A <character-string>: a length byte, then at most 255 bytes.
void append_character_string(const ZoneToken& token, std::vector<std::uint8_t>& out);
// CAA's value: the bytes alone, no length.
void append_long_string(const ZoneToken& token, std::vector<std::uint8_t>& out);
// CAA's tag: letters and digits, with a length byte.
void append_tag(const ZoneToken& token, std::vector<std::uint8_t>& out);
// Base64 and hex spread over the remaining tokens.
void append_base64(std::span<const ZoneToken> tokens, std::vector<std::uint8_t>& out);
void append_hex(std::span<const ZoneToken> tokens, std::vector<std::uint8_t>& out);
// NSEC3 salt ("-" for none) and next hashed owner, each with a length byte.
void append_salt(const ZoneToken& token, std::vector<std::uint8_t>& out);
void append_base32hex(const ZoneToken& token, std::vector<std::uint8_t>& out);
// NSEC/NSEC3 type bitmap of the type mnemonics in `tokens` (none: empty).
void append_type_bitmap(std::span<const ZoneToken> tokens, std::vector<std::uint8_t>& out);

}  // namespace dnswatch
