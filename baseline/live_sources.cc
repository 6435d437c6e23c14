#include "baseline/live_sources.h"

#include "baseline/sources.h"

namespace dnswatch {

LiveBaselineSources::LiveBaselineSources(const Config& config, SharedBaseline& baseline, log::Logger* log) {
    if (!config.baseline.feed_endpoint.empty()) {
        feed_ = std::make_unique<FeedSubscriber>(config.baseline.feed_endpoint, baseline,
                                                 received_feed_path(config), log);
    }
    for (const WatchedZoneConfig& zone : config.zones) {
        if (zone.primary.empty()) continue;
        transfers_ = std::make_unique<ZoneRefresher>(config, baseline, log);
        break;
    }
}

LiveBaselineSources::~LiveBaselineSources() = default;

std::unique_ptr<LiveBaselineSources> start_live_sources(const Config& config, SharedBaseline& baseline, log::Logger* log) {
    return std::make_unique<LiveBaselineSources>(config, baseline, log);
}

}  // namespace dnswatch
