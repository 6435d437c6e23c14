// Issue 20, done when: a forged answer inside a GTP-U tunnel raises its
// alert, with the tunnel in its vantage. Two captures, each replayed and run
// through the live pipeline: a real Gn link that OsmoGGSN carried, on which
// the name server behind the gateway answers www.victim.test A with an
// address outside the baseline (tests/decode/tunnel-captures/osmo-ggsn:
// each alert must name the bearer as tshark reads it from the frame that
// raised it), and the single-response-change scenario's real traffic on an
// S1-U link (tests/decode/tunnel-captures/gtpu-forged-answer.pcap.py: the
// scenario's alerts, field for field, each naming the bearer).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/cli/run_support.h"

namespace dnswatch {
namespace {

using nlohmann::json;
using test::lines_of;
namespace fs = std::filesystem;

const fs::path kSource = DNSWATCH_SOURCE_DIR;
const fs::path kScenario = kSource / "scenarios/single-response-change";
const fs::path kTunnelled = kSource / "tests/decode/tunnel-captures/gtpu-forged-answer.pcap";
const fs::path kGnLink = kSource / "tests/decode/tunnel-captures/osmo-ggsn";
const char* const kTshark = "/usr/bin/tshark";  // scripts/setup installs it

class TunnelVantageTest : public ::testing::Test {
protected:
    void SetUp() override { dir_ = test::scratch_dir("tunnel"); }
    void TearDown() override { fs::remove_all(dir_); }

    std::vector<json> replay(const fs::path& capture, const fs::path& config = kScenario / "dnswatch.yaml") {
        const test::CommandResult r =
            test::run_command({DNSWATCH_BINARY, "replay", "--config", config.string(), capture.string()}, dir_);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        std::vector<json> alerts;
        for (const std::string& line : lines_of(r.out)) alerts.push_back(json::parse(line));
        return alerts;
    }

    // The GTP-U bearer of every frame that has one, as tshark reads it in
    // one run over the capture, in the vantage's terms: the TEID and the
    // outer IPv4 header's addresses.
    std::map<std::uint64_t, json> bearers_of(const fs::path& capture) {
        const test::CommandResult r =
            test::run_command({kTshark, "-n", "-r", capture.string(), "-Y", "gtp.teid", "-T", "fields", "-E",
                               "occurrence=f", "-E", "separator=,", "-e", "frame.number", "-e", "gtp.teid", "-e",
                               "ip.src", "-e", "ip.dst"},
                              dir_);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        std::map<std::uint64_t, json> bearers;
        for (const std::string& line : lines_of(r.out)) {
            std::vector<std::string> fields;
            std::istringstream in(line);
            for (std::string field; std::getline(in, field, ',');) fields.push_back(field);
            if (fields.size() != 4) continue;
            bearers[std::stoull(fields[0])] = {{"protocol", "gtp_u"},
                                               {"teid", std::stoul(fields[1], nullptr, 0)},
                                               {"outer_src", fields[2]},
                                               {"outer_dst", fields[3]}};
        }
        return bearers;
    }

    // `dnswatch run` with the capture as its pcap_file source, one worker and
    // shard, then two, must emit what `replay` emits: the workers hand the
    // tunnel to the shards with each message.
    void expect_run_as_replay(const fs::path& capture, const fs::path& config) {
        const test::CommandResult replayed =
            test::run_command({DNSWATCH_BINARY, "replay", "--config", config.string(), capture.string()}, dir_);
        ASSERT_EQ(replayed.exit_code, 0) << replayed.err;
        const std::vector<std::string> expected = lines_of(replayed.out);
        ASSERT_FALSE(expected.empty());
        for (const auto& entry : fs::directory_iterator(config.parent_path())) {
            if (entry.path().extension() == ".zone") {
                fs::copy_file(entry.path(), dir_ / entry.path().filename(), fs::copy_options::overwrite_existing);
            }
        }
        for (const char* shape : {"workers: 1\n  shards: 1", "workers: 2\n  shards: 2"}) {
            std::ifstream in(config);
            std::stringstream run_config;
            run_config << in.rdbuf() << "\ncapture:\n  source: pcap_file\n  files: [" << capture.string()
                       << "]\npipeline:\n  " << shape << "\n";
            test::write_file(dir_ / "run.yaml", run_config.str());
            const test::CommandResult r =
                test::run_command({DNSWATCH_BINARY, "run", "--config", (dir_ / "run.yaml").string()}, dir_);
            ASSERT_EQ(r.exit_code, 0) << shape << "\n" << r.err;
            EXPECT_EQ(lines_of(r.out), expected) << shape << "\n" << r.err;
        }
    }

    fs::path dir_;
};

// The real link: every alert names the bearer of the frame that raised or
// last updated it, and the first is the changed www.victim.test A answer
// the IPv4 subscriber received.
TEST_F(TunnelVantageTest, ForgedAnswerOnARealGnLinkNamesTheBearer) {
    ASSERT_TRUE(fs::exists(kTshark)) << "tshark is missing: scripts/setup installs it";
    const fs::path capture = kGnLink / "gn-link.pcap";
    const std::vector<json> alerts = replay(capture, kGnLink / "dnswatch.yaml");
    ASSERT_FALSE(alerts.empty());
    const std::map<std::uint64_t, json> bearers = bearers_of(capture);
    for (const json& alert : alerts) {
        ASSERT_TRUE(alert.at("vantage").contains("tunnel")) << alert.dump();
        const auto bearer = bearers.find(alert["evidence"]["frame"].get<std::uint64_t>());
        ASSERT_NE(bearer, bearers.end()) << alert.dump();
        EXPECT_EQ(alert["vantage"]["tunnel"], bearer->second) << alert.dump();
    }
    const json& first = alerts.front();
    EXPECT_EQ(first["kind"], "rrset_divergence");
    EXPECT_EQ(first["state"], "open");
    EXPECT_EQ(first["name"], "www.victim.test");
    EXPECT_EQ(first["rrtype"], "A");
    EXPECT_EQ(first["baseline"], json::array({"192.0.2.10", "192.0.2.11"}));
    EXPECT_EQ(first["observed"], json::array({"203.0.113.66"}));
    EXPECT_EQ(first["vantage"]["server"], "192.0.2.53");
    EXPECT_EQ(first["vantage"]["client"], "10.45.0.1");
    // Down the bearer from the gateway to the SGSN of the IPv4 subscriber.
    EXPECT_EQ(first["vantage"]["tunnel"]["outer_src"], "172.16.2.20");
    EXPECT_EQ(first["vantage"]["tunnel"]["outer_dst"], "172.16.1.10");
    // The IPv6 subscriber got the same answer down its own bearer, to the other SGSN.
    const auto v6 = std::find_if(alerts.begin(), alerts.end(),
                                 [](const json& a) { return a["vantage"]["client"] == "2001:db8:45:1::2"; });
    ASSERT_NE(v6, alerts.end());
    EXPECT_EQ((*v6)["observed"], json::array({"203.0.113.66"}));
    EXPECT_EQ((*v6)["vantage"]["server"], "2001:db8::53");
    EXPECT_EQ((*v6)["vantage"]["tunnel"]["outer_dst"], "172.16.1.11");
}

TEST_F(TunnelVantageTest, RunNamesTheBearerOfARealGnLinkAsReplayDoes) {
    expect_run_as_replay(kGnLink / "gn-link.pcap", kGnLink / "dnswatch.yaml");
}

TEST_F(TunnelVantageTest, ForgedAnswerInGtpURaisesItsAlertNamingTheBearer) {
    const std::vector<json> plain = replay(kScenario / "capture.pcap");
    const std::vector<json> tunnelled = replay(kTunnelled);
    ASSERT_FALSE(plain.empty());
    ASSERT_EQ(tunnelled.size(), plain.size());
    // The forged answer (frame 14) came down the bearer whose eNodeB end is
    // TEID 0xb3c4, from the SGW-U 172.16.2.20 to the eNodeB 172.16.1.10.
    const json bearer = {{"protocol", "gtp_u"}, {"teid", 0xb3c4}, {"outer_src", "172.16.2.20"},
                         {"outer_dst", "172.16.1.10"}};
    bool forged_seen = false;
    for (std::size_t i = 0; i < plain.size(); ++i) {
        json got = tunnelled[i];
        ASSERT_TRUE(got.at("vantage").contains("tunnel")) << got.dump();
        EXPECT_EQ(got["vantage"]["tunnel"], bearer) << got.dump();
        EXPECT_FALSE(plain[i].at("vantage").contains("tunnel")) << plain[i].dump();
        if (got["name"] == "www.victim.test" && got["rrtype"] == "A" && got["state"] == "open") {
            forged_seen = true;
            EXPECT_EQ(got["kind"], "rrset_divergence");
            EXPECT_EQ(got["evidence"]["frame"], 14);
            EXPECT_EQ(got["observed"], json::array({"203.0.113.66"}));
            EXPECT_EQ(got["vantage"]["server"], "127.0.0.11");
            EXPECT_EQ(got["vantage"]["client"], "127.0.0.100");
        }
        // Everything else is what the untunnelled capture raises.
        got["vantage"].erase("tunnel");
        got["evidence"].erase("source");
        json want = plain[i];
        want["evidence"].erase("source");
        EXPECT_EQ(got, want);
    }
    EXPECT_TRUE(forged_seen);
}

TEST_F(TunnelVantageTest, RunNamesTheTunnelAsReplayDoes) {
    expect_run_as_replay(kTunnelled, kScenario / "dnswatch.yaml");
}

}  // namespace
}  // namespace dnswatch
