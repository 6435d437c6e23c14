// The hostile checks of issue 15 on `dnswatch run`, end to end with the real
// binary: SIGKILLs at random points lose no record and leave no zombie open
// alert; a full disk (a 1 MiB tmpfs) then freed hides no alert from the
// other outputs and loses none from the store; a tampered transparency log
// (forged tail, altered entry with its checkpoint deleted, rollback) is
// refused at start and by `tlog verify --against`.
#include <gtest/gtest.h>

#include <pcap/pcap.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "capture/pcap_file_source.h"
#include "publish/alert_store.h"
#include "publish/log_files.h"
#include "publish/merkle.h"
#include "tests/cli/run_support.h"
#include "tests/support/http_client.h"

namespace dnswatch {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;
const fs::path kSamples = fs::path(DNSWATCH_SOURCE_DIR) / "samples";

struct Frame {
    pcap_pkthdr header{};
    std::vector<std::uint8_t> bytes;
};

std::vector<Frame> sample_frames() {
    PcapFileSource input((kSamples / "hijack.pcap").string());
    std::vector<Frame> frames;
    PacketBatch batch;
    while (input.next_batch(batch)) {
        for (const PacketView& p : batch) {
            Frame frame;
            frame.header.caplen = static_cast<bpf_u_int32>(p.bytes.size());
            frame.header.len = p.wire_length;
            frame.bytes.assign(p.bytes.begin(), p.bytes.end());
            frames.push_back(std::move(frame));
        }
    }
    return frames;
}

// The sample in three acts (frames 1-12 the baseline, 13-24 the hijack that
// opens four alerts, 25-32 the baseline again, which reverts one), squeezed
// into `act_us` apart. Copy `copy` answers from servers 127.0.COPY.x, so
// that each copy's alerts are its own, and starts `copy` seconds after
// `base_s`. `acts` picks the acts written.
void write_copies(const fs::path& out, int first_copy, int copies, std::int64_t base_s, std::set<int> acts,
                  std::int64_t act_us = 300000) {
    static const std::vector<Frame> frames = sample_frames();
    pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
    pcap_dumper_t* dumper = pcap_dump_open(dead, out.c_str());
    for (int copy = first_copy; copy < first_copy + copies; ++copy) {
        for (std::size_t i = 0; i < frames.size(); ++i) {
            const int act = i < 12 ? 0 : i < 24 ? 1 : 2;
            if (!acts.contains(act)) continue;
            Frame frame = frames[i];
            const bool from_server = frame.bytes.size() > 36 && frame.bytes[34] == 0 && frame.bytes[35] == 53;
            if (from_server) frame.bytes[28] = static_cast<std::uint8_t>(copy);  // 127.0.COPY.x
            const std::int64_t us = (base_s + copy) * 1000000LL + act * act_us + static_cast<std::int64_t>(i % 12) * 20000;
            frame.header.ts.tv_sec = us / 1000000;
            frame.header.ts.tv_usec = us % 1000000;
            pcap_dump(reinterpret_cast<u_char*>(dumper), &frame.header, frame.bytes.data());
        }
    }
    pcap_dump_close(dumper);
    pcap_close(dead);
}

std::vector<json> json_lines(const std::string& text) {
    std::vector<json> lines;
    for (const std::string& line : test::lines_of(text)) lines.push_back(json::parse(line));
    return lines;
}

class DurableRunTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = test::scratch_dir("durable-run");
        const auto key = test::run_command({DNSWATCH_BINARY, "tlog", "keygen", "--name", "dnswatch.test/durable", "--key",
                                            (dir_ / "tlog.key").string()},
                                           dir_);
        ASSERT_EQ(key.exit_code, 0) << key.err;
        state_ = dir_ / "state";
        tlog_ = dir_ / "tlog";
    }
    void TearDown() override {
        if (mounted_) ::umount2(mount_point_.c_str(), MNT_DETACH);
        fs::remove_all(dir_);
    }

    // A run config over `pcap`; `capture_extra` goes in its capture section, `extra` at the end.
    fs::path config(const fs::path& pcap, const std::string& name, const std::string& capture_extra = "",
                    const std::string& extra = "") {
        const fs::path path = dir_ / (name + ".yaml");
        test::write_file(path, "sensor:\n  id: durable-run\n"
                               "watch:\n  zones:\n    - name: victim.test\n      zone_file: " +
                                   (kSamples / "victim.test.zone").string() +
                                   "\nbaseline:\n  zone_files: [" + (kSamples / "test.zone").string() +
                                   "]\ncapture:\n  source: pcap_file\n  files: [" + pcap.string() + "]\n" +
                                   capture_extra + "pipeline:\n  workers: 2\n  shards: 2\nstate:\n  dir: " + state_.string() +
                                   "\ntransparency_log:\n  dir: " + tlog_.string() + "\n  key_file: " +
                                   (dir_ / "tlog.key").string() + "\n" + extra);
        return path;
    }
    test::CommandResult run_to_end(const fs::path& config_file) {
        return test::run_command({DNSWATCH_BINARY, "run", "--config", config_file.string()}, dir_);
    }
    // Every stored record, by seq.
    std::map<std::uint64_t, json> stored() {
        std::map<std::uint64_t, json> records;
        scan_alert_store((state_ / "alerts.jsonl").string(), 0, [&](std::uint64_t seq, std::string_view record) {
            records.emplace(seq, json::parse(record));
            return true;
        });
        return records;
    }
    test::CommandResult verify(const std::string& against = "") {
        std::vector<std::string> argv = {DNSWATCH_BINARY, "tlog", "verify", "--dir", tlog_.string(), "--key",
                                         (dir_ / "tlog.key.pub").string()};
        if (!against.empty()) argv.insert(argv.end(), {"--against", against});
        return test::run_command(argv, dir_);
    }

    fs::path dir_;
    fs::path state_;
    fs::path tlog_;
    fs::path mount_point_;
    bool mounted_ = false;
};

// Which of a copy's alerts the third act reverts: one replay of one copy,
// alone, says (name, rrtype, the server's last octet).
std::set<std::tuple<std::string, std::string, std::string>> reverted_by_the_third_act(const fs::path& dir) {
    const fs::path pcap = dir / "reference.pcap";
    write_copies(pcap, 1, 1, 1700000000, {0, 1, 2});
    const fs::path config = dir / "reference.yaml";
    test::write_file(config, "watch:\n  zones:\n    - name: victim.test\n      zone_file: " +
                                 (kSamples / "victim.test.zone").string() + "\nbaseline:\n  zone_files: [" +
                                 (kSamples / "test.zone").string() + "]\n");
    const auto r = test::run_command({DNSWATCH_BINARY, "replay", "--config", config.string(), pcap.string()}, dir);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::set<std::tuple<std::string, std::string, std::string>> reverted;
    for (const json& alert : json_lines(r.out)) {
        if (alert["state"] != "reverted") continue;
        const std::string server = alert["vantage"]["server"];
        reverted.emplace(alert["name"], alert["rrtype"], server.substr(server.rfind('.')));
    }
    return reverted;
}

TEST_F(DurableRunTest, TwentyFiveSigkillsLoseNoRecordAndLeaveNoZombie) {
    const auto reverting = reverted_by_the_third_act(dir_);
    ASSERT_FALSE(reverting.empty());
    constexpr int kKills = 25;
    constexpr int kCopies = 10;  // per run: servers 127.0.1.x .. 127.0.250.x over all 25
    std::mt19937 random(std::random_device{}());
    std::set<std::string> published_ids;
    std::set<std::uint64_t> published_seqs;
    int killed_with_open = 0;
    for (int k = 0; k < kKills; ++k) {
        const int first = 1 + k * kCopies;
        const std::int64_t base = 1700000000 + k * 1000;
        // The whole hijack, paced (speed 5x: a copy each 0.2 s), killed at a random point.
        write_copies(dir_ / "live.pcap", first, kCopies, base, {0, 1, 2});
        test::Spawned live({DNSWATCH_BINARY, "run", "--config",
                            config(dir_ / "live.pcap", "live", "  speed: 5x\n").string()},
                           dir_ / "live.out", dir_ / "live.err");
        // Random: after 0 to 40 stored records of this run, plus 0-30 ms.
        const std::size_t before = stored().size();
        const std::size_t wait_for = before + std::uniform_int_distribution<std::size_t>(0, 40)(random);
        test::eventually([&] { return stored().size() >= wait_for || !live.running(); }, std::chrono::seconds(30));
        std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 30)(random)));
        const int code = live.stop(SIGKILL);
        ASSERT_TRUE(code == 128 + SIGKILL || code == 0) << code << live.err();
        // Lose no record: whatever an output got was stored first.
        const auto records = stored();
        for (const json& alert : json_lines(live.out())) {
            const auto seq = alert["seq"].get<std::uint64_t>();
            ASSERT_TRUE(records.contains(seq)) << "published, not stored: " << alert.dump();
            EXPECT_EQ(records.at(seq)["id"], alert["id"]);
            published_seqs.insert(seq);
        }
        // Open at the kill, by the store's last record of each id.
        std::map<std::string, json> last;
        for (const auto& [seq, record] : records) {
            if (record.value("schema", "") == "dnswatch.alert/1") last[record["id"]] = record;
        }
        std::set<std::string> open_revertable;
        for (const auto& [id, record] : last) {
            const std::string server = record["vantage"]["server"];
            if (record["state"] == "open" &&
                reverting.contains({record["name"], record["rrtype"], server.substr(server.rfind('.'))}) &&
                server.rfind("127.0.", 0) == 0 && std::stoi(server.substr(6, server.rfind('.') - 6)) >= first) {
                open_revertable.insert(id);
            }
        }
        if (!open_revertable.empty()) ++killed_with_open;

        // Restart on the third act only: every alert the kill left open is
        // reverted now, and none that was already closed is reverted again.
        write_copies(dir_ / "revert.pcap", first, kCopies, base, {2});
        const auto restart = run_to_end(config(dir_ / "revert.pcap", "revert"));
        ASSERT_EQ(restart.exit_code, 0) << restart.err;
        std::set<std::string> reverted_now;
        for (const json& alert : json_lines(restart.out)) {
            EXPECT_EQ(alert["state"], "reverted") << alert.dump();
            reverted_now.insert(alert["id"]);
        }
        EXPECT_EQ(reverted_now, open_revertable) << "kill " << k << ": zombies or lost reverts\n" << restart.err;
    }
    // Over all kills: the store has no gap and each alert's revert once.
    const auto records = stored();
    std::uint64_t expected = 1;
    std::map<std::string, int> reverts;
    for (const auto& [seq, record] : records) {
        EXPECT_EQ(seq, expected++);
        if (record["state"] == "reverted") ++reverts[record["id"]];
    }
    for (const auto& [id, n] : reverts) EXPECT_EQ(n, 1) << id;
    EXPECT_GT(killed_with_open, 0) << "no kill landed while an alert was open: the test proved nothing";
    const auto verified = verify();
    EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
    EXPECT_NE(verified.out.find("verified " + std::to_string(records.size()) + " entries"), std::string::npos)
        << verified.out;
    std::printf("%d kills, %d with a revertable alert open; %zu records stored\n", kKills, killed_with_open,
                records.size());
}

TEST_F(DurableRunTest, AFullDiskThenFreedHidesNoAlertAndLosesNone) {
    if (::geteuid() != 0) GTEST_SKIP() << "mounting the 1 MiB tmpfs that plays the full disk needs root";
    mount_point_ = dir_ / "disk";
    fs::create_directories(mount_point_);
    ASSERT_EQ(::mount("tmpfs", mount_point_.c_str(), "tmpfs", 0, "size=1m"), 0) << std::strerror(errno);
    mounted_ = true;
    state_ = mount_point_ / "state";
    tlog_ = mount_point_ / "tlog";
    // All but ~48 KiB taken: the store and the log fill the rest within a
    // few dozen records.
    {
        std::ofstream filler(mount_point_ / "filler", std::ios::binary);
        const std::string block(4096, 'x');
        for (int i = 0; i < 244; ++i) filler << block;
    }
    // 15 copies, 0.5 s apart: 75 records over 7.5 s, room enough once freed
    // (a tmpfs file takes a 4 KiB page at least: each evidence pcap too).
    constexpr int kCopies = 15;
    write_copies(dir_ / "many.pcap", 1, kCopies, 1700000000, {0, 1, 2});
    const int metrics_port = test::reserved_port();
    test::Spawned live({DNSWATCH_BINARY, "run", "--config",
                        config(dir_ / "many.pcap", "full", "  speed: 2x\n",
                               "metrics:\n  listen: 127.0.0.1:" + std::to_string(metrics_port) + "\n")
                            .string()},
                       dir_ / "full.out", dir_ / "full.err");
    // Loud: a log line, and /metrics says what is held.
    ASSERT_TRUE(test::eventually([&] { return live.err().find("store_failing") != std::string::npos || !live.running(); },
                                 std::chrono::seconds(30)))
        << live.err();
    ASSERT_TRUE(live.running()) << live.err();
    const test::HttpReply scrape = test::http_request(static_cast<std::uint16_t>(metrics_port), "GET", "/metrics");
    const auto metric = [&](const std::string& series) {
        const auto at = scrape.body.find("\n" + series + " ");
        return at == std::string::npos ? -1.0 : std::stod(scrape.body.substr(at + series.size() + 2));
    };
    // The store or the log (whichever the disk refused first) holds records.
    EXPECT_GT(metric("dnswatch_store_held_records{store=\"alerts\"}") + metric("dnswatch_store_held_records{store=\"tlog\"}"), 0)
        << scrape.body;
    EXPECT_GT(metric("dnswatch_store_write_failures_total{store=\"alerts\"}") +
                  metric("dnswatch_store_write_failures_total{store=\"tlog\"}"), 0)
        << scrape.body;
    const std::size_t published_while_full = test::lines_of(live.out()).size();
    EXPECT_GT(published_while_full, 0u);
    // The disk frees: what was held is written.
    fs::remove(mount_point_ / "filler");
    EXPECT_EQ(live.wait(600), 0) << live.err();
    EXPECT_NE(live.err().find("store_writing_again"), std::string::npos) << live.err();
    EXPECT_NE(live.err().find("0 records held in memory"), std::string::npos) << live.err();

    // Every alert reached the other output (stdout), and every one is stored, in order, no gap.
    const auto published = json_lines(live.out());
    const auto records = stored();
    EXPECT_EQ(published.size(), kCopies * 5u);
    // The store holds the incident records too (issue 16), in the same sequence.
    std::size_t alert_records = 0;
    for (const auto& [seq, record] : records) alert_records += record["schema"] == "dnswatch.alert/1";
    ASSERT_EQ(alert_records, published.size());
    std::uint64_t expected = 1;
    for (const auto& [seq, record] : records) EXPECT_EQ(seq, expected++);
    for (const json& alert : published) {
        const auto seq = alert["seq"].get<std::uint64_t>();
        ASSERT_TRUE(records.contains(seq));
        EXPECT_EQ(records.at(seq)["id"], alert["id"]);
    }
    const auto verified = verify();
    EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
    // And it starts again on that store.
    write_copies(dir_ / "quiet.pcap", 1, 1, 1700000000, {0});
    const auto restart = run_to_end(config(dir_ / "quiet.pcap", "quiet"));
    EXPECT_EQ(restart.exit_code, 0) << restart.err;
}

class TamperedLogTest : public DurableRunTest {
protected:
    void SetUp() override {
        DurableRunTest::SetUp();
        write_copies(dir_ / "first.pcap", 1, 2, 1700000000, {0, 1, 2});
        const auto first = run_to_end(config(dir_ / "first.pcap", "first"));
        ASSERT_EQ(first.exit_code, 0) << first.err;
        fs::copy_file(tlog_ / "checkpoint", dir_ / "auditor-early.checkpoint");
        fs::copy(tlog_, dir_ / "tlog-early", fs::copy_options::recursive);
        write_copies(dir_ / "second.pcap", 3, 2, 1700001000, {0, 1, 2});
        const auto second = run_to_end(config(dir_ / "second.pcap", "second"));
        ASSERT_EQ(second.exit_code, 0) << second.err;
        // What an auditor fetched last.
        fs::copy_file(tlog_ / "checkpoint", dir_ / "auditor.checkpoint");
        ASSERT_EQ(verify((dir_ / "auditor.checkpoint").string()).exit_code, 0);
        write_copies(dir_ / "quiet.pcap", 1, 1, 1700002000, {0});
    }
    // What an attacker without the key can do to the files.
    void append_raw(const std::string& entry) {
        std::ofstream entries(tlog_ / "entries", std::ios::binary | std::ios::app);
        const auto n = static_cast<std::uint32_t>(entry.size());
        entries << static_cast<char>(n >> 24) << static_cast<char>(n >> 16) << static_cast<char>(n >> 8)
                << static_cast<char>(n) << entry;
        const merkle::Hash leaf = merkle::leaf_hash({reinterpret_cast<const std::uint8_t*>(entry.data()), entry.size()});
        std::ofstream(tlog_ / "hashes", std::ios::binary | std::ios::app).write(reinterpret_cast<const char*>(leaf.data()), 32);
    }
    // A start on the tampered log: refused, nothing signed.
    void expect_refused_at_start(const std::string& why) {
        const std::string before = fs::exists(tlog_ / "checkpoint") ? test::slurp(tlog_ / "checkpoint") : "";
        const auto start = run_to_end(config(dir_ / "quiet.pcap", "quiet"));
        EXPECT_NE(start.exit_code, 0) << start.err;
        EXPECT_NE(start.err.find(why), std::string::npos) << start.err;
        const std::string after = fs::exists(tlog_ / "checkpoint") ? test::slurp(tlog_ / "checkpoint") : "";
        EXPECT_EQ(after, before) << "a checkpoint was signed over the tampered log";
    }
    void expect_refused_by_verify_against(const std::string& why) {
        const auto checked = verify((dir_ / "auditor.checkpoint").string());
        EXPECT_EQ(checked.exit_code, 1) << checked.out;
        EXPECT_NE((checked.out + checked.err).find(why), std::string::npos) << checked.out << checked.err;
    }
};

TEST_F(TamperedLogTest, AGenuineLogStartsAndVerifies) {
    const auto start = run_to_end(config(dir_ / "quiet.pcap", "quiet"));
    EXPECT_EQ(start.exit_code, 0) << start.err;
    EXPECT_EQ(verify((dir_ / "auditor.checkpoint").string()).exit_code, 0);
    EXPECT_EQ(verify((dir_ / "auditor-early.checkpoint").string()).exit_code, 0);
}

TEST_F(TamperedLogTest, AForgedTailIsRefused) {
    json forged = stored().rbegin()->second;
    forged["seq"] = forged["seq"].get<std::uint64_t>() + 1;
    forged["tlog_index"] = forged["tlog_index"].get<std::int64_t>() + 1;
    forged["name"] = "attacker.victim.test";
    append_raw(forged.dump());
    EXPECT_EQ(verify().exit_code, 0);  // alone, the log only says "not yet checkpointed"
    expect_refused_at_start("forged tail");
    expect_refused_by_verify_against("signed by nothing");
}

TEST_F(TamperedLogTest, AnAlteredEntryWithItsCheckpointDeletedIsRefused) {
    // Entry 2 rewritten, its hash with it, and the checkpoint that signed the original deleted.
    LogReader reader(tlog_.string());
    reader.refresh();
    std::vector<std::string> entries;
    for (std::uint64_t i = 0; i < reader.contents().kept(); ++i) entries.push_back(reader.entry(i));
    json altered = json::parse(entries[2]);
    altered["observed"] = json::array({"192.0.2.10"});
    entries[2] = altered.dump();
    fs::remove(tlog_ / "entries");
    fs::remove(tlog_ / "hashes");
    fs::remove(tlog_ / "checkpoint");
    for (const std::string& entry : entries) append_raw(entry);
    expect_refused_at_start("refusing to sign");
    expect_refused_by_verify_against("checkpoint");
}

TEST_F(TamperedLogTest, ARollbackToAnOlderGenuineCheckpointIsRefused) {
    fs::remove_all(tlog_);
    fs::copy(dir_ / "tlog-early", tlog_, fs::copy_options::recursive);
    EXPECT_EQ(verify().exit_code, 0);  // alone, the older log verifies
    expect_refused_at_start("rolled back");
    expect_refused_by_verify_against("rolled back");
}

}  // namespace
}  // namespace dnswatch
