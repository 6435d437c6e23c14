// libFuzzer target: one line of the registry's transparency feed (the file,
// and each ZeroMQ feed message), read by parse_announcement against a watch
// list of victim.test and com. Checks: a refusal is std::invalid_argument;
// an accepted line's records are all of the "name" and "rrtype" the JSON
// gives (the rdata text cannot smuggle another owner or type in), in a
// watched zone, with rdata within 65,535 bytes that prints as text.
#include <cstdint>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "baseline/transparency_feed.h"
#include "baseline/watch_set.h"
#include "decode/ldns_glue.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_input.h"

namespace dnswatch {
namespace {

const WatchSet& watch() {
    static const WatchSet set = [] {
        WatchSet w;
        w.add("victim.test");
        w.add("com");
        return w;
    }();
    return set;
}

}  // namespace
}  // namespace dnswatch

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace dnswatch;
    const std::string line = fuzz::text_of(std::span(data, size));
    Announcement announcement;
    try {
        announcement = parse_announcement(line, watch());
    } catch (const std::invalid_argument& refused) {
        FUZZ_CHECK(std::string(refused.what()).size() > 0);
        return 0;
    }
    const auto json = nlohmann::json::parse(line);
    const auto owner = DnsName::from_text(json.at("name").get<std::string>());
    const auto type = rrtype_from_text(json.at("rrtype").get<std::string>());
    FUZZ_CHECK(owner.has_value());
    FUZZ_CHECK(type.has_value());
    FUZZ_CHECK(announcement.records.size() == json.at("rdata").size());
    // "rdata": [] announces a removal: the entry still names its RRset.
    FUZZ_CHECK(announcement.owner == *owner);
    FUZZ_CHECK(announcement.type == *type);
    FUZZ_CHECK(announcement.removal() == announcement.records.empty());
    for (const ZoneRecord& record : announcement.records) {
        FUZZ_CHECK(record.owner == *owner);
        FUZZ_CHECK(record.type == *type);
        FUZZ_CHECK(watch().find(record.owner) != nullptr);
        FUZZ_CHECK(record.rdata.size() <= 65535);
        FUZZ_CHECK(!rdata_to_text(record.type, record.rdata).empty() || record.rdata.empty());
    }
    return 0;
}
