#include "log/log.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <ctime>

#include <sys/stat.h>

namespace dnswatch::log {
namespace {

// RFC 3339 UTC with milliseconds, like the alerts' timestamps but coarser:
// log lines order events, packet times are in the alerts.
std::string timestamp(std::chrono::system_clock::time_point time) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
    const std::time_t seconds = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char buffer[96];  // room for any int the compiler can imagine in each field
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                  utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(((ms % 1000) + 1000) % 1000));
    return buffer;
}

void append_escaped(std::string& out, std::string_view text) {
    for (const char c : text) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
                    char buffer[8];
                    std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned char>(c));
                    out += buffer;
                } else {
                    out += c;
                }
        }
    }
}

void append_quoted(std::string& out, std::string_view text) {
    out += '"';
    append_escaped(out, text);
    out += '"';
}

// logfmt leaves a value bare when it is one token.
bool needs_quotes(std::string_view text) {
    if (text.empty()) return true;
    for (const char c : text) {
        if (c == ' ' || c == '=' || c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x21 || c == 0x7f) {
            return true;
        }
    }
    return false;
}

std::string number_text(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, result.ptr);
}

void append_value(std::string& out, Format format, const Field::Value& value) {
    std::visit(
        [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::string_view> || std::is_same_v<T, std::string>) {
                if (format == Format::json || needs_quotes(v)) {
                    append_quoted(out, v);
                } else {
                    out += v;
                }
            } else if constexpr (std::is_same_v<T, bool>) {
                out += v ? "true" : "false";
            } else if constexpr (std::is_same_v<T, double>) {
                const std::string text = number_text(v);
                // JSON has no NaN or infinities: they go as strings.
                if (format == Format::json && !std::isfinite(v)) {
                    append_quoted(out, text);
                } else {
                    out += text;
                }
            } else {
                out += std::to_string(v);
            }
        },
        value);
}

void append_field(std::string& out, Format format, bool first, std::string_view key, const Field::Value& value) {
    if (format == Format::json) {
        if (!first) out += ',';
        append_quoted(out, key);
        out += ':';
    } else {
        if (!first) out += ' ';
        out += key;
        out += '=';
    }
    append_value(out, format, value);
}

}  // namespace

std::optional<Level> parse_level(std::string_view text) {
    if (text == "error") return Level::error;
    if (text == "warn") return Level::warn;
    if (text == "info") return Level::info;
    if (text == "debug") return Level::debug;
    return std::nullopt;
}

std::optional<Format> parse_format(std::string_view text) {
    if (text == "keyvalue") return Format::keyvalue;
    if (text == "json") return Format::json;
    return std::nullopt;
}

const char* to_string(Level level) {
    switch (level) {
        case Level::error: return "error";
        case Level::warn: return "warn";
        case Level::info: return "info";
        case Level::debug: return "debug";
    }
    return "info";
}

std::string format_line(Format format, std::chrono::system_clock::time_point time, Level level,
                        std::string_view event, std::initializer_list<Field> fields, std::uint64_t suppressed) {
    std::string out;
    if (format == Format::json) out += '{';
    append_field(out, format, true, "ts", std::string_view(timestamp(time)));
    append_field(out, format, false, "level", std::string_view(to_string(level)));
    append_field(out, format, false, "event", event);
    for (const Field& field : fields) append_field(out, format, false, field.key, field.value);
    if (suppressed > 0) append_field(out, format, false, "suppressed", suppressed);
    if (format == Format::json) out += '}';
    out += '\n';
    return out;
}

Logger::Logger(std::FILE* out, Level level, Format format, RateLimit limit, Clock clock)
    : out_(out), level_(level), format_(format), limit_(limit), clock_(std::move(clock)) {
    if (!clock_) clock_ = [] { return std::chrono::system_clock::now(); };
}

void Logger::set_format(Format format) {
    const std::lock_guard lock(mutex_);
    format_ = format;
}

void Logger::set_journal_priorities(bool on) {
    const std::lock_guard lock(mutex_);
    journal_priorities_ = on;
}

bool is_journal_stream(std::FILE* stream) {
    const char* names = std::getenv("JOURNAL_STREAM");  // "DEVICE:INODE"
    if (names == nullptr || stream == nullptr) return false;
    struct stat st {};
    if (::fstat(fileno(stream), &st) != 0) return false;
    unsigned long long device = 0, inode = 0;
    if (std::sscanf(names, "%llu:%llu", &device, &inode) != 2) return false;
    return static_cast<unsigned long long>(st.st_dev) == device && static_cast<unsigned long long>(st.st_ino) == inode;
}

const char* journal_prefix(Level level) {
    switch (level) {
        case Level::error: return "<3>";
        case Level::warn: return "<4>";
        case Level::info: return "<6>";
        case Level::debug: return "<7>";
    }
    return "<6>";
}

bool Logger::write(Level level, std::string_view event, std::initializer_list<Field> fields) {
    if (!enabled(level)) return false;
    const auto now = clock_();
    const std::lock_guard lock(mutex_);
    auto it = buckets_.find(event);
    if (it == buckets_.end()) {
        it = buckets_.emplace(std::string(event), Bucket{static_cast<double>(limit_.burst), now, 0}).first;
    }
    Bucket& bucket = it->second;
    if (limit_.interval.count() > 0 && now > bucket.refilled) {
        const double elapsed = std::chrono::duration<double, std::milli>(now - bucket.refilled).count();
        bucket.tokens = std::min(static_cast<double>(limit_.burst),
                                 bucket.tokens + elapsed / static_cast<double>(limit_.interval.count()));
    }
    bucket.refilled = std::max(bucket.refilled, now);  // a clock stepping back refills nothing
    if (bucket.tokens < 1.0) {
        ++bucket.suppressed;
        suppressed_total_.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    bucket.tokens -= 1.0;
    emit(level, event, fields, bucket.suppressed, now);
    bucket.suppressed = 0;
    return true;
}

bool Logger::write_all(Level level, std::string_view event, std::initializer_list<Field> fields) {
    if (!enabled(level)) return false;
    const auto now = clock_();
    const std::lock_guard lock(mutex_);
    emit(level, event, fields, 0, now);
    return true;
}

void Logger::emit(Level level, std::string_view event, std::initializer_list<Field> fields, std::uint64_t suppressed,
                  std::chrono::system_clock::time_point now) {
    std::string line = format_line(format_, now, level, event, fields, suppressed);
    if (journal_priorities_) line.insert(0, journal_prefix(level));
    std::fwrite(line.data(), 1, line.size(), out_);
    std::fflush(out_);
}

}  // namespace dnswatch::log
