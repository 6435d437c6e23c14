#include "publish/public_feed.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "publish/alert_store.h"
#include "publish/change_json.h"
#include "publish/retention.h"
#include "publish/topic.h"
#include "publish/zmq_security.h"

namespace dnswatch {

PublicFeed::PublicFeed(PublicFeedOptions options, std::string store_path, std::string cursor_path)
    : options_(std::move(options)),
      store_path_(std::move(store_path)),
      cursor_path_(std::move(cursor_path)),
      context_(std::make_unique<zmq::context_t>()) {
    // The ZAP handler first: it must answer before the socket accepts anyone.
    zap_ = std::make_unique<ZapAuthenticator>(*context_, options_.client_keys,
                                              /*allow_plaintext=*/!options_.zmq.curve.has_value(), options_.log);
    socket_ = std::make_unique<ZmqPublisher>(*context_, options_.zmq);
    endpoint_ = socket_->endpoint();
    if (std::ifstream in(cursor_path_); in) in >> released_ >> scanned_;
    if (scanned_ < released_) scanned_ = released_;
    saved_released_ = released_;
    saved_scanned_ = scanned_;
    // Records after `released` are read again: held ones wait anew, the
    // others up to `scanned` were sent before the restart.
    restart_scanned_ = scanned_;
    scanned_ = released_;
    stored_ = index_.last_seq();
    thread_ = std::thread([this] { run(); });
}

PublicFeed::~PublicFeed() {
    stop_ = true;
    wake_.notify_all();
    thread_.join();
    socket_.reset();
    zap_.reset();
}

std::uint64_t PublicFeed::dropped() const { return socket_->dropped(); }
std::uint64_t PublicFeed::zap_admitted() const { return zap_->admitted(); }
std::uint64_t PublicFeed::zap_denied() const { return zap_->denied(); }

std::string PublicFeed::last_error() const {
    std::lock_guard lock(mutex_);
    return last_error_;
}

std::int64_t PublicFeed::now_us() const { return options_.now_us ? options_.now_us() : wall_clock_us(); }

void PublicFeed::notify(std::uint64_t seq) {
    {
        std::lock_guard lock(mutex_);
        if (seq > stored_) stored_ = seq;
    }
    wake_.notify_all();
}

void PublicFeed::send_record(std::string_view line) {
    const nlohmann::json record = nlohmann::json::parse(line, nullptr, false);
    socket_->send(record.is_discarded() ? alert_topic("") : record_topic(record), line);
    ++sent_;
}

void PublicFeed::scan() {
    const std::int64_t delay_us = options_.delay_ms * 1000;
    index_.scan_after(scanned_, [&](const StoredRecord& stored) {
        const std::uint64_t seq = stored.seq;
        const std::string_view line = stored.line;
        if (stop_) return false;
        const nlohmann::json record = nlohmann::json::parse(line, nullptr, false);
        // Held back: a change that creates or deletes a domain, and an
        // alert that cites a change still held.
        struct {
            bool held = false;
            bool is_change = false;
        } verdict;
        std::int64_t release_at = 0;
        if (!record.is_discarded() && record.is_object()) {
            verdict.is_change = schema_of(record) == kChangeSchema;
            if (verdict.is_change) {
                const std::string op = record.value("op", std::string());
                verdict.held = op == "create" || op == "delete";
                const std::optional<std::int64_t> time = record_time_us(line);
                release_at = time ? *time + delay_us : now_us() + delay_us;
            } else if (const auto cited = record.find("changes"); cited != record.end() && cited->is_array()) {
                // Released with the last held change it cites (held ones go in seq order).
                for (const auto& change : *cited) {
                    if (!change.is_number_unsigned() || !held_changes_.contains(change.get<std::uint64_t>())) continue;
                    verdict.held = true;
                }
                if (verdict.held) release_at = held_.back().release_at_us;
            }
        }
        if (verdict.held) {
            if (verdict.is_change) held_changes_.insert(seq);
            if (!held_.empty() && release_at < held_.back().release_at_us) release_at = held_.back().release_at_us;
            held_.push_back({seq, release_at});
        } else if (seq > restart_scanned_) {
            send_record(line);
        }
        scanned_ = seq;
        if (held_.empty()) released_ = seq;
        return true;
    });
    held_now_ = held_.size();
}

// Sends the held records whose time has come, in seq order, reading them
// back from the store in one pass (they are not kept in memory: a day of a
// large TLD's creates would be hundreds of MB).
void PublicFeed::release_due(std::int64_t now) {
    if (held_.empty() || held_.front().release_at_us > now) return;
    std::vector<std::uint64_t> due;
    for (const Held& h : held_) {
        if (h.release_at_us > now) break;
        due.push_back(h.seq);
    }
    std::size_t next = 0;
    index_.scan_after(due.front() - 1, [&](const StoredRecord& stored) {
        const std::uint64_t seq = stored.seq;
        const std::string_view line = stored.line;
        if (seq == due[next]) {
            send_record(line);
            ++released_late_;
            ++next;
        }
        return next < due.size();
    });
    // A held record the retention pruned before its time is not sent: it is
    // gone from the store, as from every other output.
    for (std::size_t i = 0; i < due.size(); ++i) {
        held_changes_.erase(held_.front().seq);
        held_.pop_front();
    }
    released_ = held_.empty() ? scanned_ : held_.front().seq - 1;
    held_now_ = held_.size();
}

void PublicFeed::save_cursor() {
    if (released_ == saved_released_ && scanned_ == saved_scanned_) return;
    // Replaced whole (rename): a crash leaves the old cursor or the new.
    const std::string temporary = cursor_path_ + ".tmp";
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << released_ << " " << scanned_ << "\n";
        if (!out) return;  // tried again at the next change; records are at worst re-sent, never lost
    }
    std::error_code error;
    std::filesystem::rename(temporary, cursor_path_, error);
    if (error) return;
    saved_released_ = released_;
    saved_scanned_ = scanned_;
}

void PublicFeed::run() {
    while (!stop_) {
        try {
            if (scanned_ < stored_.load()) scan();
            release_due(now_us());
            save_cursor();
        } catch (const std::exception& e) {
            // The store unreadable for a moment: tried again at the next
            // wake-up, from the same cursor; counted and kept for the log.
            ++errors_;
            std::lock_guard lock(mutex_);
            last_error_ = e.what();
        }
        std::unique_lock lock(mutex_);
        // Woken by a new record, else at the next due release (at most a
        // second away, so that a stretched test clock is followed too).
        wake_.wait_for(lock, std::chrono::milliseconds(held_.empty() ? 500 : 100),
                       [&] { return stop_ || stored_.load() > scanned_; });
    }
}

}  // namespace dnswatch
