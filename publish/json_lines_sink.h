// Alerts as JSON lines (schema dnswatch.alert/1), one object per line, each
// line flushed at once so that `tail -f` and pipes see it immediately.
#pragma once

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

#include "detect/alert_sink.h"

namespace dnswatch {

class JsonLinesSink : public AlertSink {
public:
    enum class FileMode { append, truncate };

    // Writes to a stream it does not own (stdout, say); never closes it.
    explicit JsonLinesSink(std::FILE* out);

    // Opens `path` (append by default: an alert log is not overwritten by
    // accident). Throws std::runtime_error naming the path and strerror.
    explicit JsonLinesSink(const std::string& path, FileMode mode = FileMode::append);

    ~JsonLinesSink() override;
    JsonLinesSink(const JsonLinesSink&) = delete;
    JsonLinesSink& operator=(const JsonLinesSink&) = delete;

    // Writes and flushes one line. Never throws on I/O errors (disk full,
    // closed pipe): they are counted, the first one is kept in error(), and
    // later alerts are still attempted.
    void publish(const Alert& alert) override;
    // Incident records (dnswatch.incident/1) go on the same lines only when
    // asked for (replay --incidents): readers of alert files expect alerts.
    void publish_incident(const Incident& incident) override;
    void set_incidents(bool on) { incidents_ = on; }
    // Change records of the baseline (dnswatch.change/1) likewise (replay --changes).
    void publish_change(const BaselineChange& change) override;
    void set_changes(bool on) { changes_ = on; }
    void flush() override;

    // Opens the file again by its path (appending), from any thread: after
    // logrotate moved it away, on SIGHUP. A stream it does not own is kept.
    // Throws std::runtime_error when the path cannot be opened (the old
    // file stays in use).
    void reopen();

    bool failed() const { return write_errors_ != 0; }
    const std::string& error() const { return error_; }  // first error, "" if none
    std::uint64_t lines_written() const { return lines_written_; }
    std::uint64_t write_errors() const { return write_errors_; }

private:
    void record_error(const char* what, int error_number);
    void write_line(std::string line);

    std::mutex mutex_;  // out_ between publish() and reopen()
    std::FILE* out_ = nullptr;
    bool owned_ = false;
    std::string name_;  // the path, or "standard output" / "output stream"
    std::string error_;
    std::uint64_t lines_written_ = 0;
    std::uint64_t write_errors_ = 0;
    bool incidents_ = false;
    bool changes_ = false;
};

}  // namespace dnswatch
