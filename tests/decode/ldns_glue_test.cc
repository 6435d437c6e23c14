#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "decode/ldns_glue.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;

class ZoneFileTest : public ::testing::Test {
protected:
    void SetUp() override {
        path_ = fs::temp_directory_path() / ("dnswatch-zone-" + std::to_string(::getpid()) + ".zone");
    }
    void TearDown() override { fs::remove(path_); }

    // The line read_zone_file blames for `text`, or 0 if it loads.
    int error_line(const std::string& text) {
        std::ofstream(path_) << text;
        try {
            read_zone_file(path_.string(), "victim.test.");
        } catch (const ZoneFileError& e) {
            EXPECT_EQ(std::string(e.what()).rfind(path_.string() + ":" + std::to_string(e.line()) + ": ", 0), 0u);
            return e.line();
        }
        return 0;
    }

    fs::path path_;
};

TEST_F(ZoneFileTest, ErrorsNameTheLineOfTheBadRecord) {
    EXPECT_EQ(error_line("$TTL 300\n@ SOA ns1 hm 1 2 3 4 5\nwww A 300.1.2.3"), 3);      // no final newline
    EXPECT_EQ(error_line("$TTL 300\nwww A 300.1.2.3\n@ SOA ns1 hm 1 2 3 4 5\n"), 2);
    EXPECT_EQ(error_line("$TTL 300\n@ SOA ns1 hm 1 2 3 4 5\n\n; c\n\nwww A 1.2.3.4\nwww BOGUS 1\n\n\n"), 7);
    EXPECT_EQ(error_line("$TTL 300\n@ SOA ( ns1 hm\n 1 2 3 4 5 )\nwww A 1.2.3.4.5\n"), 4);
    EXPECT_EQ(error_line("$TTL 300\n@ SOA ns1 hm 1 2 3 4 5\nwww A 192.0.2.1\n"), 0);
}

TEST_F(ZoneFileTest, RecordsComeBackWithOwnerTypeTtlAndWireRdata) {
    std::ofstream(path_) << "$TTL 300\n@ SOA ns1 hm 1 2 3 4 5\n@ NS ns1\nns1 60 A 192.0.2.1\n";
    const auto records = read_zone_file(path_.string(), "victim.test.");
    ASSERT_EQ(records.size(), 3u);
    EXPECT_EQ(records[0].type, 6);  // SOA first
    EXPECT_EQ(records[2].owner.to_text(), "ns1.victim.test");
    EXPECT_EQ(records[2].ttl, 60u);
    EXPECT_EQ(records[2].rdata, (std::vector<std::uint8_t>{192, 0, 2, 1}));
    EXPECT_EQ(rdata_to_text(records[1].type, records[1].rdata), "ns1.victim.test.");
}

TEST_F(ZoneFileTest, AFileWithoutOriginNeedsDollarOrigin) {
    std::ofstream(path_) << "$TTL 300\n@ SOA ns1 hm 1 2 3 4 5\n";
    try {
        read_zone_file(path_.string(), std::nullopt);
        FAIL() << "loaded a relative zone without an origin";
    } catch (const ZoneFileError& e) {
        EXPECT_NE(std::string(e.what()).find("$ORIGIN"), std::string::npos) << e.what();
    }
    EXPECT_THROW(read_zone_file((path_.string() + ".missing"), "victim.test."), ZoneFileError);
}

}  // namespace
}  // namespace dnswatch
