// Compares the RRsets of each watched response with the baseline and runs the
// alert lifecycle: open at the first divergent packet, re-emitted when more
// divergent rdata or new signals show up, reverted when the same server
// shows the baseline again, accepted when the transparency feed announced
// the change.
#pragma once

#include <algorithm>
#include <list>
#include <memory>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "capture/packet.h"
#include "decode/dns_message.h"
#include "decode/transport.h"
#include "detect/alert.h"
#include "detect/alert_sink.h"
#include "baseline/baseline.h"
#include "detect/dnssec_verifier.h"
#include "detect/query_tracker.h"
#include "detect/query_frames.h"
#include "detect/evidence_recorder.h"
#include "baseline/learner.h"
#include "baseline/shared_baseline.h"
#include "detect/signals.h"
#include "baseline/watch_set.h"

namespace dnswatch {

// An open alert as it survives a restart.
struct OpenAlertState {
    std::string key;                          // lifecycle key (owner, type, server), binary
    Alert alert;
    SignalSet signals = 0;
    std::vector<std::string> observed_forms;  // comparison forms reported so far, sorted
};

struct DetectorCounters {
    std::uint64_t observations = 0;           // RRsets (and proven absences) of watched names judged
    std::uint64_t divergent_observations = 0;
    std::uint64_t not_judged = 0;             // below a delegation the baseline does not hold
    std::uint64_t bad_rdata = 0;              // watched records whose rdata did not decode
    std::uint64_t alerts_opened = 0;
    std::uint64_t alerts_updated = 0;
    std::uint64_t alerts_reverted = 0;
    std::uint64_t alerts_accepted = 0;
    std::uint64_t alerts_emitted = 0;         // records handed to the sink
    std::uint64_t alerts_evicted = 0;         // open alerts dropped to stay within the bound
    std::uint64_t observed_rdata_omitted = 0; // rdata not listed in an alert past max_observed_rdata
    std::uint64_t learning = 0;               // observations of RRsets still being learned: no alert yet
    std::uint64_t baseline_swaps = 0;         // new baseline snapshots taken (zone transfer, feed)
};

// Everything one detector counts, as one block of 64-bit counters: what the
// pipeline publishes from each detector's thread and adds up.
struct DetectionCounters {
    DetectorCounters detector;
    DnssecCounters dnssec;
    QueryTrackerCounters queries;
};

// Where a message was seen: what the alert's vantage and evidence say.
struct MessageContext {
    const PacketView* packet = nullptr;
    const DnsDatagram* datagram = nullptr;
    std::string_view source;  // capture file or interface name
    // The other frames that carried a reassembled message (DnsMessageSink::
    // on_reassembled_dns), for the evidence; empty for one frame.
    std::span<const std::uint8_t> carriers = {};
};

class Detector {
public:
    // At most `max_open_alerts` alerts are kept open; past that the one
    // seen least recently is dropped (and counted) in O(1), so memory and
    // work stay bounded whatever an attacker sends. At most
    // `max_observed_rdata` rdata are listed per alert (the rest counted).
    Detector(const WatchSet& watch, const Baseline& baseline, std::string sensor_id, AlertSink& sink,
             std::size_t max_open_alerts = 100000, std::size_t max_observed_rdata = kDefaultMaxObservedRdata);
    static constexpr std::size_t kDefaultMaxObservedRdata = 64;

    // Judges a fully decoded response whose question is in a watched zone.
    void observe(const DnsMessageView& message, const MessageContext& context);
    // A TLD's baseline is hundreds of MB: each owner's lookup waits for two
    // cache misses in a row (index slot, then node). A caller that sees the
    // next messages before judging this one (PacketProcessor's look-ahead)
    // asks for the slots of a response's owners a few messages ahead, and
    // for their nodes a little later, once the slots are there.
    void prefetch_index(const DnsMessageView& message) const;
    void prefetch_nodes(const DnsMessageView& message) const;
    // Remembers a fully decoded query whose question is in a watched zone,
    // so that responses are matched with it (detect/query_tracker.h).
    void observe_query(const DnsMessageView& query, const DnsDatagram& datagram, std::int64_t time_us);
    // The same, keeping the query's frame (and `carriers`, the frames of its
    // other TCP segments) for the evidence of the alerts its answers open
    // (when an evidence recorder is set).
    void observe_query(const DnsMessageView& query, const DnsDatagram& datagram, const PacketView& packet,
                       std::span<const std::uint8_t> carriers = {}) {
        query_frames_.remember(datagram, query, packet, carriers);
        observe_query(query, datagram, packet.time_us);
    }

    // Outstanding queries kept (detect.outstanding_queries) and the burst of
    // unmatched responses that is blind spoofing (detect.txid_burst.*).
    // Allocates; call before packets flow.
    static constexpr std::size_t kDefaultOutstandingQueries = 65536;
    void configure_query_tracking(std::size_t capacity, TxidBurstOptions burst);

    void set_max_open_alerts(std::size_t max) { max_open_alerts_ = std::max<std::size_t>(max, 1); }
    void set_max_observed_rdata(std::size_t max) { max_observed_rdata_ = std::max<std::size_t>(max, 1); }
    // The open alert that the bound would drop next (tests: eviction order).
    const Alert* least_recently_seen() const;

    // A new snapshot (baseline/shared_baseline.h), taken between batches: the
    // baseline and the watch list it was built for (this detector's part of
    // it); the caller keeps both alive until the next one.
    void set_baseline(const WatchSet& watch, const Baseline& baseline);
    // Between batches: takes the follower's newer snapshot, if there is one
    // (its part of the watch list); true when it did.
    bool follow(BaselineFollower& follower);

    // Learning mode for the zones `options` names (baseline/learner.h).
    void enable_learning(LearningOptions options) { learner_ = std::make_unique<Learner>(*watch_, std::move(options)); }
    Learner* learner() { return learner_.get(); }

    // Where the packet that opens each alert is kept; none by default.
    void set_evidence_recorder(EvidenceRecorder* recorder) {
        evidence_ = recorder;
        if (recorder != nullptr) query_frames_.enable();
    }
    // Query frames kept for evidence: remembered, truncated, found, missing.
    const QueryFrameCounters& query_frame_counters() const { return query_frames_.counters(); }

    const DetectorCounters& counters() const { return counters_; }
    // Signature checks: verifications done, cache hits, bogus RRsets.
    const DnssecCounters& dnssec_counters() const { return dnssec_.counters(); }
    // Queries remembered, responses matched, unsolicited, evictions, bursts.
    const QueryTrackerCounters& query_counters() const { return queries_.counters(); }
    DetectionCounters all_counters() const { return {counters_, dnssec_.counters(), queries_.counters()}; }
    std::size_t open_alerts() const { return open_.size(); }

    // The open alerts, to be saved so that a restart keeps them; `changed()`
    // says whether any opened, changed or closed since the last export.
    std::vector<OpenAlertState> export_open_alerts();
    bool changed() const { return changed_; }

    // Back to what a new detector on the same snapshot would be (no open
    // alerts, seq 1, no queries or answers remembered, counters zero),
    // keeping the tables it allocated: the packet-path fuzz target reuses
    // one detector for every input, since building one costs more than
    // judging a short input. DNSSEC verdicts stay cached: a cached verdict
    // is the verdict the same keys and signature give again.
    void reset();
    // Takes back alerts saved before a restart: a later revert is reported
    // under the same id.
    void import_open_alerts(std::vector<OpenAlertState> alerts);

private:
    // Keys of open_ (owned by its nodes, which never move), least recently
    // seen first: the bound evicts the front, a divergent packet moves its
    // alert to the back. Both O(1), no allocation once the node exists.
    using Recency = std::list<const std::string*>;
    struct OpenAlert {
        Alert alert;
        SignalSet signals = 0;
        std::vector<std::string> observed_forms;  // comparison forms reported so far, sorted
        Recency::iterator recency{};
    };
    struct MessageFacts;
    struct Verdict;

    // `owner_hash`: hash_name(owner), as the decoder found it.
    void judge_rrset(const MessageFacts& facts, const WatchedZone& zone, const DnsName& owner, std::uint32_t owner_hash,
                     std::uint16_t type,
                     Section section, std::span<const RecordView> records, std::uint32_t min_ttl);
    void judge_absence(const MessageFacts& facts, const WatchedZone& zone);
    void judge_unsigned(const MessageFacts& facts, const WatchedZone& zone);
    void judge_signatures(const MessageFacts& facts, const WatchedZone& zone, const DnsName& owner,
                          std::uint16_t type, Section section, std::span<const RecordView> records);
    // `lane` separates lifecycles of one (owner, type, server): 0 for the
    // data, kSignatureLane for its signatures.
    static constexpr std::uint8_t kSignatureLane = 1;
    static constexpr std::uint8_t kValidationLane = 2;  // resolver_not_validating, per (resolver, zone)
    static constexpr std::uint8_t kSpoofingLane = 3;    // spoofing_attempt, per (name, type, server)
    // Opens or reverts resolver_not_validating; true when AD is missing.
    bool judge_validation(const MessageFacts& facts, const WatchedZone& zone, const QueryTracker::Match& match);
    void judge_unsolicited(const MessageFacts& facts, const WatchedZone& zone);
    void apply(const MessageFacts& facts, const WatchedZone& zone, const DnsName& owner, std::uint16_t type,
               Section section, const Verdict& verdict, std::span<const RecordView> records, std::uint8_t lane = 0);
    void emit(OpenAlert& entry);
    void publish_learned(const WatchedZone& zone, const DnsName& owner, std::uint16_t type, const RRsetPool& learned,
                         std::int64_t time_us);
    // The presentation of a baseline pool, for an alert's `baseline`.
    const std::vector<std::string>& baseline_presentation(const RRsetPool& pool);
    struct PresentationCache {
        const void* identity = nullptr;  // the pool's (RRsetPool::identity), in the current snapshot
        std::size_t rdata = 0;
        std::size_t announced = 0;
        std::uint16_t type = 0;
        std::vector<std::string> text;
    };
    PresentationCache presentation_cache_;
    // Adds an alert to open_ and to the back of recency_.
    void insert_open(std::string key, OpenAlert entry);
    // An A/AAAA RRset naming a name server's address: glue in a referral,
    // or the address of an NS target the baseline holds.
    bool is_glue(const MessageFacts& facts, const WatchedZone& zone, const DnsName& owner, std::uint16_t type,
                 Section section) const;
    // The table of detect/severity.h applied to one alert's evidence.
    Severity severity_of(const MessageFacts& facts, const WatchedZone& zone, const DnsName& owner, std::uint16_t type,
                         Section section, std::string_view kind, SignalSet signals, std::size_t vantages) const;
    // Open alerts of one (owner, type, lane) by server: how many vantages
    // see the same divergence (a severity raise).
    static std::string vantage_key(std::string_view lifecycle_key);
    std::size_t vantages(std::string_view lifecycle_key) const;
    void forget_vantage(std::string_view lifecycle_key);

    const WatchSet* watch_;
    const Baseline* baseline_;
    std::unique_ptr<Learner> learner_;
    std::string sensor_id_;
    AlertSink& sink_;
    EvidenceRecorder* evidence_ = nullptr;
    DetectorCounters counters_;
    std::uint64_t next_seq_ = 1;
    std::size_t max_open_alerts_;
    std::size_t max_observed_rdata_;
    bool changed_ = false;
    ZoneServers servers_;
    AnswerHistory answers_;
    DnssecVerifier dnssec_;
    QueryTracker queries_;
    QueryFrames query_frames_;
    // Open alerts by (owner, type, server); a handful at a time.
    std::unordered_map<std::string, OpenAlert, StringHash, std::equal_to<>> open_;
    Recency recency_;
    // Open alerts by vantage_key(): the servers answering one RRset divergently.
    std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>> vantages_;
    // A bit per hash of (owner, type) of every open alert: most observations
    // match the baseline and have no alert to revert, and the filter says so
    // without hashing a string key (cleared when no alert is open).
    static constexpr std::size_t kOpenFilterBits = 1 << 16;
    static std::size_t open_filter_bit(std::string_view owner_wire, std::uint16_t type);
    void note_open(std::string_view key);
    std::vector<std::uint64_t> open_filter_ = std::vector<std::uint64_t>(kOpenFilterBits / 64, 0);
    // Reused for every message, so that judging allocates nothing once warm.
    std::vector<std::uint8_t> consumed_;
    std::vector<std::uint8_t> rdata_bytes_;
    std::vector<std::pair<std::size_t, std::size_t>> rdata_spans_;  // offset, length in rdata_bytes_
};

}  // namespace dnswatch
