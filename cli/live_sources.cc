#include "cli/live_sources.h"

namespace dnswatch {

LiveBaselineSources::LiveBaselineSources(const Config& config, SensorModel& model, std::FILE* log) {
    if (!config.baseline.feed_endpoint.empty()) {
        feed_ = std::make_unique<FeedSubscriber>(config.baseline.feed_endpoint, model.shared,
                                                 received_feed_path(config), log);
    }
    for (const WatchedZoneConfig& zone : config.zones) {
        if (zone.primary.empty()) continue;
        transfers_ = std::make_unique<ZoneRefresher>(config, model, log);
        break;
    }
}

LiveBaselineSources::~LiveBaselineSources() = default;

void print_baseline_counters(std::FILE* err, Detector& detector, const LiveBaselineSources& live) {
    if (detector.learner() == nullptr && live.feed() == nullptr && live.transfers() == nullptr) return;
    std::string line = "snapshots=" + std::to_string(detector.counters().baseline_swaps);
    if (const Learner* learner = detector.learner()) {
        line += ", learning=" + std::to_string(detector.counters().learning) +
                ", learned=" + std::to_string(learner->counters().learned) +
                ", learning_restarts=" + std::to_string(learner->counters().restarts) +
                ", learning_full=" + std::to_string(learner->counters().full);
    }
    if (const FeedSubscriber* feed = live.feed()) {
        line += ", feed_received=" + std::to_string(feed->counters().received) +
                ", feed_rejected=" + std::to_string(feed->counters().rejected);
    }
    if (const ZoneRefresher* transfers = live.transfers()) {
        const ZoneRefresherCounters& c = transfers->counters();
        line += ", transfers=" + std::to_string(c.transfers) + ", transfers_up_to_date=" + std::to_string(c.up_to_date) +
                ", transfer_failures=" + std::to_string(c.failures) + ", notifies=" + std::to_string(c.notifies) +
                ", notifies_refused=" + std::to_string(c.notifies_refused);
    }
    std::fprintf(err, "baseline: %s\n", line.c_str());
}

std::unique_ptr<LiveBaselineSources> start_live_sources(const Config& config, SensorModel& model, std::FILE* log) {
    return std::make_unique<LiveBaselineSources>(config, model, log);
}

}  // namespace dnswatch
