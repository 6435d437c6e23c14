// The public feed (publish/public_feed.h) against a real store and a real
// ZeroMQ subscriber on a loopback port chosen at run time: creates and
// deletes (and an alert citing one) come only after the delay, in seq order,
// everything else at once, and a restart in between neither re-sends what
// went out nor forgets what is held. The clock is the test's, so that a
// delay of a day passes in an instant.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "detect/alert.h"
#include "publish/alert_store.h"
#include "publish/public_feed.h"
#include "tests/support/scratch_dir.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kDay = 24LL * 3600 * 1000;        // ms
constexpr std::int64_t kStart = 1'796'000'000'000'000;   // µs, December 2026

BaselineChange change(ChangeOp op, const std::string& name, std::int64_t time_us) {
    BaselineChange c;
    c.zone = "reg.test";
    c.name = name;
    c.type = 2;
    c.rrtype = "NS";
    c.op = op;
    c.source = ChangeSource::ixfr;
    if (op != ChangeOp::create) c.before = {"ns1.old.example."};
    if (op != ChangeOp::remove) c.after = {"ns1.new.example."};
    c.time_us = time_us;
    return c;
}

class PublicFeedTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = test::scratch_dir("public-feed");
        store_ = std::make_unique<AlertStore>(dir_.string(), /*fsync=*/false);
    }
    void TearDown() override {
        feed_.reset();
        store_.reset();
        fs::remove_all(dir_);
    }

    void start_feed() {
        PublicFeedOptions options;
        options.zmq.endpoint = "tcp://127.0.0.1:*";
        options.delay_ms = kDay;
        options.now_us = [this] { return now_.load(); };
        feed_ = std::make_unique<PublicFeed>(std::move(options), store_->path(), (dir_ / "public.cursor").string());
        subscriber_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::sub);
        subscriber_->set(zmq::sockopt::subscribe, "");
        subscriber_->connect(feed_->endpoint());
        // A PUB socket drops what it sends before the subscription reached
        // it: wait for the handshake (no record is stored meanwhile).
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }

    std::uint64_t store_change(const BaselineChange& c) {
        BaselineChange numbered = c;
        numbered.seq = store_->last_seq() + 1;
        store_->append(numbered);
        feed_->notify(numbered.seq);
        return numbered.seq;
    }
    std::uint64_t store_alert(const std::vector<std::uint64_t>& cites) {
        Alert alert;
        alert.seq = store_->last_seq() + 1;
        alert.id = "0123456789abcdef";
        alert.kind = "suspicious_change";
        alert.zone = "reg.test";
        alert.name = "new.reg.test";
        alert.rrtype = "NS";
        alert.first_seen_us = alert.last_seen_us = now_.load();
        alert.changes = cites;
        store_->append(alert);
        feed_->notify(alert.seq);
        return alert.seq;
    }

    // The seqs received within `wait`, in arrival order.
    std::vector<std::uint64_t> receive(std::chrono::milliseconds wait) {
        std::vector<std::uint64_t> seqs;
        const auto deadline = std::chrono::steady_clock::now() + wait;
        while (std::chrono::steady_clock::now() < deadline) {
            zmq::pollitem_t item{subscriber_->handle(), 0, ZMQ_POLLIN, 0};
            zmq::poll(&item, 1, std::chrono::milliseconds(50));
            if ((item.revents & ZMQ_POLLIN) == 0) continue;
            zmq::message_t topic, body;
            (void)subscriber_->recv(topic);
            (void)subscriber_->recv(body);
            seqs.push_back(nlohmann::json::parse(body.to_string())["seq"].get<std::uint64_t>());
        }
        return seqs;
    }

    fs::path dir_;
    std::atomic<std::int64_t> now_{kStart};
    zmq::context_t context_;
    std::unique_ptr<AlertStore> store_;
    std::unique_ptr<PublicFeed> feed_;
    std::unique_ptr<zmq::socket_t> subscriber_;
};

TEST_F(PublicFeedTest, CreatesAndDeletesComeAfterTheDelayEverythingElseAtOnce) {
    start_feed();
    const std::uint64_t update = store_change(change(ChangeOp::update, "bank.reg.test", kStart));
    const std::uint64_t create = store_change(change(ChangeOp::create, "new.reg.test", kStart));
    const std::uint64_t about_create = store_alert({create});
    const std::uint64_t later_update = store_change(change(ChangeOp::update, "shop.reg.test", kStart));
    const std::uint64_t remove = store_change(change(ChangeOp::remove, "gone.reg.test", kStart + 1'000'000));

    EXPECT_EQ(receive(std::chrono::milliseconds(800)), (std::vector<std::uint64_t>{update, later_update}));
    EXPECT_EQ(feed_->held(), 3u);

    // A day after the create, not yet a day after the delete.
    now_ = kStart + kDay * 1000;
    EXPECT_EQ(receive(std::chrono::milliseconds(800)), (std::vector<std::uint64_t>{create, about_create}));
    now_ = kStart + kDay * 1000 + 1'000'000;
    EXPECT_EQ(receive(std::chrono::milliseconds(800)), (std::vector<std::uint64_t>{remove}));
    EXPECT_EQ(feed_->held(), 0u);
    EXPECT_EQ(feed_->released_late(), 3u);
    EXPECT_EQ(feed_->errors(), 0u);
}

TEST_F(PublicFeedTest, ARestartKeepsWhatIsHeldAndResendsNothing) {
    start_feed();
    const std::uint64_t create = store_change(change(ChangeOp::create, "new.reg.test", kStart));
    const std::uint64_t update = store_change(change(ChangeOp::update, "bank.reg.test", kStart));
    EXPECT_EQ(receive(std::chrono::milliseconds(800)), (std::vector<std::uint64_t>{update}));
    feed_.reset();  // the sensor stops with the create still held

    now_ = kStart + kDay * 1000 / 2;
    start_feed();
    const std::uint64_t after_restart = store_change(change(ChangeOp::update, "shop.reg.test", kStart));
    EXPECT_EQ(receive(std::chrono::milliseconds(800)), (std::vector<std::uint64_t>{after_restart}))
        << "the update sent before the restart is not sent again, the create still waits";
    now_ = kStart + kDay * 1000;
    EXPECT_EQ(receive(std::chrono::milliseconds(800)), (std::vector<std::uint64_t>{create}));
}

}  // namespace
}  // namespace dnswatch
