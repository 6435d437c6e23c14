// `dnswatch tail` against a publishing side made of the real parts (durable
// store, ZeroMQ PUB, catch-up ROUTER) on loopback ports chosen at run time:
// a consumer stopped for part of a run, then restarted with --since, gets
// every alert exactly once, in order.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "publish/alert_store.h"
#include "publish/catch_up.h"
#include "publish/zmq_publisher.h"
#include "tests/publish/sample_alert.h"
#include "tests/support/run_command.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;

std::vector<std::uint64_t> seqs_in(const std::string& text) {
    std::vector<std::uint64_t> seqs;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) seqs.push_back(nlohmann::json::parse(line)["seq"]);
    return seqs;
}

class TailTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("dnswatch-tail-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        store_ = std::make_unique<AlertStore>((dir_ / "store").string());
        publisher_ = std::make_unique<ZmqPublisher>(context_, ZmqPublisherOptions{"tcp://127.0.0.1:*", 0, 100000});
        server_ = std::make_unique<CatchUpServer>(context_, store_->path(), "tcp://127.0.0.1:*");
        sink_ = std::make_unique<DurableAlertSink>(*store_, nullptr, *publisher_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    void publish(int n, const char* name = "victim.test") {
        for (int i = 0; i < n; ++i) {
            sink_->publish(testing::sample_alert(name));
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }

    pid_t start_tail(std::vector<std::string> args, const std::string& label) {
        args.insert(args.begin(), {DNSWATCH_BINARY, "tail", "--endpoint", publisher_->endpoint(), "--catchup",
                                   server_->endpoint()});
        return test::spawn_command(args, dir_ / (label + ".out"), dir_ / (label + ".err"));
    }
    std::string output(const std::string& label) { return test::slurp(dir_ / (label + ".out")); }

    // Waits until `label` has printed `n` lines (bounded).
    bool wait_lines(const std::string& label, std::size_t n) {
        for (int i = 0; i < 500; ++i) {
            if (seqs_in(output(label)).size() >= n) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return false;
    }

    fs::path dir_;
    zmq::context_t context_;
    std::unique_ptr<AlertStore> store_;
    std::unique_ptr<ZmqPublisher> publisher_;
    std::unique_ptr<CatchUpServer> server_;
    std::unique_ptr<DurableAlertSink> sink_;
};

TEST_F(TailTest, AConsumerStoppedMidRunResumesWithSinceAndMissesNothing) {
    publish(5);  // before any consumer
    const pid_t first = start_tail({"--since", "0"}, "first");
    ASSERT_TRUE(wait_lines("first", 5)) << test::slurp(dir_ / "first.err");
    publish(10);
    ASSERT_TRUE(wait_lines("first", 15)) << test::slurp(dir_ / "first.err");
    ::kill(first, SIGTERM);
    test::wait_command(first);
    publish(20);  // nobody listening
    const auto seen = seqs_in(output("first"));
    const std::uint64_t resume = seen.back();
    const pid_t second = start_tail({"--since", std::to_string(resume), "--count", std::to_string(50 - resume)}, "second");
    ASSERT_TRUE(wait_lines("second", 35 - resume)) << test::slurp(dir_ / "second.err");
    publish(15);  // live again
    EXPECT_EQ(test::wait_command(second), 0) << test::slurp(dir_ / "second.err");

    std::vector<std::uint64_t> all = seen;
    for (const auto seq : seqs_in(output("second"))) all.push_back(seq);
    ASSERT_EQ(all.size(), 50u);
    for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], i + 1) << "position " << i;
}

TEST_F(TailTest, ATopicPrefixFollowsOneZone) {
    const pid_t tail = start_tail({"--since", "0", "--topic", "alert.test.victim.", "--count", "4"}, "zone");
    publish(2, "evilvictim.test");
    publish(2, "mail.victim.test");
    publish(1, "evilvictim.test");
    publish(2, "victim.test");
    EXPECT_EQ(test::wait_command(tail), 0) << test::slurp(dir_ / "zone.err");
    EXPECT_EQ(seqs_in(output("zone")), (std::vector<std::uint64_t>{3, 4, 6, 7}));
}

TEST_F(TailTest, UsageMistakesExitTwo) {
    EXPECT_EQ(test::run_command({DNSWATCH_BINARY, "tail"}, dir_).exit_code, 2);
    EXPECT_EQ(test::run_command({DNSWATCH_BINARY, "tail", "--endpoint", "ipc:///x", "--since", "0"}, dir_).exit_code, 2);
    EXPECT_EQ(test::run_command({DNSWATCH_BINARY, "tail", "--endpoint", "tcp://127.0.0.1:1", "--since", "x"}, dir_).exit_code, 2);
}

}  // namespace
}  // namespace dnswatch
