// `dnswatch replay` end to end: the real binary on real captures, read the
// way a user reads it (exit status, alert lines, summary line).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <pcap/pcap.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/message_builder.h"
#include "tests/support/run_command.h"
#include "tests/support/scratch_dir.h"

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

class ReplayTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("dnswatch-replay-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    test::CommandResult replay(std::vector<std::string> args) {
        args.insert(args.begin(), {DNSWATCH_BINARY, "replay"});
        return test::run_command(args, dir_);
    }
    std::string sample_config() const { return (kSamples / "dnswatch.yaml").string(); }
    std::string sample_pcap() const { return (kSamples / "hijack.pcap").string(); }

    fs::path write(const std::string& name, const std::string& text) {
        std::ofstream(dir_ / name) << text;
        return dir_ / name;
    }

    fs::path dir_;
};

TEST_F(ReplayTest, TheSampleHijackOpensAndRevertsTheDelegationAlert) {
    const auto result = replay({"--config", sample_config(), sample_pcap()});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const auto alerts = parse_lines(result.out);
    ASSERT_EQ(alerts.size(), 5u) << result.out;

    // The parent's referral moved to the attacker's name servers...
    const auto& opened = alerts[0];
    EXPECT_EQ(opened["state"], "open");
    EXPECT_EQ(opened["name"], "victim.test");
    EXPECT_EQ(opened["rrtype"], "NS");
    EXPECT_EQ(opened["vantage"]["role"], "referral");
    EXPECT_EQ(opened["vantage"]["server"], "127.0.0.10");
    EXPECT_EQ(opened["first_seen"], "2026-03-14T09:02:00.000075Z");
    EXPECT_EQ(opened["observed"], (nlohmann::json{"ns1.victim-dns.example.", "ns2.victim-dns.example."}));
    EXPECT_EQ(opened["baseline"], (nlohmann::json{"ns1.victim.test.", "ns2.victim.test."}));
    EXPECT_EQ(opened["evidence"]["frame"], 14);

    // ...the attacker's own server answers for the zone...
    std::vector<std::string> attacker;
    for (const auto& alert : alerts) {
        if (alert["vantage"]["server"] == "127.0.0.66") {
            EXPECT_EQ(alert["state"], "open");
            attacker.push_back(alert["name"].get<std::string>() + "/" + alert["rrtype"].get<std::string>());
        }
    }
    EXPECT_EQ(attacker, (std::vector<std::string>{"victim.test/NS", "mail.victim.test/A", "www.victim.test/A"}));

    // ...and 47 minutes later the parent is back on the baseline.
    const auto& reverted = alerts.back();
    EXPECT_EQ(reverted["state"], "reverted");
    EXPECT_EQ(reverted["id"], opened["id"]);
    EXPECT_GT(reverted["seq"].get<int>(), opened["seq"].get<int>());
    EXPECT_EQ(reverted["last_seen"], "2026-03-14T09:49:00.000131Z");
    EXPECT_NEAR(reverted["duration_s"].get<double>(), 2820.0, 0.001);
    EXPECT_EQ(reverted["signals"].back(), "short_lived");

    EXPECT_NE(result.err.find("dnswatch replay: 32 packets, 32 DNS messages, 0 malformed, 5 alerts,"),
              std::string::npos)
        << result.err;
}

TEST_F(ReplayTest, AlertsCanGoToAFile) {
    const auto path = dir_ / "alerts.jsonl";
    write("alerts.jsonl", "stale line from an earlier run\n");
    const auto result = replay({"--config", sample_config(), "--alerts", path.string(), sample_pcap()});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_TRUE(result.out.empty());
    EXPECT_EQ(parse_lines(test::slurp(path)).size(), 5u);
}

TEST_F(ReplayTest, UsageMistakesExitTwo) {
    EXPECT_EQ(replay({}).exit_code, 2);
    EXPECT_EQ(replay({"--config", sample_config()}).exit_code, 2);  // no capture
    EXPECT_EQ(replay({sample_pcap()}).exit_code, 2);                // no config
    const auto unknown = replay({"--config", sample_config(), "--bogus", sample_pcap()});
    EXPECT_EQ(unknown.exit_code, 2);
    EXPECT_NE(unknown.err.find("unknown option '--bogus'"), std::string::npos);
    const auto help = replay({"--help"});
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find("usage: dnswatch replay --config FILE [--alerts FILE|-] PCAP..."), std::string::npos);
}

TEST_F(ReplayTest, ABadConfigIsRejectedWithItsLocation) {
    fs::copy(kSamples / "victim.test.zone", dir_ / "victim.test.zone");
    const auto config = write("bad.yaml",
                              "watch:\n"
                              "  zones:\n"
                              "    - name: victim.test\n"
                              "      zonefile: victim.test.zone\n");
    const auto result = replay({"--config", config.string(), sample_pcap()});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find(config.string() + ":4:7: "), std::string::npos) << result.err;
    EXPECT_TRUE(result.out.empty());
}

TEST_F(ReplayTest, ABrokenZoneFileIsRejectedWithItsLine) {
    write("victim.test.zone", "$TTL 300\n@ SOA ns1 hm 1 2 3 4 5\n@ NS ns1\nwww A 300.1.2.3\n");
    const auto config = write("dnswatch.yaml", "watch:\n  zones:\n    - name: victim.test\n      zone_file: victim.test.zone\n");
    const auto result = replay({"--config", config.string(), sample_pcap()});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find((dir_ / "victim.test.zone").string() + ":4:"), std::string::npos) << result.err;
}

// A registry's watch list as a file of names: each is watched for its
// delegation alone, from the parent's zone. The hijacked referral and the
// attacker's NS answer are judged against the parent's NS; the attacker's
// A records below the apex, which the parent's data does not hold, are not.
TEST_F(ReplayTest, AZonesFileWatchesEachDelegation) {
    write("watched.txt", "# registry-locked names\nvictim.test\n\n  other.test   # not in the capture\n");
    const auto config = write("dnswatch.yaml",
                              "watch:\n  zones_file: watched.txt\n"
                              "baseline:\n  zone_files: [" + (kSamples / "test.zone").string() + "]\n");
    const auto result = replay({"--config", config.string(), sample_pcap()});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    std::vector<std::string> seen;
    for (const auto& alert : parse_lines(result.out)) {
        seen.push_back(alert["state"].get<std::string>() + " " + alert["name"].get<std::string>() + "/" +
                       alert["rrtype"].get<std::string>() + " " + alert["vantage"]["server"].get<std::string>());
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"open victim.test/NS 127.0.0.10", "open victim.test/NS 127.0.0.66",
                                              "reverted victim.test/NS 127.0.0.10"}))
        << result.out;
}

TEST_F(ReplayTest, AZonesFileIsCheckedLineByLine) {
    write("watched.txt", "victim.test\nbad..name\n");
    const auto config = write("dnswatch.yaml", "watch:\n  zones_file: watched.txt\n");
    const auto bad = replay({"--config", config.string(), sample_pcap()});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find((dir_ / "watched.txt").string() + ":2: "), std::string::npos) << bad.err;

    write("watched.txt", "victim.test\nVictim.Test.\n");
    const auto twice = replay({"--config", config.string(), sample_pcap()});
    EXPECT_EQ(twice.exit_code, 2);
    EXPECT_NE(twice.err.find((dir_ / "watched.txt").string() + ":2: "), std::string::npos) << twice.err;
    EXPECT_NE(twice.err.find("watched twice"), std::string::npos) << twice.err;

    const auto nothing = write("nothing.yaml", "watch: {}\n");
    const auto none = replay({"--config", nothing.string(), sample_pcap()});
    EXPECT_EQ(none.exit_code, 2);
    EXPECT_NE(none.err.find("expected zones, zones_file or both"), std::string::npos) << none.err;
}

TEST_F(ReplayTest, MissingEmptyAndNonCaptureFilesAreIoErrors) {
    const auto missing = replay({"--config", sample_config(), (dir_ / "nope.pcap").string()});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.err.find((dir_ / "nope.pcap").string()), std::string::npos) << missing.err;
    const auto empty = write("empty.pcap", "");
    EXPECT_EQ(replay({"--config", sample_config(), empty.string()}).exit_code, 1);
    const auto text = write("text.pcap", "this is not a capture\n");
    EXPECT_EQ(replay({"--config", sample_config(), text.string()}).exit_code, 1);
    // Nothing was replayed: the bad file is found before any alert is written.
    EXPECT_TRUE(replay({"--config", sample_config(), sample_pcap(), empty.string()}).out.empty());
}

// A FIFO used to be opened twice (once to sniff its format) and waited on
// for ever; /dev/zero as the config was read until bad_alloc. Both are
// refused before a byte is read; a stream still goes in as "-".
TEST_F(ReplayTest, FifosAndDevicesAreRefusedNotWaitedOn) {
    const fs::path fifo = dir_ / "capture.fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    const auto from_fifo = replay({"--config", sample_config(), fifo.string()});
    EXPECT_EQ(from_fifo.exit_code, 1);
    EXPECT_NE(from_fifo.err.find(fifo.string() + ": not a regular file (a FIFO); to read a stream, give '-'"),
              std::string::npos)
        << from_fifo.err;
    const auto from_zero = replay({"--config", sample_config(), "/dev/zero"});
    EXPECT_EQ(from_zero.exit_code, 1);
    EXPECT_NE(from_zero.err.find("/dev/zero: not a regular file (a character device)"), std::string::npos)
        << from_zero.err;
    const auto zero_config = replay({"--config", "/dev/zero", sample_pcap()});
    EXPECT_EQ(zero_config.exit_code, 2);
    EXPECT_NE(zero_config.err.find("/dev/zero: cannot read config file (not a regular file (a character device))"),
              std::string::npos)
        << zero_config.err;
    EXPECT_TRUE(from_fifo.out.empty() && from_zero.out.empty() && zero_config.out.empty());
}

TEST_F(ReplayTest, ACaptureCutShortKeepsItsCompletePackets) {
    const std::string bytes = test::slurp(sample_pcap());
    const auto cut = write("cut.pcap", bytes.substr(0, bytes.size() - 10));
    const auto result = replay({"--config", sample_config(), cut.string()});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.err.find("capture ends inside a packet record"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("level=warn event=capture_truncated"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("packets_read=31"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("31 packets"), std::string::npos) << result.err;
}

// Hostile answers about the watched zone, each counted by kind and skipped;
// the true answer after them is still read.
TEST_F(ReplayTest, MalformedPacketsAreCountedAndSkipped) {
    const std::vector<std::uint8_t> question = {0x12, 0x34, 0x84, 0x00, 0, 1, 0, 1, 0, 0, 0, 0,
                                                6, 'v', 'i', 'c', 't', 'i', 'm', 4, 't', 'e', 's', 't', 0, 0, 2, 0, 1};
    auto with = [&](std::vector<std::uint8_t> tail, std::uint16_t ancount = 1) {
        std::vector<std::uint8_t> message = question;
        message[7] = static_cast<std::uint8_t>(ancount);
        message.insert(message.end(), tail.begin(), tail.end());
        return message;
    };
    std::vector<std::vector<std::uint8_t>> payloads = {
        with({1, 'a', 0xC0, 29, 0, 2, 0, 1, 0, 0, 0, 60, 0, 0}),      // compression loop
        with({0xC0, 40, 0, 2, 0, 1, 0, 0, 0, 60, 0, 0, 0, 0}),        // forward pointer
        with({}, 200),                                               // counts exceed bytes
        with({0xC0, 12, 0, 2, 0, 1, 0, 0, 0, 60, 0, 20, 3, 'n'}),     // rdata runs off the end
        {},                                                          // empty DNS payload
    };
    test::MessageSpec good;
    good.question = "victim.test. IN NS";
    good.answer = {"victim.test. 60 IN NS ns9.evil.example."};
    payloads.push_back(test::build_message(good));

    const auto path = dir_ / "malformed.pcap";
    pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
    pcap_dumper_t* dumper = pcap_dump_open(dead, path.c_str());
    ASSERT_NE(dumper, nullptr);
    long usec = 0;
    for (const auto& payload : payloads) {
        const auto frame = test::udp_frame(payload, "192.0.2.1", 53, "198.51.100.7", 40000);
        pcap_pkthdr header{};
        header.ts.tv_sec = 1700000000;
        header.ts.tv_usec = ++usec;
        header.caplen = header.len = static_cast<bpf_u_int32>(frame.size());
        pcap_dump(reinterpret_cast<u_char*>(dumper), &header, frame.data());
    }
    // A frame cut by the snap length in the middle of its DNS payload.
    const auto frame = test::udp_frame(test::build_message(good), "192.0.2.1", 53, "198.51.100.7", 40000);
    pcap_pkthdr header{};
    header.ts.tv_sec = 1700000001;
    header.caplen = 50;
    header.len = static_cast<bpf_u_int32>(frame.size());
    pcap_dump(reinterpret_cast<u_char*>(dumper), &header, frame.data());
    pcap_dump_close(dumper);
    pcap_close(dead);

    const auto result = replay({"--config", sample_config(), path.string()});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const auto alerts = parse_lines(result.out);
    ASSERT_EQ(alerts.size(), 1u);
    EXPECT_EQ(alerts[0]["observed"], (nlohmann::json{"ns9.evil.example."}));
    EXPECT_EQ(alerts[0]["evidence"]["frame"], 6);
    for (const char* kind : {"ip_truncated=1", "dns_pointer_loop=1", "dns_forward_pointer=1", "dns_count_exceeds_bytes=1",
                             "dns_truncated=1", "dns_truncated_header=1"}) {
        EXPECT_NE(result.err.find(kind), std::string::npos) << kind << "\n" << result.err;
    }
    EXPECT_NE(result.err.find("7 packets, 6 DNS messages, 6 malformed, 1 alerts"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace dnswatch

namespace dnswatch {
namespace {

// watch.zones[].versions end to end, on scenarios/registrar-hijack-reverted:
// the versions are what keeps the wire and the zone in step. Without them
// the same capture diverges from the first hijacked referral (the opposite
// of the point); with them it alerts only on the zone's own changes. `run`
// refuses the key (its baseline follows the live zone).
class ReplayZoneVersionsTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = test::scratch_dir("replay-versions");
        for (const auto& entry : fs::directory_iterator(kScenario)) fs::copy(entry.path(), dir_ / entry.path().filename());
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::vector<nlohmann::json> replay(const fs::path& config, int want_exit = 0) {
        const test::CommandResult result = test::run_command(
            {DNSWATCH_BINARY, "replay", "--changes", "--config", config.string(), (dir_ / "capture.pcap").string()},
            dir_);
        EXPECT_EQ(result.exit_code, want_exit) << result.err;
        err_ = result.err;
        return parse_lines(result.out);
    }
    static std::vector<std::string> kinds(const std::vector<nlohmann::json>& records) {
        std::vector<std::string> out;
        for (const auto& r : records) out.push_back(r.value("schema", "") == "dnswatch.change/1" ? "change" : r.value("kind", ""));
        return out;
    }

    const fs::path kScenario = fs::path(DNSWATCH_SOURCE_DIR) / "scenarios" / "registrar-hijack-reverted";
    fs::path dir_;
    std::string err_;
};

TEST_F(ReplayZoneVersionsTest, WithoutTheVersionsTheSameCaptureDivergesWithThemOnlyTheChangesAlert) {
    // The config as the folder has it, less its versions.
    std::ifstream in(dir_ / "dnswatch.yaml");
    std::string yaml, line;
    bool in_versions = false;
    while (std::getline(in, line)) {
        if (line.find("versions:") != std::string::npos) in_versions = true;
        else if (in_versions && line.rfind("        ", 0) != 0) in_versions = false;
        if (!in_versions) yaml += line + "\n";
    }
    std::ofstream(dir_ / "static.yaml") << yaml;
    const auto static_records = replay(dir_ / "static.yaml");
    const auto static_kinds = kinds(static_records);
    EXPECT_NE(std::find(static_kinds.begin(), static_kinds.end(), "rrset_divergence"), static_kinds.end())
        << "a static baseline sees the served hijack as a divergence";
    EXPECT_EQ(std::find(static_kinds.begin(), static_kinds.end(), "change"), static_kinds.end());
    EXPECT_EQ(err_.find("zone versions:"), std::string::npos);

    const auto record_kinds = kinds(replay(dir_ / "dnswatch.yaml"));
    for (const auto& kind : record_kinds) {
        EXPECT_TRUE(kind == "change" || kind == "suspicious_change" || kind == "short_lived_change") << kind;
    }
    EXPECT_EQ(std::count(record_kinds.begin(), record_kinds.end(), "change"), 8);
    EXPECT_NE(err_.find("zone versions: 2 of 2 applied"), std::string::npos) << err_;
}

TEST_F(ReplayZoneVersionsTest, ARunConfigWithVersionsIsRefused) {
    std::ofstream(dir_ / "dnswatch.yaml", std::ios::app) << "capture:\n  source: pcap_file\n  files: [capture.pcap]\n";
    const test::CommandResult run =
        test::run_command({DNSWATCH_BINARY, "run", "--config", (dir_ / "dnswatch.yaml").string()}, dir_);
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_NE(run.err.find("watch.zones[0].versions (test): versions are applied by packet time"), std::string::npos)
        << run.err;
}

}  // namespace
}  // namespace dnswatch
