// Binary keys and comparison forms in the JSON state files, as lower-case hex.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace dnswatch {

inline std::string to_hex(std::string_view bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string text;
    text.reserve(bytes.size() * 2);
    for (const char c : bytes) {
        text.push_back(kHex[static_cast<std::uint8_t>(c) >> 4]);
        text.push_back(kHex[static_cast<std::uint8_t>(c) & 0xF]);
    }
    return text;
}

// Throws std::invalid_argument on odd length or a non-hex digit.
inline std::string from_hex(std::string_view text) {
    if (text.size() % 2 != 0) throw std::invalid_argument("odd-length hex");
    auto digit = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        throw std::invalid_argument("not a hex digit");
    };
    std::string bytes;
    bytes.reserve(text.size() / 2);
    for (std::size_t i = 0; i < text.size(); i += 2) {
        bytes.push_back(static_cast<char>(digit(text[i]) * 16 + digit(text[i + 1])));
    }
    return bytes;
}

}  // namespace dnswatch
