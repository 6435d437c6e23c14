#include "baseline/sources.h"

#include <filesystem>
#include <fstream>

#include "baseline/transparency_feed.h"
#include "baseline/zone_reader.h"
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
    if (!config.zones_file.empty()) read_zones_file(config.zones_file, watch);
    return watch;
}

std::vector<NameLine> read_name_list(const std::string& path) {
    if (!std::filesystem::is_regular_file(path)) throw ZoneFileError(path, 0, "not a regular file");
    std::ifstream in(path);
    if (!in) throw ZoneFileError(path, 0, "cannot read");
    std::vector<NameLine> names;
    int line_number = 0;
    for (std::string line; std::getline(in, line);) {
        ++line_number;
        if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
        const auto first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos) continue;
        const auto last = line.find_last_not_of(" \t\r");
        std::string name = line.substr(first, last - first + 1);
        if (name.find_first_of(" \t") != std::string::npos) {
            throw ZoneFileError(path, line_number, "one name a line, got '" + name + "'");
        }
        if (!DnsName::from_text(name)) throw ZoneFileError(path, line_number, "'" + name + "' is not a DNS name");
        names.push_back({std::move(name), line_number});
    }
    return names;
}

void read_zones_file(const std::string& path, WatchSet& watch) {
    for (const NameLine& entry : read_name_list(path)) {
        try {
            watch.add(entry.name, /*delegation_only=*/true);
        } catch (const std::invalid_argument& e) {
            throw ZoneFileError(path, entry.line, e.what());
        }
    }
}

std::unique_ptr<BaselineModel> build_baseline_model(const Config& config) {
    WatchSet watch = read_watch_list(config);
    ZoneFileIndexes indexes;
    BaselineInput input = read_baseline_input(config, watch, &indexes);
    Baseline baseline = input.build();
    auto model = std::make_unique<BaselineModel>(std::move(watch), std::move(baseline));
    model->zone_files = std::move(indexes);
    return model;
}

std::vector<ZoneFileSpec> zone_file_specs(const Config& config) {
    std::vector<ZoneFileSpec> specs;
    for (const WatchedZoneConfig& zone : config.zones) {
        if (!zone.zone_file.empty()) specs.push_back({zone.zone_file, zone.name + ".", zone_file_source(zone.name)});
    }
    for (const std::string& path : config.baseline_zone_files) specs.push_back({path, std::nullopt, other_files_source()});
    return specs;
}

void read_announcements(const Config& config, const WatchSet& watch, BaselineInput& input) {
    if (!config.state.transparency_feed.empty()) {
        for (const Announcement& a : read_transparency_feed(config.state.transparency_feed, watch)) input.announce(a);
    }
    if (!config.baseline.feed_endpoint.empty() && !config.state.dir.empty()) {
        for (const Announcement& a : read_transparency_feed(received_feed_path(config), watch, /*missing_ok=*/true)) {
            input.announce(a);
        }
    }
}

namespace {

// Each record of the file at `path` into `input`, tagged `source`; the file
// is read once, and nothing of it is kept but what lies in a watched zone.
void read_into(BaselineInput& input, const std::string& path, const std::optional<std::string>& origin,
               SourceId source) {
    // Streamed: no list of the file's records is ever built, so a TLD's
    // zone costs its table alone (records outside the watch list are
    // dropped here).
    read_zone(path, ZoneReadOptions{.origin = origin, .zone = std::nullopt}, [&](const ZoneFileRecord& record) {
        input.add(record.owner, record.type, record.ttl, record.rdata, source);
    });
}

}  // namespace

BaselineInput read_baseline_input(const Config& config, const WatchSet& watch, ZoneFileIndexes* indexes) {
    BaselineInput input(watch);
    // The zone files: watch.zones[].zone_file, then other zone files (a
    // parent's, say), whose records for watched names (the delegation NS,
    // glue and DS) join the baseline.
    for (const ZoneFileSpec& spec : zone_file_specs(config)) {
        if (indexes != nullptr) {
            indexes->files.push_back(read_zone_file_indexed(spec, input, indexes->options));
        } else {
            read_into(input, spec.path, spec.origin, spec.source);
        }
    }
    // The last transfer from a zone's primary: a restart while the primary
    // is unreachable still has the zone's baseline.
    for (const WatchedZoneConfig& zone : config.zones) {
        const std::string kept = transferred_zone_path(config, zone.name);
        if (!zone.primary.empty() && !kept.empty() && std::filesystem::exists(kept)) {
            read_into(input, kept, zone.name + ".", transfer_source(zone.name));
        }
    }
    read_announcements(config, watch, input);
    return input;
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
