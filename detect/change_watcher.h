// Judges the changes of the baseline itself (baseline/baseline_change.h),
// as the publisher thread hands them on, numbered: a registry's zone that
// really changed matches every packet, so the wire alone never sees a
// hijack made through the registry (Sea Turtle, DNSpionage). Two alerts:
//
//  - short_lived_change (state reverted, signal short_lived): an NS, DS,
//    DNSKEY, A, AAAA, MX or TLSA RRset goes back to its earlier rdata within
//    the window, with the seqs of both changes;
//  - suspicious_change (state open), at the first change, when its signals
//    say so: ns_provider_changed (the NS names move to another registered
//    domain), ds_removed (with an NS change of the same name in the
//    window), ttl_lowered_before_change (the RRset's TTL was cut by a change
//    in the window before), unannounced (a feed is configured and did not
//    announce it), locked (watch.locked_domains: always critical). A later
//    change of the same name in the window updates the same alert.
//
// A change the feed announced raises nothing at its first change. What is
// remembered is bounded (max_tracked RRsets, oldest first out, counted).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "baseline/baseline_change.h"
#include "detect/alert.h"
#include "detect/alert_sink.h"

namespace dnswatch {

// The signals of alerts on the baseline's own changes, beyond the packet
// signals (detect/alert.h; short_lived is one of those): the alert schema
// lists both.
inline constexpr std::array<const char*, 5> kChangeSignalNames = {
    "ns_provider_changed", "ds_removed", "ttl_lowered_before_change", "unannounced", "locked"};

struct ChangeWatchOptions {
    std::int64_t window_us = 7LL * 24 * 3600 * 1000000;  // detect.short_lived_change.window
    std::unordered_set<std::string> locked;               // registry-locked names (lower case, no trailing dot)
    bool feed_configured = false;                         // "unannounced" means something only then
    std::size_t max_tracked = 1000000;                    // RRsets with changes remembered
};

struct ChangeWatchCounters {
    std::uint64_t changes = 0;
    std::uint64_t short_lived = 0;
    std::uint64_t suspicious = 0;
    std::uint64_t forgotten = 0;  // RRsets dropped from memory at max_tracked
};

class ChangeWatcher : public AlertSink {
public:
    // Alerts go to `emit` (the head of the alert path, which numbers them).
    ChangeWatcher(ChangeWatchOptions options, std::string sensor, AlertSink& emit);

    void publish(const Alert&) override {}  // alerts pass by
    void publish_change(const BaselineChange& change) override;

    const ChangeWatchCounters& counters() const { return counters_; }

private:
    struct Seen {
        std::uint64_t seq;
        std::int64_t time_us;
        std::vector<std::string> before, after;
        std::uint32_t ttl_before, ttl_after;
    };
    struct Open {  // a suspicious_change alert still in its window
        Alert alert;
    };
    void forget_old(std::deque<Seen>& history, std::int64_t now_us) const;
    void suspicious(const BaselineChange& change, std::vector<std::string> signals);
    const std::deque<Seen>* history_of(const std::string& name, const std::string& rrtype) const;

    ChangeWatchOptions options_;
    std::string sensor_;
    AlertSink& emit_;
    std::unordered_map<std::string, std::deque<Seen>> history_;  // by "name/rrtype"
    std::deque<std::string> order_;                              // keys, oldest first (bounding)
    std::unordered_map<std::string, Open> open_;                 // by name
    ChangeWatchCounters counters_;
};

}  // namespace dnswatch
