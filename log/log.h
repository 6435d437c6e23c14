// Structured operational logs: one line per event, with a level, an event
// name and key=value fields, written as logfmt ("keyvalue") or JSON (config
// keys log.level, log.format). Repeated events are rate limited by a token
// bucket per event name, so that a flood of one event cannot bury the others
// or fill a disk; what was held back is counted and reported on the event's
// next line (suppressed=N) and in suppressed_total() (for
// dnswatch_log_lines_suppressed_total).
//
// For operational events (start, stop, reload, a peer gone, an output
// failing), not per packet: a line takes a mutex and formats a string. Bad
// packets are counted by their stage and reported in summaries.
//
// Under systemd, with the stream connected to the journal (JOURNAL_STREAM
// names it), each line starts with its syslog priority, "<3>" for an error
// to "<7>" for debug (sd-daemon(3)): journald strips it and files the line
// at that priority, so `journalctl -p warning` finds warnings.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace dnswatch::log {

enum class Level { error = 0, warn = 1, info = 2, debug = 3 };
enum class Format { keyvalue, json };

std::optional<Level> parse_level(std::string_view text);    // "error", "warn", "info", "debug"
std::optional<Format> parse_format(std::string_view text);  // "keyvalue", "json"
const char* to_string(Level level);

// One key=value of an event. Text, integers, reals and booleans keep their
// type in JSON.
struct Field {
    // A temporary string is kept by value: each element of a braced list is
    // its own full-expression, so a view of it would dangle by the time the
    // line is written.
    using Value = std::variant<std::string_view, std::string, std::int64_t, std::uint64_t, double, bool>;

    Field(std::string_view k, std::string_view v) : key(k), value(v) {}
    Field(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
    Field(std::string_view k, std::string&& v) : key(k), value(std::move(v)) {}
    Field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
    Field(std::string_view k, bool v) : key(k), value(v) {}
    Field(std::string_view k, double v) : key(k), value(v) {}
    template <typename Int>
        requires(std::is_integral_v<Int> && !std::is_same_v<Int, bool>)
    Field(std::string_view k, Int v)
        : key(k),
          value(std::is_signed_v<Int> ? Value(static_cast<std::int64_t>(v)) : Value(static_cast<std::uint64_t>(v))) {}

    std::string_view key;
    Value value;
};

// How often one event may be written: `burst` lines at once, then one per
// `interval` (a token bucket refilled at 1/interval, holding at most burst).
struct RateLimit {
    int burst = 10;
    std::chrono::milliseconds interval{6000};  // 10 a minute once the burst is spent
};

class Logger {
public:
    using Clock = std::function<std::chrono::system_clock::time_point()>;

    explicit Logger(std::FILE* out = stderr, Level level = Level::info, Format format = Format::keyvalue,
                    RateLimit limit = {}, Clock clock = {});

    void set_level(Level level) { level_.store(level, std::memory_order_relaxed); }
    void set_format(Format format);
    // Whether lines start with "<N>", the syslog priority journald reads.
    void set_journal_priorities(bool on);
    bool enabled(Level level) const { return level <= level_.load(std::memory_order_relaxed); }

    // Writes `event` with its fields unless the level is off or the event is
    // over its rate limit. Returns whether a line was written.
    bool write(Level level, std::string_view event, std::initializer_list<Field> fields = {});

    bool error(std::string_view event, std::initializer_list<Field> fields = {}) {
        return write(Level::error, event, fields);
    }
    bool warn(std::string_view event, std::initializer_list<Field> fields = {}) {
        return write(Level::warn, event, fields);
    }
    bool info(std::string_view event, std::initializer_list<Field> fields = {}) {
        return write(Level::info, event, fields);
    }
    bool debug(std::string_view event, std::initializer_list<Field> fields = {}) {
        return write(Level::debug, event, fields);
    }

    // Writes a line whatever the rate limit: for a bounded list that must be
    // read whole (every issue of a config at start-up).
    bool write_all(Level level, std::string_view event, std::initializer_list<Field> fields = {});

    // Lines held back by the rate limit since the start.
    std::uint64_t suppressed_total() const { return suppressed_total_.load(std::memory_order_relaxed); }

private:
    struct Bucket {
        double tokens = 0;
        std::chrono::system_clock::time_point refilled{};
        std::uint64_t suppressed = 0;  // since the event's last line
    };

    std::FILE* out_;
    std::atomic<Level> level_;
    Format format_;
    bool journal_priorities_ = false;
    RateLimit limit_;
    Clock clock_;
    void emit(Level level, std::string_view event, std::initializer_list<Field> fields, std::uint64_t suppressed,
              std::chrono::system_clock::time_point now);

    std::mutex mutex_;  // buckets, format, and whole lines on out_
    std::map<std::string, Bucket, std::less<>> buckets_;
    std::atomic<std::uint64_t> suppressed_total_{0};
};

// Whether `stream` is connected to the journal: systemd sets JOURNAL_STREAM
// to the device and inode of the stream it gives a service.
bool is_journal_stream(std::FILE* stream);

// "<3>" for an error ... "<7>" for debug: the priority prefix of sd-daemon(3).
const char* journal_prefix(Level level);

// One line as written, without the rate limit (exposed for tests and tools).
std::string format_line(Format format, std::chrono::system_clock::time_point time, Level level,
                        std::string_view event, std::initializer_list<Field> fields,
                        std::uint64_t suppressed = 0);

}  // namespace dnswatch::log
