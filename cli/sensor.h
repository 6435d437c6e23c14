// The one way `replay` and `run` build a sensor from a config, step by step
// in the same order: the baseline model (every source read), then the
// outputs every alert passes through, then the live baseline sources (zone
// transfers, the ZeroMQ feed). `run` opens its capture and drops privileges
// between the first step and the second, so that files and sockets of the
// outputs belong to the unprivileged user.
#pragma once

#include <memory>

#include "baseline/live_sources.h"
#include "baseline/sources.h"
#include "baseline/zone_versions.h"
#include "cli/sensor_outputs.h"
#include "config/config.h"
#include "detect/alert_sink.h"
#include "log/log.h"

namespace dnswatch {

class Sensor {
public:
    // Step 1: the watch list and baseline of `config` (kept by reference:
    // it must outlive the sensor). nullptr after logging why not (a zone
    // file ldns cannot read, a zone watched twice, a malformed feed): the
    // command exits 2. `log` stays the sensor's log (it must outlive it).
    static std::unique_ptr<Sensor> build(const Config& config, log::Logger& log);

    BaselineModel& model() { return *model_; }
    // watch.zones[].versions, read with the baseline (replay applies them by packet time).
    ZoneVersionTimeline& zone_versions() { return *versions_; }
    SharedBaseline& baseline() { return model_->shared; }

    // Step 2: the durable store and transparency log, JSON lines (`lines`,
    // may be null), ZeroMQ, catch-up and evidence, as the config says.
    // Throws std::runtime_error naming the path or endpoint.
    SensorOutputs& open_outputs(AlertSink* lines);
    SensorOutputs& outputs() { return *outputs_; }

    // Step 3, and again with a reloaded config when a reload changed what
    // they follow (a zone's primary, the feed endpoint, the NOTIFY address):
    // the running ones stop first, so that their ports are free. Throws
    // std::runtime_error when one cannot be set up (BindError for the
    // NOTIFY address).
    void start_live_sources(const Config& config);
    const LiveBaselineSources& live() const { return *live_; }
    bool has_live() const { return live_ != nullptr; }

private:
    Sensor(const Config& config, log::Logger& log, std::unique_ptr<BaselineModel> model,
           std::unique_ptr<ZoneVersionTimeline> versions)
        : config_(config), log_(log), model_(std::move(model)), versions_(std::move(versions)) {}

    const Config& config_;
    log::Logger& log_;
    std::unique_ptr<BaselineModel> model_;
    std::unique_ptr<ZoneVersionTimeline> versions_;
    std::unique_ptr<SensorOutputs> outputs_;
    std::unique_ptr<LiveBaselineSources> live_;
};

}  // namespace dnswatch
