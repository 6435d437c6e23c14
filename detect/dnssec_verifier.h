// Checks the RRSIGs over watched RRsets against the baseline's DNSKEYs —
// never against keys from the packet, which an attacker chooses. Crypto is
// expensive, so each verdict is cached in a fixed-size table keyed by a keyed
// hash of (owner, type, canonical rdata set, RRSIG rdata): unchanged data is
// verified once, whatever the traffic. Time is judged at each packet's time,
// outside the cache, so that a cached verdict never goes stale.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "decode/dns_message.h"
#include "decode/dnssec_check.h"
#include "baseline/baseline.h"
#include "detect/signals.h"
#include "baseline/watch_set.h"

namespace dnswatch {

struct DnssecCounters {
    std::uint64_t rrsets_checked = 0;    // signed RRsets judged against baseline keys
    std::uint64_t signatures = 0;        // RRSIGs by the zone seen over those RRsets
    std::uint64_t verifications = 0;     // cache misses: ldns did the crypto
    std::uint64_t cache_hits = 0;
    std::uint64_t cache_evictions = 0;   // a cached verdict replaced by another key's
    std::uint64_t bogus_rrsets = 0;      // no signature by a baseline key valid at packet time
    std::uint64_t unverifiable = 0;      // algorithm ldns lacks, or an unreadable RRSIG
};

class DnssecVerifier {
public:
    static constexpr std::size_t kCacheEntries = 4096;

    explicit DnssecVerifier(const WatchSet& watch);
    ~DnssecVerifier();

    struct Judgement {
        bool judged = false;   // the RRset carried RRSIGs by its zone and the baseline holds the zone's DNSKEYs
        SignalSet reasons = 0; // why no signature validates (rrsig_* signals); 0 when one does
    };

    // Judges the RRSIGs over (owner, type) among `records` (one section of
    // `message`) with the DNSKEYs `baseline` holds for `zone`; `time_us` is
    // the packet's time. The baseline may be a new snapshot at every call.
    Judgement judge(const Baseline& baseline, const DnsMessageView& message, std::span<const RecordView> records,
                    const WatchedZone& zone, const DnsName& owner, std::uint16_t type, std::int64_t time_us);

    const DnssecCounters& counters() const { return counters_; }

    // A new baseline snapshot was taken (Detector::set_baseline): the keys
    // are rebuilt at their next use. Pools are matched by address, and a
    // freed snapshot's addresses may come back in a later one.
    // (O(1): each zone's keys are checked against the generation when next used.)
    void baseline_changed() { ++generation_; }
    // A new watch list (a reload): keys are kept by zone index, and verdicts
    // were made for the old zones; start again.
    void watch_changed(const WatchSet& watch) {
        zone_keys_.clear();
        zone_keys_.resize(watch.zones().size());
        cache_->fill(CacheEntry{});
    }

private:
    struct CacheEntry {
        std::uint64_t key = 0;
        SignatureCheck check = SignatureCheck::malformed;
        bool used = false;
        std::uint64_t last_used = 0;   // clock_ at its last hit or insert
    };
    struct ZoneKeys {
        std::unique_ptr<TrustedKeys> keys;
        std::uint64_t generation = 0;     // the snapshot generation they were built in
        const void* pool = nullptr;       // the baseline pool they were built from (RRsetPool::identity)
        std::size_t built_from = 0;       // keys in that pool when built
    };

    const TrustedKeys* keys_for(const Baseline& baseline, const WatchedZone& zone);
    std::uint64_t generation_ = 1;  // bumped by baseline_changed()
    std::uint64_t clock_ = 0;       // one tick per cache lookup: the recency of entries
    SignatureCheck check(const TrustedKeys& keys, const DnsName& owner, std::uint16_t type,
                         std::span<const std::uint8_t> rrsig_rdata, std::uint64_t rrset_hash);

    std::vector<ZoneKeys> zone_keys_;  // by zone index
    std::array<std::uint64_t, 2> hash_key_{};
    std::unique_ptr<std::array<CacheEntry, kCacheEntries>> cache_;
    DnssecCounters counters_;
    // Reused for every RRset: no allocation once warm.
    std::vector<std::uint8_t> rdata_bytes_;
    std::vector<std::pair<std::size_t, std::size_t>> rdata_spans_;
    std::vector<std::span<const std::uint8_t>> rdatas_;
};

// SipHash-2-4 (Aumasson and Bernstein): a keyed hash, so that an attacker
// who does not know the key cannot make a forged RRset collide in the cache
// with a verified one.
std::uint64_t siphash24(const std::array<std::uint64_t, 2>& key, std::span<const std::uint8_t> data);

}  // namespace dnswatch
