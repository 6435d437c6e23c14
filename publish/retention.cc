#include "publish/retention.h"

#include <chrono>
#include <filesystem>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "common/rfc3339.h"
#include "publish/alert_store.h"
#include "publish/transparency_log.h"

namespace dnswatch {

std::optional<std::int64_t> record_time_us(std::string_view json_line) {
    const auto json = nlohmann::json::parse(json_line, nullptr, false);
    if (json.is_discarded() || !json.is_object()) return std::nullopt;
    for (const char* key : {"time", "last_seen"}) {
        const auto found = json.find(key);
        if (found == json.end() || !found->is_string()) continue;
        try {
            return parse_rfc3339_us(found->get<std::string>());
        } catch (const std::invalid_argument&) {
            return std::nullopt;
        }
    }
    return std::nullopt;
}

std::int64_t wall_clock_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Retention::Retention(std::int64_t retention_ms, AlertStore* store, TransparencyLog* log, std::string evidence_dir)
    : retention_ms_(retention_ms), store_(store), log_(log), evidence_dir_(std::move(evidence_dir)) {}

PruneReport Retention::prune(std::int64_t now_us) {
    const std::int64_t cutoff_us = now_us - retention_ms_ * 1000;
    // A record without a time is never taken for an old one.
    const auto expired = [cutoff_us](std::string_view line) {
        const auto time = record_time_us(line);
        return time && *time < cutoff_us;
    };
    PruneReport report;
    if (store_ != nullptr) {
        const AlertStore::Pruned pruned = store_->prune(expired);
        report.store = {pruned.records, pruned.bytes};
        scan_alert_store(store_->path(), 0, [&](std::uint64_t seq, std::string_view) {
            report.first_kept_seq = seq;
            return false;
        });
    }
    if (log_ != nullptr) {
        const TransparencyLog::Pruned pruned = log_->prune(expired);
        report.log = {pruned.entries, pruned.bytes};
        report.log_first_kept = log_->first_kept();
    }
    if (!evidence_dir_.empty()) {
        // An evidence pcap is written when its alert opens: its age is its file's.
        namespace fs = std::filesystem;
        const auto cutoff = fs::file_time_type::clock::now() -
                            std::chrono::microseconds(wall_clock_us() - cutoff_us);
        std::error_code error;
        for (const auto& file : fs::directory_iterator(evidence_dir_, error)) {
            if (!file.is_regular_file(error) || file.last_write_time(error) >= cutoff || error) continue;
            const std::uint64_t bytes = file.file_size(error);
            if (fs::remove(file.path(), error)) {
                ++report.evidence.records;
                report.evidence.bytes += bytes;
            }
        }
    }
    return report;
}

}  // namespace dnswatch
