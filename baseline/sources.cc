#include "baseline/sources.h"

#include <filesystem>

#include "baseline/transparency_feed.h"
#include "decode/ldns_glue.h"

namespace dnswatch {

std::string transferred_zone_path(const Config& config, const std::string& zone) {
    return config.state.dir.empty() ? std::string() : config.state.dir + "/zones/" + zone + ".zone";
}

std::string received_feed_path(const Config& config) {
    return config.state.dir.empty() ? std::string() : config.state.dir + "/feed-received.jsonl";
}

std::string learned_path(const Config& config) {
    return config.state.dir.empty() ? std::string() : config.state.dir + "/learned.jsonl";
}

WatchSet read_watch_list(const Config& config) {
    WatchSet watch;
    for (const WatchedZoneConfig& zone : config.zones) watch.add(zone.name);
    return watch;
}

std::unique_ptr<BaselineModel> build_baseline_model(const Config& config) {
    WatchSet watch = read_watch_list(config);
    BaselineSources sources = read_baseline_sources(config, watch);
    return std::make_unique<BaselineModel>(std::move(watch), std::move(sources));
}

BaselineSources read_baseline_sources(const Config& config, const WatchSet& watch) {
    BaselineSources sources(config.zones.size());
    for (std::size_t i = 0; i < config.zones.size(); ++i) {
        const WatchedZoneConfig& zone = config.zones[i];
        if (!zone.zone_file.empty()) sources.zone_files[i] = read_zone_file(zone.zone_file, zone.name + ".");
        // The last transfer from the zone's primary: a restart while the
        // primary is unreachable still has the zone's baseline.
        const std::string kept = transferred_zone_path(config, zone.name);
        if (!zone.primary.empty() && !kept.empty() && std::filesystem::exists(kept)) {
            sources.transferred[zone.name] = read_zone_file(kept, zone.name + ".");
        }
    }
    // Other zone files (a parent's, say) contribute their records for
    // watched names: the delegation NS, glue and DS.
    for (const std::string& path : config.baseline_zone_files) {
        auto records = read_zone_file(path, std::nullopt);
        sources.other_records.insert(sources.other_records.end(), records.begin(), records.end());
    }
    if (!config.state.transparency_feed.empty()) {
        sources.announcements = read_transparency_feed(config.state.transparency_feed, watch);
    }
    if (!config.baseline.feed_endpoint.empty() && !config.state.dir.empty()) {
        for (Announcement& a : read_transparency_feed(received_feed_path(config), watch, /*missing_ok=*/true)) {
            sources.announcements.push_back(std::move(a));
        }
    }
    return sources;
}

LearningOptions learning_options(const Config& config) {
    LearningOptions options;
    for (const WatchedZoneConfig& zone : config.zones) {
        if (zone.learn) options.zones.push_back(zone.name);
    }
    options.stable_for_us = config.baseline.learn_stable_for_ms * 1000;
    return options;
}

}  // namespace dnswatch
