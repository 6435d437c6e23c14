#include <gtest/gtest.h>

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/crc32c.h"
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

// An open alert as the detector emits it: with what a restart needs.
Alert open_alert(const std::string& id, const std::string& name) {
    Alert alert = testing::sample_alert(name);
    alert.id = id;
    alert.state = AlertState::open;
    alert.restart.key = std::string("\3www\6victim\4test\0\0\1", 17) + id;
    alert.restart.signals = 0x21;
    alert.restart.observed_forms = {std::string("\xcb\x00\x71\x42", 4), "second"};
    return alert;
}

TEST_F(AlertStoreTest, OpenAlertsAreRebuiltFromTheLastRecordOfEachId) {
    Recording out;
    {
        AlertStore store(dir_.string());
        DurableAlertSink sink(store, nullptr, out);
        sink.publish(open_alert("aaaa", "a.victim.test"));
        sink.publish(open_alert("bbbb", "b.victim.test"));
        Alert updated = open_alert("aaaa", "a.victim.test");
        updated.restart.signals = 0x23;
        sink.publish(updated);
        Alert reverted = open_alert("bbbb", "b.victim.test");
        reverted.state = AlertState::reverted;
        sink.publish(reverted);
        sink.publish(open_alert("cccc", "c.victim.test"));
        Alert change_watchers = testing::sample_alert("d.victim.test");  // open, but no detector's: nothing to carry on
        change_watchers.id = "dddd";
        change_watchers.state = AlertState::open;
        sink.publish(change_watchers);
    }
    EXPECT_FALSE(fs::exists(dir_ / "open-alerts.jsonl"));  // one durable write per record, no second file
    AlertStore store(dir_.string());
    const std::vector<OpenAlertState>& open = store.open_alerts();
    ASSERT_EQ(open.size(), 2u);
    std::set<std::string> ids;
    for (const OpenAlertState& state : open) ids.insert(state.alert.id);
    EXPECT_EQ(ids, (std::set<std::string>{"aaaa", "cccc"}));
    for (const OpenAlertState& state : open) {
        if (state.alert.id != "aaaa") continue;
        EXPECT_EQ(state.key, open_alert("aaaa", "").restart.key);
        EXPECT_EQ(state.signals, 0x23u);  // from the last record
        EXPECT_EQ(state.observed_forms, open_alert("aaaa", "").restart.observed_forms);
        EXPECT_EQ(state.alert.seq, 3u);
        EXPECT_EQ(state.alert.name, "a.victim.test");
    }
    EXPECT_EQ(store.recovery().open_alerts, 2u);
    // Consumers get the record alone: nothing of the restart state leaks.
    scan_alert_store((dir_ / "alerts.jsonl").string(), 0, [](std::uint64_t, std::string_view record) {
        EXPECT_EQ(record.find("observed_forms"), std::string_view::npos);
        EXPECT_TRUE(nlohmann::json::parse(record).is_object());
        return true;
    });
}

TEST_F(AlertStoreTest, ATornOrDamagedRecordIsRecoveredNotRefused) {
    {
        AlertStore store(dir_.string());
        for (std::uint64_t seq = 1; seq <= 4; ++seq) {
            Alert alert = open_alert("id" + std::to_string(seq), "a.victim.test");
            alert.seq = seq;
            store.append(alert);
        }
    }
    // Record 2 damaged in place (a flipped byte: its CRC fails), and a torn
    // record at the end (a crash, or a full disk, in the middle of a write).
    std::string text = test_slurp(dir_ / "alerts.jsonl");
    const std::size_t second = text.find('\n') + 1;
    text[text.find('\t', second) - 3] ^= 0x01;  // inside the record's JSON, away from its id
    text += R"({"schema":"dnswatch.alert/1","id":"x","seq":5,"sens)";
    std::ofstream(dir_ / "alerts.jsonl", std::ios::binary | std::ios::trunc) << text;
    EXPECT_EQ(stored_seqs(), (std::vector<std::uint64_t>{1, 3, 4}));  // readers skip both

    AlertStore store(dir_.string());
    EXPECT_EQ(store.last_seq(), 4u);
    EXPECT_EQ(store.recovery().records, 3u);
    EXPECT_EQ(store.recovery().damaged_lines, 1u);  // the damaged one; the torn one is counted in bytes
    EXPECT_GT(store.recovery().damaged_bytes, 0u);
    EXPECT_GT(store.recovery().torn_bytes, 0u);
    EXPECT_NE(test_slurp(dir_ / "alerts.damaged").find("\"id\":\"id2\""), std::string::npos);
    Alert alert = open_alert("id5", "a.victim.test");
    alert.seq = 5;
    store.append(alert);
    EXPECT_EQ(stored_seqs(), (std::vector<std::uint64_t>{1, 3, 4, 5}));
    // Every line left is whole.
    std::istringstream lines(test_slurp(dir_ / "alerts.jsonl"));
    for (std::string line; std::getline(lines, line);) EXPECT_TRUE(parse_store_line(line).has_value()) << line;
}

TEST_F(AlertStoreTest, RecordsOfTheFirstFormatAreStillRead) {
    fs::create_directories(dir_);
    Alert alert = testing::sample_alert();
    alert.seq = 1;
    std::ofstream(dir_ / "alerts.jsonl") << to_json_line(alert) << "\n";
    AlertStore store(dir_.string());
    EXPECT_EQ(store.last_seq(), 1u);
    EXPECT_EQ(store.recovery().damaged_lines, 0u);
}

// A disk that refuses writes, for real: the file size limit (RLIMIT_FSIZE)
// makes the kernel fail write() with EFBIG past it, as a full disk fails
// with ENOSPC. Lifted when the test ends.
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes) {
        ::getrlimit(RLIMIT_FSIZE, &saved_);
        previous_ = ::signal(SIGXFSZ, SIG_IGN);
        set(bytes);
    }
    ~FileSizeLimit() {
        ::setrlimit(RLIMIT_FSIZE, &saved_);
        ::signal(SIGXFSZ, previous_);
    }
    void set(rlim_t bytes) {
        rlimit limit = saved_;
        limit.rlim_cur = bytes;
        ::setrlimit(RLIMIT_FSIZE, &limit);
    }
    void lift() { ::setrlimit(RLIMIT_FSIZE, &saved_); }

private:
    rlimit saved_{};
    sighandler_t previous_;
};

TEST_F(AlertStoreTest, AFailingDiskHoldsRecordsPublishesThemAnywayAndWritesThemLater) {
    Recording out;
    AlertStore store(dir_.string(), true, /*max_held=*/5);
    DurableAlertSink sink(store, nullptr, out);
    sink.publish(open_alert("first", "a.victim.test"));
    const auto size_before = fs::file_size(dir_ / "alerts.jsonl");
    {
        FileSizeLimit limit(size_before + 100);  // less than one more record
        for (int i = 0; i < 7; ++i) sink.publish(open_alert("held" + std::to_string(i), "a.victim.test"));
        // Every record went on to the outputs: the disk hides none.
        ASSERT_EQ(out.alerts.size(), 8u);
        const StoreHealth health = store.health();
        EXPECT_TRUE(health.failing);
        EXPECT_EQ(health.held_records, 5u);   // the bound
        EXPECT_EQ(health.held_dropped, 2u);   // beyond it: not stored, counted
        EXPECT_GE(health.write_failures, 1u);
        EXPECT_NE(health.last_error.find("alerts.jsonl"), std::string::npos) << health.last_error;
        EXPECT_EQ(health.last_error.find("Success"), std::string::npos) << health.last_error;
        // No torn record left behind.
        EXPECT_EQ(fs::file_size(dir_ / "alerts.jsonl"), size_before);
        limit.lift();
        sink.flush();  // the next commit: the disk takes them again
    }
    const StoreHealth health = store.health();
    EXPECT_FALSE(health.failing);
    EXPECT_EQ(health.held_records, 0u);
    EXPECT_EQ(stored_seqs(), (std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6}));  // 7, 8: dropped at the bound
    EXPECT_EQ(out.alerts[6].seq, 7u);
    AlertStore reopened((dir_ / "").string());
    EXPECT_EQ(reopened.last_seq(), 6u);
}

TEST_F(AlertStoreTest, APruneRemembersTheOpenAlertsAmongTheRecordsItDrops) {
    const std::int64_t now = wall_clock_us();
    constexpr std::int64_t kDay = 86400LL * 1000000;
    Recording out;
    {
        AlertStore store(dir_.string());
        DurableAlertSink sink(store, nullptr, out);
        Alert old_open = open_alert("old-open", "a.victim.test");
        old_open.last_seen_us = now - 40 * kDay;
        sink.publish(old_open);
        Alert old_closed = open_alert("old-closed", "b.victim.test");
        old_closed.last_seen_us = now - 40 * kDay;
        sink.publish(old_closed);
        old_closed.state = AlertState::reverted;
        sink.publish(old_closed);
        Alert recent = open_alert("recent", "c.victim.test");
        recent.last_seen_us = now;
        sink.publish(recent);
        Retention retention(30LL * 86400 * 1000, &store, nullptr, "");
        EXPECT_EQ(retention.prune(now).store.records, 3u);
    }
    AlertStore store(dir_.string());
    std::set<std::string> ids;
    for (const OpenAlertState& state : store.open_alerts()) ids.insert(state.alert.id);
    EXPECT_EQ(ids, (std::set<std::string>{"old-open", "recent"}));
}

// The log is checked against the store before anything is signed.
class LogAgainstStoreTest : public AlertStoreTest {
protected:
    void SetUp() override {
        AlertStoreTest::SetUp();
        Recording out;
        AlertStore store((dir_ / "store").string());
        TransparencyLog log((dir_ / "tlog").string(), signer_);
        DurableAlertSink sink(store, &log, out);
        for (const char* name : {"a.victim.test", "b.victim.test", "c.victim.test"}) sink.publish(testing::sample_alert(name));
    }
    void restart() {
        Recording out;
        AlertStore store((dir_ / "store").string());
        TransparencyLog log((dir_ / "tlog").string(), signer_);
        DurableAlertSink sink(store, &log, out);
    }
    std::string restart_error() {
        try {
            restart();
        } catch (const std::exception& e) {
            return e.what();
        }
        return {};
    }
    // What an attacker without the key can do: append an entry and its hash.
    void append_raw(const std::string& entry) {
        std::ofstream entries(dir_ / "tlog" / "entries", std::ios::binary | std::ios::app);
        const auto n = static_cast<std::uint32_t>(entry.size());
        entries << static_cast<char>(n >> 24) << static_cast<char>(n >> 16) << static_cast<char>(n >> 8)
                << static_cast<char>(n) << entry;
        const merkle::Hash leaf = merkle::leaf_hash({reinterpret_cast<const std::uint8_t*>(entry.data()), entry.size()});
        std::ofstream(dir_ / "tlog" / "hashes", std::ios::binary | std::ios::app)
            .write(reinterpret_cast<const char*>(leaf.data()), 32);
    }

    const NoteSigner signer_ = NoteSigner::generate("dnswatch.test/store");
};

TEST_F(LogAgainstStoreTest, AGenuineLogRestarts) { EXPECT_EQ(restart_error(), ""); }

TEST_F(LogAgainstStoreTest, AForgedTailAfterTheCheckpointIsRefused) {
    Alert forged = testing::sample_alert("forged.victim.test");
    forged.seq = 4;
    forged.tlog_index = 3;
    append_raw(to_json_line(forged));
    const std::string error = restart_error();
    EXPECT_NE(error.find("forged tail"), std::string::npos) << error;
    // Nothing was signed over it.
    EXPECT_EQ(verify_log((dir_ / "tlog").string(), signer_.verifier()).checkpoint_size, 3u);
}

TEST_F(LogAgainstStoreTest, AnAlteredEntryWithItsCheckpointDeletedIsRefused) {
    // Entry 1 rewritten and its hash with it, the checkpoint that signed the
    // original deleted: the log alone is consistent again.
    std::vector<std::string> entries;
    {
        LogReader reader((dir_ / "tlog").string());
        reader.refresh();
        for (std::uint64_t i = 0; i < 3; ++i) entries.push_back(reader.entry(i));
    }
    const auto at = entries[1].find("b.victim.test");
    entries[1].replace(at, 1, "x");
    fs::remove(dir_ / "tlog" / "entries");
    fs::remove(dir_ / "tlog" / "hashes");
    fs::remove(dir_ / "tlog" / "checkpoint");
    for (const std::string& entry : entries) append_raw(entry);
    const std::string error = restart_error();
    EXPECT_NE(error.find("refusing to sign"), std::string::npos) << error;
    EXPECT_FALSE(fs::exists(dir_ / "tlog" / "checkpoint"));
}

TEST_F(LogAgainstStoreTest, ALogRolledBackToAnOlderGenuineCheckpointIsRefused) {
    // Keep the log as it was after record 1, then let it grow, then put the old copy back.
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    Recording out;
    {
        AlertStore store((dir_ / "store").string());
        TransparencyLog log((dir_ / "tlog").string(), signer_);
        DurableAlertSink sink(store, &log, out);
        sink.publish(testing::sample_alert("a.victim.test"));
        fs::copy(dir_ / "tlog", dir_ / "tlog-old", fs::copy_options::recursive);
        sink.publish(testing::sample_alert("b.victim.test"));
        sink.publish(testing::sample_alert("c.victim.test"));
    }
    fs::remove_all(dir_ / "tlog");
    fs::rename(dir_ / "tlog-old", dir_ / "tlog");
    const std::string error = restart_error();
    EXPECT_NE(error.find("rolled back"), std::string::npos) << error;
}

// RFC 3720's test vector, and the hardware path against the table.
TEST(Crc32c, KnownValueAndBothPathsAgree) {
    EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
    EXPECT_EQ(crc32c_portable("123456789"), 0xE3069283u);
    std::string bytes;
    for (int i = 0; i < 1000; ++i) {
        bytes.push_back(static_cast<char>(i * 7));
        ASSERT_EQ(crc32c(bytes), crc32c_portable(bytes)) << i;
    }
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
