// The registry's transparency feed as a JSON-lines file: changes announced
// in advance, which the baseline then accepts from their effective time.
//
//   {"zone":"victim.test","name":"victim.test","rrtype":"NS",
//    "rdata":["ns1.newdns.example.","ns2.newdns.example."],
//    "effective":"2026-03-26T09:55:00.000000Z"}
//
// rdata is the new RRset in presentation format (absolute names). An alert
// whose divergence the feed announces ends `accepted` instead of `reverted`.
// The same line is the message of the feed over ZeroMQ (baseline/feed_subscriber.h).
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "baseline/baseline.h"
#include "baseline/shared_baseline.h"
#include "baseline/watch_set.h"

namespace dnswatch {

// A malformed feed line: what() is "file:line: reason".
class FeedError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// One feed line as an announcement. Throws std::invalid_argument with the
// reason: not JSON, a field missing or of the wrong type, rdata ldns cannot
// read, a name in no watched zone.
Announcement parse_announcement(std::string_view line, const WatchSet& watch);

// Every announcement of the feed at `path`; throws FeedError ("file:line:
// reason") for a malformed line. A missing file is an error unless
// `missing_ok` (then: none).
std::vector<Announcement> read_transparency_feed(const std::string& path, const WatchSet& watch,
                                                 bool missing_ok = false);

// Adds every announced change of the feed at `path` to `baseline`; returns
// how many records were announced.
std::size_t load_transparency_feed(const std::string& path, const WatchSet& watch, Baseline& baseline);

}  // namespace dnswatch
