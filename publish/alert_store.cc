#include "publish/alert_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "publish/alert_json.h"
#include "publish/change_json.h"
#include "publish/incident_json.h"
#include "publish/transparency_log.h"

namespace dnswatch {
namespace {

// The seq of a stored line, read without parsing the whole record.
std::optional<std::uint64_t> seq_of(std::string_view line) {
    const auto json = nlohmann::json::parse(line, nullptr, false);
    if (json.is_discarded() || !json.contains("seq") || !json["seq"].is_number_unsigned()) return std::nullopt;
    return json["seq"].get<std::uint64_t>();
}

std::uint64_t read_pruned_seq(const std::string& path) {
    std::ifstream in(path);
    std::uint64_t seq = 0;
    if (in && !(in >> seq)) throw AlertStoreError(path + ": not a sequence number");
    return seq;
}

}  // namespace

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
        const auto seq = seq_of(line);
        if (!seq) throw AlertStoreError(path + ": a stored record has no seq: " + line.substr(0, 80));
        if (*seq <= after_seq) continue;
        last = *seq;
        if (!visit(StoredRecord{*seq, line, at, offset})) break;
    }
    return last;
}

AlertStore::AlertStore(const std::string& dir, bool fsync)
    : path_(dir + "/alerts.jsonl"), pruned_path_(dir + "/alerts.pruned"), fsync_(fsync) {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) throw AlertStoreError(dir + ": " + error.message());
    pruned_seq_ = read_pruned_seq(pruned_path_);
    last_seq_ = pruned_seq_;
    // Find the last complete record and cut off anything after it.
    std::uint64_t complete_bytes = 0;
    {
        std::ifstream in(path_, std::ios::binary);
        std::string line;
        while (std::getline(in, line)) {
            if (in.eof()) break;
            const auto seq = seq_of(line);
            if (seq && *seq <= pruned_seq_) {  // pruned, but the file was not yet rewritten
                complete_bytes += line.size() + 1;
                continue;
            }
            if (!seq || *seq != last_seq_ + 1) {
                throw AlertStoreError(path_ + ": record after seq " + std::to_string(last_seq_) +
                                      " is not seq " + std::to_string(last_seq_ + 1));
            }
            last_seq_ = *seq;
            complete_bytes += line.size() + 1;
        }
    }
    struct stat st {};
    if (::stat(path_.c_str(), &st) == 0 && static_cast<std::uint64_t>(st.st_size) > complete_bytes &&
        ::truncate(path_.c_str(), static_cast<off_t>(complete_bytes)) != 0) {
        throw AlertStoreError(path_ + ": " + std::strerror(errno));
    }
    file_ = std::fopen(path_.c_str(), "ab");
    if (file_ == nullptr) throw AlertStoreError(path_ + ": " + std::strerror(errno));
}

AlertStore::~AlertStore() {
    if (file_ != nullptr) std::fclose(file_);
}

std::uint64_t AlertStore::last_seq() const {
    std::lock_guard lock(mutex_);
    return last_seq_;
}

void AlertStore::append(const Alert& alert) { append_line(alert.seq, to_json_line(alert)); }

void AlertStore::append(const BaselineChange& change) { append_line(change.seq, to_json_line(change)); }

void AlertStore::append(const Incident& incident) { append_line(incident.seq, to_json_line(incident)); }

void AlertStore::append_line(std::uint64_t seq, std::string line) {
    std::lock_guard lock(mutex_);
    if (seq != last_seq_ + 1) {
        throw AlertStoreError("record seq " + std::to_string(seq) + " does not follow " + std::to_string(last_seq_));
    }
    line.push_back('\n');
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0 ||
        (fsync_ && ::fsync(fileno(file_)) != 0)) {
        throw AlertStoreError(path_ + ": " + std::strerror(errno));
    }
    last_seq_ = seq;
}

AlertStore::Pruned AlertStore::prune(const std::function<bool(std::string_view)>& expired) {
    std::lock_guard lock(mutex_);
    Pruned pruned;
    std::uint64_t last_pruned = pruned_seq_;
    std::string kept;
    {
        std::ifstream in(path_, std::ios::binary);
        std::string line;
        bool keeping = false;
        while (std::getline(in, line)) {
            if (!keeping) {
                const auto seq = seq_of(line);
                if (seq && (*seq <= pruned_seq_ || expired(line))) {
                    last_pruned = std::max(last_pruned, *seq);
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
    // The mark first: a crash before the rewrite leaves records the next
    // open skips and the next prune drops.
    write_file_atomically(pruned_path_, std::to_string(last_pruned) + "\n", fsync_);
    pruned_seq_ = last_pruned;
    write_file_atomically(path_, kept, fsync_);
    std::fclose(file_);
    file_ = std::fopen(path_.c_str(), "ab");
    if (file_ == nullptr) throw AlertStoreError(path_ + ": " + std::strerror(errno));
    return pruned;
}

DurableAlertSink::DurableAlertSink(AlertStore& store, TransparencyLog* log, AlertSink& next)
    : store_(store), log_(log), next_(next) {
    if (log_ == nullptr) return;
    scan_alert_store(store_.path(), 0, [&](std::uint64_t seq, std::string_view line) {
        // Alerts and changes alike: only the log position matters here.
        const nlohmann::json stored = nlohmann::json::parse(line);
        const auto index = stored.find("tlog_index");
        if (index == stored.end() || !index->is_number_integer()) return true;
        const auto tlog_index = index->get<std::int64_t>();
        if (tlog_index < 0 || static_cast<std::uint64_t>(tlog_index) < log_->size()) return true;
        if (static_cast<std::uint64_t>(tlog_index) != log_->size()) {
            throw AlertStoreError("record seq " + std::to_string(seq) + " was to be log entry " +
                                  std::to_string(tlog_index) + ", the log holds " + std::to_string(log_->size()));
        }
        log_->append(line);
        return true;
    });
    // Signed afresh at every start: a crash between an append and its
    // checkpoint leaves the last entries unsigned until then.
    log_->write_checkpoint();
}

template <typename Record>
Record DurableAlertSink::number_and_keep(const Record& given) {
    Record record = given;
    record.seq = store_.last_seq() + 1;
    if (log_ != nullptr) record.tlog_index = static_cast<std::int64_t>(log_->size());
    // Stored first: the store is what a restart recovers from, the log is
    // brought up to date from it.
    store_.append(record);
    if (log_ != nullptr) {
        log_->append(to_json_line(record));
        log_->write_checkpoint();
    }
    return record;
}

void DurableAlertSink::publish(const Alert& alert) { next_.publish(number_and_keep(alert)); }

void DurableAlertSink::publish_change(const BaselineChange& change) { next_.publish_change(number_and_keep(change)); }

void DurableAlertSink::publish_incident(const Incident& incident) { next_.publish_incident(number_and_keep(incident)); }

}  // namespace dnswatch
