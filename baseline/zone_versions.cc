#include "baseline/zone_versions.h"

#include <algorithm>

#include "baseline/zone_reader.h"

namespace dnswatch {

ZoneVersionTimeline::ZoneVersionTimeline(const Config& config) {
    for (const WatchedZoneConfig& zone : config.zones) {
        for (const ZoneVersionConfig& version : zone.versions) {
            // Read as the zone's own zone_file is (baseline/sources.cc): the
            // zone's name is the origin of relative names.
            versions_.push_back({version.from_us, zone.name,
                                 read_zone_records(version.zone_file, ZoneReadOptions{.origin = zone.name + ".",
                                                                                      .zone = std::nullopt})});
        }
    }
    std::stable_sort(versions_.begin(), versions_.end(),
                     [](const Version& a, const Version& b) { return a.from_us < b.from_us; });
}

std::string zone_versions_refused_by_run(const Config& config) {
    for (std::size_t i = 0; i < config.zones.size(); ++i) {
        if (config.zones[i].versions.empty()) continue;
        return "watch.zones[" + std::to_string(i) + "].versions (" + config.zones[i].name +
               "): versions are applied by packet time, which dnswatch replay does; dnswatch run's baseline follows "
               "the live zone (a reloaded zone_file, NOTIFY + IXFR from a primary), so it refuses them: remove the "
               "key, or replay the capture";
    }
    return {};
}

std::size_t ZoneVersionTimeline::apply_due(std::int64_t now_us, SharedBaseline& baseline) {
    std::size_t count = 0;
    for (; next_ < versions_.size() && versions_[next_].from_us <= now_us; ++next_, ++count) {
        Version& version = versions_[next_];
        baseline.set_zone_version(version.zone, version.records, version.from_us);
        version.records = {};  // applied: its records live in the baseline now
    }
    return count;
}

}  // namespace dnswatch
