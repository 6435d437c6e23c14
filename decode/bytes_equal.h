// Equality of two short runs of bytes without a call into the C library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace dnswatch {

// a[0, n) == b[0, n), inline: the packet path compares names and rdata of
// a few to a few dozen bytes per observation, where a call into the C
// library's memcmp (its size dispatch, a branch per tail) costs more than
// the compare. Words are loaded so that none reaches past n.
inline bool bytes_equal(const std::uint8_t* a, const std::uint8_t* b, std::size_t n) {
    if (n >= 8) {
        std::size_t i = 0;
        std::uint64_t x, y;
        for (; i + 8 < n; i += 8) {
            std::memcpy(&x, a + i, 8);
            std::memcpy(&y, b + i, 8);
            if (x != y) return false;
        }
        std::memcpy(&x, a + n - 8, 8);  // the last word, overlapping the one before
        std::memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        std::uint32_t x0, y0, x1, y1;
        std::memcpy(&x0, a, 4);
        std::memcpy(&y0, b, 4);
        std::memcpy(&x1, a + n - 4, 4);
        std::memcpy(&y1, b + n - 4, 4);
        return x0 == y0 && x1 == y1;
    }
    for (std::size_t i = 0; i < n; ++i) {
        if (a[i] != b[i]) return false;
    }
    return true;
}

}  // namespace dnswatch
