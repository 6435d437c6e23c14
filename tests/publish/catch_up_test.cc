#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "publish/alert_store.h"
#include "publish/catch_up.h"
#include "tests/publish/sample_alert.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;

class Discard : public AlertSink {
public:
    void publish(const Alert&) override {}
};

class CatchUpTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("dnswatch-catchup-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        AlertStore store(dir_.string(), /*fsync=*/false);
        Discard discard;
        DurableAlertSink sink(store, nullptr, discard);
        // 2,500 records over three zones: pages of 1,000 must be stitched.
        const char* names[] = {"victim.test", "mail.victim.test", "evilvictim.test"};
        for (int i = 0; i < 2500; ++i) sink.publish(testing::sample_alert(names[i % 3]));
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::vector<std::uint64_t> fetch(const std::string& endpoint, std::uint64_t after, const std::string& prefix,
                                     std::vector<std::string>* names = nullptr) {
        std::vector<std::uint64_t> seqs;
        catch_up(context_, endpoint, after, prefix, [&](std::uint64_t seq, const std::string& json) {
            seqs.push_back(seq);
            if (names) names->push_back(nlohmann::json::parse(json)["name"]);
        });
        return seqs;
    }

    fs::path dir_;
    zmq::context_t context_;
};

TEST_F(CatchUpTest, StreamsEveryRecordAfterASeqInOrderAcrossPages) {
    CatchUpServer server(context_, (dir_ / "alerts.jsonl").string(), "tcp://127.0.0.1:*");
    const auto all = fetch(server.endpoint(), 0, "");
    ASSERT_EQ(all.size(), 2500u);
    for (std::size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], i + 1);
    EXPECT_GE(server.requests(), 3u);
    const auto rest = fetch(server.endpoint(), 2400, "");
    ASSERT_EQ(rest.size(), 100u);
    EXPECT_EQ(rest.front(), 2401u);
    EXPECT_TRUE(fetch(server.endpoint(), 2500, "").empty());
}

TEST_F(CatchUpTest, TopicPrefixSelectsAZoneAndItsSubdomainsOnly) {
    CatchUpServer server(context_, (dir_ / "alerts.jsonl").string(), "tcp://127.0.0.1:*");
    std::vector<std::string> names;
    const auto seqs = fetch(server.endpoint(), 0, "alert.test.victim.", &names);
    EXPECT_EQ(seqs.size(), 1667u);  // two of every three
    for (const auto& name : names) EXPECT_NE(name, "evilvictim.test");
    EXPECT_EQ(seqs[0], 1u);
    EXPECT_EQ(seqs[1], 2u);
    EXPECT_EQ(seqs[2], 4u);
}

TEST_F(CatchUpTest, ASilentEndpointIsAnErrorNotAHang) {
    EXPECT_THROW(catch_up(context_, "tcp://127.0.0.1:9", 0, "", [](std::uint64_t, const std::string&) {}, 200),
                 std::runtime_error);
    EXPECT_THROW(CatchUpServer(context_, "x", "tcp://256.0.0.1:1"), std::runtime_error);
}

}  // namespace
}  // namespace dnswatch

namespace dnswatch {
namespace {

// The first seq a scan from `offset` finds.
std::uint64_t first_seq_from(const std::string& path, std::uint64_t offset) {
    std::uint64_t first = 0;
    scan_alert_store_from(path, offset, 0, [&](const StoredRecord& record) {
        first = record.seq;
        return false;
    });
    return first;
}

TEST_F(CatchUpTest, TheIndexSeeksNearTheSeqAskedForAndFollowsTheStore) {
    const std::string path = (dir_ / "alerts.jsonl").string();
    StoreIndex index(path);
    EXPECT_EQ(index.seek(0), 0u);
    EXPECT_EQ(index.records_indexed(), 2500u);
    EXPECT_EQ(index.marks(), (2500 + StoreIndex::kStride - 1) / StoreIndex::kStride);
    // A page after seq 2000 starts reading at most one stride before it, not
    // at the start of the file.
    for (const std::uint64_t after : {1u, 63u, 64u, 65u, 1000u, 2000u, 2499u, 2500u}) {
        const std::uint64_t first = first_seq_from(path, index.seek(after));
        EXPECT_LE(first, after + 1) << "after " << after;
        EXPECT_GT(first + StoreIndex::kStride, after) << "after " << after;
    }

    // The store grows: only what was appended is read to extend the index.
    {
        AlertStore store(dir_.string(), /*fsync=*/false);
        Discard discard;
        DurableAlertSink sink(store, nullptr, discard);
        for (int i = 0; i < 100; ++i) sink.publish(testing::sample_alert("victim.test"));
        // A prune replaces the file (another inode): the index starts again.
        const std::uint64_t marks_before = index.marks();
        EXPECT_GE(first_seq_from(path, index.seek(2550)), 2550u - StoreIndex::kStride);
        EXPECT_EQ(index.records_indexed(), 2600u);
        EXPECT_GT(index.marks(), marks_before);
        std::uint64_t pruned = 0;
        store.prune([&](std::string_view) { return ++pruned <= 1000; });
    }
    const std::uint64_t first = first_seq_from(path, index.seek(1500));
    EXPECT_LE(first, 1501u);
    EXPECT_GT(first + StoreIndex::kStride, 1500u);
    EXPECT_EQ(index.records_indexed(), 1600u);
    EXPECT_EQ(first_seq_from(path, index.seek(0)), 1001u);

    // And the server, through it, serves the same records as before.
    CatchUpServer server(context_, path, "tcp://127.0.0.1:*");
    const auto all = fetch(server.endpoint(), 0, "");
    ASSERT_EQ(all.size(), 1600u);
    for (std::size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], i + 1001);
}

}  // namespace
}  // namespace dnswatch
