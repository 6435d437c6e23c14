// The hash of the packet path's own tables (watched zones, outstanding
// queries): short keys, eight bytes a step, a murmur3 finaliser. Tables an
// attacker can fill take a random seed per process, so that colliding keys
// cannot be planned from outside; the tables are bounded anyway, so a
// collision costs an eviction, never unbounded work. (SipHash-2-4 here was
// a fifth of replay's time; the DNSSEC verdict cache keeps it, where one
// ECDSA verification dwarfs any hash.)
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>

namespace dnswatch {

inline std::uint64_t fast_hash(std::span<const std::uint8_t> bytes, std::uint64_t seed) {
    constexpr std::uint64_t kMultiplier = 0x9E3779B97F4A7C15ull;
    std::uint64_t h = seed ^ (bytes.size() * kMultiplier);
    const std::uint8_t* p = bytes.data();
    std::size_t n = bytes.size();
    auto mix = [&h](std::uint64_t word) { h = std::rotl((h ^ word) * kMultiplier, 31); };
    for (; n >= 8; p += 8, n -= 8) {
        std::uint64_t word;
        std::memcpy(&word, p, 8);
        mix(word);
    }
    if (n > 0) {
        std::uint64_t word = 0;
        for (std::size_t i = 0; i < n; ++i) word |= std::uint64_t{p[i]} << (8 * i);
        mix(word);
    }
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 33;
    return h;
}

}  // namespace dnswatch
