// A command's operational log: structured lines (log/log.h) on the command's
// error stream, in keyvalue at info until the config says otherwise, each
// line prefixed with its priority when that stream is the journal.
#pragma once

#include <cstdio>

#include "config/config.h"
#include "log/log.h"

namespace dnswatch {

inline log::Level configured_level(const LogConfig& config) {
    return log::parse_level(config.level).value_or(log::Level::info);
}

inline log::Format configured_format(const LogConfig& config) {
    return log::parse_format(config.format).value_or(log::Format::keyvalue);
}

// A logger on `err` for a command, before any config is read.
class CommandLogger : public log::Logger {
public:
    explicit CommandLogger(std::FILE* err) : log::Logger(err) { set_journal_priorities(log::is_journal_stream(err)); }

    // What the config's log section says, once it is loaded.
    void configure(const LogConfig& config) {
        set_level(configured_level(config));
        set_format(configured_format(config));
    }
};

}  // namespace dnswatch
