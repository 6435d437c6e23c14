// dnstap end to end, with real servers (issue 17's done-when), as root in a
// network namespace of the test's own, so that tcpdump on its loopback
// sees only this test's traffic:
//  - an authoritative NSD serves a hijacked copy of victim.test;
//  - Unbound resolves through it and writes dnstap (client and resolver
//    messages) to `dnswatch run`'s unix socket (capture.source dnstap);
//  - tcpdump captures the same traffic, and `dnswatch replay` of that
//    capture must raise the same alerts the dnstap sensor raised;
//  - NSD's own dnstap (auth messages) likewise;
//  - a DoT client (kdig +tls) of Unbound, which no capture can read: its
//    forged answer alerts via dnstap.
#include <gtest/gtest.h>

#include <set>

#include <nlohmann/json.hpp>

#include "tests/cli/run_support.h"

namespace dnswatch {
namespace {

using nlohmann::json;
using test::lines_of;
using test::write_file;
namespace fs = std::filesystem;

const fs::path kSource = DNSWATCH_SOURCE_DIR;
constexpr const char* kAuthority = "127.83.0.11";  // the hijacked authoritative NSD
constexpr const char* kResolver = "127.83.0.53";   // Unbound
constexpr const char* kClient = "127.83.0.99";     // dig and kdig ask from here

// What makes two alerts the same, whichever input raised them: everything
// but the times, the sequence number and the evidence (a frame number or a
// capture file; the packet times of a capture and the times the servers
// wrote in dnstap differ by microseconds).
json comparable(const json& alert) {
    json a = alert;
    for (const char* key : {"seq", "first_seen", "last_seen", "duration_s", "evidence", "id", "incident_id", "sensor"}) {
        a.erase(key);
    }
    a["vantage"].erase("client");  // a capture sees the client's port, Unbound's dnstap its own
    return a;
}

std::multiset<std::string> comparable_set(const std::string& alerts) {
    std::multiset<std::string> out;
    for (const std::string& line : lines_of(alerts)) out.insert(comparable(json::parse(line)).dump());
    return out;
}

class DnstapEndToEnd : public ::testing::Test {
protected:
    void SetUp() override {
        std::string missing;
        for (const char* program : {"ip", "nsd", "unbound", "dig", "kdig", "tcpdump", "openssl"}) {
            if (test::find_program(program).empty()) missing += std::string(missing.empty() ? "" : ", ") + program;
        }
        const char* why_not = ::geteuid() != 0 ? "needs root: a network namespace and a capture on its loopback"
                              : missing.empty() ? nullptr
                                                : "not installed: ";
        if (why_not != nullptr) {
            if (test::in_ci()) FAIL() << why_not << missing;
            GTEST_SKIP() << why_not << missing;
        }
        dir_ = test::scratch_dir("dnstap-e2e");
        test::write_victim_zones(kSource, dir_);
        // A unix socket's path has room for 107 bytes: the scratch folder,
        // named after the test, may be longer.
        socket_ = fs::temp_directory_path() / ("dnswatch-tap-" + std::to_string(::getpid()) + ".sock");
        netns_ = std::make_unique<test::Netns>(dir_);
        ASSERT_TRUE(netns_->ok()) << "cannot create a network namespace";
        for (const char* address : {kAuthority, kResolver, kClient}) {
            test::run_command(netns_->wrap({test::find_program("ip"), "addr", "add", std::string(address) + "/8",
                                            "dev", "lo"}),
                              dir_);
        }
    }
    void TearDown() override {
        netns_.reset();
        if (!dir_.empty()) fs::remove_all(dir_);
        if (!socket_.empty()) fs::remove(socket_);
    }

    std::string config(const std::string& capture) const {
        return "sensor:\n  id: dnstap-e2e\nwatch:\n  zones:\n    - name: victim.test\n      zone_file: victim.test.zone\n" +
               capture + "stats:\n  interval: 0\n";
    }

    // The sensor on the dnstap socket, ready when it says so.
    std::unique_ptr<test::Spawned> start_sensor() {
        write_file(dir_ / "dnstap.yaml", config("capture:\n  source: dnstap\n  dnstap:\n    unix: " + socket_.string() + "\n"
                                                "pipeline:\n  workers: 2\n  shards: 1\n"));
        auto sensor = std::make_unique<test::Spawned>(
            std::vector<std::string>{DNSWATCH_BINARY, "run", "--config", (dir_ / "dnstap.yaml").string()},
            dir_ / "sensor.out", dir_ / "sensor.err");
        EXPECT_TRUE(test::eventually([&] { return sensor->err().find("dnstap on") != std::string::npos; },
                                     std::chrono::seconds(20)))
            << sensor->err();
        return sensor;
    }

    std::unique_ptr<test::Spawned> start_tcpdump() {
        auto tcpdump = std::make_unique<test::Spawned>(
            netns_->wrap({test::find_program("tcpdump"), "-i", "lo", "-U", "--immediate-mode", "-n", "-s", "0", "-w",
                          (dir_ / "capture.pcap").string(), "port", "53"}),
            dir_ / "tcpdump.out", dir_ / "tcpdump.err");
        EXPECT_TRUE(test::eventually([&] { return tcpdump->err().find("listening on") != std::string::npos; },
                                     std::chrono::seconds(10)))
            << tcpdump->err();
        return tcpdump;
    }

    // NSD serving the forged zone on kAuthority:53; with `dnstap`, its auth
    // messages go to the sensor's socket.
    std::unique_ptr<test::Spawned> start_nsd(bool dnstap) {
        const fs::path d = dir_ / "nsd";
        fs::create_directories(d);
        std::string conf = "server:\n    server-count: 1\n    ip-address: " + std::string(kAuthority) +
                           "\n    port: 53\n    zonesdir: \"" + d.string() + "\"\n    pidfile: \"" +
                           (d / "nsd.pid").string() + "\"\n    xfrdfile: \"" + (d / "xfrd.state").string() +
                           "\"\n    zonelistfile: \"" + (d / "zone.list").string() + "\"\n    logfile: \"" +
                           (d / "nsd.log").string() +
                           "\"\n    database: \"\"\n    username: \"\"\n    chroot: \"\"\n"
                           "remote-control:\n    control-enable: no\n";
        if (dnstap) {
            conf += "dnstap:\n    dnstap-enable: yes\n    dnstap-socket-path: \"" + socket_.string() +
                    "\"\n    dnstap-send-identity: yes\n    dnstap-log-auth-query-messages: yes\n"
                    "    dnstap-log-auth-response-messages: yes\n";
        }
        conf += "zone:\n    name: victim.test\n    zonefile: \"" + (dir_ / "forged.zone").string() + "\"\n";
        write_file(d / "nsd.conf", conf);
        auto nsd = std::make_unique<test::Spawned>(netns_->wrap({test::find_program("nsd"), "-d", "-c",
                                                                 (d / "nsd.conf").string()}),
                                                   d / "nsd.out", d / "nsd.err");
        EXPECT_TRUE(test::eventually([&] { return !dig(kAuthority, "victim.test", "SOA", true).empty(); },
                                     std::chrono::seconds(15)))
            << test::slurp(d / "nsd.log") << nsd->err();
        return nsd;
    }

    // Unbound on kResolver:53 (and DoT on :853), resolving victim.test
    // through the NSD, its dnstap to the sensor's socket.
    std::unique_ptr<test::Spawned> start_unbound(bool client_messages, bool resolver_messages) {
        const fs::path d = dir_ / "unbound";
        fs::create_directories(d);
        const test::CommandResult cert = test::run_command(
            {test::find_program("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
             "/CN=resolver.test", "-keyout", (d / "key.pem").string(), "-out", (d / "cert.pem").string()},
            d);
        EXPECT_EQ(cert.exit_code, 0) << cert.err;
        const auto yes_no = [](bool b) { return b ? "yes" : "no"; };
        write_file(d / "unbound.conf",
                   "server:\n    interface: " + std::string(kResolver) + "@53\n    interface: " + kResolver +
                       "@853\n    tls-port: 853\n    tls-service-key: \"" + (d / "key.pem").string() +
                       "\"\n    tls-service-pem: \"" + (d / "cert.pem").string() +
                       "\"\n    access-control: 127.0.0.0/8 allow\n    username: \"\"\n    chroot: \"\"\n"
                       "    directory: \"" + d.string() + "\"\n    pidfile: \"" + (d / "unbound.pid").string() +
                       "\"\n    use-syslog: no\n    logfile: \"" + (d / "unbound.log").string() +
                       "\"\n    module-config: \"iterator\"\n    do-not-query-localhost: no\n"
                       "    local-zone: \"test.\" nodefault\n    num-threads: 2\n"
                       "stub-zone:\n    name: \"victim.test\"\n    stub-addr: " + kAuthority + "@53\n"
                       "remote-control:\n    control-enable: no\n"
                       "dnstap:\n    dnstap-enable: yes\n    dnstap-bidirectional: yes\n    dnstap-socket-path: \"" +
                       socket_.string() + "\"\n    dnstap-send-identity: yes\n"
                       "    dnstap-log-client-query-messages: " + yes_no(client_messages) +
                       "\n    dnstap-log-client-response-messages: " + yes_no(client_messages) +
                       "\n    dnstap-log-resolver-query-messages: " + yes_no(resolver_messages) +
                       "\n    dnstap-log-resolver-response-messages: " + yes_no(resolver_messages) + "\n");
        auto unbound = std::make_unique<test::Spawned>(
            netns_->wrap({test::find_program("unbound"), "-d", "-c", (d / "unbound.conf").string()}),
            d / "unbound.out", d / "unbound.err");
        EXPECT_TRUE(test::eventually([&] { return !dig(kResolver, "victim.test", "SOA", false).empty(); },
                                     std::chrono::seconds(15)))
            << test::slurp(d / "unbound.log") << unbound->err();
        return unbound;
    }

    // The answer section (dig +short); "" when none came.
    std::string dig(const std::string& server, const std::string& name, const std::string& type, bool norec) const {
        std::vector<std::string> argv = {test::find_program("dig"), "@" + server, "-b", kClient, name, type, "+short",
                                         "+time=2", "+tries=1"};
        if (norec) argv.push_back("+norec");
        const test::CommandResult r = test::run_command(netns_->wrap(argv), dir_);
        return r.exit_code == 0 ? r.out : std::string();
    }

    // The alerts `dnswatch replay` raises from the capture.
    std::string replay_capture() {
        write_file(dir_ / "replay.yaml", config(""));
        const test::CommandResult r = test::run_command({DNSWATCH_BINARY, "replay", "--config", (dir_ / "replay.yaml").string(),
                                                   (dir_ / "capture.pcap").string()},
                                                  dir_);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return r.out;
    }

    // Stops the sensor once `n` alerts are out (bounded), for its summary.
    std::string stop_after(test::Spawned& sensor, std::size_t n) {
        test::eventually([&] { return lines_of(sensor.out()).size() >= n; }, std::chrono::seconds(10));
        // Nothing more is on its way: the servers have been stopped.
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        EXPECT_EQ(sensor.stop(SIGTERM), 0) << sensor.err();
        return sensor.out();
    }

    fs::path dir_;
    fs::path socket_;
    std::unique_ptr<test::Netns> netns_;
};

TEST_F(DnstapEndToEnd, UnboundClientAndResolverMessagesRaiseTheAlertsAPacketCaptureRaises) {
    auto sensor = start_sensor();
    auto tcpdump = start_tcpdump();
    auto nsd = start_nsd(/*dnstap=*/false);
    auto unbound = start_unbound(/*client_messages=*/true, /*resolver_messages=*/true);
    // The resolver's cache would answer a second time without asking NSD.
    EXPECT_NE(dig(kResolver, "www.victim.test", "A", false).find("203.0.113.66"), std::string::npos);
    EXPECT_NE(dig(kResolver, "mail.victim.test", "A", false).find("192.0.2.25"), std::string::npos);
    // Unbound's dnstap thread writes asynchronously: wait for what it logged.
    test::eventually([&] { return lines_of(sensor->out()).size() >= 2; }, std::chrono::seconds(10));
    unbound.reset();
    nsd.reset();
    const std::string dnstap_alerts = stop_after(*sensor, 2);
    tcpdump->stop(SIGTERM);
    const std::string capture_alerts = replay_capture();

    ASSERT_FALSE(lines_of(dnstap_alerts).empty()) << sensor->err();
    EXPECT_EQ(comparable_set(dnstap_alerts), comparable_set(capture_alerts))
        << "dnstap:\n" << dnstap_alerts << "capture:\n" << capture_alerts;
    // The resolver's view and the authoritative answer it got, both seen.
    std::set<std::string> roles;
    for (const std::string& line : lines_of(dnstap_alerts)) {
        const json alert = json::parse(line);
        EXPECT_EQ(alert["name"], "www.victim.test");
        EXPECT_EQ(alert["observed"], json::array({"203.0.113.66"}));
        roles.insert(alert["vantage"]["role"].get<std::string>());
    }
    EXPECT_EQ(roles, (std::set<std::string>{"authoritative", "resolver"})) << dnstap_alerts;
    const std::string err = sensor->err();
    EXPECT_NE(err.find("0 bad frames"), std::string::npos) << err;
}

TEST_F(DnstapEndToEnd, NsdAuthMessagesRaiseTheAlertsAPacketCaptureRaises) {
    auto sensor = start_sensor();
    auto tcpdump = start_tcpdump();
    auto nsd = start_nsd(/*dnstap=*/true);
    EXPECT_NE(dig(kAuthority, "www.victim.test", "A", true).find("203.0.113.66"), std::string::npos);
    EXPECT_NE(dig(kAuthority, "victim.test", "NS", true).find("ns1.victim.test."), std::string::npos);
    test::eventually([&] { return !lines_of(sensor->out()).empty(); }, std::chrono::seconds(10));
    nsd.reset();
    const std::string dnstap_alerts = stop_after(*sensor, 1);
    tcpdump->stop(SIGTERM);
    const std::string capture_alerts = replay_capture();

    ASSERT_FALSE(lines_of(dnstap_alerts).empty()) << sensor->err();
    EXPECT_EQ(comparable_set(dnstap_alerts), comparable_set(capture_alerts))
        << "dnstap:\n" << dnstap_alerts << "capture:\n" << capture_alerts;
    const json first = json::parse(lines_of(dnstap_alerts).front());
    EXPECT_EQ(first["vantage"]["role"], "authoritative");
    EXPECT_EQ(first["vantage"]["server"], kAuthority);
}

TEST_F(DnstapEndToEnd, ADotClientsForgedAnswerAlertsViaDnstap) {
    auto sensor = start_sensor();
    auto nsd = start_nsd(/*dnstap=*/false);
    // Only what Unbound tells its clients: the alert can only come from the
    // DoT client's answer.
    auto unbound = start_unbound(/*client_messages=*/true, /*resolver_messages=*/false);
    const test::CommandResult r = test::run_command(
        netns_->wrap({test::find_program("kdig"), "@" + std::string(kResolver), "-p", "853", "+tls", "-b", kClient,
                      "www.victim.test", "A", "+short", "+time=3", "+retry=0"}),
        dir_);
    EXPECT_NE(r.out.find("203.0.113.66"), std::string::npos) << r.out << r.err;
    test::eventually([&] { return !lines_of(sensor->out()).empty(); }, std::chrono::seconds(10));
    unbound.reset();
    nsd.reset();
    const std::vector<std::string> alerts = lines_of(stop_after(*sensor, 1));
    ASSERT_EQ(alerts.size(), 1u) << sensor->err();
    const json alert = json::parse(alerts[0]);
    EXPECT_EQ(alert["name"], "www.victim.test");
    EXPECT_EQ(alert["observed"], json::array({"203.0.113.66"}));
    EXPECT_EQ(alert["vantage"]["role"], "resolver");
    EXPECT_EQ(alert["vantage"]["server"], kResolver);
    EXPECT_EQ(alert["vantage"]["client"], kClient);
}

}  // namespace
}  // namespace dnswatch
