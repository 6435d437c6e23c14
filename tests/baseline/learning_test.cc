// Learning mode, end to end with the real dnswatch binary: a zone watched
// with no zone file at all (learn: true), answers built with ldns and laid
// out over hours of packet time. An RRset joins the baseline only once no
// new rdata has been seen for stable_for; nothing alerts before; what was
// learned survives a restart (state.dir/learned.jsonl), after which a
// divergence alerts as usual; `run` keeps it as it is learned, so that even
// a crash keeps it.
#include <gtest/gtest.h>

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "publish/alert_store.h"
#include "tests/cli/run_support.h"
#include "tests/support/answer_capture.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::int64_t kStart = 1772323200;  // 2026-03-01T00:00:00Z
constexpr std::int64_t kMinute = 60;

using Answer = test::TimedAnswer;

void write_capture(const fs::path& path, const std::vector<Answer>& answers) {
    test::write_answer_capture(path, kStart, answers);
}

class LearningTest : public ::testing::Test {
protected:
    void SetUp() override { dir_ = test::scratch_dir("learn"); }
    void TearDown() override { fs::remove_all(dir_); }

    fs::path config(const std::string& state) {
        const fs::path path = dir_ / (state + ".yaml");
        test::write_file(path, "sensor: {id: learn-test}\n"
                               "watch:\n  zones:\n    - name: victim.test\n      learn: true\n"
                               "baseline:\n  learning:\n    stable_for: 1h\n"
                               "state: {dir: " + state + ", fsync: false}\n");
        return path;
    }

    std::vector<json> replay(const std::string& state, const fs::path& pcap) {
        const fs::path alerts = dir_ / (state + "-" + pcap.stem().string() + ".jsonl");
        const test::CommandResult r = test::run_command(
            {DNSWATCH_BINARY, "replay", "--config", config(state).string(), "--alerts", alerts.string(), pcap.string()},
            dir_);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        last_err_ = r.err;
        std::vector<json> out;
        for (const std::string& line : test::lines_of(test::slurp(alerts))) out.push_back(json::parse(line));
        return out;
    }

    fs::path dir_;
    std::string last_err_;
};

const char* kWww = "www.victim.test. IN A";
const char* kMail = "mail.victim.test. IN A";

TEST_F(LearningTest, AnRRsetStableForTheConfiguredTimeJoinsTheBaselineAndSurvivesARestart) {
    const fs::path first = dir_ / "first.pcap";
    write_capture(first, {
        {0, kWww, {"www.victim.test. 300 IN A 192.0.2.10"}},
        // New rdata: the clock starts again at 10 minutes.
        {10 * kMinute, kWww, {"www.victim.test. 300 IN A 192.0.2.11", "www.victim.test. 300 IN A 192.0.2.10"}},
        // A resolver's answer is never learned from, and raises nothing while learning.
        {20 * kMinute, kWww, {"www.victim.test. 300 IN A 203.0.113.9"}, true},
        {30 * kMinute, kWww, {"www.victim.test. 300 IN A 192.0.2.10"}},   // a subset: nothing new
        {60 * kMinute, kMail, {"mail.victim.test. 300 IN A 192.0.2.25"}},
        {65 * kMinute, kWww, {"www.victim.test. 300 IN A 192.0.2.11"}},   // 55 min stable: not yet
        {75 * kMinute, kWww, {"www.victim.test. 300 IN A 192.0.2.10"}},   // 65 min: learned
    });
    EXPECT_TRUE(replay("state", first).empty());
    // All 7 answers counted as learning (the resolver's too; the last one
    // completed www); one clock restart (new rdata at 10 minutes).
    EXPECT_NE(last_err_.find("baseline: snapshots=1, learning=7, learned=1, learning_restarts=1, learning_full=0"),
              std::string::npos)
        << last_err_;
    const std::vector<std::string> learned = test::lines_of(test::slurp(dir_ / "state/learned.jsonl"));
    ASSERT_EQ(learned.size(), 2u);
    json www, mail;
    for (const std::string& line : learned) (json::parse(line)["name"] == "www.victim.test" ? www : mail) = json::parse(line);
    EXPECT_TRUE(www["learned"].get<bool>());
    EXPECT_EQ(www["rdata"], json({"192.0.2.10", "192.0.2.11"}));  // never the resolver's 203.0.113.9
    EXPECT_EQ(www["changed"], "2026-03-01T00:10:00.000200Z");
    EXPECT_FALSE(mail["learned"].get<bool>());
    // Joining the baseline is a change of it, recorded like a transfer's
    // (issue 14), at the packet time that completed it.
    const auto changes = [&] {
        std::vector<json> out;
        scan_alert_store((dir_ / "state/alerts.jsonl").string(), 0, [&](std::uint64_t, std::string_view line) {
            if (json::parse(line)["schema"] == "dnswatch.change/1") out.push_back(json::parse(line));
            return true;
        });
        return out;
    };
    ASSERT_EQ(changes().size(), 1u) << test::slurp(dir_ / "state/alerts.jsonl");
    const json change = changes()[0];
    EXPECT_EQ(change["name"], "www.victim.test");
    EXPECT_EQ(change["zone"], "victim.test");
    EXPECT_EQ(change["rrtype"], "A");
    EXPECT_EQ(change["source"], "learned");
    EXPECT_EQ(change["op"], "update");
    EXPECT_EQ(change["before"], json::array());
    EXPECT_EQ(change["after"], json({"192.0.2.10", "192.0.2.11"}));
    EXPECT_EQ(change["sensor"], "learn-test");
    EXPECT_EQ(change["time"], "2026-03-01T01:15:00.000200Z");

    // After a restart: www is judged against what was learned; mail, still
    // learning, shows new rdata and starts again, without an alert.
    const fs::path second = dir_ / "second.pcap";
    write_capture(second, {
        {120 * kMinute, kWww, {"www.victim.test. 300 IN A 203.0.113.66"}},
        {121 * kMinute, kMail, {"mail.victim.test. 300 IN A 198.51.100.25"}},
        {125 * kMinute, kWww, {"www.victim.test. 300 IN A 192.0.2.11"}},
    });
    const std::vector<json> alerts = replay("state", second);
    ASSERT_EQ(alerts.size(), 2u);
    EXPECT_EQ(alerts[0]["kind"], "rrset_divergence");
    EXPECT_EQ(alerts[0]["name"], "www.victim.test");
    EXPECT_EQ(alerts[0]["state"], "open");
    EXPECT_EQ(alerts[0]["baseline"], json({"192.0.2.10", "192.0.2.11"}));
    EXPECT_EQ(alerts[0]["observed"], json({"203.0.113.66"}));
    EXPECT_EQ(alerts[0]["first_seen"], "2026-03-01T02:00:00.000200Z");
    EXPECT_EQ(alerts[1]["id"], alerts[0]["id"]);
    EXPECT_EQ(alerts[1]["state"], "reverted");

    EXPECT_EQ(changes().size(), 1u) << "what was learned before the restart is no new change";

    // The same second capture with nothing learned before: all still learning.
    EXPECT_TRUE(replay("fresh", second).empty());
}

// `dnswatch run` (two workers, two shards) saves what it learns while it
// runs: killed with SIGKILL in the middle of a capture, it has kept www's
// learned RRset, which a restart then judges against.
TEST_F(LearningTest, RunKeepsWhatItLearnsThroughACrash) {
    const fs::path capture = dir_ / "long.pcap";
    write_capture(capture, {
        {0, kWww, {"www.victim.test. 300 IN A 192.0.2.10"}},
        {30 * kMinute, kWww, {"www.victim.test. 300 IN A 192.0.2.10"}},
        {65 * kMinute, kWww, {"www.victim.test. 300 IN A 192.0.2.10"}},  // 65 min stable: learned
        {24 * 60 * kMinute, kWww, {"www.victim.test. 300 IN A 192.0.2.10"}},  // a day later: never reached
    });
    // An hour of packet time per second: www is learned about a second in,
    // and the run would last a day's worth of 24 seconds.
    const fs::path run_config = config("state");
    {
        std::ofstream out(run_config, std::ios::app);
        out << "capture:\n  source: pcap_file\n  speed: 3600x\n  files: [" << capture.string() << "]\n"
            << "pipeline:\n  workers: 2\n  shards: 2\nstats:\n  interval: 0\n";
    }
    test::Spawned run({DNSWATCH_BINARY, "run", "--config", run_config.string()}, dir_ / "run.out", dir_ / "run.err");
    const fs::path learned = dir_ / "state/learned.jsonl";
    ASSERT_TRUE(test::eventually(
        [&] {
            const std::string text = test::slurp(learned);
            return text.find("\"learned\":true") != std::string::npos;
        },
        std::chrono::seconds(15)))
        << test::slurp(learned) << test::slurp(dir_ / "run.err");
    ASSERT_TRUE(run.running()) << "the run should still be replaying the day";
    run.stop(SIGKILL);

    const std::vector<std::string> lines = test::lines_of(test::slurp(learned));
    ASSERT_EQ(lines.size(), 1u);
    const json www = json::parse(lines[0]);
    EXPECT_EQ(www["name"], "www.victim.test");
    EXPECT_TRUE(www["learned"].get<bool>());
    EXPECT_EQ(www["rdata"], json({"192.0.2.10"}));

    // The restart judges www against it.
    const fs::path after = dir_ / "after.pcap";
    write_capture(after, {{120 * kMinute, kWww, {"www.victim.test. 300 IN A 203.0.113.66"}}});
    const std::vector<json> alerts = replay("state", after);
    ASSERT_EQ(alerts.size(), 1u);
    EXPECT_EQ(alerts[0]["observed"], json({"203.0.113.66"}));
}

TEST_F(LearningTest, AZoneWithoutAnySourceIsRejectedWhereItIsWritten) {
    const fs::path path = dir_ / "bad.yaml";
    test::write_file(path, "watch:\n  zones:\n    - name: victim.test\n      learn: false\n");
    const test::CommandResult r =
        test::run_command({DNSWATCH_BINARY, "check-config", "--config", path.string()}, dir_);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find(path.string() + ":3:7: watch.zones[0]: expected zone_file, primary or learn: true"),
              std::string::npos)
        << r.err;
    test::write_file(path, "watch:\n  zones:\n    - name: victim.test\n      learn: true\n"
                           "baseline:\n  learning:\n    stable_for: 2 days\n");
    const test::CommandResult bad_duration =
        test::run_command({DNSWATCH_BINARY, "check-config", "--config", path.string()}, dir_);
    EXPECT_EQ(bad_duration.exit_code, 2);
    EXPECT_NE(bad_duration.err.find(":7:17: baseline.learning.stable_for: expected a duration"), std::string::npos)
        << bad_duration.err;
}

}  // namespace
}  // namespace dnswatch
