#include "baseline/transparency_feed.h"

#include <filesystem>
#include <fstream>
#include <optional>

#include <nlohmann/json.hpp>

#include "decode/dns_name.h"
#include "decode/ldns_glue.h"
#include "common/regular_file.h"
#include "common/rfc3339.h"

namespace dnswatch {

Announcement parse_announcement(std::string_view line, const WatchSet& watch) {
    Announcement announcement;
    std::string name;
    try {
        const auto change = nlohmann::json::parse(line);
        name = change.at("name").get<std::string>();
        const std::string rrtype = change.at("rrtype").get<std::string>();
        announcement.effective_us = parse_rfc3339_us(change.at("effective").get<std::string>());
        const auto& rdata = change.at("rdata");
        if (!rdata.is_array()) throw std::invalid_argument("rdata: expected a list ([] announces a removal)");
        for (const auto& item : rdata) {
            announcement.records.push_back(record_from_text(name + ". 0 IN " + rrtype + " " + item.get<std::string>()));
        }
        // The owner and type, also for a removal (no record to name them).
        const std::optional<std::uint16_t> type = rrtype_from_text(rrtype);
        if (!type) throw std::invalid_argument("rrtype: unknown type " + rrtype);
        announcement.type = *type;
        announcement.owner = record_from_text(name + ". 0 IN TXT \"\"").owner;
    } catch (const std::exception& e) {
        throw std::invalid_argument(std::string("not an announced change (") + e.what() + ")");
    }
    if (watch.find(announcement.owner) == nullptr) throw std::invalid_argument(name + " is in no watched zone");
    for (const ZoneRecord& record : announcement.records) {
        if (watch.find(record.owner) == nullptr) throw std::invalid_argument(name + " is in no watched zone");
    }
    return announcement;
}

std::vector<Announcement> read_transparency_feed(const std::string& path, const WatchSet& watch, bool missing_ok) {
    std::vector<Announcement> announcements;
    if (std::filesystem::exists(path)) {
        if (const std::string problem = regular_file_problem(path); !problem.empty()) {
            throw FeedError(path + ": " + problem);
        }
    }
    std::ifstream in(path);
    if (!in) {
        if (missing_ok && !std::filesystem::exists(path)) return announcements;
        throw FeedError(path + ": cannot read the transparency feed");
    }
    int line_number = 0;
    for (std::string line; std::getline(in, line);) {
        ++line_number;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        try {
            announcements.push_back(parse_announcement(line, watch));
        } catch (const std::exception& e) {
            throw FeedError(path + ":" + std::to_string(line_number) + ": " + e.what());
        }
    }
    return announcements;
}

std::size_t load_transparency_feed(const std::string& path, const WatchSet& watch, Baseline& baseline) {
    std::size_t announced = 0;
    for (const Announcement& announcement : read_transparency_feed(path, watch)) {
        for_each_announced(announcement, watch, [&](const DnsName& owner, std::uint16_t type, AnnouncedRdata rdata) {
            baseline = baseline.with_announcement(owner, type, std::move(rdata));
            ++announced;
        });
    }
    return announced;
}

}  // namespace dnswatch
