// The baseline sources that change while the sensor runs, started once for
// `replay` and `run`: the transparency feed over ZeroMQ
// (baseline/feed_subscriber.h) and zone transfers from the zones' primaries
// (baseline/zone_refresher.h). Each runs on a thread of its own and publishes new
// snapshots into the model's SharedBaseline; every detector takes them at
// its batch boundaries through a BaselineFollower.
#pragma once

#include <memory>

#include "baseline/feed_subscriber.h"
#include "baseline/shared_baseline.h"
#include "baseline/zone_refresher.h"
#include "config/config.h"
#include "log/log.h"

namespace dnswatch {

class LiveBaselineSources {
public:
    LiveBaselineSources(const Config& config, SharedBaseline& baseline, log::Logger* log);
    ~LiveBaselineSources();

    const FeedSubscriber* feed() const { return feed_.get(); }
    const ZoneRefresher* transfers() const { return transfers_.get(); }

private:
    std::unique_ptr<FeedSubscriber> feed_;
    std::unique_ptr<ZoneRefresher> transfers_;
};

// Throws std::runtime_error when a source cannot be set up (an endpoint
// ZeroMQ refuses, a NOTIFY address that cannot be bound).
std::unique_ptr<LiveBaselineSources> start_live_sources(const Config& config, SharedBaseline& baseline, log::Logger* log);

}  // namespace dnswatch
