#include "cli/sensor.h"

#include <stdexcept>

#include "baseline/transparency_feed.h"
#include "decode/ldns_glue.h"

namespace dnswatch {

std::unique_ptr<Sensor> Sensor::build(const Config& config, log::Logger& log) {
    try {
        std::unique_ptr<BaselineModel> model = build_baseline_model(config);
        return std::unique_ptr<Sensor>(
            new Sensor(config, log, std::move(model), std::make_unique<ZoneVersionTimeline>(config)));
    } catch (const ZoneFileError& e) {
        log.write_all(log::Level::error, "config_invalid", {{"error", e.what()}});
    } catch (const FeedError& e) {
        log.write_all(log::Level::error, "config_invalid", {{"error", e.what()}});
    } catch (const std::invalid_argument& e) {
        log.write_all(log::Level::error, "config_invalid", {{"error", config.source_path + ": " + e.what()}});
    }
    return nullptr;
}

SensorOutputs& Sensor::open_outputs(AlertSink* lines) {
    outputs_ = std::make_unique<SensorOutputs>(config_, lines, &log_);
    return *outputs_;
}

void Sensor::start_live_sources(const Config& config) {
    live_.reset();  // its threads stop and its NOTIFY port is free before the new ones start
    live_ = std::make_unique<LiveBaselineSources>(config, model_->shared, &log_);
}

}  // namespace dnswatch
