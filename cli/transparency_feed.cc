#include "cli/transparency_feed.h"

#include <fstream>

#include <nlohmann/json.hpp>

#include "decode/ldns_glue.h"
#include "publish/alert_json.h"

namespace dnswatch {

std::size_t load_transparency_feed(const std::string& path, const WatchSet& watch, Baseline& baseline) {
    std::ifstream in(path);
    if (!in) throw FeedError(path + ": cannot read the transparency feed");
    std::size_t announced = 0;
    int line_number = 0;
    for (std::string line; std::getline(in, line);) {
        ++line_number;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const std::string where = path + ":" + std::to_string(line_number) + ": ";
        try {
            const auto change = nlohmann::json::parse(line);
            const std::string name = change.at("name").get<std::string>();
            const std::string rrtype = change.at("rrtype").get<std::string>();
            const std::int64_t effective = parse_rfc3339_us(change.at("effective").get<std::string>());
            for (const auto& rdata : change.at("rdata")) {
                const ZoneRecord record = record_from_text(name + ". 0 IN " + rrtype + " " + rdata.get<std::string>());
                if (!baseline.announce(record, effective, watch)) {
                    throw FeedError(where + name + " is in no watched zone");
                }
                ++announced;
            }
        } catch (const FeedError&) {
            throw;
        } catch (const std::exception& e) {
            throw FeedError(where + "not an announced change (" + e.what() + ")");
        }
    }
    return announced;
}

}  // namespace dnswatch
