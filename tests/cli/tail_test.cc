// `dnswatch tail` against a publishing side made of the real parts (durable
// store, ZeroMQ PUB, catch-up ROUTER) on loopback ports chosen at run time:
// a consumer stopped for part of a run, then restarted with --since, gets
// every alert exactly once, in order.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
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

// The exit code of `pid` if it has ended, else -1 (without waiting).
int try_wait_command(pid_t pid) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
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

TEST_F(TailTest, AHeartbeatRevealsWhatWasLostAtTheHighWaterMark) {
    // A consumer stops reading (SIGSTOP) while the sensor publishes far more
    // than its queue and the kernel's buffers hold: the PUB drops the rest
    // for it alone. Nothing more is published after that: unless a record
    // that got through shows the gap, tail stalls until the sensor's
    // heartbeats flow; then it fills the gap from the store. (Before, tail stalled at 3,891 of 10,000 while the
    // sensor ran on.)
    AlertStore store((dir_ / "burst").string(), /*fsync=*/false);
    ZmqPublisher pub(context_, ZmqPublisherOptions{"tcp://127.0.0.1:*", 0, 10});
    CatchUpServer server(context_, store.path(), "tcp://127.0.0.1:*");
    DurableAlertSink sink(store, nullptr, pub);
    // About 2.5 KB each, 75 MB in all: more than the loopback socket buffers
    // (up to 32 MB here) and the queues hold, so the PUB must drop.
    constexpr int kAlerts = 30000;
    Alert big = testing::sample_alert("victim.test");
    for (int i = 0; i < 48; ++i) big.observed.push_back("2001:db8:ffff:ffff:ffff:ffff:ffff:" + std::to_string(1000 + i));
    const pid_t tail = test::spawn_command({DNSWATCH_BINARY, "tail", "--endpoint", pub.endpoint(), "--catchup",
                                            server.endpoint(), "--since", "0", "--count", std::to_string(kAlerts),
                                            // The catch-up of 75 MB answers in well under 5 s (the
                                            // default), but not always in a sanitizer build beside
                                            // another build on two cores: the silence allowed is not
                                            // what this test is about.
                                            "--timeout", "60"},
                                           dir_ / "burst.out", dir_ / "burst.err");
    // Live: one alert at a time until tail has printed one.
    int published = 0;
    for (int i = 0; i < 500 && seqs_in(output("burst")).empty(); ++i) {
        sink.publish(testing::sample_alert("victim.test"));
        ++published;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_FALSE(seqs_in(output("burst")).empty()) << test::slurp(dir_ / "burst.err");
    ::kill(tail, SIGSTOP);
    for (; published < kAlerts; ++published) sink.publish(big);
    ::kill(tail, SIGCONT);
    // What its queue held comes; then nothing: no later message shows the gap.
    std::size_t drained = 0;
    for (int i = 0; i < 50; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        const std::size_t now = seqs_in(output("burst")).size();
        if (now == drained && i > 10) break;
        drained = now;
    }
    // How much of the gap tail fills before the first heartbeat depends on
    // the machine: a record that got through after the drop shows the gap
    // live (on a quiet machine all of it is filled so). A PUB drops in
    // silence, so the proof that it dropped is tail's tail_gap_filled below.
    // The sensor's publisher thread sends a heartbeat every second; here, on
    // the thread that owns the socket, every 100 ms until tail is done.
    int exit_code = -1;
    for (int i = 0; i < 600 && exit_code < 0; ++i) {
        pub.send_heartbeat("tail-test");
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        exit_code = try_wait_command(tail);
    }
    if (exit_code < 0) {
        ::kill(tail, SIGKILL);
        test::wait_command(tail);
    }
    ASSERT_EQ(exit_code, 0) << test::slurp(dir_ / "burst.err");
    const auto seqs = seqs_in(output("burst"));
    ASSERT_EQ(seqs.size(), static_cast<std::size_t>(kAlerts));
    for (std::size_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], i + 1) << "position " << i;
    // The gap was there, and it was filled once heartbeats flowed: by the
    // heartbeat's last_seq, or by a record the heartbeat traffic flushed
    // from the subscriber's queue (both seen here; before, tail waited for
    // ever).
    EXPECT_NE(test::slurp(dir_ / "burst.err").find("event=tail_gap_filled"), std::string::npos)
        << test::slurp(dir_ / "burst.err") << "\nprinted before the heartbeats: " << drained;
}

TEST_F(TailTest, UsageMistakesExitTwo) {
    EXPECT_EQ(test::run_command({DNSWATCH_BINARY, "tail"}, dir_).exit_code, 2);
    EXPECT_EQ(test::run_command({DNSWATCH_BINARY, "tail", "--endpoint", "ipc:///x", "--since", "0"}, dir_).exit_code, 2);
    EXPECT_EQ(test::run_command({DNSWATCH_BINARY, "tail", "--endpoint", "tcp://127.0.0.1:1", "--since", "x"}, dir_).exit_code, 2);
}

}  // namespace
}  // namespace dnswatch
