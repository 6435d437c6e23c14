// The durable alert store: every alert record, every change record of the
// baseline (dnswatch.change/1) and every incident record
// (dnswatch.incident/1), in one sequence, in DIR/alerts.jsonl.
// It is the one durable write per record that a restart needs: the open
// alerts are rebuilt from it (the last record of each id), so no second
// file can lag behind it. Records are written (and, with fsync, on disk)
// before anyone is told of them, so a consumer that was down can catch up
// from any sequence number without a gap, back to the retention
// (publish/retention.h).
//
// One record per line (format 2; a line without a tab is a record of the
// first format, plain JSON, still read):
//
//   RECORD \t META \t CRC \n
//
//   RECORD  the record's JSON exactly as consumers (and the transparency log)
//           get it; JSON never holds a raw tab or newline
//   META    a JSON object only the sensor reads: "checkpoint", the size of
//           the last transparency-log checkpoint signed before the record
//           was written (a start-up that finds a smaller one refuses a
//           rolled-back log); for an alert still open, "open": {"key" (hex),
//           "signals", "observed_forms" (hex)}, what the detector needs to
//           carry it on
//   CRC     CRC-32C of "RECORD \t META", 8 lower-case hex digits
//
// parse_store_line() splits a line; scan_alert_store() hands readers the
// RECORD part only. A torn or damaged tail (a crash, a full disk) is cut off
// at start, and damaged lines between whole ones are moved aside to
// DIR/alerts.damaged: recovered, logged and counted, never refused.
//
// Pruning drops the oldest records; DIR/alerts.pruned remembers the last seq
// it dropped (first line), so that numbering goes on after it, and the
// alerts still open among the dropped records ("open-alerts N", then one
// line each, as publish/open_alert_file.h writes them), so that they are
// not forgotten.
//
// DIR/alerts.log-checkpoint holds the transparency log's latest signed
// checkpoint as the sensor last saw it (a plain copy of the note, at most
// once a second and at the end): a log rolled back behind it is refused at
// start, even within its last batch.
//
// Writes are grouped: stage() queues records in memory and commit() writes
// them with one fsync. When a write fails (a full disk) the file is cut back
// to its last whole record and the records stay queued (bounded by
// `max_held`), to be written by a later commit(); health() says what is held.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "detect/alert.h"
#include "detect/alert_sink.h"
#include "detect/detector.h"

namespace dnswatch {

class TransparencyLog;

class AlertStoreError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// One line of the store, split (views into the line).
struct StoreLine {
    std::uint64_t seq = 0;
    std::string_view record;  // the JSON consumers get
    std::string_view meta;    // "" for a line of the first format
};
// nullopt when the line is not a whole record: no seq, bad JSON, or a CRC
// that does not match.
std::optional<StoreLine> parse_store_line(std::string_view line);

// What opening the store found and repaired.
struct StoreRecovery {
    std::uint64_t records = 0;         // whole records kept
    std::uint64_t torn_bytes = 0;      // cut off the end (a crash or a full disk mid-record)
    std::uint64_t damaged_lines = 0;   // between whole records, moved to DIR/alerts.damaged (with the torn end)
    std::uint64_t damaged_bytes = 0;
    std::uint64_t open_alerts = 0;     // rebuilt from the records
};

// The store's write path as the summary and /metrics report it.
struct StoreHealth {
    std::uint64_t held_records = 0;    // staged, not yet on disk (a failing disk holds them here)
    std::uint64_t held_bytes = 0;
    std::uint64_t held_dropped = 0;    // refused at the bound while the disk failed: not stored
    std::uint64_t write_failures = 0;  // commits that failed
    std::uint64_t commits = 0;         // commits that wrote records (one fsync each)
    bool failing = false;              // the last commit failed
    std::string last_error;
};

class AlertStore {
public:
    // Opens or creates DIR/alerts.jsonl, recovering it (see above). With
    // `fsync`, commit() returns only once the records are on disk. At most
    // `max_held` records wait in memory while writes fail. `legacy_open`:
    // the open alerts a dnswatch that kept them in a second file saved
    // (publish/open_alert_file.h), the base the records fold onto until a
    // prune has written its own.
    // `on_record` sees each record kept, parsed, in seq order, as the
    // store is opened: what else a restart rebuilds from the records
    // (publish/incident_rebuild.h) is read in the same pass.
    using RecordVisitor = std::function<void(const nlohmann::json& record)>;
    AlertStore(const std::string& dir, bool fsync = true, std::size_t max_held = 100000,
               std::vector<OpenAlertState> legacy_open = {}, const RecordVisitor& on_record = {});
    ~AlertStore();
    AlertStore(const AlertStore&) = delete;
    AlertStore& operator=(const AlertStore&) = delete;

    // The last seq numbered, held records included: the next record is
    // last_seq() + 1.
    std::uint64_t last_seq() const;

    // Stores one record and writes it at once; throws AlertStoreError when
    // the write fails (the record stays held). Any thread; prune() may run
    // on another. Its seq must be last_seq() + 1 (a gap in the file is a
    // record not stored at the held bound).
    void append(const Alert& alert, std::uint64_t checkpoint = 0);
    void append(const BaselineChange& change, std::uint64_t checkpoint = 0);
    void append(const Incident& incident, std::uint64_t checkpoint = 0);

    // Queues a record for the next commit(); false when `max_held` records
    // are already held (a disk failing for long): the record is not stored,
    // and counted. `checkpoint`: see META above.
    bool stage(const Alert& alert, std::uint64_t checkpoint);
    bool stage(const BaselineChange& change, std::uint64_t checkpoint);
    bool stage(const Incident& incident, std::uint64_t checkpoint);
    // The same, with the record's JSON (to_json_line) already made.
    bool stage(const Alert& alert, std::string_view record, std::uint64_t checkpoint);
    bool stage(const BaselineChange& change, std::string_view record, std::uint64_t checkpoint);
    bool stage(const Incident& incident, std::string_view record, std::uint64_t checkpoint);
    // Writes every held record, with one fsync. False when that fails: the
    // file is cut back to its last whole record, the records stay held.
    bool commit();
    StoreHealth health() const;

    // The open alerts as the records left them when the store was opened:
    // the last record of each id, when it is an open alert of a detector.
    const std::vector<OpenAlertState>& open_alerts() const { return open_alerts_; }
    const StoreRecovery& recovery() const { return recovery_; }
    // The largest "checkpoint" of the records found at open (0: none).
    std::uint64_t checkpoint_seen() const { return checkpoint_seen_; }

    struct Pruned {
        std::uint64_t records = 0;
        std::uint64_t bytes = 0;  // freed on disk
    };
    // Drops the oldest records for as long as `expired(record)` says so (the
    // first record it keeps ends the prune); the rest move to a new file in
    // one rename. Readers that have the old file open read on undisturbed.
    Pruned prune(const std::function<bool(std::string_view record)>& expired);

    const std::string& path() const { return path_; }

private:
    bool stage_line(std::uint64_t seq, std::string record, std::string meta);
    bool commit_locked();
    void open_for_append();

    std::string dir_;
    std::string path_;
    std::string pruned_path_;  // DIR/alerts.pruned: the last seq pruned, and the open alerts among them
    bool fsync_;
    std::size_t max_held_;
    mutable std::mutex mutex_;
    int fd_ = -1;
    std::uint64_t durable_bytes_ = 0;  // the file's size: whole records only
    std::uint64_t last_seq_ = 0;       // numbered, held ones included
    std::uint64_t pruned_seq_ = 0;
    std::string held_;                 // staged lines
    std::uint64_t held_records_ = 0;
    StoreHealth health_;
    StoreRecovery recovery_;
    std::uint64_t checkpoint_seen_ = 0;
    std::vector<OpenAlertState> open_alerts_;
    std::vector<OpenAlertState> pruned_open_;  // as DIR/alerts.pruned holds them (or the legacy base)
};

// The open alerts a run of records leaves: each record folded in order
// into `open` (id -> state), the last record of an id deciding.
void fold_open_alert(std::unordered_map<std::string, OpenAlertState>& open, const StoreLine& line);
// The same with the record's JSON already parsed (discarded: not JSON).
void fold_open_alert(std::unordered_map<std::string, OpenAlertState>& open, const StoreLine& line,
                     const nlohmann::json& record);

// Reads the complete records of a store file in order, from any thread or
// process (a torn or damaged line is not returned). `visit` gets the seq and
// the record's JSON; returning false stops the scan. Returns the last seq
// visited.
std::uint64_t scan_alert_store(const std::string& path, std::uint64_t after_seq,
                               const std::function<bool(std::uint64_t seq, std::string_view record)>& visit);

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

// Numbers each record (seq continues across restarts), logs it in the
// transparency log when there is one, stores it durably, and passes it on to
// the publishers. Records are committed in groups: one fsync of the store,
// one of the log and one checkpoint per commit(), which flush() (the
// publisher thread, after each batch it takes) and every `max_batch` records
// call. A commit that fails (a full disk) holds the records in the store's
// memory and passes them on all the same: a failing disk never hides alerts
// from the other outputs.
class DurableAlertSink : public AlertSink {
public:
    // Checks the log against the store before signing anything (every leaf
    // after the log's checkpoint must be a stored record, every stored
    // record must be the leaf it names, and the log's checkpoint must be at
    // least the one the store's records and DIR/alerts.log-checkpoint last
    // saw, and the same tree at that size) and refuses with AlertStoreError
    // when they disagree; then brings the log up to date with records stored
    // before a crash but not yet logged.
    // `max_batch`: records staged before a commit is forced (1: each record
    // is committed as it comes; the sensor passes more and flushes).
    DurableAlertSink(AlertStore& store, TransparencyLog* log, AlertSink& next, std::size_t max_batch = 1);
    // Writes what is staged, without passing it on: flush() first.
    ~DurableAlertSink() override;

    void publish(const Alert& alert) override;
    void publish_change(const BaselineChange& change) override;
    void publish_incident(const Incident& incident) override;
    // Commits what is staged, then flushes the next sinks.
    void flush() override;

    // Records the next sinks failed on (each sink is still given each record).
    std::uint64_t delivery_errors() const { return delivery_errors_.load(std::memory_order_relaxed); }
    const std::string& first_delivery_error() const { return first_delivery_error_; }

private:
    template <typename Record>
    Record number_and_stage(const Record& record);
    void commit();
    // DIR/alerts.log-checkpoint: the log's latest checkpoint as the sensor
    // saw it, kept beside the store (at most once a second, and at the end),
    // so that a log rolled back within its last batch is caught too.
    void remember_checkpoint(bool now);
    std::string remembered_path() const;

    AlertStore& store_;
    TransparencyLog* log_;
    AlertSink& next_;
    std::size_t max_batch_;
    // Numbered and staged, in the order they came, until the commit passes them on.
    std::vector<std::variant<Alert, BaselineChange, Incident>> staged_;
    std::atomic<std::uint64_t> delivery_errors_{0};  // read by run's main thread
    std::uint64_t remembered_size_ = 0;
    std::chrono::steady_clock::time_point remembered_at_{};
    std::string first_delivery_error_;
};

}  // namespace dnswatch
