// The transparency feed's state in the baseline stays bounded: an
// announcement of rdata the zone already holds is not kept, one announced
// twice is kept once, announced rdata go once the zone's own data holds
// them (applied), and past the bound an announcement is refused, counted.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "baseline/baseline.h"
#include "baseline/baseline_input.h"
#include "baseline/shared_baseline.h"
#include "baseline/watch_set.h"
#include "decode/ldns_glue.h"
#include "tests/support/scratch_dir.h"

namespace dnswatch {
namespace {

constexpr std::uint16_t kA = 1;

std::vector<std::uint8_t> address(std::uint32_t host_order) {
    const std::uint32_t wire = htonl(host_order);
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(&wire);
    return {bytes, bytes + 4};
}

class FeedStateTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = test::scratch_dir("feed-state");
        std::ofstream(dir_ / "victim.test.zone") << "$ORIGIN victim.test.\n$TTL 3600\n"
                                                    "@ SOA ns1 hostmaster 1 3600 900 604800 300\n@ NS ns1\n"
                                                    "ns1 A 192.0.2.1\nwww A 192.0.2.10\n";
        watch_.add("victim.test");
        Baseline baseline;
        baseline.add_zone_records(read_zone_file((dir_ / "victim.test.zone").string(), std::nullopt), watch_);
        shared_ = std::make_unique<SharedBaseline>(watch_, baseline);
        www_ = *DnsName::from_text("www.victim.test");
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    bool announce(const DnsName& owner, std::uint32_t host_order) {
        Announcement announcement;
        announcement.records.push_back(ZoneRecord{owner, kA, 300, address(host_order)});
        announcement.effective_us = 1'000'000;
        return shared_->announce(announcement);
    }
    bool announce_www(std::uint32_t host_order) { return announce(www_, host_order); }
    static DnsName host(std::uint32_t i) { return *DnsName::from_text("h" + std::to_string(i) + ".victim.test"); }
    bool allowed_by_announcement(const DnsName& owner, std::uint32_t host_order) {
        bool by_announcement = false;
        const std::vector<std::uint8_t> form = address(host_order);
        EXPECT_TRUE(shared_->snapshot()->baseline.find(owner, kA).allows(form, 2'000'000, &by_announcement));
        return by_announcement;
    }
    std::size_t announced() const { return shared_->snapshot()->baseline.announced_rdata(); }

    std::filesystem::path dir_;
    WatchSet watch_;
    std::unique_ptr<SharedBaseline> shared_;
    DnsName www_;
};

TEST_F(FeedStateTest, TwentyThousandAnnouncementsAreKeptOnceEachAndAppliedOnesGo) {
    // 20,000 names announced one by one (each a new snapshot; the table is
    // shared between them, not copied), every one in force.
    constexpr std::uint32_t kFirst = 0x0A000000;  // 10.0.0.0
    for (std::uint32_t i = 0; i < 20000; ++i) ASSERT_TRUE(announce(host(i), kFirst + i));
    EXPECT_EQ(announced(), 20000u);
    EXPECT_EQ(shared_->snapshot()->baseline.announced_rrsets(), 20000u);
    for (const std::uint32_t i : {0u, 255u, 256u, 12345u, 19999u}) EXPECT_TRUE(allowed_by_announcement(host(i), kFirst + i));
    // The same again, and what the zone already holds: nothing more kept.
    ASSERT_TRUE(announce(host(7), kFirst + 7));
    ASSERT_TRUE(announce_www(0xC000020A));  // 192.0.2.10, the zone's own
    EXPECT_EQ(announced(), 20000u);

    // The registry's changes reach the zone: the first 100 names are now
    // its own data, and their announcements go.
    std::vector<RRsetChange> changes;
    for (std::uint32_t i = 0; i < 100; ++i) {
        changes.push_back(RRsetChange{host(i), kA, zone_file_source("victim.test"), 3600, {address(kFirst + i)}});
    }
    shared_->apply(changes);
    EXPECT_EQ(announced(), 19900u);
    EXPECT_EQ(shared_->counters().announcements_applied, 100u);
    EXPECT_FALSE(allowed_by_announcement(host(5), kFirst + 5)) << "now the zone's own rdata";
    EXPECT_TRUE(allowed_by_announcement(host(500), kFirst + 500)) << "still announced only";
}

TEST_F(FeedStateTest, PastTheBoundsAnAnnouncementIsRefusedAndCounted) {
    // For one RRset...
    for (std::uint32_t i = 0; i < SharedBaseline::kMaxAnnouncedPerRRset; ++i) ASSERT_TRUE(announce_www(0x0A000000 + i));
    EXPECT_FALSE(announce_www(0x0B000000));
    EXPECT_EQ(announced(), SharedBaseline::kMaxAnnouncedPerRRset);
    EXPECT_EQ(shared_->counters().announcements_refused, 1u);
    // ... and in all.
    shared_->set_max_announced_rdata(SharedBaseline::kMaxAnnouncedPerRRset + 50);
    for (std::uint32_t i = 0; i < 50; ++i) ASSERT_TRUE(announce(host(i), 0x0A000000 + i));
    EXPECT_FALSE(announce(host(50), 0x0B000000));
    EXPECT_FALSE(announce(host(51), 0x0B000001));
    EXPECT_EQ(announced(), SharedBaseline::kMaxAnnouncedPerRRset + 50);
    EXPECT_EQ(shared_->counters().announcements_refused, 3u);
}

}  // namespace
}  // namespace dnswatch
