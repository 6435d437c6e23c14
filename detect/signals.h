// The corroborating signals that raise an alert's severity (DESIGN.md,
// "Detection model"), and the small bounded memories some of them need.
// Everything here is fixed-size: it sits on the packet path.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "decode/transport.h"
#include "baseline/baseline.h"
#include "baseline/watch_set.h"

namespace dnswatch {

// Each signal is one bit; an alert accumulates them over its life. New
// signals go at the end: saved open alerts store the bits.
#define DNSWATCH_SIGNALS(X)                                                                        \
    X(rdata_outside_baseline)              /* observed rdata the pool does not hold */              \
    X(rrset_not_in_baseline)               /* an RRset the zone does not hold at all */            \
    X(proven_absent)                       /* NODATA/NXDOMAIN for an RRset the baseline holds */   \
    X(unsigned_answer)                     /* a signed zone answered without RRSIGs to a DO query */ \
    X(delegation_changed)                  /* seen in a parent's referral */                       \
    X(ns_address_matches_diverging_target) /* the rogue NS host serves the diverging address */   \
    X(unexpected_server)                   /* an authoritative answer from outside the zone's NS */ \
    X(ttl_collapse)                        /* TTL far below the baseline's */                      \
    X(conflicting_answers)                 /* two different answers to one query */               \
    X(short_lived)                         /* the baseline came back: the change was reverted */   \
    X(rrsig_bogus)                         /* an RRSIG by the zone fails with the baseline key of its tag */ \
    X(rrsig_unknown_key)                   /* an RRSIG by the zone names a key tag the baseline lacks */ \
    X(rrsig_expired)                       /* a valid RRSIG whose expiration is before the packet */ \
    X(rrsig_not_yet_valid)                 /* a valid RRSIG whose inception is after the packet */ \
    X(ad_missing)                          /* a resolver asked for authentic data of a signed zone: no AD */ \
    X(unsolicited_response)                /* a response matching no query its client sent */ \
    X(txid_mismatch_burst)                 /* many unmatched responses for the name: blind spoofing */

enum class Signal : std::uint32_t {
#define DNSWATCH_SIGNAL_BIT(name) name,
    DNSWATCH_SIGNALS(DNSWATCH_SIGNAL_BIT)
#undef DNSWATCH_SIGNAL_BIT
};

using SignalSet = std::uint32_t;
#define DNSWATCH_SIGNAL_COUNT(name) +1
inline constexpr std::size_t kSignalCount = 0 DNSWATCH_SIGNALS(DNSWATCH_SIGNAL_COUNT);
#undef DNSWATCH_SIGNAL_COUNT
static_assert(kSignalCount <= 32, "SignalSet holds 32 signals");
constexpr SignalSet bit(Signal s) { return SignalSet{1} << static_cast<std::uint32_t>(s); }

// The names of the signals in `set`, in declaration order.
std::vector<std::string> signal_names(SignalSet set);

// Remembers a fingerprint of the answer to each recent query, so that a
// second, different answer to the same query (same client, port, server,
// transaction id, question) is seen: on-path injection races the real server.
class AnswerHistory {
public:
    static constexpr std::int64_t kWindowUs = 10'000'000;  // answers to one query come within seconds

    // Records the answer; true when a different answer to the same query was
    // recorded within the window.
    bool conflicts(std::uint64_t query_key, std::uint64_t answer_fingerprint, std::int64_t time_us);

private:
    struct Entry {
        std::uint64_t key = 0;
        std::uint64_t fingerprint = 0;
        std::int64_t time_us = 0;
    };
    std::array<Entry, 4096> entries_{};  // direct-mapped by key: a collision just forgets the older answer
};

// The authoritative server addresses each watched zone should be answered
// from (the baseline's apex NS names and their glue), and the servers seen
// handing out a diverging NS RRset for the zone (the rogue name servers).
class ZoneServers {
public:
    ZoneServers(const WatchSet& watch, const Baseline& baseline);
    // A new baseline snapshot: the expected servers are worked out again;
    // the rogue servers seen so far are kept.
    void set_expected(const WatchSet& watch, const Baseline& baseline);
    // A new watch list: zone indexes mean other zones now, so the rogue
    // servers seen so far are forgotten.
    void forget_rogues() { rogue_count_ = 0; }

    // False only when the zone's servers are known and `server` is not one.
    bool is_expected(const WatchedZone& zone, const IpAddress& server) const;
    // The same for one RRset: the parent's servers (the addresses of the NS
    // of the closest enclosing zone the baseline holds) serve what the
    // parent is authoritative for: the zone's DS, and beside the zone's own
    // servers its delegation NS and glue. False only when the servers that
    // may serve it are known and `server` is not one.
    bool is_expected(const WatchedZone& zone, const IpAddress& server, const DnsName& owner, std::uint16_t type,
                     bool glue) const;

    void add_rogue(const WatchedZone& zone, const IpAddress& server);
    // True when `address` (4 or 16 rdata bytes) is a rogue name server of the zone.
    bool is_rogue(const WatchedZone& zone, std::string_view address) const;

private:
    struct Rogue {
        std::size_t zone = 0;
        IpAddress server;
    };
    // The zone's servers in the current snapshot, worked out on first use.
    const std::vector<IpAddress>& expected(const WatchedZone& zone) const;
    // Its parent's, likewise.
    const std::vector<IpAddress>& parent_expected(const WatchedZone& zone) const;
    // The addresses the baseline gives the NS targets of `apex`.
    void addresses_of_servers(const DnsName& apex, std::vector<IpAddress>& servers) const;

    const Baseline* baseline_ = nullptr;
    std::uint64_t generation_ = 0;                        // snapshots taken
    mutable std::vector<std::vector<IpAddress>> expected_;  // by zone index
    mutable std::vector<std::uint64_t> worked_out_;         // by zone index: the generation expected_ is for
    mutable std::vector<std::vector<IpAddress>> parent_expected_;  // by zone index
    mutable std::vector<std::uint64_t> parent_worked_out_;
    std::array<Rogue, 64> rogues_{};                 // the most recent, oldest overwritten
    std::size_t rogue_count_ = 0;
};

// A fast 64-bit hash for keys built on the stack (FNV-1a).
std::uint64_t hash_bytes(std::string_view bytes, std::uint64_t seed = 14695981039346656037ull);

}  // namespace dnswatch
