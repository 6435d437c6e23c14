#include <algorithm>
#include <array>
#include <string>

#include "baseline/zone_fields.h"

// The fields of zone_fields.h that hold bytes rather than numbers or names:
// character-strings, base64, hex, base32hex and type bitmaps.
namespace dnswatch {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

int base32hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'v') return c - 'a' + 10;
    if (c >= 'A' && c <= 'V') return c - 'A' + 10;
    return -1;
}

}  // namespace

void append_character_string(const ZoneToken& token, std::vector<std::uint8_t>& out) {
    const std::size_t length_at = out.size();
    out.push_back(0);
    const std::string_view text = token.text;
    for (std::size_t i = 0; i < text.size(); ++i) {
        out.push_back(text[i] == '\\' ? decode_escape(token, i) : static_cast<std::uint8_t>(text[i]));
    }
    const std::size_t length = out.size() - length_at - 1;
    if (length > 255) throw ZoneSyntaxError(token, "character-string longer than 255 bytes");
    out[length_at] = static_cast<std::uint8_t>(length);
}

void append_long_string(const ZoneToken& token, std::vector<std::uint8_t>& out) {
    // ldns 1.8 reads CAA's value only when quoted.
    if (!token.quoted) throw ZoneSyntaxError(token, "the value must be quoted: \"" + std::string(token.text) + "\"");
    const std::string_view text = token.text;
    for (std::size_t i = 0; i < text.size(); ++i) {
        out.push_back(text[i] == '\\' ? decode_escape(token, i) : static_cast<std::uint8_t>(text[i]));
    }
}

void append_tag(const ZoneToken& token, std::vector<std::uint8_t>& out) {
    refuse_quoted(token, "a tag");
    if (token.text.size() > 255) throw ZoneSyntaxError(token, "tag longer than 255 bytes");
    for (const char c : token.text) {
        const bool alphanumeric = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!alphanumeric) throw ZoneSyntaxError(token, "bad tag " + quoted(token) + ": letters and digits only");
    }
    out.push_back(static_cast<std::uint8_t>(token.text.size()));
    out.insert(out.end(), token.text.begin(), token.text.end());
}

// BSD b64_pton, as ldns uses it: white space (here, between tokens) may
// stand anywhere, padding is checked, and so are the bits it pads.
void append_base64(std::span<const ZoneToken> tokens, std::vector<std::uint8_t>& out) {
    if (tokens.size() == 1 && (tokens[0].text == "-" || tokens[0].text == "0")) return;  // ldns: empty
    int state = 0;
    std::uint32_t leftover = 0;  // bits past the last whole byte
    int pads = 0;
    for (const ZoneToken& token : tokens) {
        refuse_quoted(token, "base64");
        for (const char c : token.text) {
            if (c == '=') {
                if (state < 2 || pads >= 4 - state) throw ZoneSyntaxError(token, "bad base64: misplaced '='");
                ++pads;
                continue;
            }
            if (pads != 0) throw ZoneSyntaxError(token, "bad base64: text after '='");
            const int value = base64_value(c);
            if (value < 0) throw ZoneSyntaxError(token, "bad base64 " + quoted(token));
            const auto v = static_cast<std::uint32_t>(value);
            switch (state) {
                case 0: leftover = v << 2; state = 1; break;
                case 1: out.push_back(static_cast<std::uint8_t>(leftover | (v >> 4))); leftover = (v & 0x0F) << 4; state = 2; break;
                case 2: out.push_back(static_cast<std::uint8_t>(leftover | (v >> 2))); leftover = (v & 0x03) << 6; state = 3; break;
                default: out.push_back(static_cast<std::uint8_t>(leftover | v)); leftover = 0; state = 0; break;
            }
        }
    }
    const ZoneToken& last = tokens.back();
    if (pads == 0 && state != 0) throw ZoneSyntaxError(last, "bad base64: its length is not a multiple of 4");
    if (pads != 0 && pads != 4 - state) throw ZoneSyntaxError(last, "bad base64: missing '='");
    if (pads != 0 && (leftover & 0xFF) != 0) throw ZoneSyntaxError(last, "bad base64: padding bits are not zero");
}

void append_hex(std::span<const ZoneToken> tokens, std::vector<std::uint8_t>& out) {
    int high = -1;
    for (const ZoneToken& token : tokens) {
        refuse_quoted(token, "hex");
        for (const char c : token.text) {
            const int value = hex_value(c);
            if (value < 0) throw ZoneSyntaxError(token, "bad hex " + quoted(token));
            if (high < 0) {
                high = value;
            } else {
                out.push_back(static_cast<std::uint8_t>(high << 4 | value));
                high = -1;
            }
        }
    }
    if (high >= 0) throw ZoneSyntaxError(tokens.back(), "bad hex: an odd number of digits");
}

void append_salt(const ZoneToken& token, std::vector<std::uint8_t>& out) {
    refuse_quoted(token, "a salt");
    if (token.text == "-") {
        out.push_back(0);
        return;
    }
    if (token.text.size() % 2 != 0) throw ZoneSyntaxError(token, "bad salt " + quoted(token) + ": an odd number of hex digits");
    if (token.text.size() > 2 * 255) throw ZoneSyntaxError(token, "salt longer than 255 bytes");
    out.push_back(static_cast<std::uint8_t>(token.text.size() / 2));
    append_hex(std::span(&token, 1), out);
}

// NSEC3's next hashed owner: unpadded base32hex (RFC 4648 §7), whole groups
// of eight characters (ldns miscounts the length of a padded one).
void append_base32hex(const ZoneToken& token, std::vector<std::uint8_t>& out) {
    refuse_quoted(token, "base32hex");
    const std::string_view text = token.text;
    if (text.size() % 8 != 0) throw ZoneSyntaxError(token, "bad base32hex " + quoted(token) + ": length not a multiple of 8");
    if (text.size() / 8 * 5 > 255) throw ZoneSyntaxError(token, "hashed owner longer than 255 bytes");
    out.push_back(static_cast<std::uint8_t>(text.size() / 8 * 5));
    for (std::size_t group = 0; group < text.size(); group += 8) {
        std::uint64_t bits = 0;
        for (std::size_t i = 0; i < 8; ++i) {
            const int value = base32hex_value(text[group + i]);
            if (value < 0) throw ZoneSyntaxError(token, "bad base32hex " + quoted(token));
            bits = bits << 5 | static_cast<std::uint64_t>(value);
        }
        for (int shift = 32; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(bits >> shift));
    }
}

void append_type_bitmap(std::span<const ZoneToken> tokens, std::vector<std::uint8_t>& out) {
    if (tokens.empty()) return;
    // One bit a type in its window (RFC 4034 §4.1.2), written in window order.
    std::array<std::array<std::uint8_t, 32>, 256> windows{};
    std::array<int, 256> window_length{};  // bytes used; 0: window absent
    for (const ZoneToken& token : tokens) {
        refuse_quoted(token, "a type");
        const auto type = parse_type(token.text);
        if (!type) throw ZoneSyntaxError(token, "unknown type " + quoted(token));
        const int window = *type >> 8, low = *type & 0xFF;
        windows[window][low / 8] |= static_cast<std::uint8_t>(0x80 >> (low % 8));
        window_length[window] = std::max(window_length[window], low / 8 + 1);
    }
    for (int window = 0; window < 256; ++window) {
        if (window_length[window] == 0) continue;
        out.push_back(static_cast<std::uint8_t>(window));
        out.push_back(static_cast<std::uint8_t>(window_length[window]));
        out.insert(out.end(), windows[window].begin(), windows[window].begin() + window_length[window]);
    }
}

}  // namespace dnswatch
