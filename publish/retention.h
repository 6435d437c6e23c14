// Retention (state.retention): records older than the retention leave the
// durable store (publish/alert_store.h) and their evidence pcaps leave the
// evidence folder; the transparency log drops their contents but keeps
// their leaf hashes for ever, so the tree and every checkpoint stay
// verifiable (docs/deploy-registry.md states the policy).
//
// A record's time is its own: `time` (a change record) or `last_seen` (an
// alert record), whatever the store holds, so that every kind of record is
// pruned by the same rule. Records are pruned oldest first, in the order
// they were stored, up to the first one still within the retention.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dnswatch {

class AlertStore;
class TransparencyLog;

// Microseconds since the epoch of a stored record (its `time`, else its
// `last_seen`); nullopt when it has neither, or it is not JSON.
std::optional<std::int64_t> record_time_us(std::string_view json_line);

struct PruneReport {
    struct Part {
        std::uint64_t records = 0;
        std::uint64_t bytes = 0;
    };
    Part store;     // records dropped from the durable store
    Part log;       // transparency log entries whose contents were dropped
    Part evidence;  // evidence pcaps deleted
    std::uint64_t first_kept_seq = 0;  // the store's oldest seq left (0: the store is empty)
    std::uint64_t log_first_kept = 0;  // the log's first entry with contents

    std::uint64_t records() const { return store.records + log.records + evidence.records; }
    std::uint64_t bytes() const { return store.bytes + log.bytes + evidence.bytes; }
};

class Retention {
public:
    // Any of `store`, `log` may be null and `evidence_dir` empty: those are
    // not pruned. `retention_ms` > 0.
    Retention(std::int64_t retention_ms, AlertStore* store, TransparencyLog* log, std::string evidence_dir);

    // Prunes everything older than now_us - retention. Throws what the store
    // or the log throws when a file cannot be rewritten.
    PruneReport prune(std::int64_t now_us);

    std::int64_t retention_ms() const { return retention_ms_; }

private:
    std::int64_t retention_ms_;
    AlertStore* store_;
    TransparencyLog* log_;
    std::string evidence_dir_;
};

// Wall-clock now, in microseconds since the epoch.
std::int64_t wall_clock_us();

}  // namespace dnswatch
