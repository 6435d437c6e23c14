#include "cli/sensor.h"

#include <stdexcept>

#include "baseline/transparency_feed.h"
#include "decode/ldns_glue.h"

namespace dnswatch {

std::unique_ptr<Sensor> Sensor::build(const Config& config, std::FILE* err) {
    try {
        return std::unique_ptr<Sensor>(new Sensor(config, build_baseline_model(config)));
    } catch (const ZoneFileError& e) {
        std::fprintf(err, "%s\n", e.what());
    } catch (const FeedError& e) {
        std::fprintf(err, "%s\n", e.what());
    } catch (const std::invalid_argument& e) {
        std::fprintf(err, "%s: %s\n", config.source_path.c_str(), e.what());
    }
    return nullptr;
}

SensorOutputs& Sensor::open_outputs(AlertSink* lines) {
    outputs_ = std::make_unique<SensorOutputs>(config_, lines);
    return *outputs_;
}

void Sensor::start_live_sources(const Config& config, log::Logger& logger) {
    live_.reset();  // its threads stop and its NOTIFY port is free before the new ones start
    live_ = std::make_unique<LiveBaselineSources>(config, model_->shared, &logger);
}

}  // namespace dnswatch
