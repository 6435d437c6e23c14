#include "decode/dns_name.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace dnswatch {
namespace {

constexpr std::uint8_t to_lower(std::uint8_t c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<std::uint8_t>(c | 0x20) : c;
}

inline std::uint64_t load64(const std::uint8_t* p) {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
inline void store64(std::uint8_t* p, std::uint64_t v) { std::memcpy(p, &v, sizeof v); }

// ASCII upper case to lower case in eight bytes at once, other bytes kept.
// No carry crosses a byte: each sum stays below 0x100.
constexpr std::uint64_t lower8(std::uint64_t x) {
    constexpr std::uint64_t ones = 0x0101010101010101ull;
    const std::uint64_t low7 = x & (0x7F * ones);
    const std::uint64_t at_least_a = low7 + (0x80 - 'A') * ones;  // high bit set: >= 'A'
    const std::uint64_t above_z = low7 + (0x80 - 'Z' - 1) * ones;  // high bit set: > 'Z'
    const std::uint64_t upper = at_least_a & ~above_z & ~x & (0x80 * ones);
    return x | (upper >> 2);  // 0x80 >> 2 == 0x20, the case bit
}
static_assert(lower8(0x5A41405B7A61C1FFull) == 0x7A61405B7A61C1FFull);

// The same for sixteen bytes, with the compiler's portable vector types
// (SSE2 on x86-64, NEON on ARM): long names are most of a tunnel's bytes.
// One signed compare finds the upper case: adding 63 moves 'A'..'Z' to
// 128..153, the only bytes then below -102 as signed (SSE2 has no unsigned
// byte compare: `v >= 'A' && v <= 'Z'` took eight instructions, not two).
using Bytes16 = std::uint8_t __attribute__((vector_size(16)));
using SignedBytes16 = std::int8_t __attribute__((vector_size(16)));
inline void lower16(std::uint8_t* to, const std::uint8_t* from) {
    Bytes16 v;
    std::memcpy(&v, from, sizeof v);
    const auto upper = reinterpret_cast<SignedBytes16>(v + 63) < -102;  // all ones where upper case
    v |= reinterpret_cast<Bytes16>(upper) & 0x20;
    std::memcpy(to, &v, sizeof v);
}

// hash_name(): the name's wire bytes (root excluded) lower-cased and mixed
// eight bytes at a time, then its length. Bytes arrive in runs (a DnsName is
// one run; a compressed name in a message is one run per segment), so a run
// that does not end on a word boundary leaves its tail pending for the next.
// kFoldCase is false for bytes already in canonical (lower) case.
template <bool kFoldCase>
class NameHasher {
public:
    // Adds n bytes at p; p + n <= end, and bytes up to `end` may be read.
    void add(const std::uint8_t* p, std::size_t n, const std::uint8_t* end) {
        if (pending_ != 0) {  // rare: a segment after an unaligned one
            // One copy of what completes the word (or all there is), so that
            // the bound is plain to the compiler too: a byte-at-a-time loop,
            // unrolled at -O3, made GCC 12 see a write past buffer_.
            const std::size_t take = std::min(n, sizeof buffer_ - pending_);
            std::memcpy(buffer_ + pending_, p, take);
            pending_ += take;
            p += take;
            n -= take;
            if (pending_ < sizeof buffer_) return;
            mix(fold(load64(buffer_)));
            pending_ = 0;
        }
        while (n >= 8) {
            mix(fold(load64(p)));
            p += 8;
            n -= 8;
        }
        if (n == 0) return;
        if (static_cast<std::size_t>(end - p) >= 8) {
            store64(buffer_, load64(p));
        } else {
            std::memcpy(buffer_, p, n);
        }
        pending_ = n;
    }
    std::uint32_t finish(std::size_t length) {
        if (pending_ != 0) mix(fold(load64(buffer_) & first_bytes(pending_)));
        mix(length);
        const std::uint64_t h = h_ * 0x9E3779B97F4A7C15ull;
        return static_cast<std::uint32_t>(h >> 32);
    }

private:
    // The first n bytes (in memory order) of a word read with load64().
    static std::uint64_t first_bytes(std::size_t n) {
        const std::uint64_t bits = (std::uint64_t{1} << (8 * n)) - 1;
        if constexpr (std::endian::native == std::endian::little) return bits;
        return ~std::uint64_t{0} << (8 * (8 - n));
    }
    // The multiply is off the dependency chain (it needs only the word), so
    // a name costs about two cycles a word plus the final multiply.
    void mix(std::uint64_t word) { h_ = std::rotl(h_ ^ (word * 0xC2B2AE3D27D4EB4Full), 29); }
    static std::uint64_t fold(std::uint64_t word) {
        if constexpr (kFoldCase) return lower8(word);
        return word;
    }

    std::uint64_t h_ = 0x243F6A8885A308D3ull;
    std::uint8_t buffer_[8] = {};
    std::size_t pending_ = 0;
};

bool needs_escape(std::uint8_t c) {
    switch (c) {
        case '.': case '\\': case '"': case '(': case ')': case ';': case '@': case '$':
            return true;
        default:
            return false;
    }
}

// The name walker every entry point shares, so that copying, hashing and
// validating cannot disagree on what a valid name is. `sink` sees each label
// (its length byte first) and the root.
template <typename Sink>
inline MalformedKind walk_name(std::span<const std::uint8_t> message, std::size_t offset, std::size_t* next,
                               Sink& sink) {
    const std::uint8_t* const bytes = message.data();
    std::size_t pos = offset;
    std::size_t limit = message.size();  // shrinks to each followed pointer's position
    bool jumped = false;
    int hops = 0;
    std::size_t length = 0;  // wire bytes so far, root excluded

    while (true) {
        if (pos >= limit) {
            return jumped ? MalformedKind::dns_pointer_loop : MalformedKind::dns_truncated;
        }
        const std::uint8_t octet = bytes[pos];
        if (octet == 0) {
            // length <= 254 here: every label below was checked with room for the root.
            sink.root(length, hops);
            if (!jumped) *next = pos + 1;
            return MalformedKind::none;
        }
        const std::uint8_t label_type = octet & 0xC0;
        if (label_type == 0xC0) {
            if (pos + 1 >= limit) {
                return jumped ? MalformedKind::dns_pointer_loop : MalformedKind::dns_truncated;
            }
            const std::size_t target = (std::size_t{octet & 0x3Fu} << 8) | bytes[pos + 1];
            if (!jumped) *next = pos + 2;
            if (target >= pos) return MalformedKind::dns_forward_pointer;
            // The header holds no name; a pointer there reads ids and counts as labels.
            if (target < kDnsHeaderSize) return MalformedKind::dns_pointer_into_header;
            if (++hops > kMaxCompressionHops) return MalformedKind::dns_pointer_loop;
            jumped = true;
            limit = pos;
            pos = target;
            continue;
        }
        if (label_type != 0) return MalformedKind::dns_bad_label_type;
        // The label and at least one more byte (next label or root) must fit.
        if (octet >= limit - pos - 1) {
            return jumped ? MalformedKind::dns_pointer_loop : MalformedKind::dns_truncated;
        }
        if (length + 1 + octet + 1 > kMaxNameLength) return MalformedKind::dns_name_too_long;
        sink.label(bytes + pos, octet, length, bytes + message.size());
        length += 1 + std::size_t{octet};
        pos += 1 + std::size_t{octet};
    }
}

// Copies the name, lower-cased, into a kMaxNameLength-byte buffer, one run
// of consecutive labels at a time (a whole name, unless it is compressed).
struct CopySink {
    std::uint8_t* out;
    std::uint8_t labels = 0;
    std::size_t length = 0;
    const std::uint8_t* run = nullptr;
    const std::uint8_t* run_end = nullptr;
    const std::uint8_t* end = nullptr;
    std::size_t run_offset = 0;  // where the run goes in `out`

    void label(const std::uint8_t* at, std::uint8_t octet, std::size_t offset, const std::uint8_t* message_end) {
        if (at != run_end) {
            flush();
            run = at;
            run_offset = offset;
            end = message_end;
        }
        run_end = at + 1 + octet;
        ++labels;
    }
    void root(std::size_t offset, int) {
        flush();
        out[offset] = 0;
        length = offset + 1;
    }
    void flush() {
        if (run == nullptr) return;
        const std::size_t n = static_cast<std::size_t>(run_end - run);
        std::uint8_t* const to = out + run_offset;
        std::size_t i = 0;
        for (; i + 16 <= n; i += 16) lower16(to + i, run + i);
        for (; i + 8 <= n; i += 8) store64(to + i, lower8(load64(run + i)));
        if (i == n) return;
        if (static_cast<std::size_t>(end - run) >= i + 8 && run_offset + i + 8 <= kMaxNameLength) {
            // A whole word for the tail too: the bytes written past the run
            // are overwritten by the next run or the root, or lie past the
            // name's length.
            store64(to + i, lower8(load64(run + i)));
        } else {
            for (; i < n; ++i) to[i] = to_lower(run[i]);
        }
    }
};

// Computes hash_name() of the name as it walks, without copying it:
// consecutive labels form one run, hashed when a jump (or the root) ends it.
struct HashSink {
    NameHasher<true> hasher;
    const std::uint8_t* run = nullptr;
    const std::uint8_t* run_end = nullptr;
    const std::uint8_t* end = nullptr;
    int hops = 0;
    std::size_t length = 0;

    void label(const std::uint8_t* at, std::uint8_t octet, std::size_t, const std::uint8_t* message_end) {
        if (at != run_end) {
            if (run != nullptr) hasher.add(run, static_cast<std::size_t>(run_end - run), end);
            run = at;
            end = message_end;
        }
        run_end = at + 1 + octet;
    }
    void root(std::size_t offset, int hop_count) {
        if (run != nullptr) hasher.add(run, static_cast<std::size_t>(run_end - run), end);
        hops = hop_count;
        length = offset + 1;
    }
};

struct ValidateSink {
    void label(const std::uint8_t*, std::uint8_t, std::size_t, const std::uint8_t*) {}
    void root(std::size_t, int) {}
};

// Copies n bytes lower-cased, sixteen at a time. It may read and write up
// to 15 bytes past n: `from_end` and `to_end` bound what may be touched.
inline void copy_lower(std::uint8_t* to, const std::uint8_t* to_end, const std::uint8_t* from,
                       const std::uint8_t* from_end, std::size_t n) {
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) lower16(to + i, from + i);
    if (i == n) return;
    if (from + i + 16 <= from_end && to + i + 16 <= to_end) {
        lower16(to + i, from + i);
        return;
    }
    for (; i + 8 <= n; i += 8) store64(to + i, lower8(load64(from + i)));
    for (; i < n; ++i) to[i] = to_lower(from[i]);
}

// The shape nearly every name has: labels written out, ending in the root
// or in one pointer to labels written out (C0 0C, the question, is most
// owners). walk_plain_name() checks a name for it with the checks of
// walk_name(), and read_name() and scan_name() then copy or hash each of
// its (at most two) runs in one go, with no per-label bookkeeping. (The
// general walk cost ~205 instructions for a 20-byte question name, ~10% of
// replay; this, ~145.) For any other name (a second pointer, a bad label type, a name
// running out of bytes or too long) it says no and the general walk
// decides, so that both agree on every input by construction.
struct PlainName {
    std::size_t first_end = 0;  // where the labels before a pointer end: the pointer's position
    std::size_t second = 0;     // where the labels after the pointer start; 0: no pointer
    std::size_t root = 0;       // position of the root label
    std::size_t length = 0;     // wire bytes, root excluded
    unsigned labels = 0;
};

inline bool walk_plain_name(std::span<const std::uint8_t> message, std::size_t offset, PlainName& name) {
    const std::uint8_t* const bytes = message.data();
    std::size_t limit = message.size();
    std::size_t pos = offset;
    if (pos >= limit) return false;
    // Every step below leaves pos < limit: a label must end before the
    // limit, and a pointer's target lies before it.
    while (true) {
        const std::uint8_t octet = bytes[pos];
        if (octet == 0) break;
        if (octet > kMaxLabelLength) {
            if (name.second != 0 || (octet & 0xC0) != 0xC0 || pos + 1 >= limit) return false;
            const std::size_t target = (std::size_t{octet & 0x3Fu} << 8) | bytes[pos + 1];
            if (target >= pos || target < kDnsHeaderSize) return false;
            name.first_end = pos;
            name.second = target;
            limit = pos;
            pos = target;
            continue;
        }
        if (octet >= limit - pos - 1) return false;
        name.length += 1 + std::size_t{octet};
        if (name.length + 1 > kMaxNameLength) return false;
        pos += 1 + std::size_t{octet};
        ++name.labels;
    }
    name.root = pos;
    if (name.second == 0) name.first_end = pos;
    return true;
}

inline bool read_plain_name(std::span<const std::uint8_t> message, std::size_t offset, DnsName* out,
                            std::size_t* next) {
    PlainName name;
    if (!walk_plain_name(message, offset, name)) return false;
    std::uint8_t* const to = out->wire.data();
    std::uint8_t* const to_end = to + kMaxNameLength;
    const std::uint8_t* const from_end = message.data() + message.size();
    if (name.second == 0) {
        copy_lower(to, to_end, message.data() + offset, from_end, name.length + 1);  // the root too
        *next = name.root + 1;
    } else {
        // The run before the pointer first: what its last vector writes past
        // it, the second run overwrites.
        const std::size_t first = name.first_end - offset;
        if (first != 0) copy_lower(to, to_end, message.data() + offset, from_end, first);
        copy_lower(to + first, to_end, message.data() + name.second, from_end, name.length + 1 - first);
        *next = name.first_end + 2;
    }
    out->length = static_cast<std::uint8_t>(name.length + 1);
    out->label_count = static_cast<std::uint8_t>(name.labels);
    return true;
}

// The runs hashed as HashSink hashes them: the labels before the pointer,
// then those after it.
inline bool scan_plain_name(std::span<const std::uint8_t> message, std::size_t offset, NameScan* out,
                            std::size_t* next) {
    PlainName name;
    if (!walk_plain_name(message, offset, name)) return false;
    const std::uint8_t* const bytes = message.data();
    const std::uint8_t* const end = bytes + message.size();
    NameHasher<true> hasher;
    if (name.first_end != offset) hasher.add(bytes + offset, name.first_end - offset, end);
    if (name.second != 0 && name.root != name.second) hasher.add(bytes + name.second, name.root - name.second, end);
    out->hash = hasher.finish(name.length + 1);
    out->hops = name.second != 0 ? 1 : 0;
    out->length = static_cast<std::uint8_t>(name.length + 1);
    *next = name.second != 0 ? name.first_end + 2 : name.root + 1;
    return true;
}

}  // namespace

MalformedKind read_name(std::span<const std::uint8_t> message, std::size_t offset, DnsName* out,
                        std::size_t* next) {
    if (out == nullptr) {
        ValidateSink sink;
        return walk_name(message, offset, next, sink);
    }
    if (read_plain_name(message, offset, out, next)) return MalformedKind::none;
    CopySink sink{out->wire.data()};
    const MalformedKind kind = walk_name(message, offset, next, sink);
    if (kind == MalformedKind::none) {
        out->length = static_cast<std::uint8_t>(sink.length);
        out->label_count = sink.labels;
    }
    return kind;
}

MalformedKind scan_name(std::span<const std::uint8_t> message, std::size_t offset, NameScan* out,
                        std::size_t* next) {
    if (scan_plain_name(message, offset, out, next)) return MalformedKind::none;
    HashSink sink;
    const MalformedKind kind = walk_name(message, offset, next, sink);
    if (kind == MalformedKind::none) {
        out->hash = sink.hasher.finish(sink.length);
        out->hops = static_cast<std::uint8_t>(sink.hops);
        out->length = static_cast<std::uint8_t>(sink.length);
    }
    return kind;
}

std::uint32_t hash_name(const DnsName& name) {
    NameHasher<false> hasher;  // a DnsName is lower case already
    if (name.length > 1) hasher.add(name.wire.data(), name.length - 1u, name.wire.data() + name.wire.size());
    return hasher.finish(name.length);
}

std::string DnsName::to_text() const {
    if (length <= 1) return ".";
    std::string text;
    text.reserve(length);
    std::size_t pos = 0;
    while (pos < length && wire[pos] != 0) {
        const std::uint8_t label_length = wire[pos];
        if (!text.empty()) text.push_back('.');
        for (std::size_t i = 1; i <= label_length; ++i) {
            const std::uint8_t c = wire[pos + i];
            if (c <= 0x20 || c >= 0x7F) {
                char escaped[5];
                escaped[0] = '\\';
                escaped[1] = static_cast<char>('0' + c / 100);
                escaped[2] = static_cast<char>('0' + (c / 10) % 10);
                escaped[3] = static_cast<char>('0' + c % 10);
                escaped[4] = '\0';
                text.append(escaped);
            } else {
                if (needs_escape(c)) text.push_back('\\');
                text.push_back(static_cast<char>(c));
            }
        }
        pos += 1 + label_length;
    }
    return text;
}

std::optional<DnsName> DnsName::from_text(std::string_view text) {
    DnsName name;
    if (text == "." || text.empty()) {
        name.wire[0] = 0;
        name.length = 1;
        return name;
    }
    std::size_t length = 0;
    std::size_t label_start = 0;  // index of the current label's length byte
    std::size_t label_length = 0;
    name.wire[0] = 0;
    length = 1;
    auto close_label = [&]() -> bool {
        if (label_length == 0 || label_length > kMaxLabelLength) return false;
        name.wire[label_start] = static_cast<std::uint8_t>(label_length);
        ++name.label_count;
        label_start = length;
        if (length >= kMaxNameLength) return false;
        name.wire[length++] = 0;
        label_length = 0;
        return true;
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        std::uint8_t c = static_cast<std::uint8_t>(text[i]);
        if (c == '.') {
            if (!close_label()) return std::nullopt;
            if (i + 1 == text.size()) break;  // trailing dot
            continue;
        }
        if (c == '\\') {
            if (i + 1 >= text.size()) return std::nullopt;
            const auto d = [&](std::size_t k) { return text[k] >= '0' && text[k] <= '9'; };
            if (d(i + 1)) {
                if (i + 3 >= text.size() || !d(i + 2) || !d(i + 3)) return std::nullopt;
                const int value = (text[i + 1] - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
                if (value > 255) return std::nullopt;
                c = static_cast<std::uint8_t>(value);
                i += 3;
            } else {
                c = static_cast<std::uint8_t>(text[++i]);
            }
        }
        if (length >= kMaxNameLength - 1) return std::nullopt;
        name.wire[length++] = to_lower(c);
        ++label_length;
    }
    if (label_length > 0 && !close_label()) return std::nullopt;
    // The last close_label() left a zero byte at label_start: the root label.
    name.length = static_cast<std::uint8_t>(label_start + 1);
    return name;
}

bool DnsName::is_at_or_below(const DnsName& zone) const {
    if (label_count < zone.label_count) return false;
    const std::string_view suffix = suffix_key(label_count - zone.label_count);
    return suffix == zone.key();
}

std::string_view DnsName::suffix_key(unsigned skip) const {
    std::size_t pos = 0;
    for (unsigned i = 0; i < skip && pos < length && wire[pos] != 0; ++i) pos += 1 + wire[pos];
    return key().substr(pos);
}

DnsName DnsName::suffix(unsigned skip) const {
    const std::string_view tail = suffix_key(skip);
    DnsName out;
    std::copy(tail.begin(), tail.end(), out.wire.begin());
    out.length = static_cast<std::uint8_t>(tail.size());
    out.label_count = static_cast<std::uint8_t>(label_count - skip);
    return out;
}

}  // namespace dnswatch
