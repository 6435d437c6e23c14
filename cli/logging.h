// A command's operational log: structured lines (log/log.h) on the command's
// error stream, at the level and in the format the config asks for.
#pragma once

#include "config/config.h"
#include "log/log.h"

namespace dnswatch {

inline log::Level configured_level(const LogConfig& config) {
    return log::parse_level(config.level).value_or(log::Level::info);
}

inline log::Format configured_format(const LogConfig& config) {
    return log::parse_format(config.format).value_or(log::Format::keyvalue);
}

}  // namespace dnswatch
