// CRC-32C (Castagnoli), the checksum of each alert-store record: a torn or
// damaged record is told from a whole one without trusting its length.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace dnswatch {

namespace detail {
inline constexpr std::array<std::uint32_t, 256> kCrc32cTable = [] {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t crc = i;
        for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) != 0 ? 0x82F63B78u : 0);
        table[i] = crc;
    }
    return table;
}();
}  // namespace detail

inline std::uint32_t crc32c(std::string_view bytes) {
    std::uint32_t crc = 0xFFFFFFFFu;
    for (const char c : bytes) crc = detail::kCrc32cTable[(crc ^ static_cast<std::uint8_t>(c)) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

}  // namespace dnswatch
