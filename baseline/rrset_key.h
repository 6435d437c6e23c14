// The key of an RRset in the baseline, the learner and the state files that
// save them: the owner's wire form (lower case) followed by the type, big
// endian. Built in a caller's buffer, so that lookups do not allocate.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "decode/dns_name.h"

namespace dnswatch {

using RRsetKeyBuffer = std::array<char, kMaxNameLength + 2>;

inline std::string_view rrset_key(std::string_view owner_wire, std::uint16_t type, RRsetKeyBuffer& buffer) {
    std::copy(owner_wire.begin(), owner_wire.end(), buffer.begin());
    buffer[owner_wire.size()] = static_cast<char>(type >> 8);
    buffer[owner_wire.size() + 1] = static_cast<char>(type & 0xFF);
    return {buffer.data(), owner_wire.size() + 2};
}

// The type a key ends with; 0 for a key too short to hold one.
inline std::uint16_t rrset_key_type(std::string_view key) {
    if (key.size() < 2) return 0;
    return static_cast<std::uint16_t>((static_cast<std::uint8_t>(key[key.size() - 2]) << 8) |
                                      static_cast<std::uint8_t>(key[key.size() - 1]));
}

// The owner a key starts with; false when the key does not hold a name
// followed by exactly two bytes of type (a damaged state file).
inline bool rrset_key_owner(std::string_view key, DnsName& owner) {
    if (key.size() < 3) return false;
    const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(key.data()), key.size() - 2);
    std::size_t next = 0;
    return read_name(bytes, 0, &owner, &next) == MalformedKind::none && next == bytes.size();
}

}  // namespace dnswatch
