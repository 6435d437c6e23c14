#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "publish/alert_json.h"
#include "publish/alert_store.h"
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

}  // namespace
}  // namespace dnswatch
