// CurveZMQ and the ZAP allow-list with real sockets on loopback ports chosen
// at run time: a listed client gets alerts; an unlisted or plaintext one
// receives nothing.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "log/log.h"
#include "publish/alert_store.h"
#include "publish/catch_up.h"
#include "publish/zmq_publisher.h"
#include "publish/zmq_security.h"
#include "tests/publish/sample_alert.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Counts the alerts a SUB socket receives within `window`.
int received_within(zmq::socket_t& sub, std::chrono::milliseconds window) {
    int count = 0;
    const auto deadline = std::chrono::steady_clock::now() + window;
    while (std::chrono::steady_clock::now() < deadline) {
        zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
        if (zmq::poll(&item, 1, 20ms) == 0) continue;
        zmq::message_t topic, payload;
        if (sub.recv(topic) && sub.get(zmq::sockopt::rcvmore) && sub.recv(payload)) ++count;
    }
    return count;
}

class ZmqSecurityTest : public ::testing::Test {
protected:
    zmq::context_t context_;
    CurveKeyPair server_ = CurveKeyPair::generate();
    CurveKeyPair listed_ = CurveKeyPair::generate();
    CurveKeyPair unlisted_ = CurveKeyPair::generate();
};

TEST_F(ZmqSecurityTest, OnlyListedClientKeysReceiveAlerts) {
    ZapAuthenticator zap(context_, {listed_.public_key}, /*allow_plaintext=*/false);
    ZmqPublisher publisher(context_, ZmqPublisherOptions{"tcp://127.0.0.1:*", 0, 1000, server_});

    zmq::socket_t good(context_, zmq::socket_type::sub), bad(context_, zmq::socket_type::sub),
        plain(context_, zmq::socket_type::sub);
    make_curve_client(good, listed_, server_.public_key);
    make_curve_client(bad, unlisted_, server_.public_key);
    for (zmq::socket_t* s : {&good, &bad, &plain}) {
        s->set(zmq::sockopt::linger, 0);
        s->set(zmq::sockopt::subscribe, "alert.");
        s->connect(publisher.endpoint());
    }
    // Publish until the listed client hears (bounded), then keep going a bit.
    int heard = 0;
    for (int i = 0; i < 200 && heard == 0; ++i) {
        publisher.publish(testing::sample_alert());
        heard = received_within(good, 20ms);
    }
    ASSERT_GT(heard, 0) << "the listed client never received an alert";
    for (int i = 0; i < 20; ++i) publisher.publish(testing::sample_alert());
    EXPECT_EQ(received_within(good, 300ms), 20);
    EXPECT_EQ(received_within(bad, 100ms), 0);
    EXPECT_EQ(received_within(plain, 100ms), 0);
    EXPECT_GE(zap.denied(), 1u);
    EXPECT_GE(zap.admitted(), 1u);
}

TEST_F(ZmqSecurityTest, CatchUpAnswersListedClientsOnly) {
    const fs::path dir = fs::temp_directory_path() / ("dnswatch-zmqsec-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    {
        AlertStore store(dir.string(), false);
        class Discard : public AlertSink {
        public:
            void publish(const Alert&) override {}
        } discard;
        DurableAlertSink sink(store, nullptr, discard);
        for (int i = 0; i < 3; ++i) sink.publish(testing::sample_alert());
    }
    ZapAuthenticator zap(context_, {listed_.public_key}, false);
    CatchUpServer server(context_, (dir / "alerts.jsonl").string(), "tcp://127.0.0.1:*", server_);
    int got = 0;
    catch_up(context_, server.endpoint(), 0, "", [&](std::uint64_t, const std::string&) { ++got; }, 3000,
             CurveClient{listed_, server_.public_key});
    EXPECT_EQ(got, 3);
    EXPECT_THROW(catch_up(context_, server.endpoint(), 0, "", [&](std::uint64_t, const std::string&) { ++got; }, 300,
                          CurveClient{unlisted_, server_.public_key}),
                 std::runtime_error);
    EXPECT_THROW(catch_up(context_, server.endpoint(), 0, "", [&](std::uint64_t, const std::string&) { ++got; }, 300),
                 std::runtime_error);
    EXPECT_EQ(got, 3);
    fs::remove_all(dir);
}

// A consumer turned away must not be turned away in silence: each denial is
// counted and logged with the peer and the key, rate limited.
TEST_F(ZmqSecurityTest, EachDenialIsLoggedWithTheKeyAndCounted) {
    std::FILE* file = std::tmpfile();
    ASSERT_NE(file, nullptr);
    {
        log::Logger logger(file);
        ZapAuthenticator zap(context_, {listed_.public_key}, /*allow_plaintext=*/false, &logger);
        ZmqPublisher publisher(context_, ZmqPublisherOptions{"tcp://127.0.0.1:*", 0, 1000, server_});
        zmq::socket_t bad(context_, zmq::socket_type::sub);
        make_curve_client(bad, unlisted_, server_.public_key);
        bad.set(zmq::sockopt::linger, 0);
        bad.set(zmq::sockopt::subscribe, "alert.");
        bad.connect(publisher.endpoint());
        for (int i = 0; i < 200 && zap.denied() == 0; ++i) std::this_thread::sleep_for(10ms);
        EXPECT_GE(zap.denied(), 1u);
        EXPECT_EQ(zap.admitted(), 0u);
    }
    std::rewind(file);
    std::string text(8192, '\0');
    text.resize(std::fread(text.data(), 1, text.size(), file));
    std::fclose(file);
    EXPECT_NE(text.find("level=warn event=zap_denied address=127.0.0.1 mechanism=CURVE client_key="), std::string::npos)
        << text;
    EXPECT_NE(text.find(unlisted_.public_key), std::string::npos) << text;  // quoted when it holds an equals sign
    EXPECT_NE(text.find("reason=\"client key not in the allowed keys\""), std::string::npos) << text;
}

TEST_F(ZmqSecurityTest, PlaintextIsAdmittedOnlyWhenAllowed) {
    ZapAuthenticator zap(context_, {}, /*allow_plaintext=*/true);
    zmq::socket_t pub(context_, zmq::socket_type::pub);
    pub.set(zmq::sockopt::zap_domain, "dnswatch");  // plaintext, but still asks ZAP
    pub.bind("tcp://127.0.0.1:*");
    zmq::socket_t sub(context_, zmq::socket_type::sub);
    sub.set(zmq::sockopt::subscribe, "");
    sub.connect(pub.get(zmq::sockopt::last_endpoint));
    int heard = 0;
    for (int i = 0; i < 200 && heard == 0; ++i) {
        pub.send(zmq::str_buffer("alert."), zmq::send_flags::sndmore);
        pub.send(zmq::str_buffer("{}"), zmq::send_flags::none);
        heard = received_within(sub, 20ms);
    }
    EXPECT_GT(heard, 0);
    EXPECT_GE(zap.admitted(), 1u);
}

TEST_F(ZmqSecurityTest, KeyFilesRoundTripAndKeepTheSecretPrivate) {
    const fs::path path = fs::temp_directory_path() / ("dnswatch-key-" + std::to_string(::getpid()));
    server_.save(path.string());
    const auto loaded = CurveKeyPair::load(path.string());
    EXPECT_EQ(loaded.public_key, server_.public_key);
    EXPECT_EQ(loaded.secret_key, server_.secret_key);
    const auto public_only = CurveKeyPair::load(path.string() + ".pub");
    EXPECT_EQ(public_only.public_key, server_.public_key);
    EXPECT_TRUE(public_only.secret_key.empty());
    EXPECT_EQ(fs::status(path).permissions() & (fs::perms::group_all | fs::perms::others_all), fs::perms::none);
    EXPECT_THROW(CurveKeyPair::load(path.string() + ".missing"), std::runtime_error);
    fs::remove(path);
    fs::remove(path.string() + ".pub");
}

}  // namespace
}  // namespace dnswatch
