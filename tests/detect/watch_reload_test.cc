// A watch list reloaded while packets flow (SharedBaseline::replace): each
// detector takes the new list and its baseline at its next batch; a zone
// added is judged from then on, a zone removed no longer is, and the open
// alerts of zones still watched carry on under the same id even though
// every zone index moved.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "decode/ldns_glue.h"
#include "detect/detector.h"
#include "baseline/shared_baseline.h"
#include "tests/detect/detector_harness.h"
#include "tests/support/scratch_dir.h"

namespace dnswatch {
namespace {

constexpr const char* kVictimZone = R"(
$TTL 3600
@       SOA  ns1 hostmaster 2026031401 3600 900 604800 300
@       NS   ns1
ns1     A    192.0.2.1
www     A    192.0.2.10
)";

constexpr const char* kBankZone = R"(
$TTL 3600
@       SOA  ns1 hostmaster 2026031401 3600 900 604800 300
@       NS   ns1
ns1     A    192.0.2.1
www     A    198.51.100.80
)";

class WatchReloadTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = test::scratch_dir("watch-reload");
        std::ofstream(dir_ / "victim.test.zone") << kVictimZone;
        std::ofstream(dir_ / "bank.test.zone") << kBankZone;
        shared_ = std::make_unique<SharedBaseline>(watch({"victim.test"}), sources({"victim.test"}));
        follower_ = std::make_unique<BaselineFollower>(*shared_);
        ASSERT_TRUE(follower_->refresh());
        detector_ = std::make_unique<Detector>(follower_->local_watch(), follower_->snapshot().baseline, "test-sensor",
                                               sink_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    static WatchSet watch(std::initializer_list<const char*> zones) {
        WatchSet set;
        for (const char* zone : zones) set.add(zone);
        return set;
    }
    // The zone files of `zones`, indexed as watch(zones) indexes them.
    BaselineSources sources(std::initializer_list<const char*> zones) {
        BaselineSources s(zones.size());
        std::size_t i = 0;
        for (const char* zone : zones) {
            s.zone_files[i++] = read_zone_file((dir_ / (std::string(zone) + ".zone")).string(), std::string(zone) + ".");
        }
        return s;
    }
    void feed_a(const std::string& name, const char* address, std::int64_t time_us) {
        test::MessageSpec spec;
        spec.question = name + ". IN A";
        spec.answer = {name + ". 300 IN A " + address};
        test::deliver_response(*detector_, decoder_, wire_, spec, "203.0.113.66", time_us, ++frame_);
    }

    std::filesystem::path dir_;
    std::unique_ptr<SharedBaseline> shared_;
    std::unique_ptr<BaselineFollower> follower_;
    test::RecordingSink sink_;
    std::unique_ptr<Detector> detector_;
    DnsDecoder decoder_;
    std::vector<std::uint8_t> wire_;
    std::uint64_t frame_ = 0;
};

TEST_F(WatchReloadTest, AZoneAddedIsJudgedFromTheNextBatch) {
    feed_a("www.bank.test", "203.0.113.80", 1'000'000);
    EXPECT_TRUE(sink_.alerts.empty()) << "bank.test is not watched yet";

    shared_->replace(watch({"victim.test", "bank.test"}), sources({"victim.test", "bank.test"}));
    EXPECT_TRUE(detector_->follow(*follower_));
    EXPECT_FALSE(detector_->follow(*follower_)) << "nothing newer";
    feed_a("www.bank.test", "198.51.100.80", 2'000'000);
    EXPECT_TRUE(sink_.alerts.empty()) << "the new zone's baseline answer";
    feed_a("www.bank.test", "203.0.113.80", 3'000'000);
    ASSERT_EQ(sink_.alerts.size(), 1u);
    EXPECT_EQ(sink_.alerts[0].zone, "bank.test");
    EXPECT_EQ(sink_.alerts[0].state, AlertState::open);
}

TEST_F(WatchReloadTest, OpenAlertsOutliveTheReloadAndARemovedZoneIsNoLongerJudged) {
    shared_->replace(watch({"victim.test", "bank.test"}), sources({"victim.test", "bank.test"}));
    ASSERT_TRUE(detector_->follow(*follower_));
    feed_a("www.victim.test", "203.0.113.10", 1'000'000);
    ASSERT_EQ(sink_.alerts.size(), 1u);

    // Reordered: every zone index moves. The alert reverts under its id.
    shared_->replace(watch({"bank.test", "victim.test"}), sources({"bank.test", "victim.test"}));
    ASSERT_TRUE(detector_->follow(*follower_));
    feed_a("www.victim.test", "192.0.2.10", 2'000'000);
    ASSERT_EQ(sink_.alerts.size(), 2u);
    EXPECT_EQ(sink_.alerts[1].state, AlertState::reverted);
    EXPECT_EQ(sink_.alerts[1].id, sink_.alerts[0].id);

    // victim.test removed: its answers are no longer judged at all.
    const std::uint64_t observations = detector_->counters().observations;
    shared_->replace(watch({"bank.test"}), sources({"bank.test"}));
    ASSERT_TRUE(detector_->follow(*follower_));
    feed_a("www.victim.test", "203.0.113.10", 3'000'000);
    EXPECT_EQ(sink_.alerts.size(), 2u);
    EXPECT_EQ(detector_->counters().observations, observations);
    feed_a("www.bank.test", "203.0.113.80", 4'000'000);
    ASSERT_EQ(sink_.alerts.size(), 3u);
    EXPECT_EQ(sink_.alerts[2].zone, "bank.test");
}

TEST_F(WatchReloadTest, TransfersStayForZonesStillWatchedAndGoWithTheirZone) {
    shared_->replace(watch({"victim.test", "bank.test"}), sources({"victim.test"}));
    // A transfer of bank.test brings its records (no zone file for it here).
    shared_->set_transfer("bank.test", read_zone_file((dir_ / "bank.test.zone").string(), "bank.test."));
    const auto www_bank = *DnsName::from_text("www.bank.test");
    ASSERT_TRUE(shared_->snapshot()->baseline.find(www_bank, rrtype::A));
    // A reload that keeps bank.test keeps its transfer (the reload reads no transfer for it).
    shared_->replace(watch({"bank.test", "victim.test"}), BaselineSources(2));
    EXPECT_TRUE(shared_->snapshot()->baseline.find(www_bank, rrtype::A));
    // A parent of bank.test watched, bank.test dropped: its transfer goes
    // with it rather than land in the parent's baseline.
    shared_->replace(watch({"test", "victim.test"}), BaselineSources(2));
    EXPECT_FALSE(shared_->snapshot()->baseline.find(www_bank, rrtype::A));
}

TEST_F(WatchReloadTest, ZonesKeepTheirShardAcrossReloads) {
    shared_->replace(watch({"victim.test", "bank.test", "other.test"}), BaselineSources(3));
    shared_->partition(2);
    const auto before = shared_->snapshot();
    const auto shard_of = [](const BaselineSnapshot& snapshot, const char* zone) {
        return snapshot.shards->shard_of(*snapshot.watch->find(*DnsName::from_text(zone)));
    };
    shared_->replace(watch({"new.test", "other.test", "victim.test"}), BaselineSources(3));
    const auto after = shared_->snapshot();
    EXPECT_EQ(after->shards->shard_count(), 2u);
    EXPECT_EQ(shard_of(*after, "victim.test"), shard_of(*before, "victim.test"));
    EXPECT_EQ(shard_of(*after, "other.test"), shard_of(*before, "other.test"));
    // A follower of shard 1 hands its detector that shard's part only.
    BaselineFollower second(*shared_, 1);
    ASSERT_TRUE(second.refresh());
    for (const WatchedZone& zone : after->watch->zones()) {
        EXPECT_EQ(second.local_watch().find(zone.name) != nullptr, after->shards->shard_of(zone) == 1) << zone.text;
    }
}

}  // namespace
}  // namespace dnswatch
