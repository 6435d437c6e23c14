#include "baseline/reloader.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>

#include "baseline/transparency_feed.h"
#include "baseline/zone_versions.h"
#include "decode/ldns_glue.h"

namespace dnswatch {
namespace {

std::int64_t steady_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::string milliseconds_since(std::int64_t started_us) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", static_cast<double>(steady_us() - started_us) / 1000.0);
    return text;
}

bool same_watch_list(const WatchSet& a, const WatchSet& b) {
    if (a.zones().size() != b.zones().size()) return false;
    for (std::size_t i = 0; i < a.zones().size(); ++i) {
        if (a.zones()[i].text != b.zones()[i].text || a.zones()[i].delegation_only != b.zones()[i].delegation_only) {
            return false;
        }
    }
    return true;
}

std::string live_sources_key(const Config& config) {
    std::string key = config.baseline.feed_endpoint + "|" + config.baseline.notify_listen + "|" +
                      config.baseline.tsig_key_file;
    for (const std::string& source : config.baseline.allow_notify) key += "|allow=" + source;
    for (const WatchedZoneConfig& zone : config.zones) {
        if (!zone.primary.empty()) key += "|" + zone.name + "=" + zone.primary;
    }
    return key;
}

}  // namespace

Reloader::Reloader(std::string config_path, const Config& running, SharedBaseline& baseline, log::Logger& logger,
                   ZoneFileIndexes* zone_files)
    : config_path_(std::move(config_path)), baseline_(baseline), logger_(logger), zone_files_(zone_files) {
    learning_zones_ = learning_options(running).zones;
    live_sources_ = live_sources_key(running);
    inotify_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (inotify_ < 0) throw std::runtime_error(std::string("inotify: ") + std::strerror(errno));
    watch_files(running);
}

Reloader::~Reloader() {
    if (inotify_ >= 0) ::close(inotify_);
}

void Reloader::watch_files(const Config& config) {
    for (const WatchedFolder& folder : folders_) ::inotify_rm_watch(inotify_, folder.descriptor);
    folders_.clear();
    std::vector<std::string> files;
    for (const WatchedZoneConfig& zone : config.zones) {
        if (!zone.zone_file.empty()) files.push_back(zone.zone_file);
    }
    files.insert(files.end(), config.baseline_zone_files.begin(), config.baseline_zone_files.end());
    if (!config.zones_file.empty()) files.push_back(config.zones_file);
    if (!config.state.transparency_feed.empty()) files.push_back(config.state.transparency_feed);
    for (const std::string& file : files) {
        const std::filesystem::path path = std::filesystem::absolute(file);
        const std::string folder = path.parent_path().string();
        auto it = std::find_if(folders_.begin(), folders_.end(),
                               [&](const WatchedFolder& f) { return f.folder == folder; });
        if (it == folders_.end()) {
            const int descriptor = ::inotify_add_watch(inotify_, folder.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO);
            if (descriptor < 0) {
                logger_.warn("reload_watch_failed", {{"folder", folder}, {"error", std::strerror(errno)}});
                continue;
            }
            folders_.push_back({descriptor, folder, {}});
            it = folders_.end() - 1;
        }
        it->names.push_back(path.filename().string());
    }
}

bool Reloader::files_changed() {
    bool changed = false;
    alignas(inotify_event) char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(inotify_, buffer, sizeof buffer);
        if (n <= 0) break;  // EAGAIN: nothing more
        for (ssize_t at = 0; at < n;) {
            const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
            at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
            if (event->len == 0) continue;
            const std::string name(event->name);
            for (const WatchedFolder& folder : folders_) {
                if (folder.descriptor == event->wd &&
                    std::find(folder.names.begin(), folder.names.end(), name) != folder.names.end()) {
                    changed = true;
                }
            }
        }
    }
    return changed;
}

bool Reloader::reject(const char* cause, const std::string& reason) {
    logger_.error("reload_rejected", {{"cause", cause}, {"reason", reason}, {"kept", "the running baseline"}});
    if (reloaded_) reloaded_(false);
    return false;
}

bool Reloader::reload(const char* cause) {
    const std::int64_t started_us = steady_us();
    Config config;
    try {
        config = load_config(config_path_);
    } catch (const ConfigError& e) {
        std::string reasons;
        for (const ConfigIssue& issue : e.issues()) reasons += (reasons.empty() ? "" : "; ") + issue.to_string();
        return reject(cause, reasons);
    }
    if (const std::string refused = zone_versions_refused_by_run(config); !refused.empty()) {
        return reject(cause, config.source_path + ": " + refused);
    }
    if (learning_options(config).zones != learning_zones_) {
        return reject(cause, config.source_path + ": watch.zones[].learn changed; which zones learn takes a restart");
    }
    if (zone_files_ != nullptr) {
        switch (reload_changed_parts(config, cause, started_us)) {
            case Outcome::published: return true;
            case Outcome::rejected: return false;
            case Outcome::full_load_needed: break;
        }
    }
    // Heap-held: the input points at it, and replace() takes it over.
    auto watch = std::make_unique<WatchSet>();
    std::optional<BaselineInput> fresh;
    ZoneFileIndexes indexes;
    if (zone_files_ != nullptr) indexes.options = zone_files_->options;
    try {
        *watch = read_watch_list(config);
        fresh.emplace(read_baseline_input(config, *watch, zone_files_ != nullptr ? &indexes : nullptr));
    } catch (const ZoneFileError& e) {
        return reject(cause, e.what());
    } catch (const FeedError& e) {
        return reject(cause, e.what());
    } catch (const std::exception& e) {
        return reject(cause, config.source_path + ": " + e.what());
    }
    // What changed in the watch list, for the log: one hash lookup a zone
    // in the running list (watch lists run to 100,000 zones).
    const std::shared_ptr<const WatchSet> running = baseline_.watch();
    std::size_t added = 0;
    for (const WatchedZone& zone : watch->zones()) added += running->find_zone(zone.text) == nullptr ? 1 : 0;
    const std::size_t removed = running->zones().size() + added - watch->zones().size();
    // The transfers held in memory are kept for the zones still watched
    // (SharedBaseline::replace): they are the refresher's, not the files'.
    baseline_.replace(std::move(*watch), std::move(*fresh));
    if (zone_files_ != nullptr) *zone_files_ = std::move(indexes);
    watch_files(config);  // a zone file may have moved
    if (reloaded_) reloaded_(true);
    const std::shared_ptr<const BaselineSnapshot> snapshot = baseline_.snapshot();
    logger_.info("reload", {{"cause", cause},
                            {"result", "ok"},
                            {"mode", "full"},
                            {"zones", std::to_string(snapshot->watch->zones().size())},
                            {"zones_added", std::to_string(added)},
                            {"zones_removed", std::to_string(removed)},
                            {"rrsets", std::to_string(snapshot->baseline.rrset_count())},
                            {"duration_ms", milliseconds_since(started_us)}});
    restart_live_sources(config);
    return true;
}

Reloader::Outcome Reloader::reload_changed_parts(const Config& config, const char* cause, std::int64_t started_us) {
    const std::shared_ptr<const BaselineSnapshot> running = baseline_.snapshot();
    try {
        if (!same_watch_list(read_watch_list(config), *running->watch)) return Outcome::full_load_needed;
    } catch (const std::exception&) {
        return Outcome::full_load_needed;  // the full load says why
    }
    std::optional<ZoneFilesDelta> delta;
    BaselineInput announced(*running->watch);
    try {
        delta = reload_zone_files(*zone_files_, zone_file_specs(config), *running->watch, running->baseline);
        if (!delta) return Outcome::full_load_needed;
        read_announcements(config, *running->watch, announced);
    } catch (const ZoneFileError& e) {
        reject(cause, e.what());
        return Outcome::rejected;
    } catch (const FeedError& e) {
        reject(cause, e.what());
        return Outcome::rejected;
    }
    baseline_.apply_reload(delta->changes, announced.build());
    *zone_files_ = std::move(delta->indexes);
    watch_files(config);
    if (reloaded_) reloaded_(true);
    logger_.info("reload", {{"cause", cause},
                            {"result", "ok"},
                            {"mode", "changed_parts"},
                            {"zones", std::to_string(running->watch->zones().size())},
                            {"parts", std::to_string(delta->parts)},
                            {"parts_read", std::to_string(delta->parts_read)},
                            {"owners_compared", std::to_string(delta->owners)},
                            {"rrsets_changed", std::to_string(delta->changes.size())},
                            {"duration_ms", milliseconds_since(started_us)}});
    restart_live_sources(config);
    return Outcome::published;
}

void Reloader::restart_live_sources(const Config& config) {
    if (std::string key = live_sources_key(config); key != live_sources_) {
        live_sources_ = std::move(key);
        if (restart_live_) restart_live_(config);
    }
}

}  // namespace dnswatch
