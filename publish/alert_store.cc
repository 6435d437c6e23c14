#include "publish/alert_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/crc32c.h"
#include "common/hex.h"
#include "publish/alert_json.h"
#include "publish/change_json.h"
#include "publish/incident_json.h"
#include "publish/open_alert_file.h"
#include "publish/transparency_log.h"

namespace dnswatch {
namespace {

std::string crc_text(std::string_view bytes) {
    char text[9];
    std::snprintf(text, sizeof text, "%08x", crc32c(bytes));
    return std::string(text, 8);
}

// META (see alert_store.h), written by hand: it is on the path of every
// record, and holds only numbers and hex.
std::string meta_of(const Alert& alert, std::uint64_t checkpoint) {
    std::string meta = "{\"checkpoint\":" + std::to_string(checkpoint);
    if (alert.state == AlertState::open && !alert.restart.key.empty()) {
        meta += ",\"open\":{\"key\":\"" + to_hex(alert.restart.key) + "\",\"signals\":" +
                std::to_string(alert.restart.signals) + ",\"observed_forms\":[";
        for (std::size_t i = 0; i < alert.restart.observed_forms.size(); ++i) {
            if (i > 0) meta += ',';
            meta += '"';
            meta += to_hex(alert.restart.observed_forms[i]);
            meta += '"';
        }
        meta += "]}";
    }
    meta += '}';
    return meta;
}

// A change or an incident: nothing to carry on but the checkpoint.
template <typename Record>
std::string meta_of(const Record&, std::uint64_t checkpoint) {
    return "{\"checkpoint\":" + std::to_string(checkpoint) + "}";
}

constexpr std::string_view kOpenAlertsHeader = "open-alerts ";

// True when the file holds the open alerts among the pruned records (a
// dnswatch that keeps no second file wrote it).
bool read_pruned(const std::string& path, std::uint64_t& seq, std::vector<OpenAlertState>& open) {
    std::ifstream in(path);
    if (!in) return false;
    std::string line;
    std::getline(in, line);
    try {
        std::size_t used = 0;
        seq = std::stoull(line, &used);
        if (used != line.size()) throw std::invalid_argument("trailing");
        if (!std::getline(in, line)) return false;
        if (line.rfind(kOpenAlertsHeader, 0) != 0) throw std::invalid_argument("no open-alerts line");
        while (std::getline(in, line)) {
            if (line.empty()) continue;
            const nlohmann::json json = nlohmann::json::parse(line);
            OpenAlertState state;
            state.key = from_hex(json.at("key").get<std::string>());
            state.signals = json.at("signals").get<SignalSet>();
            for (const auto& form : json.at("observed_forms")) state.observed_forms.push_back(from_hex(form.get<std::string>()));
            state.alert = alert_from_json(json.at("alert"));
            state.alert.restart.key = state.key;
            open.push_back(std::move(state));
        }
    } catch (const std::exception& e) {
        throw AlertStoreError(path + ": not a pruned mark (" + e.what() + ")");
    }
    return true;
}

std::vector<OpenAlertState> sorted_by_first_seen(std::unordered_map<std::string, OpenAlertState>& open) {
    std::vector<OpenAlertState> alerts;
    alerts.reserve(open.size());
    for (auto& [id, state] : open) alerts.push_back(std::move(state));
    std::sort(alerts.begin(), alerts.end(), [](const OpenAlertState& a, const OpenAlertState& b) {
        return a.alert.first_seen_us != b.alert.first_seen_us ? a.alert.first_seen_us < b.alert.first_seen_us
                                                              : a.alert.id < b.alert.id;
    });
    return alerts;
}

}  // namespace

std::optional<StoreLine> parse_store_line(std::string_view line) {
    StoreLine parsed;
    const auto tab = line.find('\t');
    if (tab == std::string_view::npos) {
        parsed.record = line;  // the first format: plain JSON, no checksum
    } else {
        const auto last = line.rfind('\t');
        if (last == tab || line.size() - last - 1 != 8) return std::nullopt;
        if (crc_text(line.substr(0, last)) != line.substr(last + 1)) return std::nullopt;
        parsed.record = line.substr(0, tab);
        parsed.meta = line.substr(tab + 1, last - tab - 1);
    }
    // The seq, read without building the whole record.
    const auto json = nlohmann::json::parse(parsed.record, nullptr, false);
    if (json.is_discarded() || !json.is_object()) return std::nullopt;
    const auto seq = json.find("seq");
    if (seq == json.end() || !seq->is_number_unsigned()) return std::nullopt;
    parsed.seq = seq->get<std::uint64_t>();
    return parsed;
}

void fold_open_alert(std::unordered_map<std::string, OpenAlertState>& open, const StoreLine& line) {
    fold_open_alert(open, line, nlohmann::json::parse(line.record, nullptr, false));
}

void fold_open_alert(std::unordered_map<std::string, OpenAlertState>& open, const StoreLine& line,
                     const nlohmann::json& record) {
    if (record.is_discarded() || record.value("schema", "") != "dnswatch.alert/1" || !record.contains("id") ||
        !record.contains("state")) {
        return;  // a change record: no alert's state
    }
    const std::string id = record["id"].get<std::string>();
    const nlohmann::json meta = line.meta.empty() ? nlohmann::json() : nlohmann::json::parse(line.meta, nullptr, false);
    if (record["state"] != "open") {
        open.erase(id);
        return;
    }
    if (!meta.is_object() || !meta.contains("open")) {
        // Open, but nothing to carry it on with: not a detector's alert
        // (a change watcher's), or a record of the first format.
        return;
    }
    const nlohmann::json& state_json = meta["open"];
    OpenAlertState state;
    state.key = from_hex(state_json.at("key").get<std::string>());
    state.signals = state_json.at("signals").get<SignalSet>();
    for (const auto& form : state_json.at("observed_forms")) state.observed_forms.push_back(from_hex(form.get<std::string>()));
    state.alert = alert_from_json(record);
    state.alert.restart.key = state.key;
    open.insert_or_assign(id, std::move(state));
}

std::uint64_t scan_alert_store(const std::string& path, std::uint64_t after_seq,
                               const std::function<bool(std::uint64_t, std::string_view)>& visit) {
    return scan_alert_store_from(path, 0, after_seq,
                                 [&](const StoredRecord& record) { return visit(record.seq, record.line); });
}

std::uint64_t scan_alert_store_from(const std::string& path, std::uint64_t offset, std::uint64_t after_seq,
                                    const std::function<bool(const StoredRecord&)>& visit) {
    std::ifstream in(path, std::ios::binary);
    if (offset != 0) in.seekg(static_cast<std::streamoff>(offset));
    std::uint64_t last = after_seq;
    std::string line;
    while (std::getline(in, line)) {
        if (in.eof()) break;  // no newline: a record still being written, or torn
        const std::uint64_t at = offset;
        offset += line.size() + 1;
        const auto parsed = parse_store_line(line);
        if (!parsed || parsed->seq <= after_seq) continue;  // damaged lines are the writer's to repair
        last = parsed->seq;
        // `line`: the record the consumers get (RECORD); offsets are of whole lines.
        if (!visit(StoredRecord{parsed->seq, parsed->record, at, offset})) break;
    }
    return last;
}

AlertStore::AlertStore(const std::string& dir, bool fsync, std::size_t max_held,
                       std::vector<OpenAlertState> legacy_open, const RecordVisitor& on_record)
    : dir_(dir), path_(dir + "/alerts.jsonl"), pruned_path_(dir + "/alerts.pruned"), fsync_(fsync),
      max_held_(std::max<std::size_t>(max_held, 1)) {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) throw AlertStoreError(dir + ": " + error.message());
    if (!read_pruned(pruned_path_, pruned_seq_, pruned_open_)) pruned_open_ = std::move(legacy_open);
    last_seq_ = pruned_seq_;
    std::unordered_map<std::string, OpenAlertState> open;
    for (const OpenAlertState& state : pruned_open_) open.insert_or_assign(state.alert.id, state);

    // Every whole record, in order; anything else is cut off the end, or
    // moved aside when whole records follow it (a store written by a
    // dnswatch that did not cut back a failed write).
    std::string kept;        // built only once damage is found in the middle
    std::string damaged;
    bool rewrite = false;
    std::uint64_t whole_bytes = 0;  // up to the end of the last whole record
    std::uint64_t offset = 0;
    std::uint64_t bad_since_whole = 0;        // bytes
    std::uint64_t bad_lines_since_whole = 0;
    {
        std::ifstream in(path_, std::ios::binary);
        std::string line;
        while (std::getline(in, line)) {
            const bool complete = !in.eof();
            const std::uint64_t size = line.size() + (complete ? 1 : 0);
            const auto parsed = complete ? parse_store_line(line) : std::nullopt;
            const bool whole = parsed && (parsed->seq <= pruned_seq_ || parsed->seq > last_seq_);
            if (!whole) {
                damaged += line;
                if (complete) damaged += '\n';
                ++bad_lines_since_whole;
                bad_since_whole += size;
                offset += size;
                continue;
            }
            if (bad_since_whole > 0) rewrite = true;  // damage between whole records
            recovery_.damaged_lines += bad_lines_since_whole;
            bad_lines_since_whole = 0;
            if (rewrite && kept.empty()) {
                // Copy the whole records before the damage.
                std::ifstream again(path_, std::ios::binary);
                kept.resize(whole_bytes);
                again.read(kept.data(), static_cast<std::streamsize>(whole_bytes));
            }
            if (rewrite) {
                kept += line;
                kept += '\n';
            }
            bad_since_whole = 0;
            offset += size;
            whole_bytes = offset;
            if (parsed->seq <= pruned_seq_) continue;  // pruned, but the file was not yet rewritten
            last_seq_ = parsed->seq;
            ++recovery_.records;
            if (!parsed->meta.empty()) {
                const auto meta = nlohmann::json::parse(parsed->meta, nullptr, false);
                if (meta.is_object() && meta.contains("checkpoint") && meta["checkpoint"].is_number_unsigned()) {
                    checkpoint_seen_ = std::max(checkpoint_seen_, meta["checkpoint"].get<std::uint64_t>());
                }
            }
            const nlohmann::json record = nlohmann::json::parse(parsed->record, nullptr, false);
            fold_open_alert(open, *parsed, record);
            if (on_record && !record.is_discarded()) on_record(record);
        }
    }
    if (rewrite) {
        // Damaged lines between whole records: kept aside for whoever
        // investigates, out of the way of readers.
        std::ofstream aside(dir + "/alerts.damaged", std::ios::binary | std::ios::app);
        aside << damaged;
        if (!aside) throw AlertStoreError(dir + "/alerts.damaged: " + std::strerror(errno));
        recovery_.damaged_bytes = damaged.size() - bad_since_whole;
        recovery_.torn_bytes = bad_since_whole;
        try {
            write_file_atomically(path_, kept, fsync_);
        } catch (const std::runtime_error& e) {
            throw AlertStoreError(e.what());
        }
        if (fsync_) sync_directory(dir);
        durable_bytes_ = kept.size();
    } else {
        recovery_.torn_bytes = bad_since_whole;
        if (bad_since_whole > 0 && ::truncate(path_.c_str(), static_cast<off_t>(whole_bytes)) != 0) {
            throw AlertStoreError(path_ + ": " + std::strerror(errno));
        }
        durable_bytes_ = whole_bytes;
    }
    open_alerts_ = sorted_by_first_seen(open);
    recovery_.open_alerts = open_alerts_.size();
    open_for_append();
}

AlertStore::~AlertStore() {
    if (fd_ >= 0) {
        commit_locked();  // what is held, if the disk allows it now
        ::close(fd_);
    }
}

void AlertStore::open_for_append() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) throw AlertStoreError(path_ + ": " + std::strerror(errno));
}

std::uint64_t AlertStore::last_seq() const {
    std::lock_guard lock(mutex_);
    return last_seq_;
}

StoreHealth AlertStore::health() const {
    std::lock_guard lock(mutex_);
    StoreHealth health = health_;
    health.held_records = held_records_;
    health.held_bytes = held_.size();
    return health;
}

bool AlertStore::stage(const Alert& alert, std::uint64_t checkpoint) {
    return stage_line(alert.seq, to_json_line(alert), meta_of(alert, checkpoint));
}

bool AlertStore::stage(const BaselineChange& change, std::uint64_t checkpoint) {
    return stage_line(change.seq, to_json_line(change), meta_of(change, checkpoint));
}

bool AlertStore::stage(const Incident& incident, std::uint64_t checkpoint) {
    return stage_line(incident.seq, to_json_line(incident), meta_of(incident, checkpoint));
}

bool AlertStore::stage(const Alert& alert, std::string_view record, std::uint64_t checkpoint) {
    return stage_line(alert.seq, std::string(record), meta_of(alert, checkpoint));
}

bool AlertStore::stage(const BaselineChange& change, std::string_view record, std::uint64_t checkpoint) {
    return stage_line(change.seq, std::string(record), meta_of(change, checkpoint));
}

void AlertStore::append(const Alert& alert, std::uint64_t checkpoint) {
    if (!stage(alert, checkpoint)) throw AlertStoreError(path_ + ": " + std::to_string(max_held_) + " records already held");
    std::lock_guard lock(mutex_);
    if (!commit_locked()) throw AlertStoreError(health_.last_error);
}

void AlertStore::append(const BaselineChange& change, std::uint64_t checkpoint) {
    if (!stage(change, checkpoint)) throw AlertStoreError(path_ + ": " + std::to_string(max_held_) + " records already held");
    std::lock_guard lock(mutex_);
    if (!commit_locked()) throw AlertStoreError(health_.last_error);
}

bool AlertStore::stage(const Incident& incident, std::string_view record, std::uint64_t checkpoint) {
    return stage_line(incident.seq, std::string(record), meta_of(incident, checkpoint));
}

void AlertStore::append(const Incident& incident, std::uint64_t checkpoint) {
    if (!stage(incident, checkpoint)) {
        throw AlertStoreError(path_ + ": " + std::to_string(max_held_) + " records already held");
    }
    std::lock_guard lock(mutex_);
    if (!commit_locked()) throw AlertStoreError(health_.last_error);
}

bool AlertStore::stage_line(std::uint64_t seq, std::string record, std::string meta) {
    std::lock_guard lock(mutex_);
    if (seq != last_seq_ + 1) {
        throw AlertStoreError("record seq " + std::to_string(seq) + " does not follow " + std::to_string(last_seq_));
    }
    last_seq_ = seq;  // numbered even when refused below: a gap says what went
    if (held_records_ >= max_held_) {
        ++health_.held_dropped;
        return false;
    }
    std::string line = std::move(record);
    line += '\t';
    line += meta;
    const std::string crc = crc_text(line);
    held_.append(line).append("\t").append(crc).append("\n");
    ++held_records_;
    return true;
}

bool AlertStore::commit() {
    std::lock_guard lock(mutex_);
    return commit_locked();
}

bool AlertStore::commit_locked() {
    if (held_.empty()) return true;
    const bool written = write_all(fd_, held_) && (!fsync_ || ::fsync(fd_) == 0);
    if (!written) {
        const int saved = errno;
        // No torn record stays behind: the next commit appends after whole ones.
        if (::ftruncate(fd_, static_cast<off_t>(durable_bytes_)) != 0) {
            // Cut at the next open instead (recovery).
        }
        ++health_.write_failures;
        health_.failing = true;
        health_.last_error = path_ + ": " + std::strerror(saved);
        return false;
    }
    durable_bytes_ += held_.size();
    held_.clear();
    held_records_ = 0;
    ++health_.commits;
    health_.failing = false;
    return true;
}

AlertStore::Pruned AlertStore::prune(const std::function<bool(std::string_view)>& expired) {
    std::lock_guard lock(mutex_);
    Pruned pruned;
    std::uint64_t last_pruned = pruned_seq_;
    std::unordered_map<std::string, OpenAlertState> open;
    for (const OpenAlertState& state : pruned_open_) open.insert_or_assign(state.alert.id, state);
    std::string kept;
    {
        std::ifstream in(path_, std::ios::binary);
        std::string line;
        bool keeping = false;
        std::uint64_t read = 0;
        while (read < durable_bytes_ && std::getline(in, line)) {
            read += line.size() + 1;
            if (!keeping) {
                const auto parsed = parse_store_line(line);
                if (parsed && (parsed->seq <= pruned_seq_ || expired(parsed->record))) {
                    if (parsed->seq > pruned_seq_) fold_open_alert(open, *parsed);
                    last_pruned = std::max(last_pruned, parsed->seq);
                    ++pruned.records;
                    pruned.bytes += line.size() + 1;
                    continue;
                }
                keeping = true;
            }
            kept += line;
            kept += '\n';
        }
    }
    if (pruned.records == 0) return pruned;
    // The mark first, with the open alerts among the dropped records: a
    // crash before the rewrite leaves records the next open skips and the
    // next prune drops.
    std::vector<OpenAlertState> still_open = sorted_by_first_seen(open);
    try {
        write_file_atomically(pruned_path_,
                              std::to_string(last_pruned) + "\n" + std::string(kOpenAlertsHeader) +
                                  std::to_string(still_open.size()) + "\n" + open_alerts_text(still_open),
                              fsync_);
        pruned_seq_ = last_pruned;
        pruned_open_ = std::move(still_open);
        write_file_atomically(path_, kept, fsync_);
    } catch (const std::runtime_error& e) {
        throw AlertStoreError(e.what());
    }
    durable_bytes_ = kept.size();
    open_for_append();
    return pruned;
}

DurableAlertSink::DurableAlertSink(AlertStore& store, TransparencyLog* log, AlertSink& next, std::size_t max_batch)
    : store_(store), log_(log), next_(next), max_batch_(std::max<std::size_t>(max_batch, 1)) {
    if (log_ == nullptr) return;
    // Nothing is signed before the log and the store agree.
    const std::uint64_t log_size = log_->size();
    const std::uint64_t signed_size = log_->checkpoint_size();
    if (store_.checkpoint_seen() > signed_size) {
        throw AlertStoreError(store_.path() + ": its records saw the log signed at size " +
                              std::to_string(store_.checkpoint_seen()) + ", the log's checkpoint is " +
                              (log_->has_checkpoint() ? "of size " + std::to_string(signed_size) : "missing") +
                              ": the log was rolled back or its checkpoint removed; refusing to sign it");
    }
    // The checkpoint remembered beside the store (the end of the last run):
    // the log must still hold that tree.
    const std::string remembered = [&] {
        std::ifstream in(remembered_path(), std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }();
    const auto remembered_text = remembered.empty() ? std::nullopt : open_note(remembered, log_->verifier());
    if (const auto seen = remembered_text ? parse_checkpoint(*remembered_text) : std::nullopt) {
        if (seen->size > signed_size) {
            throw AlertStoreError(remembered_path() + ": the log was signed at size " + std::to_string(seen->size) +
                                  ", its checkpoint is " +
                                  (log_->has_checkpoint() ? "of size " + std::to_string(signed_size) : "missing") +
                                  ": the log was rolled back or its checkpoint removed; refusing to sign it");
        }
        std::vector<merkle::Hash> leaves;
        for (std::uint64_t i = 0; i < seen->size; ++i) leaves.push_back(log_->leaf(i));
        if (merkle::root(leaves) != seen->root) {
            throw AlertStoreError(remembered_path() + ": the log's first " + std::to_string(seen->size) +
                                  " entries are not the tree signed then: the log was rewritten; refusing to sign it");
        }
        remembered_size_ = seen->size;
    }
    std::vector<bool> in_store(log_size, false);
    scan_alert_store(store_.path(), 0, [&](std::uint64_t seq, std::string_view record) {
        // Alerts and changes alike: only the log position matters here.
        const nlohmann::json stored = nlohmann::json::parse(record);
        const auto index = stored.find("tlog_index");
        if (index == stored.end() || !index->is_number_integer()) return true;
        const auto tlog_index = index->get<std::int64_t>();
        if (tlog_index < 0) return true;
        const auto at = static_cast<std::uint64_t>(tlog_index);
        if (at < log_size) {
            if (log_->leaf(at) != merkle::leaf_hash({reinterpret_cast<const std::uint8_t*>(record.data()), record.size()})) {
                throw AlertStoreError("transparency log entry " + std::to_string(at) +
                                      " is not the stored record seq " + std::to_string(seq) +
                                      ": the log was altered; refusing to sign it");
            }
            in_store[at] = true;
            return true;
        }
        if (at != log_->size()) {
            throw AlertStoreError("record seq " + std::to_string(seq) + " was to be log entry " + std::to_string(at) +
                                  ", the log holds " + std::to_string(log_->size()));
        }
        // Stored before a crash, not yet logged: logged now.
        log_->stage(record);
        return true;
    });
    // Past the checkpoint, nothing vouches for an entry but the store.
    for (std::uint64_t i = signed_size; i < log_size; ++i) {
        if (!in_store[i]) {
            throw AlertStoreError("transparency log entry " + std::to_string(i) +
                                  " is after the signed checkpoint (size " + std::to_string(signed_size) +
                                  ") and is no stored record: a forged tail; refusing to sign it");
        }
    }
    if (!log_->commit()) throw AlertStoreError(log_->health().last_error);
    remember_checkpoint(true);
}

DurableAlertSink::~DurableAlertSink() {
    // To disk only: the next sinks may be gone already (their owners flush
    // before they go); a consumer catches up from the store.
    if (store_.commit() && log_ != nullptr && log_->commit()) remember_checkpoint(true);
}

std::string DurableAlertSink::remembered_path() const {
    return std::filesystem::path(store_.path()).parent_path().string() + "/alerts.log-checkpoint";
}

void DurableAlertSink::remember_checkpoint(bool now) {
    if (log_ == nullptr) return;
    const auto clock = std::chrono::steady_clock::now();
    if (!now && clock - remembered_at_ < std::chrono::seconds(1)) return;
    if (log_->checkpoint_size() == remembered_size_) return;
    // No fsync: an older copy after a power cut is no false alarm, only a
    // shorter memory. A failing disk leaves the last one.
    try {
        write_file_atomically(remembered_path(), log_->checkpoint_note(), false);
        remembered_size_ = log_->checkpoint_size();
        remembered_at_ = clock;
    } catch (const std::runtime_error&) {
    }
}

template <typename Record>
Record DurableAlertSink::number_and_stage(const Record& given) {
    Record record = given;
    record.seq = store_.last_seq() + 1;
    // Logged only when stored: every log entry is a stored record.
    if (log_ != nullptr) record.tlog_index = static_cast<std::int64_t>(log_->size());
    const std::uint64_t checkpoint = log_ != nullptr ? log_->checkpoint_size() : 0;
    // One serialisation for both: the log's entry is the stored record, byte for byte.
    const std::string line = to_json_line(record);
    if (store_.stage(record, line, checkpoint)) {
        if (log_ != nullptr) log_->stage(line);
    } else {
        record.tlog_index = -1;
    }
    return record;
}

void DurableAlertSink::publish(const Alert& alert) {
    staged_.emplace_back(number_and_stage(alert));
    if (staged_.size() >= max_batch_) commit();
}

void DurableAlertSink::publish_change(const BaselineChange& change) {
    staged_.emplace_back(number_and_stage(change));
    if (staged_.size() >= max_batch_) commit();
}

void DurableAlertSink::publish_incident(const Incident& incident) {
    staged_.emplace_back(number_and_stage(incident));
    if (staged_.size() >= max_batch_) commit();
}

void DurableAlertSink::flush() {
    commit();
    next_.flush();
}

void DurableAlertSink::commit() {
    // Records the outputs make while they get these (the change watcher's
    // alerts about a change) are staged anew and committed by the next turn.
    do {
        // The store first: every log entry on disk has its record on disk.
        // Held records (a failing disk) are tried again at each commit.
        if (store_.commit() && log_ != nullptr && log_->commit()) remember_checkpoint(false);
        const auto staged = std::exchange(staged_, {});
        // Stored or held, each record goes on: a failing disk never hides one.
        for (const auto& record : staged) {
            try {
                if (const Alert* alert = std::get_if<Alert>(&record)) {
                    next_.publish(*alert);
                } else if (const BaselineChange* change = std::get_if<BaselineChange>(&record)) {
                    next_.publish_change(*change);
                } else {
                    next_.publish_incident(std::get<Incident>(record));
                }
            } catch (const std::exception& e) {
                delivery_errors_.fetch_add(1, std::memory_order_relaxed);
                if (first_delivery_error_.empty()) first_delivery_error_ = e.what();
            }
        }
    } while (!staged_.empty());
}


}  // namespace dnswatch
