// The sensor's state across restarts, end to end with the real binary:
// open alerts survive a restart and revert under their id; a SIGKILL
// mid-run loses no stored alert and leaves a transparency log that verifies.
#include <gtest/gtest.h>

#include <pcap/pcap.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "capture/pcap_file_source.h"
#include "publish/alert_store.h"
#include "tests/support/run_command.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;
const fs::path kSamples = fs::path(DNSWATCH_SOURCE_DIR) / "samples";

std::vector<nlohmann::json> parse_lines(const std::string& text) {
    std::vector<nlohmann::json> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
}

// Writes frames [first, last] of `source`, `copies` times; in copy k the
// responder's IPv4 address (the source of port-53 packets) ends in k, so
// each copy opens alerts of its own.
void write_frames(const fs::path& source, const fs::path& out, std::uint64_t first, std::uint64_t last,
                  int copies = 1) {
    PcapFileSource input(source.string());
    std::vector<std::pair<pcap_pkthdr, std::vector<std::uint8_t>>> frames;
    PacketBatch batch;
    while (input.next_batch(batch)) {
        for (const PacketView& p : batch) {
            if (p.frame_number < first || p.frame_number > last) continue;
            pcap_pkthdr header{};
            header.ts.tv_sec = p.time_us / 1000000;
            header.ts.tv_usec = p.time_us % 1000000;
            header.caplen = static_cast<bpf_u_int32>(p.bytes.size());
            header.len = p.wire_length;
            frames.emplace_back(header, std::vector<std::uint8_t>(p.bytes.begin(), p.bytes.end()));
        }
    }
    pcap_t* dead = pcap_open_dead(input.link_type(), 65535);
    pcap_dumper_t* dumper = pcap_dump_open(dead, out.c_str());
    for (int k = 0; k < copies; ++k) {
        for (auto [header, bytes] : frames) {
            const bool from_server = bytes.size() > 36 && bytes[34] == 0 && bytes[35] == 53;  // UDP source port 53
            if (from_server && copies > 1) bytes[29] = static_cast<std::uint8_t>(k % 250 + 1);
            header.ts.tv_sec += k;
            pcap_dump(reinterpret_cast<u_char*>(dumper), &header, bytes.data());
        }
    }
    pcap_dump_close(dumper);
    pcap_close(dead);
}

class DurableReplayTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("dnswatch-durable-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        const auto key = run({DNSWATCH_BINARY, "tlog", "keygen", "--name", "dnswatch.test/sensor", "--key",
                              (dir_ / "tlog.key").string()});
        ASSERT_EQ(key.exit_code, 0) << key.err;
        std::ofstream(dir_ / "dnswatch.yaml")
            << "sensor:\n  id: durable-test\n"
            << "watch:\n  zones:\n    - name: victim.test\n      zone_file: " << (kSamples / "victim.test.zone").string()
            << "\nbaseline:\n  zone_files: [" << (kSamples / "test.zone").string() << "]\n"
            << "state:\n  dir: state\n"
            << "transparency_log:\n  dir: tlog\n  key_file: tlog.key\n";
    }
    void TearDown() override { fs::remove_all(dir_); }

    test::CommandResult run(const std::vector<std::string>& argv) { return test::run_command(argv, dir_); }
    test::CommandResult replay(const fs::path& pcap) {
        return run({DNSWATCH_BINARY, "replay", "--config", (dir_ / "dnswatch.yaml").string(), pcap.string()});
    }
    std::vector<std::uint64_t> stored_seqs() {
        std::vector<std::uint64_t> seqs;
        scan_alert_store((dir_ / "state" / "alerts.jsonl").string(), 0, [&](std::uint64_t seq, std::string_view) {
            seqs.push_back(seq);
            return true;
        });
        return seqs;
    }
    test::CommandResult verify() {
        return run({DNSWATCH_BINARY, "tlog", "verify", "--dir", (dir_ / "tlog").string(), "--key",
                    (dir_ / "tlog.key.pub").string()});
    }

    fs::path dir_;
};

TEST_F(DurableReplayTest, ARestartMidHijackKeepsTheOpenAlertAndReportsItsRevert) {
    write_frames(kSamples / "hijack.pcap", dir_ / "before.pcap", 1, 24);  // normal + hijack
    write_frames(kSamples / "hijack.pcap", dir_ / "after.pcap", 25, 32);  // the restore
    const auto first = replay(dir_ / "before.pcap");
    ASSERT_EQ(first.exit_code, 0) << first.err;
    const auto opened = parse_lines(first.out);
    ASSERT_EQ(opened.size(), 4u);
    EXPECT_EQ(opened[0]["state"], "open");
    EXPECT_EQ(opened[0]["vantage"]["server"], "127.0.0.10");

    const auto second = replay(dir_ / "after.pcap");  // a new process
    ASSERT_EQ(second.exit_code, 0) << second.err;
    const auto reverted = parse_lines(second.out);
    ASSERT_EQ(reverted.size(), 1u);
    EXPECT_EQ(reverted[0]["state"], "reverted");
    EXPECT_EQ(reverted[0]["id"], opened[0]["id"]);
    EXPECT_EQ(reverted[0]["first_seen"], opened[0]["first_seen"]);
    // The incident too survived the restart: the revert reports into it.
    EXPECT_EQ(reverted[0]["incident_id"], opened[0]["incident_id"]);
    for (const auto& alert : opened) EXPECT_EQ(alert["incident_id"], opened[0]["incident_id"]);
    // The store numbers on across restarts: four alerts and after each the
    // incident record, then the revert and the incident again.
    EXPECT_EQ(reverted[0]["seq"], 9);
    EXPECT_EQ(reverted[0]["tlog_index"], 8);
    EXPECT_TRUE(fs::exists(reverted[0]["evidence"]["pcap"].get<std::string>()));
    EXPECT_EQ(stored_seqs(), (std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
    EXPECT_EQ(verify().exit_code, 0) << verify().err;
}

TEST_F(DurableReplayTest, SigkillMidRunLosesNoStoredAlertAndTheLogStillVerifies) {
    write_frames(kSamples / "hijack.pcap", dir_ / "many.pcap", 1, 32, 400);
    const pid_t sensor = test::spawn_command(
        {DNSWATCH_BINARY, "replay", "--config", (dir_ / "dnswatch.yaml").string(), (dir_ / "many.pcap").string()},
        dir_ / "killed.out", dir_ / "killed.err");
    // Let it store a few hundred alerts (each fsync'd), then kill it hard.
    for (int i = 0; i < 1000 && stored_seqs().size() < 50; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ::kill(sensor, SIGKILL);
    EXPECT_EQ(test::wait_command(sensor), 128 + SIGKILL);
    const auto published = parse_lines(test::slurp(dir_ / "killed.out"));
    ASSERT_FALSE(published.empty()) << test::slurp(dir_ / "killed.err");

    // Restart on a capture with nothing new: the store and log are reopened
    // (a torn record cut off, unlogged records logged).
    write_frames(kSamples / "hijack.pcap", dir_ / "quiet.pcap", 1, 1);
    const auto restart = replay(dir_ / "quiet.pcap");
    ASSERT_EQ(restart.exit_code, 0) << restart.err;

    // Every alert anyone saw was stored first, and the store has no gap.
    const auto seqs = stored_seqs();
    for (std::size_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], i + 1);
    const std::set<std::uint64_t> stored(seqs.begin(), seqs.end());
    for (const auto& alert : published) EXPECT_TRUE(stored.contains(alert["seq"].get<std::uint64_t>())) << alert["seq"];
    const auto verified = verify();
    EXPECT_EQ(verified.exit_code, 0) << verified.err;
    EXPECT_NE(verified.out.find("verified " + std::to_string(seqs.size()) + " entries"), std::string::npos)
        << verified.out;

    // And the log is what makes tampering visible.
    {
        std::fstream entries(dir_ / "tlog" / "entries", std::ios::in | std::ios::out | std::ios::binary);
        entries.seekp(100);
        entries.put('#');
    }
    EXPECT_EQ(verify().exit_code, 1);
}

}  // namespace
}  // namespace dnswatch
