// The durable alert store: every alert record, every change record of
// the baseline (dnswatch.change/1) and every incident record
// (dnswatch.incident/1), in one sequence, as JSON lines in
// DIR/alerts.jsonl. Records are written (and, with fsync, on disk)
// before anyone is told of them, so a consumer that was down can catch up
// from any sequence number without a gap, back to the retention
// (publish/retention.h): pruning drops the oldest records, and
// DIR/alerts.pruned remembers the last seq it dropped, so that numbering
// goes on after it even when every record is gone.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "detect/alert.h"
#include "detect/alert_sink.h"

namespace dnswatch {

class TransparencyLog;

class AlertStoreError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class AlertStore {
public:
    // Opens or creates DIR/alerts.jsonl. A last line cut short by a crash was
    // never acknowledged and is cut off; records a prune had already dropped
    // (a crash in the middle of it) are skipped. With `fsync`, append()
    // returns only once the record is on disk.
    AlertStore(const std::string& dir, bool fsync = true);
    ~AlertStore();
    AlertStore(const AlertStore&) = delete;
    AlertStore& operator=(const AlertStore&) = delete;

    std::uint64_t last_seq() const;
    // Stores `alert`, whose seq must be last_seq() + 1. Any thread; prune()
    // may run on another.
    void append(const Alert& alert);
    // Stores a change record, numbered in the same sequence as alerts.
    void append(const BaselineChange& change);
    // Stores an incident record (dnswatch.incident/1), in the same sequence.
    void append(const Incident& incident);

    struct Pruned {
        std::uint64_t records = 0;
        std::uint64_t bytes = 0;  // freed on disk
    };
    // Drops the oldest records for as long as `expired(line)` says so (the
    // first record it keeps ends the prune); the rest move to a new file in
    // one rename. Readers that have the old file open read on undisturbed.
    Pruned prune(const std::function<bool(std::string_view line)>& expired);

    const std::string& path() const { return path_; }

private:
    void append_line(std::uint64_t seq, std::string line);

    std::string path_;
    std::string pruned_path_;  // DIR/alerts.pruned: the last seq pruned
    bool fsync_;
    mutable std::mutex mutex_;
    std::FILE* file_ = nullptr;
    std::uint64_t last_seq_ = 0;
    std::uint64_t pruned_seq_ = 0;
};

// Reads the complete records of a store file in order, from any thread or
// process (a torn last line is not returned). `visit` gets the seq and the
// JSON line; returning false stops the scan. Returns the last seq visited.
std::uint64_t scan_alert_store(const std::string& path, std::uint64_t after_seq,
                               const std::function<bool(std::uint64_t seq, std::string_view line)>& visit);

// One complete record of a store file, as scan_alert_store_from() finds it.
struct StoredRecord {
    std::uint64_t seq = 0;
    std::string_view line;     // the record, without its newline
    std::uint64_t offset = 0;  // where it starts in the file
    std::uint64_t end = 0;     // where the next one starts
};
// The same from byte `offset` of the file (the start of a record, as an
// earlier scan reported it), so that a reader that keeps offsets
// (publish/catch_up.h) seeks instead of reading from the start.
std::uint64_t scan_alert_store_from(const std::string& path, std::uint64_t offset, std::uint64_t after_seq,
                                    const std::function<bool(const StoredRecord& record)>& visit);

// Numbers each alert record (seq continues across restarts), logs it in the
// transparency log when there is one, stores it durably, and only then
// passes it on to the publishers.
class DurableAlertSink : public AlertSink {
public:
    // Brings the log up to date with the store first: records stored before
    // a crash but not yet logged are appended to the log now.
    DurableAlertSink(AlertStore& store, TransparencyLog* log, AlertSink& next);

    void publish(const Alert& alert) override;
    void publish_change(const BaselineChange& change) override;
    void publish_incident(const Incident& incident) override;
    void flush() override { next_.flush(); }

private:
    // Numbered after the store's last record, stored, logged.
    template <typename Record>
    Record number_and_keep(const Record& record);

    AlertStore& store_;
    TransparencyLog* log_;
    AlertSink& next_;
};

}  // namespace dnswatch
