// The transparency feed over ZeroMQ, end to end: a real XPUB socket (a PUB
// that also shows the subscriptions it receives, so that the test knows when
// the sensor listens) on a loopback port chosen at run time, the real
// dnswatch binary replaying the announced-change scenario streamed on its
// standard input, and the announcement sent while it runs.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <string>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "tests/cli/run_support.h"
#include "tests/support/piped_process.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kScenario = fs::path(DNSWATCH_SOURCE_DIR) / "scenarios/announced-change";
constexpr const char* kAnnouncement =
    R"({"zone":"victim.test","name":"victim.test","rrtype":"NS","rdata":["ns1.newdns.example.","ns2.newdns.example."],"effective":"2026-03-26T09:55:00.000000Z"})";

class FeedOverZmqTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = test::scratch_dir("feed");
        for (const char* file : {"victim.test.zone", "test.zone"}) fs::copy(kScenario / file, dir_ / file);
        publisher_.bind("tcp://127.0.0.1:*");
        endpoint_ = publisher_.get(zmq::sockopt::last_endpoint);
        parts_ = test::split_pcap(kScenario / "capture.pcap");
        ASSERT_EQ(parts_.records.size(), 26u);
    }
    void TearDown() override { fs::remove_all(dir_); }

    // `feed`: whether the sensor subscribes to the feed (only one sensor at a
    // time does, so that the subscription seen here is the current one's).
    fs::path config(const std::string& state, bool feed = true) {
        const fs::path path = dir_ / ("dnswatch-" + state + (feed ? "" : "-nofeed") + ".yaml");
        test::write_file(path, "sensor: {id: feed-test}\n"
                               "watch:\n  zones:\n    - name: victim.test\n      zone_file: victim.test.zone\n"
                               "baseline:\n  zone_files: [test.zone]\n"
                               + (feed ? "  transparency_feed_endpoint: " + endpoint_ + "\n" : std::string()) +
                               "state: {dir: " + state + ", fsync: false}\n");
        return path;
    }

    // Waits until the sensor's SUB has subscribed to "feed." here.
    bool subscribed() {
        zmq::pollitem_t item{publisher_.handle(), 0, ZMQ_POLLIN, 0};
        if (zmq::poll(&item, 1, std::chrono::milliseconds(10000)) == 0) return false;
        zmq::message_t message;
        if (!publisher_.recv(message)) return false;
        return message.to_string() == std::string("\x01") + "feed.";
    }

    void publish(const std::string& topic, const std::string& line) {
        publisher_.send(zmq::buffer(topic), zmq::send_flags::sndmore);
        publisher_.send(zmq::buffer(line), zmq::send_flags::none);
    }

    std::vector<json> alerts(const fs::path& path) {
        std::vector<json> out;
        for (const std::string& line : test::lines_of(test::slurp(path))) out.push_back(json::parse(line));
        return out;
    }

    fs::path dir_;
    zmq::context_t context_;
    zmq::socket_t publisher_{context_, zmq::socket_type::xpub};
    std::string endpoint_;
    test::PcapParts parts_;
};

TEST_F(FeedOverZmqTest, AnAnnouncementReceivedMidwayAcceptsTheOpenAlertsAndSurvivesARestart) {
    // Day 1, nothing announced yet: the move to newdns.example is a
    // divergence at the parent (referral) and at the new servers.
    const fs::path first = dir_ / "day1.pcap";
    test::write_file(first, parts_.join(0, 20));
    const test::CommandResult day1 = test::run_command(
        {DNSWATCH_BINARY, "replay", "--config", config("state", false).string(), "--alerts", (dir_ / "a1.jsonl").string(),
         first.string()},
        dir_);
    ASSERT_EQ(day1.exit_code, 0) << day1.err;
    std::set<std::string> open_ids;
    for (const json& alert : alerts(dir_ / "a1.jsonl")) {
        EXPECT_EQ(alert["rrtype"], "NS");
        EXPECT_EQ(alert["state"], "open");
        open_ids.insert(alert["id"].get<std::string>());
    }
    ASSERT_EQ(open_ids.size(), 2u) << test::slurp(dir_ / "a1.jsonl");

    // Day 2: the sensor restarts, streaming its capture from standard input;
    // the registry announces the change while it waits for packets.
    test::PipedProcess day2({DNSWATCH_BINARY, "replay", "--config", config("state").string(), "--alerts",
                             (dir_ / "a2.jsonl").string(), "-"},
                            dir_ / "out2.txt", dir_ / "err2.txt");
    ASSERT_TRUE(day2.started());
    ASSERT_TRUE(subscribed()) << test::slurp(dir_ / "err2.txt");
    // Bad messages first: counted and skipped, the sensor carries on.
    publish("feed.test.victim.", "{not json");
    publish("feed.example.other.", R"({"name":"other.example","rrtype":"A","rdata":["192.0.2.1"],"effective":"2026-03-26T09:55:00Z"})");
    publish("feed.test.victim.", kAnnouncement);
    ASSERT_TRUE(test::eventually(
        [&] {
            return test::slurp(dir_ / "err2.txt").find("event=feed_announcement name=victim.test rrtype=NS records=2") !=
                   std::string::npos;
        },
        std::chrono::seconds(10)))
        << test::slurp(dir_ / "err2.txt");
    ASSERT_TRUE(day2.write(parts_.join(20, 26)));
    ASSERT_EQ(day2.finish(), 0) << test::slurp(dir_ / "err2.txt");
    const std::string err2 = test::slurp(dir_ / "err2.txt");
    EXPECT_NE(err2.find("event=feed_message_rejected topic=feed.test.victim. reason=\"not an announced change"),
              std::string::npos)
        << err2;
    EXPECT_NE(err2.find("other.example is in no watched zone"), std::string::npos) << err2;

    std::set<std::string> accepted_ids;
    for (const json& alert : alerts(dir_ / "a2.jsonl")) {
        EXPECT_EQ(alert["state"], "accepted") << alert.dump();
        accepted_ids.insert(alert["id"].get<std::string>());
    }
    EXPECT_EQ(accepted_ids, open_ids);
    EXPECT_EQ(test::lines_of(test::slurp(dir_ / "state/feed-received.jsonl")),
              std::vector<std::string>{kAnnouncement});

    // A restart with the registry gone: the kept announcement still holds,
    // and the whole scenario replays without a single alert (its expected.json).
    fs::create_directories(dir_ / "fresh");
    fs::copy(dir_ / "state/feed-received.jsonl", dir_ / "fresh/feed-received.jsonl");
    publisher_.close();
    const test::CommandResult again = test::run_command(
        {DNSWATCH_BINARY, "replay", "--config", config("fresh").string(), "--alerts", (dir_ / "a3.jsonl").string(),
         (kScenario / "capture.pcap").string()},
        dir_);
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(test::slurp(dir_ / "a3.jsonl"), "");
}

}  // namespace
}  // namespace dnswatch
