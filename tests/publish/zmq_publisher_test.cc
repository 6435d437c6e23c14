// A real SUB socket against the publisher, on a loopback port chosen at run time.
#include "publish/zmq_publisher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq_addon.hpp>

#include "publish/alert_json.h"
#include "publish/topic.h"
#include "tests/publish/sample_alert.h"

namespace dnswatch {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Message {
    std::string topic;
    std::string json;
};

const std::string kProbeName = "probe.victim.test";

// One two-frame message, or nothing within `timeout`.
std::optional<Message> receive(zmq::socket_t& sub, std::chrono::milliseconds timeout) {
    zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) == 0) return std::nullopt;
    std::vector<zmq::message_t> frames;
    const auto count = zmq::recv_multipart(sub, std::back_inserter(frames));
    EXPECT_EQ(count, 2u) << "a message must have exactly two frames";
    if (count != 2u) return std::nullopt;
    return Message{frames[0].to_string(), frames[1].to_string()};
}

// Next message that is not a probe, or nothing within `timeout`.
std::optional<Message> receive_real(zmq::socket_t& sub, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        auto message = receive(sub, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
        if (message && message->topic != alert_topic(kProbeName)) return message;
    }
    return std::nullopt;
}

// The slow-joiner problem: a SUB's subscription reaches the PUB some time after
// connect(), and what is published before is lost. So publish probe alerts
// until every subscriber has received one (bounded by a deadline); from then
// on each subscription is in place and nothing is lost. Probes still in
// flight are skipped by receive_real().
bool wait_until_subscribed(ZmqPublisher& publisher, std::vector<zmq::socket_t*> subscribers) {
    const auto deadline = Clock::now() + 10s;
    std::vector<bool> joined(subscribers.size(), false);
    while (Clock::now() < deadline) {
        publisher.publish(testing::sample_alert(kProbeName));
        bool all = true;
        for (std::size_t i = 0; i < subscribers.size(); ++i) {
            if (!joined[i]) joined[i] = receive(*subscribers[i], 10ms).has_value();
            all = all && joined[i];
        }
        if (all) return true;
    }
    return false;
}

zmq::socket_t subscriber(zmq::context_t& context, const std::string& endpoint, const std::string& prefix) {
    zmq::socket_t sub(context, zmq::socket_type::sub);
    sub.set(zmq::sockopt::linger, 0);
    sub.set(zmq::sockopt::subscribe, prefix);
    sub.connect(endpoint);
    return sub;
}

TEST(ZmqPublisher, BindsAnOsChosenPortAndReportsIt) {
    ZmqPublisher publisher(ZmqPublisherOptions{.endpoint = "tcp://127.0.0.1:*", .linger_ms = 0});
    const std::string endpoint = publisher.endpoint();
    ASSERT_EQ(endpoint.rfind("tcp://127.0.0.1:", 0), 0u) << endpoint;
    const int port = std::stoi(endpoint.substr(std::string("tcp://127.0.0.1:").size()));
    EXPECT_GT(port, 0);
    EXPECT_LT(port, 65536);
}

TEST(ZmqPublisher, SubscriberGetsTopicAndJsonFramesFilteredByZone) {
    ZmqPublisher publisher(ZmqPublisherOptions{.endpoint = "tcp://127.0.0.1:*", .linger_ms = 0});
    zmq::context_t context(1);
    zmq::socket_t zone_sub = subscriber(context, publisher.endpoint(), "alert.test.victim.");
    zmq::socket_t all_sub = subscriber(context, publisher.endpoint(), "alert.");
    ASSERT_TRUE(wait_until_subscribed(publisher, {&zone_sub, &all_sub})) << "no subscription within 10 s";

    // evilvictim.test first: the connection is FIFO, so once the later alerts
    // are in, an evilvictim alert that got through would have been seen.
    publisher.publish(testing::sample_alert("evilvictim.test"));
    publisher.publish(testing::sample_alert("victim.test"));
    publisher.publish(testing::sample_alert("mail.victim.test"));

    std::vector<Message> zone_messages;
    for (int i = 0; i < 2; ++i) {
        auto message = receive_real(zone_sub, 5s);
        ASSERT_TRUE(message.has_value()) << "alert " << i << " did not arrive";
        zone_messages.push_back(std::move(*message));
    }
    EXPECT_EQ(zone_messages[0].topic, "alert.test.victim.");
    EXPECT_EQ(zone_messages[1].topic, "alert.test.victim.mail.");

    const nlohmann::json first = nlohmann::json::parse(zone_messages[0].json);
    EXPECT_EQ(zone_messages[0].json, to_json_line(testing::sample_alert("victim.test")));
    EXPECT_EQ(first["schema"], "dnswatch.alert/1");
    EXPECT_EQ(first["name"], "victim.test");
    EXPECT_EQ(first["zone"], "victim.test");
    EXPECT_EQ(first["rrtype"], "NS");
    EXPECT_EQ(first["first_seen"], "2026-11-29T15:25:25.123456Z");
    EXPECT_EQ(nlohmann::json::parse(zone_messages[1].json)["name"], "mail.victim.test");

    // The catch-all subscriber shows the evilvictim alert was really sent.
    std::vector<std::string> all_topics;
    for (int i = 0; i < 3; ++i) {
        auto message = receive_real(all_sub, 5s);
        ASSERT_TRUE(message.has_value()) << "alert " << i << " did not arrive at the catch-all subscriber";
        all_topics.push_back(message->topic);
    }
    EXPECT_EQ(all_topics,
              (std::vector<std::string>{"alert.test.evilvictim.", "alert.test.victim.", "alert.test.victim.mail."}));

    EXPECT_FALSE(receive_real(zone_sub, 100ms).has_value()) << "nothing else for the zone subscriber";
    EXPECT_EQ(publisher.dropped(), 0u);
    EXPECT_GE(publisher.sent(), 4u);  // at least one probe and the three alerts
}

TEST(ZmqPublisher, SendCarriesOtherTopics) {
    zmq::context_t context(1);
    ZmqPublisher publisher(context, ZmqPublisherOptions{.endpoint = "inproc://other-topics", .linger_ms = 0});
    zmq::socket_t sub = subscriber(context, publisher.endpoint(), "");
    ASSERT_TRUE(wait_until_subscribed(publisher, {&sub}));
    ASSERT_TRUE(publisher.send(topic_for("change", "victim.test"), R"({"x":1})"));
    const auto message = receive_real(sub, 5s);
    ASSERT_TRUE(message.has_value());
    EXPECT_EQ(message->topic, "change.test.victim.");
    EXPECT_EQ(message->json, R"({"x":1})");
}

TEST(ZmqPublisher, BindFailureNamesTheEndpoint) {
    ZmqPublisher first(ZmqPublisherOptions{.endpoint = "tcp://127.0.0.1:*", .linger_ms = 0});
    const std::string taken = first.endpoint();
    try {
        ZmqPublisher second(ZmqPublisherOptions{.endpoint = taken, .linger_ms = 0});
        FAIL() << "binding " << taken << " twice should fail";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), "cannot publish alerts on ZeroMQ endpoint '" + taken +
                                             "': Address already in use");
    }
    try {
        ZmqPublisher bad(ZmqPublisherOptions{.endpoint = "carrier-pigeon://loft", .linger_ms = 0});
        FAIL() << "an unknown transport should fail";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "cannot publish alerts on ZeroMQ endpoint 'carrier-pigeon://loft': Protocol not supported");
    }
}

TEST(ZmqPublisher, AStuckSubscriberLosesOnlyItsOwnMessages) {
    // One subscriber stops reading; two others read as fast as alerts come.
    // The stuck one's queue (send_hwm at the PUB, rcvhwm at the SUB) fills
    // and it loses the rest; the healthy ones get every alert, live, in
    // order. (With XPUB_NODROP the PUB refused every send as soon as one
    // queue was full: 6,125 alerts reached nobody.)
    zmq::context_t context(1);
    constexpr int kHwm = 1000;
    ZmqPublisher publisher(context,
                           ZmqPublisherOptions{.endpoint = "inproc://stuck", .linger_ms = 0, .send_hwm = kHwm});
    zmq::socket_t stuck = subscriber(context, publisher.endpoint(), "alert.");
    stuck.set(zmq::sockopt::rcvhwm, kHwm);
    zmq::socket_t healthy[2] = {subscriber(context, publisher.endpoint(), "alert."),
                                subscriber(context, publisher.endpoint(), "alert.")};
    ASSERT_TRUE(wait_until_subscribed(publisher, {&stuck, &healthy[0], &healthy[1]}));
    for (zmq::socket_t* sub : {&stuck, &healthy[0], &healthy[1]}) {
        while (receive(*sub, 200ms)) {
        }  // the probes in flight
    }

    constexpr std::uint64_t kAlerts = 20000;
    std::atomic<std::uint64_t> received[2] = {0, 0};
    std::vector<std::uint64_t> seqs[2];
    std::vector<std::thread> readers;
    for (int r = 0; r < 2; ++r) {
        readers.emplace_back([&, r] {
            const auto deadline = Clock::now() + 60s;
            while (received[r] < kAlerts && Clock::now() < deadline) {
                const auto message = receive_real(healthy[r], 100ms);
                if (!message) continue;
                seqs[r].push_back(nlohmann::json::parse(message->json)["seq"].get<std::uint64_t>());
                ++received[r];
            }
        });
    }
    // A healthy subscriber keeps up: the publisher never gets more than half
    // a queue ahead of it (a pause here stands for the sensor's own pace).
    bool kept_up = true;
    for (std::uint64_t seq = 1; seq <= kAlerts && kept_up; ++seq) {
        Alert alert = testing::sample_alert("victim.test");
        alert.seq = seq;
        publisher.publish(alert);
        if (seq % 100 != 0) continue;
        const auto deadline = Clock::now() + 10s;
        while ((received[0] + kHwm / 2 < seq || received[1] + kHwm / 2 < seq) && Clock::now() < deadline) {
            std::this_thread::sleep_for(1ms);
        }
        kept_up = received[0] + kHwm / 2 >= seq && received[1] + kHwm / 2 >= seq;
    }
    for (std::thread& reader : readers) reader.join();
    EXPECT_TRUE(kept_up) << "the healthy subscribers stalled at " << received[0] << " and " << received[1];
    for (int r = 0; r < 2; ++r) {
        ASSERT_EQ(seqs[r].size(), kAlerts) << "healthy subscriber " << r;
        for (std::uint64_t i = 0; i < kAlerts; ++i) ASSERT_EQ(seqs[r][i], i + 1) << "healthy subscriber " << r;
    }
    EXPECT_EQ(publisher.dropped(), 0u);

    // The stuck one now reads: its queue's worth, then a gap in seq.
    std::vector<std::uint64_t> late;
    while (const auto message = receive_real(stuck, 200ms)) {
        late.push_back(nlohmann::json::parse(message->json)["seq"].get<std::uint64_t>());
    }
    ASSERT_FALSE(late.empty());
    EXPECT_LT(late.size(), kAlerts);
    EXPECT_LE(late.size(), 2u * kHwm + 2);
    EXPECT_EQ(late.front(), 1u);
    // The heartbeat says how far the sensor got: past what it has.
    ASSERT_TRUE(publisher.send_heartbeat("test-sensor"));
    std::optional<Message> beat;
    zmq::socket_t watcher = subscriber(context, publisher.endpoint(), kHeartbeatTopic);
    for (int i = 0; i < 50 && !beat; ++i) {
        publisher.send_heartbeat("test-sensor");
        beat = receive(watcher, 20ms);
    }
    ASSERT_TRUE(beat.has_value());
    EXPECT_EQ(beat->topic, kHeartbeatTopic);
    const auto heartbeat = nlohmann::json::parse(beat->json);
    EXPECT_EQ(heartbeat["schema"], "dnswatch.heartbeat/1");
    EXPECT_EQ(heartbeat["sensor"], "test-sensor");
    EXPECT_EQ(heartbeat["last_seq"], kAlerts);
    EXPECT_GT(heartbeat["last_seq"].get<std::uint64_t>(), late.back());
}

}  // namespace
}  // namespace dnswatch
