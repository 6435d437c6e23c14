// From a validated config to the immutable watch set and baseline the packet
// path reads.
#pragma once

#include <memory>

#include "config/config.h"
#include "detect/baseline.h"
#include "detect/watch_set.h"

namespace dnswatch {

struct SensorModel {
    WatchSet watch;
    Baseline baseline;
};

// Reads every zone file of the config with ldns. Throws ZoneFileError
// ("file:line: reason") for a zone file ldns cannot read, and
// std::invalid_argument for a zone name the watch set refuses, and
// FeedError for a malformed transparency feed.
std::unique_ptr<SensorModel> build_sensor_model(const Config& config);

}  // namespace dnswatch
