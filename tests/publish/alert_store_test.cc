#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "publish/alert_json.h"
#include "publish/alert_store.h"
#include "publish/retention.h"
#include "publish/transparency_log.h"
#include "tests/publish/sample_alert.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;

class Recording : public AlertSink {
public:
    void publish(const Alert& alert) override { alerts.push_back(alert); }
    std::vector<Alert> alerts;
};

class AlertStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("dnswatch-store-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::vector<std::uint64_t> stored_seqs(std::uint64_t after = 0) {
        std::vector<std::uint64_t> seqs;
        scan_alert_store((dir_ / "alerts.jsonl").string(), after, [&](std::uint64_t seq, std::string_view) {
            seqs.push_back(seq);
            return true;
        });
        return seqs;
    }

    std::vector<std::uint64_t> stored_seqs_in(const fs::path& dir) {
        std::vector<std::uint64_t> seqs;
        scan_alert_store((dir / "alerts.jsonl").string(), 0, [&](std::uint64_t seq, std::string_view) {
            seqs.push_back(seq);
            return true;
        });
        return seqs;
    }
    static std::string test_slurp(const fs::path& path) {
        std::ifstream in(path, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

    fs::path dir_;
};

TEST_F(AlertStoreTest, SequenceNumbersContinueAcrossRestarts) {
    Recording out;
    {
        AlertStore store(dir_.string());
        DurableAlertSink sink(store, nullptr, out);
        sink.publish(testing::sample_alert("a.victim.test"));
        sink.publish(testing::sample_alert("b.victim.test"));
    }
    {
        AlertStore store(dir_.string());
        EXPECT_EQ(store.last_seq(), 2u);
        DurableAlertSink sink(store, nullptr, out);
        sink.publish(testing::sample_alert("c.victim.test"));
    }
    ASSERT_EQ(out.alerts.size(), 3u);
    EXPECT_EQ(out.alerts[2].seq, 3u);
    EXPECT_EQ(out.alerts[2].tlog_index, -1);
    EXPECT_EQ(stored_seqs(), (std::vector<std::uint64_t>{1, 2, 3}));
    EXPECT_EQ(stored_seqs(1), (std::vector<std::uint64_t>{2, 3}));
}

TEST_F(AlertStoreTest, ATornLastLineIsCutOffAndOutOfOrderRecordsRefused) {
    {
        AlertStore store(dir_.string());
        Alert alert = testing::sample_alert();
        alert.seq = 1;
        store.append(alert);
        alert.seq = 5;
        EXPECT_THROW(store.append(alert), AlertStoreError);
    }
    {
        std::ofstream torn(dir_ / "alerts.jsonl", std::ios::app);
        torn << R"({"schema":"dnswatch.alert/1","id":"x","seq":2,"sens)";
    }
    EXPECT_EQ(stored_seqs(), (std::vector<std::uint64_t>{1}));  // readers skip it too
    AlertStore store(dir_.string());
    EXPECT_EQ(store.last_seq(), 1u);
    Alert alert = testing::sample_alert();
    alert.seq = 2;
    store.append(alert);
    EXPECT_EQ(stored_seqs(), (std::vector<std::uint64_t>{1, 2}));
}

TEST_F(AlertStoreTest, EveryRecordIsLoggedWithItsIndexBeforeItIsPublished) {
    const NoteSigner signer = NoteSigner::generate("dnswatch.test/store");
    Recording out;
    {
        AlertStore store((dir_ / "store").string());
        TransparencyLog log((dir_ / "tlog").string(), signer);
        DurableAlertSink sink(store, &log, out);
        for (const char* name : {"a.victim.test", "b.victim.test", "c.victim.test"}) {
            sink.publish(testing::sample_alert(name));
            // By the time it is published, the checkpoint covers it.
            const auto verified = verify_log((dir_ / "tlog").string(), signer.verifier());
            EXPECT_EQ(verified.checkpoint_size, out.alerts.back().seq);
        }
    }
    ASSERT_EQ(out.alerts.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(out.alerts[i].tlog_index, static_cast<std::int64_t>(i));
    // The log's entries are the stored lines, byte for byte.
    const auto contents = read_log_entries((dir_ / "tlog").string());
    std::size_t i = 0;
    scan_alert_store((dir_ / "store" / "alerts.jsonl").string(), 0, [&](std::uint64_t, std::string_view line) {
        EXPECT_EQ(contents.leaves.at(i++), merkle::leaf_hash({reinterpret_cast<const std::uint8_t*>(line.data()), line.size()}));
        return true;
    });
    EXPECT_EQ(i, 3u);
}

TEST_F(AlertStoreTest, RecordsStoredButNotLoggedBeforeACrashAreLoggedOnRestart) {
    const NoteSigner signer = NoteSigner::generate("dnswatch.test/store");
    Recording out;
    {
        AlertStore store((dir_ / "store").string());
        TransparencyLog log((dir_ / "tlog").string(), signer);
        DurableAlertSink sink(store, &log, out);
        sink.publish(testing::sample_alert("a.victim.test"));
        // The crash: the next record reaches the store, not the log.
        Alert stored = out.alerts.back();
        stored.seq = 2;
        stored.tlog_index = 1;
        store.append(stored);
    }
    AlertStore store((dir_ / "store").string());
    TransparencyLog log((dir_ / "tlog").string(), signer);
    EXPECT_EQ(log.size(), 1u);
    DurableAlertSink sink(store, &log, out);
    EXPECT_EQ(log.size(), 2u);
    sink.publish(testing::sample_alert("c.victim.test"));
    EXPECT_EQ(out.alerts.back().seq, 3u);
    EXPECT_EQ(out.alerts.back().tlog_index, 2);
    const auto verified = verify_log((dir_ / "tlog").string(), signer.verifier());
    EXPECT_TRUE(verified.ok) << verified.message;
    EXPECT_EQ(verified.checkpoint_size, 3u);
}

// state.retention over the store, the log and the evidence folder, by each
// record's own time: the old records leave the store, the log keeps their
// hashes only, old evidence pcaps go; numbering goes on after a prune, even
// one that left nothing, and across a restart.
TEST_F(AlertStoreTest, RetentionPrunesOldRecordsEverywhereAndSeqGoesOn) {
    const NoteSigner signer = NoteSigner::generate("dnswatch.test/store");
    constexpr std::int64_t kDay = 86400LL * 1000000;
    const std::int64_t now = wall_clock_us();
    fs::create_directories(dir_ / "evidence");
    Recording out;
    {
        AlertStore store((dir_ / "store").string());
        TransparencyLog log((dir_ / "tlog").string(), signer);
        DurableAlertSink sink(store, &log, out);
        for (int age_days : {40, 35, 31, 10, 1}) {
            Alert alert = testing::sample_alert("d" + std::to_string(age_days) + ".victim.test");
            alert.last_seen_us = now - age_days * kDay;
            sink.publish(alert);
        }
        {
            std::ofstream(dir_ / "evidence" / "old.pcap") << "old evidence";
            std::ofstream(dir_ / "evidence" / "new.pcap") << "new evidence";
        }
        fs::last_write_time(dir_ / "evidence" / "old.pcap", fs::file_time_type::clock::now() - std::chrono::hours(24 * 31));

        Retention retention(30LL * 86400 * 1000, &store, &log, (dir_ / "evidence").string());
        const PruneReport report = retention.prune(now);
        EXPECT_EQ(report.store.records, 3u);
        EXPECT_EQ(report.log.records, 3u);
        EXPECT_EQ(report.evidence.records, 1u);
        EXPECT_EQ(report.evidence.bytes, 12u);
        EXPECT_EQ(report.first_kept_seq, 4u);
        EXPECT_EQ(report.log_first_kept, 3u);
        EXPECT_EQ(retention.prune(now).records(), 0u);  // nothing more to do
        EXPECT_EQ(stored_seqs_in(dir_ / "store"), (std::vector<std::uint64_t>{4, 5}));
        EXPECT_FALSE(fs::exists(dir_ / "evidence" / "old.pcap"));
        EXPECT_TRUE(fs::exists(dir_ / "evidence" / "new.pcap"));
        // Everything goes later; the next record still numbers on.
        EXPECT_EQ(retention.prune(now + 60 * kDay).store.records, 2u);
        EXPECT_TRUE(stored_seqs_in(dir_ / "store").empty());
        sink.publish(testing::sample_alert("after.victim.test"));
        EXPECT_EQ(out.alerts.back().seq, 6u);
        EXPECT_EQ(out.alerts.back().tlog_index, 5);
    }
    const std::string stored = test_slurp(dir_ / "store" / "alerts.jsonl");
    for (const char* gone : {"d40.", "d35.", "d31.", "d10.", "d1."}) EXPECT_EQ(stored.find(gone), std::string::npos);
    AlertStore store((dir_ / "store").string());
    EXPECT_EQ(store.last_seq(), 6u);
    TransparencyLog log((dir_ / "tlog").string(), signer);
    DurableAlertSink sink(store, &log, out);
    sink.publish(testing::sample_alert("restarted.victim.test"));
    EXPECT_EQ(out.alerts.back().seq, 7u);
    const auto verified = verify_log((dir_ / "tlog").string(), signer.verifier());
    EXPECT_TRUE(verified.ok) << verified.message;
    EXPECT_EQ(verified.checkpoint_size, 7u);
    EXPECT_EQ(verified.pruned, 5u);
}

// Change records (their `time`) are pruned by the same rule as alerts.
TEST_F(AlertStoreTest, RetentionPrunesChangeRecordsByTheirTime) {
    const NoteSigner signer = NoteSigner::generate("dnswatch.test/store");
    const std::int64_t now = wall_clock_us();
    Recording out;
    AlertStore store((dir_ / "store").string());
    TransparencyLog log((dir_ / "tlog").string(), signer);
    DurableAlertSink sink(store, &log, out);
    BaselineChange change;
    change.zone = "victim.test";
    change.name = "old-change.victim.test";
    change.rrtype = "NS";
    change.after = {"ns1.evil.test."};
    change.time_us = now - 100LL * 86400 * 1000000;
    sink.publish_change(change);
    Alert alert = testing::sample_alert("recent.victim.test");
    alert.last_seen_us = now;
    sink.publish(alert);
    Retention retention(30LL * 86400 * 1000, &store, &log, "");
    const PruneReport report = retention.prune(now);
    EXPECT_EQ(report.store.records, 1u);
    EXPECT_EQ(report.log.records, 1u);
    EXPECT_EQ(stored_seqs_in(dir_ / "store"), (std::vector<std::uint64_t>{2}));
    EXPECT_EQ(test_slurp(dir_ / "store" / "alerts.jsonl").find("old-change"), std::string::npos);
    EXPECT_TRUE(verify_log((dir_ / "tlog").string(), signer.verifier()).ok);
}

TEST(RecordTime, TimeThenLastSeenElseNone) {
    EXPECT_EQ(record_time_us(R"({"time":"1970-01-01T00:00:01.000000Z","last_seen":"2000-01-01T00:00:00Z"})"), 1000000);
    EXPECT_EQ(record_time_us(R"({"last_seen":"1970-01-01T00:00:02Z"})"), 2000000);
    EXPECT_EQ(record_time_us(R"({"seq":1})"), std::nullopt);
    EXPECT_EQ(record_time_us(R"({"time":"yesterday"})"), std::nullopt);
    EXPECT_EQ(record_time_us("not json"), std::nullopt);
}

}  // namespace
}  // namespace dnswatch
