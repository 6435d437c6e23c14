// The queries about watched names still waiting for an answer, so that each
// response is matched with the query it answers (client and server address
// and port, transaction id, question). A response nobody asked for changes
// nothing at the client — it drops it — but a burst of them for one name is
// blind spoofing (Kaminsky-style cache poisoning): many forged answers with
// guessed transaction ids racing the real one.
//
// Everything is allocated at construction and fixed-size: it sits on the
// packet path, and an attacker who floods queries or responses only evicts
// (counted) entries, never grows memory.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "decode/dns_message.h"
#include "decode/transport.h"

namespace dnswatch {

struct TxidBurstOptions {
    std::uint32_t count = 10;           // unmatched responses for one (name, server) ...
    std::int64_t window_us = 1'000'000; // ... within this much packet time make a burst
};

struct QueryTrackerCounters {
    std::uint64_t queries = 0;              // queries about watched names remembered
    std::uint64_t matched = 0;              // responses that answer a remembered query
    std::uint64_t unsolicited = 0;          // responses to a client seen asking, matching none of its queries
    std::uint64_t unknown = 0;              // responses to a client never seen asking: not judged either way
    std::uint64_t evicted = 0;              // unanswered queries dropped to make room
    std::uint64_t bursts = 0;               // (name, server) pairs that crossed the burst threshold
};

class QueryTracker {
public:
    // Queries are remembered this long (packet time): resolvers give up on
    // a server long before.
    static constexpr std::int64_t kQueryLifetimeUs = 30'000'000;
    // A burst marks the alerts of its name for this long after it crossed.
    static constexpr std::int64_t kBurstMemoryUs = 60'000'000;
    // (name, server) pairs sharing a bucket of the burst table: up to this
    // many never evict one another, whatever the hash seed.
    static constexpr std::size_t kBurstWays = 4;

    // `capacity` outstanding queries (rounded up to a power of two, at least 64).
    explicit QueryTracker(std::size_t capacity = 65536, TxidBurstOptions burst = {});

    void on_query(const DnsDatagram& datagram, const DnsMessageView& query, std::int64_t time_us);

    struct Match {
        enum class Kind : std::uint8_t { matched, unsolicited, unknown } kind = Kind::unknown;
        bool query_ad = false;  // the query's AD bit (RFC 6840 5.7: asks whether the data is authentic)
        bool query_do = false;  // the query's EDNS DO bit
        bool query_cd = false;  // checking disabled: the client validates itself
    };
    // Matches a response (its question decoded) with the query it answers.
    // An answered query stays matchable until its lifetime ends: a second,
    // racing answer to the same query (on-path injection) answers a real query.
    Match on_response(const DnsDatagram& datagram, const DnsMessageView& response, std::int64_t time_us);

    struct Burst {
        bool active = false;        // (name, server) had a burst within kBurstMemoryUs
        bool just_crossed = false;  // this response made it cross the threshold
        bool poisoned = false;      // a matched, divergent answer was seen within kBurstMemoryUs
    };
    // Counts one unsolicited response for (qname, server).
    Burst count_unsolicited(const DnsName& qname, const IpAddress& server, std::int64_t time_us);
    // The burst state of (qname, server) at `time_us`, without counting.
    Burst burst(const DnsName& qname, const IpAddress& server, std::int64_t time_us) const;
    // A divergent answer that matched a query arrived: during a burst, the
    // poisoning may have worked.
    void mark_poisoned(const DnsName& qname, const IpAddress& server, std::int64_t time_us);

    const QueryTrackerCounters& counters() const {
        commit_pending();  // its eviction, if any, is counted
        return counters_;
    }
    const TxidBurstOptions& burst_options() const { return burst_options_; }
    std::size_t capacity() const { return entries_.size(); }

private:
    struct Entry {
        std::uint64_t key = 0;
        std::int64_t time_us = 0;
        std::uint8_t flags = 0;  // kAd | kDo | kCd
        bool used = false;
        bool answered = false;
    };
    struct ClientSeen {
        std::uint64_t key = 0;
        std::int64_t time_us = 0;
    };
    struct BurstEntry {
        std::uint64_t key = 0;
        std::uint64_t last_use = 0;     // burst_uses_ when last counted or marked; 0: free
        std::uint32_t head = 0;         // next slot of the ring to write
        std::uint32_t filled = 0;
        std::int64_t crossed_us = 0;    // when the threshold was last crossed; 0: never
        std::int64_t poisoned_us = 0;   // when a matched, divergent answer was last seen; 0: never
    };
    static constexpr std::size_t kWays = 4;  // entries per bucket
    // The last query, written into its bucket at the next call rather than
    // at once: the bucket, one of 16384 spread over 1.5 MiB (at the default
    // capacity) that the capture streaming through the caches has long
    // evicted, is prefetched meanwhile, and the packet or more processed in
    // between hides most of a DRAM access (on_query() waiting for it was ~7%
    // of replay; replay went 9% faster). Every call that reads the table or
    // the counters commits it first, so nothing can tell it was late.
    struct PendingQuery {
        std::uint64_t key = 0;
        std::uint64_t client = 0;  // pair_key(client, server)
        std::int64_t time_us = 0;
        std::uint8_t flags = 0;
        bool valid = false;
    };
    void commit_pending() const;
    // The burst table's slot of `key`, or kNoBurst; burst_slot() takes a
    // free slot, or else its bucket's least recently used, for a new key.
    static constexpr std::size_t kNoBurst = ~std::size_t{0};
    std::size_t find_burst(std::uint64_t key) const;
    std::size_t burst_slot(std::uint64_t key);

    std::uint64_t query_key(const IpAddress& client, std::uint16_t client_port, const IpAddress& server,
                            std::uint16_t server_port, const DnsMessageView& message) const;
    std::uint64_t pair_key(const IpAddress& a, const IpAddress& b, std::uint64_t salt) const;
    std::uint64_t name_key(const DnsName& name, const IpAddress& server) const;

    std::uint64_t hash_seed_ = 0;  // random per tracker: colliding keys cannot be planned from outside
    // Mutable for commit_pending(), which counters() calls too: committing
    // changes nothing observable but the moment the work is done.
    mutable PendingQuery pending_;
    mutable std::vector<Entry> entries_;        // buckets of kWays
    mutable std::vector<ClientSeen> clients_;   // direct-mapped by (client, server)
    TxidBurstOptions burst_options_;
    std::vector<BurstEntry> bursts_;            // buckets of kBurstWays, by (name, server)
    std::uint64_t burst_uses_ = 0;              // count_unsolicited() and mark_poisoned() calls: the LRU clock
    std::vector<std::int64_t> burst_times_;     // bursts_.size() rings of burst_options_.count times
    mutable QueryTrackerCounters counters_;
};

}  // namespace dnswatch
