// The zones this sensor watches, matched by suffix on label boundaries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "decode/dns_name.h"

namespace dnswatch {

// Heterogeneous hashing so that maps keyed by std::string are searched with a
// std::string_view built on the stack: no allocation per lookup.
struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

struct WatchedZone {
    DnsName name;
    std::string text;   // lower case, no trailing dot
    std::size_t index;  // position in the watch set
};

class WatchSet {
public:
    // Throws std::invalid_argument for a name that is not a DNS name or is
    // already watched.
    const WatchedZone& add(std::string_view zone_name);

    // The closest watched zone at or above `name`; nullptr when unwatched,
    // or when that zone belongs to another part (see part()).
    const WatchedZone* find(const DnsName& name) const;

    // The watched zone named `zone_text` itself (not one above it), or nullptr.
    const WatchedZone* find_zone(std::string_view zone_text) const;

    // A pipeline shard's part of the watch list: a copy whose find() answers
    // only for the zones `owned` flags (by index), and returns nullptr where
    // the closest watched zone is another part's (a name in
    // mail.victim.test, watched on another shard, is not victim.test's even
    // if this part owns victim.test). zones() and the indexes stay those of
    // the whole list, so per-zone state sized by zones() needs no mapping.
    WatchSet part(std::vector<std::uint8_t> owned) const;
    bool owns(const WatchedZone& zone) const { return owned_.empty() || owned_[zone.index] != 0; }

    const std::vector<WatchedZone>& zones() const { return zones_; }
    bool empty() const { return zones_.empty(); }

private:
    // Every response's question is looked up here, so the lookup is an open
    // addressing table of (hash, zone index) probed with a cheap hash of the
    // candidate suffix; bytes are compared only on a hash match. (A
    // std::unordered_map<std::string> spent ~14% of replay in murmur hashing,
    // bucket walking and memcmp.)
    struct Slot {
        std::uint64_t hash = 0;
        std::uint32_t zone_plus_one = 0;  // 0: empty
    };
    static std::uint64_t hash_key(std::string_view key);
    const WatchedZone* find_exact(std::string_view key) const;
    void insert(const WatchedZone& zone);
    void rebuild_table();

    std::vector<WatchedZone> zones_;
    std::vector<Slot> table_;  // power-of-two size, at most half full (a quarter after a rebuild)
    std::vector<std::uint8_t> owned_;  // by zone index; empty: the whole list
    unsigned min_labels_ = 255;
    unsigned max_labels_ = 0;
};

}  // namespace dnswatch
