// The zones this sensor watches, matched by suffix on label boundaries.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
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

    // The closest watched zone at or above `name`; nullptr when unwatched.
    const WatchedZone* find(const DnsName& name) const;

    const std::vector<WatchedZone>& zones() const { return zones_; }
    bool empty() const { return zones_.empty(); }

private:
    std::vector<WatchedZone> zones_;
    std::unordered_map<std::string, std::size_t, StringHash, std::equal_to<>> by_key_;
    unsigned min_labels_ = 255;
    unsigned max_labels_ = 0;
};

}  // namespace dnswatch
