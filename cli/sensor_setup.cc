#include "cli/sensor_setup.h"

#include "cli/transparency_feed.h"
#include "decode/ldns_glue.h"

namespace dnswatch {

std::unique_ptr<SensorModel> build_sensor_model(const Config& config) {
    auto model = std::make_unique<SensorModel>();
    for (const WatchedZoneConfig& zone : config.zones) model->watch.add(zone.name);
    for (const WatchedZoneConfig& zone : config.zones) {
        model->baseline.add_zone_records(read_zone_file(zone.zone_file, zone.name + "."), model->watch);
    }
    // Other zone files (a parent's, say) contribute their records for
    // watched names: the delegation NS, glue and DS.
    for (const std::string& path : config.baseline_zone_files) {
        model->baseline.add_zone_records(read_zone_file(path, std::nullopt), model->watch);
    }
    if (!config.state.transparency_feed.empty()) {
        load_transparency_feed(config.state.transparency_feed, model->watch, model->baseline);
    }
    return model;
}

}  // namespace dnswatch
