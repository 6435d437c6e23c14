// The packet path's word hash (decode/word_hash.h) over a run of bytes, for
// keys that are bytes already. (SipHash-2-4 here was a fifth of replay's
// time; the DNSSEC verdict cache keeps it, where one ECDSA verification
// dwarfs any hash.)
#pragma once

#include <cstdint>
#include <cstring>
#include <span>

#include "decode/word_hash.h"

namespace dnswatch {

inline std::uint64_t fast_hash(std::span<const std::uint8_t> bytes, std::uint64_t seed) {
    WordHasher h(seed ^ (bytes.size() * WordHasher::kMultiplier));
    const std::uint8_t* p = bytes.data();
    std::size_t n = bytes.size();
    for (; n >= 8; p += 8, n -= 8) {
        std::uint64_t word;
        std::memcpy(&word, p, 8);
        h.add(word);
    }
    if (n > 0) {  // byte by byte: a span says nothing of what lies past its end
        std::uint64_t word = 0;
        for (std::size_t i = 0; i < n; ++i) word |= std::uint64_t{p[i]} << (8 * i);
        h.add(word);
    }
    return h.finish();
}

}  // namespace dnswatch
