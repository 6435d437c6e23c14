// The baseline sources that change while the sensor runs, started once for
// `replay` and `run`: the transparency feed over ZeroMQ
// (cli/feed_subscriber.h) and zone transfers from the zones' primaries
// (cli/zone_refresher.h). Each runs on a thread of its own and publishes new
// snapshots into the model's SharedBaseline; every detector takes them at
// its batch boundaries through a BaselineFollower.
#pragma once

#include <cstdio>
#include <memory>

#include "cli/feed_subscriber.h"
#include "cli/zone_refresher.h"
#include "cli/sensor_setup.h"
#include "config/config.h"
#include "detect/detector.h"

namespace dnswatch {

class ZoneRefresher;

class LiveBaselineSources {
public:
    LiveBaselineSources(const Config& config, SensorModel& model, std::FILE* log);
    ~LiveBaselineSources();

    const FeedSubscriber* feed() const { return feed_.get(); }
    const ZoneRefresher* transfers() const { return transfers_.get(); }

private:
    std::unique_ptr<FeedSubscriber> feed_;
    std::unique_ptr<ZoneRefresher> transfers_;
};

// "baseline: snapshots=2, learning=5, learned=1, feed_received=1, ..." on
// `err` when learning or a live source is on; nothing otherwise.
void print_baseline_counters(std::FILE* err, Detector& detector, const LiveBaselineSources& live);

// Throws std::runtime_error when a source cannot be set up (an endpoint
// ZeroMQ refuses, a NOTIFY address that cannot be bound).
std::unique_ptr<LiveBaselineSources> start_live_sources(const Config& config, SensorModel& model, std::FILE* log);

}  // namespace dnswatch
