// The word-at-a-time hash of the packet path's own tables (watched zones,
// outstanding queries, TCP flows, answer history): each 64-bit word is
// folded in with a multiply and a rotate, and murmur3's finaliser (or, for
// a table index only, half of it) spreads the result. Fields are added
// straight from where they lie, never copied into a byte buffer first: a
// word load spanning several just-written small stores cannot be forwarded
// by the CPU (that copy was ~2.5% of replay in the query table alone).
// Tables an attacker can fill take a random seed per process; all are
// bounded, so a collision costs an eviction, never unbounded work.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "decode/dns_datagram.h"
#include "decode/dns_name.h"

namespace dnswatch {

// Little-endian whatever the machine, so that a mask keeps the first bytes.
inline std::uint64_t load_le64(const std::uint8_t* p) {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
    return v;
}

// murmur3's 64-bit finaliser.
inline std::uint64_t fmix64(std::uint64_t h) {
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 33;
    return h;
}

// Enough to pick a slot of a power-of-two table from an unfinished hash:
// the words' mixing leaves the low bits weak.
inline std::size_t table_index_mix(std::uint64_t h) {
    h ^= h >> 32;
    h *= 0xFF51AFD7ED558CCDull;
    return static_cast<std::size_t>(h ^ (h >> 29));
}

class WordHasher {
public:
    static constexpr std::uint64_t kMultiplier = 0x9E3779B97F4A7C15ull;

    explicit WordHasher(std::uint64_t seed) : h_(seed) {}

    void add(std::uint64_t word) { h_ = std::rotl((h_ ^ word) * kMultiplier, 31); }
    // An address in words that say its family: the first word of an IPv4
    // one holds the family too, an IPv6 one takes three.
    void add(const IpAddress& address) {
        if (address.family == 4) {  // the first 4 bytes only count
            std::uint32_t v4;
            std::memcpy(&v4, address.bytes.data(), sizeof v4);
            add(std::uint64_t{v4} | std::uint64_t{4} << 32);
            return;
        }
        std::uint64_t high, low;
        std::memcpy(&high, address.bytes.data(), sizeof high);
        std::memcpy(&low, address.bytes.data() + 8, sizeof low);
        add(address.family);
        add(high);
        add(low);
    }
    // The wire bytes [at, name.length) of `name`, whole
    // words loaded and the last one masked, or, at the very end of the
    // 255-byte buffer, shifted: no byte past the name counts, no load
    // leaves the buffer.
    void add_name_bytes(const DnsName& name, std::size_t at) {
        const std::uint8_t* p = name.wire.data() + at;
        const std::uint8_t* const buffer_end = name.wire.data() + name.wire.size();
        std::size_t n = name.length - at;
        for (; n >= 8; p += 8, n -= 8) add(load_le64(p));
        if (n == 0) return;
        const unsigned drop = 64 - 8 * static_cast<unsigned>(n);
        add(buffer_end - p >= 8 ? load_le64(p) & (~std::uint64_t{0} >> drop) : load_le64(p + n - 8) >> drop);
    }

    std::uint64_t value() const { return h_; }  // unfinished: for table_index_mix()
    std::uint64_t finish() const { return fmix64(h_); }

private:
    std::uint64_t h_;
};

}  // namespace dnswatch
