// The relay's store: records renumbered with the relay's seq (the sensor's
// kept), bounded, continued after a restart, and read by the same scan as
// a sensor's store (so the catch-up server serves it unchanged).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "publish/alert_store.h"
#include "publish/relay_store.h"
#include "tests/support/scratch_dir.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;

std::vector<nlohmann::json> stored(const std::string& path) {
    std::vector<nlohmann::json> records;
    scan_alert_store(path, 0, [&](std::uint64_t, std::string_view line) {
        records.push_back(nlohmann::json::parse(line));
        return true;
    });
    return records;
}

TEST(RelayStoreTest, RenumbersKeepsTheSensorsSeqAndStaysBounded) {
    const fs::path dir = test::scratch_dir("relay-store");
    {
        RelayStore store(dir.string(), 10);
        for (int i = 1; i <= 25; ++i) {
            const std::string sensor = i % 2 ? "a" : "b";
            const auto line = nlohmann::json::parse(
                store.add(nlohmann::json{{"seq", 1000 + i}, {"sensor", sensor}, {"id", std::to_string(i)}}.dump()));
            EXPECT_EQ(line["seq"], i);
            EXPECT_EQ(line["sensor_seq"], 1000 + i);
        }
        EXPECT_EQ(store.add("not json"), "not json");  // passed on, not stored
        const auto records = stored(store.path());
        ASSERT_GE(records.size(), 10u);
        ASSERT_LE(records.size(), 20u);
        EXPECT_EQ(records.back()["seq"], 25);
        for (std::size_t i = 1; i < records.size(); ++i) EXPECT_EQ(records[i]["seq"], records[i - 1]["seq"].get<int>() + 1);
    }
    // A restarted relay goes on from what it kept.
    RelayStore again(dir.string(), 10);
    EXPECT_EQ(again.last_seq(), 25u);
    EXPECT_EQ(nlohmann::json::parse(again.add(R"({"seq":7,"sensor":"a"})"))["seq"], 26);
    fs::remove_all(dir);
}

}  // namespace
}  // namespace dnswatch
