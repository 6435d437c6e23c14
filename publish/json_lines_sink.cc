#include "publish/json_lines_sink.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "publish/alert_json.h"
#include "publish/change_json.h"
#include "publish/incident_json.h"

namespace dnswatch {

JsonLinesSink::JsonLinesSink(std::FILE* out)
    : out_(out), name_(out == stdout ? "standard output" : "output stream") {
    if (out_ == nullptr) throw std::invalid_argument("JsonLinesSink: null output stream");
}

JsonLinesSink::JsonLinesSink(const std::string& path, FileMode mode)
    : out_(std::fopen(path.c_str(), mode == FileMode::append ? "a" : "w")), owned_(true), name_(path) {
    if (out_ == nullptr) {
        throw std::runtime_error("cannot open alert file '" + path + "': " + std::strerror(errno));
    }
}

JsonLinesSink::~JsonLinesSink() {
    if (owned_) std::fclose(out_);  // errors here were already seen by the per-line fflush
}

void JsonLinesSink::publish(const Alert& alert) { write_line(to_json_line(alert)); }

void JsonLinesSink::publish_incident(const Incident& incident) {
    if (incidents_) write_line(to_json_line(incident));
}

void JsonLinesSink::publish_change(const BaselineChange& change) {
    if (changes_) write_line(to_json_line(change));
}

void JsonLinesSink::write_line(std::string line) {
    line.push_back('\n');
    const std::lock_guard lock(mutex_);
    errno = 0;
    if (std::fwrite(line.data(), 1, line.size(), out_) != line.size()) {
        record_error("write", errno);
        return;
    }
    if (std::fflush(out_) != 0) {
        record_error("flush", errno);
        return;
    }
    ++lines_written_;
}

void JsonLinesSink::reopen() {
    if (!owned_) return;
    std::FILE* fresh = std::fopen(name_.c_str(), "a");
    if (fresh == nullptr) throw std::runtime_error("cannot reopen alert file '" + name_ + "': " + std::strerror(errno));
    const std::lock_guard lock(mutex_);
    std::fclose(out_);
    out_ = fresh;
}

void JsonLinesSink::flush() {
    const std::lock_guard lock(mutex_);
    errno = 0;
    if (std::fflush(out_) != 0) record_error("flush", errno);
}

void JsonLinesSink::record_error(const char* what, int error_number) {
    ++write_errors_;
    if (error_.empty()) {
        error_ = std::string("cannot ") + what + " alerts to " + name_ + ": " +
                 (error_number != 0 ? std::strerror(error_number) : "unknown error");
    }
    // Clear the stream's sticky error so that the next alert is attempted
    // (a full disk may have room again); fflush discarded nothing we can save.
    std::clearerr(out_);
}

}  // namespace dnswatch
