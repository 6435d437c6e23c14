#include "baseline/live_sources.h"

#include "baseline/sources.h"

namespace dnswatch {

LiveBaselineSources::LiveBaselineSources(const Config& config, SharedBaseline& baseline, log::Logger* log) {
    if (!config.baseline.feed_endpoint.empty()) {
        FeedCurve curve;
        if (!config.baseline.feed_server_key_file.empty()) {
            curve.server_public_key = CurveKeyPair::load(config.baseline.feed_server_key_file).public_key;
            if (!config.zmq.curve_key_file.empty()) curve.own = CurveKeyPair::load(config.zmq.curve_key_file);
        }
        feed_ = std::make_unique<FeedSubscriber>(config.baseline.feed_endpoint, baseline,
                                                 received_feed_path(config), log, curve);
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
