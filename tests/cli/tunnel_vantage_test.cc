// Issue 20, done when: a forged answer inside a GTP-U tunnel raises its
// alert, with the tunnel in its vantage. The capture is the
// single-response-change scenario's real traffic on an S1-U link
// (tests/decode/tunnel-captures/gtpu-forged-answer.pcap.py): replayed, and
// run through the live pipeline, it must raise the scenario's alerts, field
// for field, and each names the bearer the forged answer came down.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/cli/run_support.h"

namespace dnswatch {
namespace {

using nlohmann::json;
using test::lines_of;
namespace fs = std::filesystem;

const fs::path kSource = DNSWATCH_SOURCE_DIR;
const fs::path kScenario = kSource / "scenarios/single-response-change";
const fs::path kTunnelled = kSource / "tests/decode/tunnel-captures/gtpu-forged-answer.pcap";

class TunnelVantageTest : public ::testing::Test {
protected:
    void SetUp() override { dir_ = test::scratch_dir("tunnel"); }
    void TearDown() override { fs::remove_all(dir_); }

    std::vector<json> replay(const fs::path& capture) {
        const test::CommandResult r = test::run_command(
            {DNSWATCH_BINARY, "replay", "--config", (kScenario / "dnswatch.yaml").string(), capture.string()}, dir_);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        std::vector<json> alerts;
        for (const std::string& line : lines_of(r.out)) alerts.push_back(json::parse(line));
        return alerts;
    }

    fs::path dir_;
};

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

// The live pipeline hands the tunnel from its workers to its shards with
// each message: `run` over the capture emits what `replay` emits.
TEST_F(TunnelVantageTest, RunNamesTheTunnelAsReplayDoes) {
    const test::CommandResult replayed = test::run_command(
        {DNSWATCH_BINARY, "replay", "--config", (kScenario / "dnswatch.yaml").string(), kTunnelled.string()}, dir_);
    ASSERT_EQ(replayed.exit_code, 0) << replayed.err;
    const std::vector<std::string> expected = lines_of(replayed.out);
    ASSERT_FALSE(expected.empty());
    for (const auto& entry : fs::directory_iterator(kScenario)) {
        if (entry.path().extension() == ".zone") fs::copy_file(entry.path(), dir_ / entry.path().filename());
    }
    for (const char* shape : {"workers: 1\n  shards: 1", "workers: 2\n  shards: 2"}) {
        std::ifstream in(kScenario / "dnswatch.yaml");
        std::stringstream config;
        config << in.rdbuf() << "\ncapture:\n  source: pcap_file\n  files: [" << kTunnelled.string()
               << "]\npipeline:\n  " << shape << "\n";
        test::write_file(dir_ / "run.yaml", config.str());
        const test::CommandResult r =
            test::run_command({DNSWATCH_BINARY, "run", "--config", (dir_ / "run.yaml").string()}, dir_);
        ASSERT_EQ(r.exit_code, 0) << shape << "\n" << r.err;
        EXPECT_EQ(lines_of(r.out), expected) << shape << "\n" << r.err;
    }
}

}  // namespace
}  // namespace dnswatch
