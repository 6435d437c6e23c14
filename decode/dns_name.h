// The one DNS name decoder (CONVENTIONS 1). A name decodes into a fixed
// 255-byte buffer in canonical form: uncompressed wire format, lower case.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "decode/bytes_equal.h"
#include "decode/decode_counters.h"

namespace dnswatch {

inline constexpr std::size_t kMaxNameLength = 255;  // wire bytes, root label included
inline constexpr std::size_t kMaxLabelLength = 63;
inline constexpr int kMaxCompressionHops = 128;
inline constexpr std::size_t kDnsHeaderSize = 12;  // no name lives there: pointers into it are refused

struct DnsName {
    // Left uninitialised: a name is built in every message's view, and
    // zeroing 255 bytes there was ~8% of replay. Only `length` bytes count.
    std::array<std::uint8_t, kMaxNameLength> wire;
    std::uint8_t length = 0;       // bytes used, root label included (0 = unset)
    std::uint8_t label_count = 0;  // labels, root excluded

    std::span<const std::uint8_t> bytes() const { return {wire.data(), length}; }
    // The wire form as a string_view: a hash-map key without allocating.
    std::string_view key() const { return {reinterpret_cast<const char*>(wire.data()), length}; }

    // Presentation form: lower case, no trailing dot, RFC 1035 escapes; "." for the root.
    std::string to_text() const;
    // Parses presentation form ("Mail.Victim.Test." or without the dot).
    static std::optional<DnsName> from_text(std::string_view text);

    // True when this name equals `zone` or lies below it, on label boundaries.
    bool is_at_or_below(const DnsName& zone) const;
    // The wire form of the suffix that drops the first `skip` labels.
    std::string_view suffix_key(unsigned skip) const;
    // The same suffix as a name of its own (the ancestor `skip` labels up).
    DnsName suffix(unsigned skip) const;

    friend bool operator==(const DnsName& a, const DnsName& b) {
        return a.length == b.length && bytes_equal(a.wire.data(), b.wire.data(), a.length);
    }
};

// Decodes the name at `offset` of `message`. Compression pointers must point
// strictly backwards, and labels read after a jump must end before the
// pointer that was followed, so that every jump shrinks the readable window;
// a hop cap guards it again. On success returns MalformedKind::none, stores
// the name in `*out` (when not null) and the offset just past the name's bytes
// in place in `*next`.
MalformedKind read_name(std::span<const std::uint8_t> message, std::size_t offset, DnsName* out,
                        std::size_t* next);

// A case-insensitive hash of a name's canonical wire form, mixed a word at a
// time. Equal for equal names within one process; not a stable format.
std::uint32_t hash_name(const DnsName& name);

// What scan_name() learns about a name without copying it.
struct NameScan {
    std::uint32_t hash = 0;  // hash_name() of the name
    std::uint8_t hops = 0;   // compression pointers followed
    std::uint8_t length = 0; // wire bytes, root included
};

// Validates the name at `offset` exactly as read_name() does, but copies
// nothing: for owners, whose bytes the decoder only needs to hash.
MalformedKind scan_name(std::span<const std::uint8_t> message, std::size_t offset, NameScan* out,
                        std::size_t* next);

}  // namespace dnswatch
