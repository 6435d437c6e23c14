#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "baseline/transparency_feed.h"
#include "decode/dns_message.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;

class FeedTest : public ::testing::Test {
protected:
    void SetUp() override {
        path_ = fs::temp_directory_path() / ("dnswatch-feed-" + std::to_string(::getpid()) + ".jsonl");
        watch_.add("victim.test");
    }
    void TearDown() override { fs::remove(path_); }
    void write(const std::string& text) { std::ofstream(path_) << text; }

    fs::path path_;
    WatchSet watch_;
    Baseline baseline_;
};

TEST_F(FeedTest, AnnouncedRdataIsAllowedFromItsEffectiveTime) {
    write(R"({"zone":"victim.test","name":"victim.test","rrtype":"NS","rdata":["ns1.newdns.example.","NS2.newdns.example."],"effective":"2026-03-26T09:55:00.000000Z"})"
          "\n");
    EXPECT_EQ(load_transparency_feed(path_.string(), watch_, baseline_), 2u);
    const RRsetPool pool = baseline_.find(*DnsName::from_text("victim.test"), rrtype::NS);
    ASSERT_TRUE(pool);
    const DnsName ns2 = *DnsName::from_text("ns2.newdns.example");  // case folded like any observation
    const std::span<const std::uint8_t> form = ns2.bytes();
    bool announced = false;
    EXPECT_FALSE(pool.allows(form, 1774518899999999, &announced));  // 09:54:59.999999
    EXPECT_TRUE(pool.allows(form, 1774518900000000, &announced));   // 09:55:00
    EXPECT_TRUE(announced);
}

// rdata [] announces the RRset's removal (a DS withdrawn on purpose): no
// rdata joins the pool, and the removal is in effect from its time on.
TEST_F(FeedTest, AnEmptyRdataListAnnouncesARemoval) {
    write(R"({"zone":"victim.test","name":"victim.test","rrtype":"DS","rdata":[],"effective":"2026-03-26T09:55:00.000000Z"})"
          "\n");
    EXPECT_EQ(load_transparency_feed(path_.string(), watch_, baseline_), 1u);
    const RRsetPool pool = baseline_.find(*DnsName::from_text("victim.test"), rrtype::DS);
    ASSERT_TRUE(pool);
    EXPECT_FALSE(pool.removal_announced(1774518899999999));  // 09:54:59.999999
    EXPECT_TRUE(pool.removal_announced(1774518900000000));   // 09:55:00
    int rdata = 0;
    pool.for_each_rdata([&](std::span<const std::uint8_t>) { ++rdata; }, /*with_announced=*/true);
    EXPECT_EQ(rdata, 0);
    EXPECT_FALSE(baseline_.find(*DnsName::from_text("victim.test"), rrtype::NS).removal_announced(1774518900000000));
}

TEST_F(FeedTest, BadLinesNameTheirLine) {
    write("\n{\"name\":\"victim.test\",\"rrtype\":\"A\",\"rdata\":[\"300.1.2.3\"],\"effective\":\"2026-03-26T09:55:00Z\"}\n");
    try {
        load_transparency_feed(path_.string(), watch_, baseline_);
        FAIL() << "a bad address was accepted";
    } catch (const FeedError& e) {
        EXPECT_EQ(std::string(e.what()).rfind(path_.string() + ":2: ", 0), 0u) << e.what();
    }
    write("{\"name\":\"other.example\",\"rrtype\":\"A\",\"rdata\":[\"192.0.2.1\"],\"effective\":\"2026-03-26T09:55:00Z\"}\n");
    EXPECT_THROW(load_transparency_feed(path_.string(), watch_, baseline_), FeedError);
    EXPECT_THROW(load_transparency_feed(path_.string() + ".missing", watch_, baseline_), FeedError);
    write("{\"name\":\"victim.test\",\"rrtype\":\"NOSUCHTYPE\",\"rdata\":[],\"effective\":\"2026-03-26T09:55:00Z\"}\n");
    EXPECT_THROW(load_transparency_feed(path_.string(), watch_, baseline_), FeedError);
}

}  // namespace
}  // namespace dnswatch
