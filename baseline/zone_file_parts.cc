#include "baseline/zone_file_parts.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace dnswatch {
namespace {

constexpr std::uint64_t kP1 = 0x9E3779B185EBCA87ULL;
constexpr std::uint64_t kP2 = 0xC2B2AE3D27D4EB4FULL;
constexpr std::uint64_t kP3 = 0x165667B19E3779F9ULL;
constexpr std::uint64_t kP4 = 0x85EBCA77C2B2AE63ULL;
constexpr std::uint64_t kP5 = 0x27D4EB2F165667C5ULL;

inline std::uint64_t load64(const unsigned char* p) {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
inline std::uint32_t load32(const unsigned char* p) {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
inline std::uint64_t round64(std::uint64_t acc, std::uint64_t input) {
    acc += input * kP2;
    acc = std::rotl(acc, 31);
    return acc * kP1;
}
inline std::uint64_t merge64(std::uint64_t acc, std::uint64_t value) {
    acc ^= round64(0, value);
    return acc * kP1 + kP4;
}

// The end of the owner field of the line at `line` (its first white space,
// comment or parenthesis).
inline const char* owner_end(const char* line, const char* end) {
    const char* p = line;
    while (p < end && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n' && *p != ';' && *p != '(') ++p;
    return p;
}

// The first 8 bytes at `line` (fewer near the end, zero-padded).
inline std::uint64_t prefix_of(const char* line, const char* end) {
    std::uint64_t prefix = 0;
    std::memcpy(&prefix, line, std::min<std::size_t>(8, static_cast<std::size_t>(end - line)));
    return prefix;
}

inline bool names_owner(char first) {
    return first != ' ' && first != '\t' && first != '\r' && first != '\n' && first != ';' && first != '(' &&
           first != '$';
}

}  // namespace

std::uint64_t hash_bytes(const void* data, std::size_t size, std::uint64_t seed) {
    const auto* p = static_cast<const unsigned char*>(data);
    const unsigned char* const end = p + size;
    std::uint64_t h;
    if (size >= 32) {
        std::uint64_t v1 = seed + kP1 + kP2, v2 = seed + kP2, v3 = seed, v4 = seed - kP1;
        const unsigned char* const limit = end - 32;
        do {
            v1 = round64(v1, load64(p));
            v2 = round64(v2, load64(p + 8));
            v3 = round64(v3, load64(p + 16));
            v4 = round64(v4, load64(p + 24));
            p += 32;
        } while (p <= limit);
        h = std::rotl(v1, 1) + std::rotl(v2, 7) + std::rotl(v3, 12) + std::rotl(v4, 18);
        h = merge64(h, v1);
        h = merge64(h, v2);
        h = merge64(h, v3);
        h = merge64(h, v4);
    } else {
        h = seed + kP5;
    }
    h += static_cast<std::uint64_t>(size);
    for (; p + 8 <= end; p += 8) {
        h ^= round64(0, load64(p));
        h = std::rotl(h, 27) * kP1 + kP4;
    }
    if (p + 4 <= end) {
        h ^= static_cast<std::uint64_t>(load32(p)) * kP1;
        h = std::rotl(h, 23) * kP2 + kP3;
        p += 4;
    }
    for (; p < end; ++p) {
        h ^= *p * kP5;
        h = std::rotl(h, 11) * kP1;
    }
    h ^= h >> 33;
    h *= kP2;
    h ^= h >> 29;
    h *= kP3;
    h ^= h >> 32;
    return h;
}

std::size_t next_file_cut(std::string_view text, std::size_t start, const FilePartOptions& options) {
    const char* const begin = text.data();
    const char* const end = begin + text.size();
    const char* const first = begin + start;
    if (text.size() - start <= options.min_bytes) return text.size();
    // The first line start at or after start + min_bytes, and the line before it.
    const char* nl = static_cast<const char*>(std::memchr(first + options.min_bytes - 1, '\n',
                                                          static_cast<std::size_t>(end - (first + options.min_bytes - 1))));
    if (nl == nullptr) return text.size();
    const char* line = nl + 1;
    const char* previous = first;
    for (const char* p = nl; p > first;) {
        --p;
        if (*p == '\n') {
            previous = p + 1;
            break;
        }
    }
    std::string_view previous_owner(previous, static_cast<std::size_t>(owner_end(previous, end) - previous));
    // Lines that start alike (most of an owner's run) are passed over
    // without looking for where their owner ends; a line's first bytes are
    // its own (never the next line's), so that the cuts are the same
    // whatever window of the file is being cut.
    std::uint64_t previous_prefix = prefix_of(previous, nl);
    const unsigned shift = options.cut_bits == 0 ? 0 : 64 - options.cut_bits;
    while (line < end) {
        if (static_cast<std::size_t>(line - first) >= options.max_bytes) return static_cast<std::size_t>(line - begin);
        const char* line_end = static_cast<const char*>(std::memchr(line, '\n', static_cast<std::size_t>(end - line)));
        if (line_end == nullptr) line_end = end;
        const std::uint64_t prefix = prefix_of(line, line_end);
        if (prefix != previous_prefix) {
            previous_prefix = prefix;
            const std::string_view owner(line, static_cast<std::size_t>(owner_end(line, line_end) - line));
            if (names_owner(*line) && owner != previous_owner &&
                (shift == 0 || (hash_bytes(owner.data(), owner.size(), 0x7a6f6e65) >> shift) == 0)) {
                return static_cast<std::size_t>(line - begin);
            }
            previous_owner = owner;
        }
        if (line_end == end) break;
        line = line_end + 1;
    }
    return text.size();
}

}  // namespace dnswatch
