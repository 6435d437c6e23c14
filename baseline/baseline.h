// The transparency baseline: for each (owner, type) in a watched zone, the
// pool of rdata the zone is allowed to hold. Built from zone files at start;
// immutable while packets flow.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "decode/dns_name.h"
#include "decode/ldns_glue.h"
#include "baseline/watch_set.h"

namespace dnswatch {

// Turns canonical rdata, in place, into the form it is compared by: the
// fields whose change never diverges (the SOA serial) are zeroed.
void to_comparison_form(std::uint16_t type, std::span<std::uint8_t> canonical_rdata);

struct RRsetPool {
    // A change announced by the registry's transparency feed: legitimate
    // from `effective_us` on.
    struct Announced {
        std::string comparison;
        std::string presentation;
        std::int64_t effective_us = 0;
    };

    std::vector<std::string> comparison_forms;  // sorted, unique
    std::vector<std::string> presentation;      // sorted, unique, for alerts
    std::vector<Announced> announced;
    std::uint32_t ttl = 0;                      // the largest TTL the zone files give it

    bool contains(std::string_view comparison) const;
    // In the pool, or announced and in effect at `time_us`; `*announced` is
    // set when only the announcement allows it.
    bool allows(std::string_view comparison, std::int64_t time_us, bool* announced) const;
};

class Baseline {
public:
    // Adds the records of a zone file that lie in a watched zone; the others
    // (the rest of a parent zone) are ignored. Returns how many were added.
    std::size_t add_zone_records(const std::vector<ZoneRecord>& records, const WatchSet& watch);

    // Adds a change announced by the transparency feed, legitimate from
    // `effective_us` on. Returns false when the record is not in a watched zone.
    bool announce(const ZoneRecord& record, std::int64_t effective_us, const WatchSet& watch);

    // The pool for (owner, type), or nullptr.
    const RRsetPool* find(const DnsName& owner, std::uint16_t type) const;
    // The pool of the closest wildcard ("*.<ancestor>") that would synthesise
    // (owner, type) inside `zone`, or nullptr.
    const RRsetPool* find_wildcard(const DnsName& owner, std::uint16_t type, const WatchedZone& zone) const;
    // True when `owner` is at or below a delegation point inside `zone` (an NS
    // RRset below the apex): the baseline has no authority there beyond the
    // delegation NS, DS and glue it holds explicitly.
    bool is_delegated(const DnsName& owner, const WatchedZone& zone) const;

    std::size_t rrset_count() const { return pools_.size(); }
    // By zone index: the RRsets whose owner `watch` places in that zone (its
    // closest watched zone), for the baseline-size metric. One pass.
    std::vector<std::size_t> rrset_counts(const WatchSet& watch) const;

private:
    std::unordered_map<std::string, RRsetPool, StringHash, std::equal_to<>> pools_;
    std::unordered_set<std::string, StringHash, std::equal_to<>> delegations_;
};

}  // namespace dnswatch
