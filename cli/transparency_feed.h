// The registry's transparency feed as a JSON-lines file: changes announced
// in advance, which the baseline then accepts from their effective time.
//
//   {"zone":"victim.test","name":"victim.test","rrtype":"NS",
//    "rdata":["ns1.newdns.example.","ns2.newdns.example."],
//    "effective":"2026-03-26T09:55:00.000000Z"}
//
// rdata is the new RRset in presentation format (absolute names). An alert
// whose divergence the feed announces ends `accepted` instead of `reverted`.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#include "detect/baseline.h"
#include "detect/watch_set.h"

namespace dnswatch {

// A malformed feed line: what() is "file:line: reason".
class FeedError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Adds every announced change of the feed at `path` to `baseline`; returns
// how many records were announced.
std::size_t load_transparency_feed(const std::string& path, const WatchSet& watch, Baseline& baseline);

}  // namespace dnswatch
