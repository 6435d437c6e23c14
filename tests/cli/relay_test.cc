// `dnswatch relay` with real sockets on loopback ports chosen at run time:
// two sensors behind one relay reach one consumer, each alert keeping its
// sensor id; with CURVE, an unlisted consumer gets nothing.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "publish/zmq_publisher.h"
#include "publish/zmq_security.h"
#include "tests/publish/sample_alert.h"
#include "tests/support/run_command.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A loopback TCP endpoint on a port free right now.
std::string free_endpoint(zmq::context_t& context) {
    zmq::socket_t probe(context, zmq::socket_type::pair);
    probe.bind("tcp://127.0.0.1:*");
    const std::string endpoint = probe.get(zmq::sockopt::last_endpoint);
    probe.close();
    return endpoint;
}

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
    const std::string to = free_endpoint(context_);
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
    const std::string to = free_endpoint(context_);
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
