// Learning mode (watch.zones[].learn): for a zone whose configured sources
// (zone file, zone transfer) do not say everything, an RRset they do not
// hold is learned from the zone's own servers. It joins the pool once no new
// rdata has been seen for `stable_for` of packet time (and it is seen again
// after that); until then it raises no alert (the detector counts it as
// learning). Afterwards it is judged like any baseline RRset.
//
// Stability is judged on the union of the rdata seen, so that a CDN handing
// out rotating subsets of one address pool settles too: only rdata never
// seen before restarts the clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "decode/dns_name.h"
#include "baseline/baseline.h"
#include "baseline/rrset_pool.h"
#include "baseline/watch_set.h"

namespace dnswatch {

struct LearningOptions {
    std::vector<std::string> zones;               // the learning zones (lower case, no trailing dot)
    std::int64_t stable_for_us = 48LL * 3600 * 1000000;
    std::size_t max_rrsets = 100000;              // candidates and learned RRsets kept
};

// One RRset in learning, as it is saved across restarts.
struct LearnedRRsetState {
    std::string key;                        // owner wire form + type (big endian), binary
    std::vector<std::string> forms;         // comparison forms seen, sorted, unique
    std::vector<std::string> presentation;  // the same, for alerts
    std::uint32_t ttl = 0;
    std::int64_t first_seen_us = 0;
    std::int64_t changed_us = 0;            // when rdata never seen before last appeared
    bool learned = false;                   // joined the pool
};

struct LearnerCounters {
    std::uint64_t learned = 0;   // RRsets that joined the pool
    std::uint64_t restarts = 0;  // new rdata seen while learning: the clock starts again
    std::uint64_t full = 0;      // new RRsets not tracked because max_rrsets were
};

class Learner {
public:
    Learner(const WatchSet& watch, LearningOptions options);
    // A new watch list (a reload): which zones learn is worked out again from
    // the same options, by name. What was learned stays (keyed by name).
    void watch_changed(const WatchSet& watch);

    bool learns(const WatchedZone& zone) const { return zone.index < learning_.size() && learning_[zone.index]; }

    // The learned pool of (owner, type); empty while it is still learning.
    RRsetPool find(const DnsName& owner, std::uint16_t type) const;

    // One observation of (owner, type) from the zone's servers: `forms` are
    // the comparison forms of its rdata, `bytes` holds them. Returns the
    // learned pool when this observation completed the learning.
    RRsetPool observe(const DnsName& owner, std::uint16_t type, std::uint32_t ttl,
                             const std::vector<std::uint8_t>& bytes,
                             const std::vector<std::pair<std::size_t, std::size_t>>& forms, std::int64_t time_us);

    const LearnerCounters& counters() const { return counters_; }
    std::size_t size() const { return rrsets_.size(); }

    // Saving across restarts; `changed()` says whether anything moved since
    // the last export.
    bool changed() const { return changed_; }
    std::vector<LearnedRRsetState> export_state();
    void import_state(std::vector<LearnedRRsetState> states);

private:
    struct Entry {
        std::vector<std::string> forms;         // comparison forms seen, sorted, unique: the union
        std::vector<std::string> presentation;  // the same, for alerts
        std::uint32_t ttl = 0;
        std::vector<std::uint8_t> rrset;        // forms laid out as rrset_pool.h says, once learned
        RRsetPool pool(std::uint16_t type) const {
            return RRsetPool(type, rrset.data(), rrset.data() + rrset.size(), nullptr);
        }
        std::int64_t first_seen_us = 0;
        std::int64_t changed_us = 0;
        bool learned = false;
    };

    // The learned forms as a pool's bytes.
    static void lay_out(Entry& entry, std::uint16_t type);

    std::vector<bool> learning_;  // by zone index of the watch set given
    LearningOptions options_;
    std::unordered_map<std::string, Entry, StringHash, std::equal_to<>> rrsets_;
    LearnerCounters counters_;
    bool changed_ = false;
};

}  // namespace dnswatch
