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

inline std::uint32_t crc32c_portable(std::string_view bytes) {
    std::uint32_t crc = 0xFFFFFFFFu;
    for (const char c : bytes) crc = detail::kCrc32cTable[(crc ^ static_cast<std::uint8_t>(c)) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

#if defined(__x86_64__)
// SSE 4.2 has CRC-32C in hardware: eight bytes an instruction, on the path
// of every stored record.
__attribute__((target("sse4.2"))) inline std::uint32_t crc32c_sse42(std::string_view bytes) {
    std::uint64_t crc = 0xFFFFFFFFu;
    const char* p = bytes.data();
    std::size_t n = bytes.size();
    for (; n >= 8; p += 8, n -= 8) {
        std::uint64_t word;
        __builtin_memcpy(&word, p, 8);
        crc = __builtin_ia32_crc32di(crc, word);
    }
    auto crc32 = static_cast<std::uint32_t>(crc);
    for (; n > 0; ++p, --n) crc32 = __builtin_ia32_crc32qi(crc32, static_cast<unsigned char>(*p));
    return crc32 ^ 0xFFFFFFFFu;
}
#endif

inline std::uint32_t crc32c(std::string_view bytes) {
#if defined(__x86_64__)
    static const bool hardware = __builtin_cpu_supports("sse4.2");
    if (hardware) return crc32c_sse42(bytes);
#endif
    return crc32c_portable(bytes);
}

}  // namespace dnswatch
