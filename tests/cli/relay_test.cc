// `dnswatch relay` with real sockets on loopback ports chosen at run time:
// two sensors behind one relay reach one consumer, each alert keeping its
// sensor id; with CURVE, an unlisted consumer gets nothing.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "publish/alert_json.h"
#include "publish/zmq_publisher.h"
#include "publish/zmq_security.h"
#include "tests/publish/sample_alert.h"
#include "tests/cli/run_support.h"
#include "tests/support/run_command.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A loopback TCP endpoint on a port reserved for this test process
// (tests/support/ports.h: a kernel-chosen port, closed again, was taken by
// another test's connection before the relay bound it).
std::string free_endpoint() { return "tcp://127.0.0.1:" + std::to_string(test::reserved_port()); }

class RelayTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("dnswatch-relay-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
    }
    void TearDown() override {
        if (relay_ > 0) {
            ::kill(relay_, SIGTERM);
            test::wait_command(relay_);
        }
        fs::remove_all(dir_);
    }

    // Waits (bounded) for the relay to say it is bound: on a loaded machine
    // starting a process can take seconds.
    bool relay_ready() {
        for (int i = 0; i < 2000; ++i) {
            if (test::slurp(dir_ / "relay.err").find("event=relay_started") != std::string::npos) return true;
            std::this_thread::sleep_for(10ms);
        }
        return false;
    }

    // Publishes from both sensors until `sub` has seen alerts from each (bounded).
    std::set<std::string> sensors_heard(zmq::socket_t& sub, ZmqPublisher& a, ZmqPublisher& b) {
        std::set<std::string> heard;
        EXPECT_TRUE(relay_ready()) << test::slurp(dir_ / "relay.err");
        for (int i = 0; i < 2000 && heard.size() < 2; ++i) {
            Alert alert = testing::sample_alert("victim.test");
            alert.sensor = "sensor-a";
            a.publish(alert);
            alert.sensor = "sensor-b";
            b.publish(alert);
            zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
            while (zmq::poll(&item, 1, 10ms) > 0) {
                zmq::message_t topic, payload;
                if (sub.recv(topic) && sub.recv(payload)) {
                    heard.insert(nlohmann::json::parse(payload.to_string_view())["sensor"].get<std::string>());
                }
            }
        }
        return heard;
    }

    fs::path dir_;
    zmq::context_t context_;
    pid_t relay_ = -1;
};

TEST_F(RelayTest, TwoSensorsReachOneConsumerThroughTheRelay) {
    ZmqPublisher a(context_, ZmqPublisherOptions{"tcp://127.0.0.1:*", 0, 1000});
    ZmqPublisher b(context_, ZmqPublisherOptions{"tcp://127.0.0.1:*", 0, 1000});
    const std::string to = free_endpoint();
    relay_ = test::spawn_command({DNSWATCH_BINARY, "relay", "--from", a.endpoint(), "--from", b.endpoint(), "--to", to},
                                 dir_ / "relay.out", dir_ / "relay.err");
    zmq::socket_t sub(context_, zmq::socket_type::sub);
    sub.set(zmq::sockopt::subscribe, "alert.test.victim.");
    sub.connect(to);
    EXPECT_EQ(sensors_heard(sub, a, b), (std::set<std::string>{"sensor-a", "sensor-b"}))
        << test::slurp(dir_ / "relay.err");
}

TEST_F(RelayTest, WithCurveOnlyListedConsumersHearAndSensorsAreAuthenticated) {
    // Each sensor with its own keys and the relay as its only listed client;
    // the relay with its own keys and one listed consumer.
    const auto relay_keys = CurveKeyPair::generate();
    const auto sensor_keys = CurveKeyPair::generate();
    const auto consumer = CurveKeyPair::generate();
    const auto stranger = CurveKeyPair::generate();
    relay_keys.save((dir_ / "relay.key").string());
    sensor_keys.save((dir_ / "sensor.key").string());
    consumer.save((dir_ / "consumer.key").string());
    ZapAuthenticator zap(context_, {relay_keys.public_key}, false);
    ZmqPublisher a(context_, ZmqPublisherOptions{"tcp://127.0.0.1:*", 0, 1000, sensor_keys});
    ZmqPublisher b(context_, ZmqPublisherOptions{"tcp://127.0.0.1:*", 0, 1000, sensor_keys});
    const std::string to = free_endpoint();
    const std::string sensor_pub = (dir_ / "sensor.key.pub").string();
    relay_ = test::spawn_command({DNSWATCH_BINARY, "relay", "--key", (dir_ / "relay.key").string(), "--allow",
                                  (dir_ / "consumer.key.pub").string(), "--from", a.endpoint() + "#" + sensor_pub,
                                  "--from", b.endpoint() + "#" + sensor_pub, "--to", to},
                                 dir_ / "relay.out", dir_ / "relay.err");
    zmq::context_t consumer_context;  // the consumer is another party: no ZAP handler of ours
    zmq::socket_t good(consumer_context, zmq::socket_type::sub), bad(consumer_context, zmq::socket_type::sub);
    make_curve_client(good, consumer, relay_keys.public_key);
    make_curve_client(bad, stranger, relay_keys.public_key);
    for (zmq::socket_t* s : {&good, &bad}) {
        s->set(zmq::sockopt::linger, 0);
        s->set(zmq::sockopt::subscribe, "alert.");
        s->connect(to);
    }
    EXPECT_EQ(sensors_heard(good, a, b), (std::set<std::string>{"sensor-a", "sensor-b"}))
        << test::slurp(dir_ / "relay.err");
    zmq::pollitem_t item{bad.handle(), 0, ZMQ_POLLIN, 0};
    EXPECT_EQ(zmq::poll(&item, 1, 200ms), 0) << "an unlisted consumer received an alert";
}

TEST_F(RelayTest, TailSinceZeroThroughTheRelayGetsEveryAlertOfTwoSensors) {
    ZmqPublisher a(context_, ZmqPublisherOptions{"tcp://127.0.0.1:*", 0, 1000});
    ZmqPublisher b(context_, ZmqPublisherOptions{"tcp://127.0.0.1:*", 0, 1000});
    const std::string to = free_endpoint();
    const std::string catchup = free_endpoint();
    relay_ = test::spawn_command({DNSWATCH_BINARY, "relay", "--from", a.endpoint(), "--from", b.endpoint(), "--to", to,
                                  "--catchup", catchup, "--store", (dir_ / "store").string(), "--keep", "1000"},
                                 dir_ / "relay.out", dir_ / "relay.err");
    zmq::socket_t sub(context_, zmq::socket_type::sub);
    sub.set(zmq::sockopt::subscribe, "alert.");
    sub.connect(to);
    // Both sensors connected (the warm-up alerts are relayed and kept too).
    ASSERT_EQ(sensors_heard(sub, a, b), (std::set<std::string>{"sensor-a", "sensor-b"}))
        << test::slurp(dir_ / "relay.err");
    // Five alerts each, numbered by their sensor as a sensor does.
    std::set<std::string> ids;
    for (std::uint64_t i = 1; i <= 5; ++i) {
        for (ZmqPublisher* sensor : {&a, &b}) {
            Alert alert = testing::sample_alert("victim.test");
            alert.sensor = sensor == &a ? "sensor-a" : "sensor-b";
            alert.id = alert.sensor + "-" + std::to_string(i);
            alert.seq = i;
            sensor->publish(alert);
            ids.insert(alert.id);
        }
    }
    // The relay keeps each before it publishes it: once the last is heard,
    // the store holds them all.
    std::set<std::string> heard;
    for (int i = 0; i < 500 && heard != ids; ++i) {
        zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
        if (zmq::poll(&item, 1, 10ms) == 0) continue;
        zmq::message_t topic, payload;
        if (sub.recv(topic) && sub.recv(payload)) {
            const std::string id = nlohmann::json::parse(payload.to_string_view())["id"];
            if (ids.contains(id)) heard.insert(id);
        }
    }
    ASSERT_EQ(heard, ids) << test::slurp(dir_ / "relay.err");
    const std::vector<std::string> stored = test::lines_of(test::slurp(dir_ / "store" / "relay.jsonl"));
    ASSERT_GE(stored.size(), ids.size());

    const auto tail = test::run_command({DNSWATCH_BINARY, "tail", "--endpoint", to, "--catchup", catchup, "--since",
                                         "0", "--count", std::to_string(stored.size())},
                                        dir_);
    ASSERT_EQ(tail.exit_code, 0) << tail.err;
    const std::vector<std::string> lines = test::lines_of(tail.out);
    ASSERT_EQ(lines.size(), stored.size()) << tail.out;
    std::set<std::string> caught;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const auto record = nlohmann::json::parse(lines[i]);
        EXPECT_EQ(record["seq"], i + 1) << "the relay's own numbering, in order";
        EXPECT_TRUE(record.contains("sensor_seq"));
        if (ids.contains(record["id"].get<std::string>())) caught.insert(record["id"].get<std::string>());
    }
    EXPECT_EQ(caught, ids);
}

TEST_F(RelayTest, TailSaysWithinSecondsWhenNothingAnswersAndExitsOne) {
    const std::string nowhere = free_endpoint();  // nothing listens there
    const auto started = std::chrono::steady_clock::now();
    const auto tail = test::run_command({DNSWATCH_BINARY, "tail", "--endpoint", nowhere, "--timeout", "1"}, dir_);
    EXPECT_EQ(tail.exit_code, 1);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
    EXPECT_NE(tail.err.find("event=tail_no_connection"), std::string::npos) << tail.err;
    EXPECT_NE(tail.err.find("nothing answered"), std::string::npos) << tail.err;
}

TEST_F(RelayTest, AConsumerKeyTheRelayDoesNotAdmitIsLoggedOnBothSides) {
    const auto relay_keys = CurveKeyPair::generate();
    const auto stranger = CurveKeyPair::generate();
    const auto consumer = CurveKeyPair::generate();
    relay_keys.save((dir_ / "relay.key").string());
    stranger.save((dir_ / "stranger.key").string());
    consumer.save((dir_ / "consumer.key").string());
    ZmqPublisher a(context_, ZmqPublisherOptions{"tcp://127.0.0.1:*", 0, 1000});
    const std::string to = free_endpoint();
    relay_ = test::spawn_command({DNSWATCH_BINARY, "relay", "--key", (dir_ / "relay.key").string(), "--allow",
                                  (dir_ / "consumer.key.pub").string(), "--from", a.endpoint(), "--to", to,
                                  "--catchup", free_endpoint()},
                                 dir_ / "relay.out", dir_ / "relay.err");
    ASSERT_TRUE(relay_ready()) << test::slurp(dir_ / "relay.err");
    const auto tail = test::run_command({DNSWATCH_BINARY, "tail", "--endpoint", to, "--key",
                                         (dir_ / "stranger.key").string(), "--server-key",
                                         (dir_ / "relay.key.pub").string(), "--timeout", "2"},
                                        dir_);
    EXPECT_EQ(tail.exit_code, 1);
    EXPECT_NE(tail.err.find("refused this consumer's key"), std::string::npos) << tail.err;
    // The relay's side: one line naming the key it turned away.
    EXPECT_TRUE(test::eventually(
        [&] { return test::slurp(dir_ / "relay.err").find("event=zap_denied") != std::string::npos; }, 5s))
        << test::slurp(dir_ / "relay.err");
    EXPECT_NE(test::slurp(dir_ / "relay.err").find(stranger.public_key), std::string::npos);

    // A server key that is not the relay's: the handshake itself fails.
    const auto wrong_server = test::run_command({DNSWATCH_BINARY, "tail", "--endpoint", to, "--key",
                                                 (dir_ / "consumer.key").string(), "--server-key",
                                                 (dir_ / "stranger.key.pub").string(), "--timeout", "2"},
                                                dir_);
    EXPECT_EQ(wrong_server.exit_code, 1);
    EXPECT_NE(wrong_server.err.find("event=tail_no_connection"), std::string::npos) << wrong_server.err;
}

TEST_F(RelayTest, OnListenOnlyListedPublisherKeysAreHeard) {
    // A keyless process used to inject alert.test.victim. into a CURVE
    // consumer's stream through --listen. Now: the listed sensor is heard;
    // a keyless publisher and one with an unlisted key are refused (logged,
    // counted) and nothing they send reaches the consumer.
    const auto relay_keys = CurveKeyPair::generate();
    const auto sensor_keys = CurveKeyPair::generate();
    const auto consumer = CurveKeyPair::generate();
    relay_keys.save((dir_ / "relay.key").string());
    sensor_keys.save((dir_ / "sensor.key").string());
    consumer.save((dir_ / "consumer.key").string());
    const std::string to = free_endpoint();
    const std::string listen = free_endpoint();
    relay_ = test::spawn_command({DNSWATCH_BINARY, "relay", "--key", (dir_ / "relay.key").string(), "--allow",
                                  (dir_ / "consumer.key.pub").string(), "--listen", listen, "--publisher-key",
                                  (dir_ / "sensor.key.pub").string(), "--to", to},
                                 dir_ / "relay.out", dir_ / "relay.err");
    ASSERT_TRUE(relay_ready()) << test::slurp(dir_ / "relay.err");

    zmq::context_t others;  // the sensors and the consumer are other parties
    const auto publisher = [&](const std::optional<CurveKeyPair>& keys) {
        zmq::socket_t pub(others, zmq::socket_type::pub);
        pub.set(zmq::sockopt::linger, 0);
        if (keys) make_curve_client(pub, *keys, relay_keys.public_key);
        pub.connect(listen);
        return pub;
    };
    zmq::socket_t genuine = publisher(sensor_keys);
    zmq::socket_t keyless = publisher(std::nullopt);
    zmq::socket_t impostor = publisher(CurveKeyPair::generate());
    zmq::socket_t sub(others, zmq::socket_type::sub);
    make_curve_client(sub, consumer, relay_keys.public_key);
    sub.set(zmq::sockopt::linger, 0);
    sub.set(zmq::sockopt::subscribe, "alert.");
    sub.connect(to);

    std::set<std::string> heard;
    const auto send = [](zmq::socket_t& pub, const char* sensor) {
        Alert alert = testing::sample_alert("victim.test");
        alert.sensor = sensor;
        pub.send(zmq::str_buffer("alert.test.victim."), zmq::send_flags::sndmore);
        pub.send(zmq::buffer(to_json_line(alert)), zmq::send_flags::none);
    };
    for (int i = 0; i < 300 && (heard.count("genuine") == 0 || i < 100); ++i) {
        send(genuine, "genuine");
        send(keyless, "keyless");
        send(impostor, "impostor");
        zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
        while (zmq::poll(&item, 1, 10ms) > 0) {
            zmq::message_t topic, payload;
            if (sub.recv(topic) && sub.recv(payload) && topic.to_string_view() != "heartbeat.") {
                heard.insert(nlohmann::json::parse(payload.to_string_view())["sensor"].get<std::string>());
            }
        }
    }
    EXPECT_EQ(heard, std::set<std::string>{"genuine"}) << test::slurp(dir_ / "relay.err");
    const std::string err = test::slurp(dir_ / "relay.err");
    EXPECT_NE(err.find("event=relay_publisher_refused"), std::string::npos) << err;  // the keyless one
    EXPECT_NE(err.find("event=zap_denied"), std::string::npos) << err;                // the unlisted key
    ::kill(relay_, SIGTERM);
    EXPECT_EQ(test::wait_command(relay_), 0);
    relay_ = -1;
    const std::string stopped = test::slurp(dir_ / "relay.err");
    EXPECT_EQ(stopped.find("publishers_refused=0"), std::string::npos) << stopped;
    EXPECT_EQ(stopped.find("publisher_keys_denied=0"), std::string::npos) << stopped;
}

TEST_F(RelayTest, ListenOffLoopbackNeedsKeysAndPublisherKeys) {
    const auto plain = test::run_command(
        {DNSWATCH_BINARY, "relay", "--listen", "tcp://192.0.2.9:7000", "--to", "tcp://127.0.0.1:1"}, dir_);
    EXPECT_EQ(plain.exit_code, 2);
    EXPECT_NE(plain.err.find("is not a loopback address, so it needs --key and --publisher-key"), std::string::npos)
        << plain.err;
    CurveKeyPair::generate().save((dir_ / "relay.key").string());
    const auto unlisted = test::run_command({DNSWATCH_BINARY, "relay", "--key", (dir_ / "relay.key").string(),
                                             "--listen", "tcp://127.0.0.1:1", "--to", "tcp://127.0.0.1:2"},
                                            dir_);
    EXPECT_EQ(unlisted.exit_code, 2);
    EXPECT_NE(unlisted.err.find("--listen with --key needs --publisher-key"), std::string::npos) << unlisted.err;
}

TEST_F(RelayTest, UsageMistakesExitTwo) {
    EXPECT_EQ(test::run_command({DNSWATCH_BINARY, "relay"}, dir_).exit_code, 2);
    EXPECT_EQ(test::run_command({DNSWATCH_BINARY, "relay", "--to", "tcp://127.0.0.1:1"}, dir_).exit_code, 2);
    const auto keygen = test::run_command({DNSWATCH_BINARY, "keygen", "--out", (dir_ / "k").string()}, dir_);
    EXPECT_EQ(keygen.exit_code, 0);
    EXPECT_EQ(keygen.out.size(), 41u);
    EXPECT_EQ(CurveKeyPair::load((dir_ / "k.pub").string()).public_key + "\n", keygen.out);
}

}  // namespace
}  // namespace dnswatch
