// `dnswatch run` on a live interface (libpcap), as root, inside a network
// namespace of the test's own: a real NSD on 127.83.0.11:53 answers dig; the
// sensor, started before and dropping to `nobody`, sees the traffic; the
// zone is swapped to a forged copy mid-test (NSD restarted on it), which the
// sensor must report at once, and swapped back, which it must report as
// reverted. SIGTERM then ends it cleanly, with its counters. A reload on
// SIGHUP adds and removes watched zones while the sensor captures.
#include <gtest/gtest.h>

#include <pwd.h>

#include <cctype>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/cli/run_support.h"

namespace dnswatch {
namespace {

using nlohmann::json;
using test::lines_of;
using test::write_file;
namespace fs = std::filesystem;

const fs::path kSource = DNSWATCH_SOURCE_DIR;
constexpr const char* kServer = "127.83.0.11";  // an address nothing else uses, in our own namespace anyway

// "Uid:" and "CapEff:" of a running process.
std::string status_field(pid_t pid, const std::string& field) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind(field + ":", 0) == 0) {
            std::istringstream words(line.substr(field.size() + 1));
            std::string first;
            words >> first;
            return first;
        }
    }
    return {};
}

class RunLiveTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "live capture and network namespaces need root";
        for (const char* program : {"ip", "nsd", "dig"}) {
            if (test::find_program(program).empty()) GTEST_SKIP() << program << " is not installed";
        }
        if (::getpwnam("nobody") == nullptr) GTEST_SKIP() << "no user 'nobody' to drop privileges to";
        dir_ = test::scratch_dir("live");
        // NSD's zone files must be readable by it (root); the sensor's by nobody.
        fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                  fs::perms::others_read | fs::perms::others_exec);
    }
    void TearDown() override {
        if (!dir_.empty()) fs::remove_all(dir_);
    }
    fs::path dir_;
};

// A directive of the shipped unit (packaging/dnswatch.service), e.g. "AmbientCapabilities".
std::string unit_directive(const std::string& key) {
    std::ifstream unit(kSource / "packaging/dnswatch.service");
    for (std::string line; std::getline(unit, line);) {
        if (line.rfind(key + "=", 0) == 0) return line.substr(key.size() + 1);
    }
    return {};
}

// The unit's way of giving capture its privileges: started as its user
// already (User=), with the capabilities of AmbientCapabilities=, not as
// root. setpriv(1) starts the sensor the same way (as `nobody`: the
// package's user may not exist here); once the capture is open, no
// capability may be left in any set.
TEST_F(RunLiveTest, UnderTheUnitsAmbientCapabilitiesNoCapabilityIsLeftOnceCaptureIsOpen) {
    if (test::find_program("setpriv").empty()) GTEST_SKIP() << "setpriv is not installed";
    test::Netns netns(dir_);
    ASSERT_TRUE(netns.ok()) << "cannot create a network namespace";
    std::string caps;  // "CAP_NET_RAW CAP_NET_ADMIN" -> "+net_raw,+net_admin"
    std::istringstream names(unit_directive("AmbientCapabilities"));
    for (std::string name; names >> name;) {
        std::string lower;
        for (const char c : name.substr(4)) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        caps += (caps.empty() ? "+" : ",+") + lower;
    }
    ASSERT_FALSE(caps.empty()) << "the unit grants no ambient capability";
    ASSERT_EQ(unit_directive("User"), "dnswatch");
    fs::copy_file(kSource / "samples/victim.test.zone", dir_ / "victim.test.zone");
    write_file(dir_ / "run.yaml",
               "sensor:\n  id: unit-test\nwatch:\n  zones:\n    - name: victim.test\n      zone_file: victim.test.zone\n"
               "capture:\n  source: pcap_live\n  interfaces: [lo]\n  timeout_ms: 0\n"
               "pipeline:\n  workers: 1\nstats:\n  interval: 0\n");
    const passwd* nobody = ::getpwnam("nobody");
    test::Spawned sensor(netns.wrap({test::find_program("setpriv"), "--reuid=" + std::to_string(nobody->pw_uid),
                                     "--regid=" + std::to_string(nobody->pw_gid), "--clear-groups",
                                     "--inh-caps=" + caps, "--ambient-caps=" + caps, DNSWATCH_BINARY, "run",
                                     "--config", (dir_ / "run.yaml").string()}),
                         dir_ / "out", dir_ / "err");
    ASSERT_TRUE(test::eventually([&] { return sensor.err().find("libpcap on lo") != std::string::npos; },
                                 std::chrono::seconds(10)))
        << sensor.err();
    EXPECT_EQ(status_field(sensor.pid(), "Uid"), std::to_string(nobody->pw_uid));
    for (const char* set : {"CapEff", "CapPrm", "CapInh", "CapAmb"}) {
        EXPECT_EQ(status_field(sensor.pid(), set), "0000000000000000") << set;
    }
    EXPECT_EQ(status_field(sensor.pid(), "NoNewPrivs"), "1");
    EXPECT_EQ(sensor.stop(SIGTERM), 0) << sensor.err();
}

TEST_F(RunLiveTest, LibpcapOnLoopbackAlertsOnAHijackPerformedDuringTheRun) {
    test::Netns netns(dir_);
    ASSERT_TRUE(netns.ok()) << "cannot create a network namespace";
    test::write_victim_zones(kSource, dir_);
    write_file(dir_ / "run.yaml",
               "sensor:\n  id: live-test\nwatch:\n  zones:\n    - name: victim.test\n      zone_file: victim.test.zone\n"
               "capture:\n  source: pcap_live\n  interfaces: [lo]\n  timeout_ms: 0\n"
               "pipeline:\n  workers: 2\n  shards: 1\nrun:\n  user: nobody\nstats:\n  interval: 0\n");

    auto nsd = std::make_unique<test::NsdInNetns>(netns, dir_ / "nsd-true", kServer, "victim.test",
                                                  dir_ / "victim.test.zone");
    ASSERT_TRUE(nsd->ok()) << test::slurp(dir_ / "nsd-true" / "nsd.log") << test::slurp(dir_ / "nsd-true" / "nsd.err");

    test::Spawned sensor(netns.wrap({DNSWATCH_BINARY, "run", "--config", (dir_ / "run.yaml").string()}), dir_ / "out",
                         dir_ / "err");
    ASSERT_TRUE(test::eventually([&] { return sensor.err().find("libpcap on lo") != std::string::npos; },
                                 std::chrono::seconds(10)))
        << sensor.err();
    // Capture opened as root, then nobody, without a capability left.
    const passwd* nobody = ::getpwnam("nobody");
    EXPECT_EQ(status_field(sensor.pid(), "Uid"), std::to_string(nobody->pw_uid));
    EXPECT_EQ(status_field(sensor.pid(), "CapEff"), "0000000000000000");

    // True answers: watched, judged, no alert.
    for (int i = 0; i < 3; ++i) EXPECT_NE(nsd->dig("www.victim.test", "A").find("192.0.2.10"), std::string::npos);
    // The hijack: the server now serves the forged zone.
    nsd.reset();
    nsd = std::make_unique<test::NsdInNetns>(netns, dir_ / "nsd-forged", kServer, "victim.test", dir_ / "forged.zone");
    ASSERT_TRUE(nsd->ok());
    EXPECT_NE(nsd->dig("www.victim.test", "A").find("203.0.113.66"), std::string::npos);
    // No other traffic is needed to bring the answer in: each handle hands
    // over every frame, its first one included (libpcap's "inbound" filter
    // used to lose that one; two workers made it the forged query).
    const auto alerted = [&](std::size_t n) { return lines_of(sensor.out()).size() >= n; };
    if (!test::eventually([&] { return alerted(1); }, std::chrono::seconds(10))) {
        sensor.stop(SIGTERM);  // for its summary: what it captured and judged
        FAIL() << "no alert for the forged answer\n" << sensor.err();
    }
    // Restored: the next true answer reverts the alert.
    nsd.reset();
    nsd = std::make_unique<test::NsdInNetns>(netns, dir_ / "nsd-restored", kServer, "victim.test",
                                             dir_ / "victim.test.zone");
    ASSERT_TRUE(nsd->ok());
    nsd->dig("www.victim.test", "A");
    ASSERT_TRUE(test::eventually([&] { return alerted(2); }, std::chrono::seconds(10))) << sensor.out() << sensor.err();
    EXPECT_EQ(sensor.stop(SIGTERM), 0) << sensor.err();

    const std::vector<std::string> alerts = lines_of(sensor.out());
    ASSERT_EQ(alerts.size(), 2u) << sensor.out();
    const json opened = json::parse(alerts[0]);
    const json reverted = json::parse(alerts[1]);
    EXPECT_EQ(opened["state"], "open");
    EXPECT_EQ(opened["name"], "www.victim.test");
    EXPECT_EQ(opened["rrtype"], "A");
    EXPECT_EQ(opened["observed"], json::array({"203.0.113.66"}));
    EXPECT_EQ(opened["vantage"]["server"], kServer);
    EXPECT_EQ(opened["evidence"]["source"], "lo");
    EXPECT_EQ(reverted["id"], opened["id"]);
    EXPECT_EQ(reverted["state"], "reverted");
    const std::string err = sensor.err();
    EXPECT_NE(err.find("event=stopping signal=SIGTERM"), std::string::npos) << err;
    EXPECT_NE(err.find("kernel-dropped 0"), std::string::npos) << err;
    EXPECT_EQ(err.find("received 0,"), std::string::npos) << err;
}

// The watch list changes without a restart: two NSDs serve forged zones;
// the sensor (two workers, two shards) starts watching bank.test only, a
// SIGHUP adds victim.test, a second one removes it again. Each forged answer
// alerts exactly while its zone is watched; an answer about a watched zone
// after each step shows the sensor had taken the step by then.
TEST_F(RunLiveTest, AReloadAddsAndRemovesWatchedZonesWhileCapturing) {
    test::Netns netns(dir_);
    ASSERT_TRUE(netns.ok()) << "cannot create a network namespace";
    fs::copy_file(kSource / "samples/victim.test.zone", dir_ / "victim.test.zone");
    const std::string bank_zone =
        "$ORIGIN bank.test.\n$TTL 3600\n@ IN SOA ns1 hostmaster 1 3600 900 604800 300\n@ IN NS ns1\n"
        "ns1 IN A 192.0.2.53\nwww IN A 198.51.100.80\nmail IN A 198.51.100.25\n";
    write_file(dir_ / "bank.test.zone", bank_zone);
    // The attacker's copies: every address of www and mail moved.
    auto forge = [](std::string zone) {
        for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
                 {"192.0.2.10", "203.0.113.66"}, {"192.0.2.11", "203.0.113.66"}, {"192.0.2.25", "203.0.113.25"},
                 {"198.51.100.80", "203.0.113.80"}, {"198.51.100.25", "203.0.113.26"}}) {
            for (auto at = zone.find(from); at != std::string::npos; at = zone.find(from)) zone.replace(at, from.size(), to);
        }
        return zone;
    };
    write_file(dir_ / "victim-forged.zone", forge(test::slurp(dir_ / "victim.test.zone")));
    write_file(dir_ / "bank-forged.zone", forge(bank_zone));
    const std::string common =
        "sensor:\n  id: reload-test\n"
        "capture:\n  source: pcap_live\n  interfaces: [lo]\n  timeout_ms: 0\n"
        "pipeline:\n  workers: 2\n  shards: 2\nstats:\n  interval: 0\n";
    const std::string bank = "    - name: bank.test\n      zone_file: bank.test.zone\n";
    const std::string victim = "    - name: victim.test\n      zone_file: victim.test.zone\n";
    write_file(dir_ / "run.yaml", common + "watch:\n  zones:\n" + bank);

    test::NsdInNetns victim_nsd(netns, dir_ / "nsd-victim", kServer, "victim.test", dir_ / "victim-forged.zone");
    ASSERT_TRUE(victim_nsd.ok()) << test::slurp(dir_ / "nsd-victim" / "nsd.log");
    test::NsdInNetns bank_nsd(netns, dir_ / "nsd-bank", "127.83.0.12", "bank.test", dir_ / "bank-forged.zone");
    ASSERT_TRUE(bank_nsd.ok()) << test::slurp(dir_ / "nsd-bank" / "nsd.log");

    test::Spawned sensor(netns.wrap({DNSWATCH_BINARY, "run", "--config", (dir_ / "run.yaml").string()}), dir_ / "out",
                         dir_ / "err");
    ASSERT_TRUE(test::eventually([&] { return sensor.err().find("libpcap on lo") != std::string::npos; },
                                 std::chrono::seconds(10)))
        << sensor.err();
    const auto alerts = [&] { return lines_of(sensor.out()); };
    // Asks `name` until the sensor has emitted `n` alerts (some kernels hand
    // a quiet socket's last frame over only when the next one arrives).
    const auto ask_until = [&](const test::NsdInNetns& nsd, const std::string& name, std::size_t n) {
        return test::eventually(
            [&] {
                nsd.dig(name, "A");
                return alerts().size() >= n;
            },
            std::chrono::seconds(10));
    };
    const auto reload_and_wait = [&](const std::string& zones, int nth) {
        write_file(dir_ / "run.yaml", common + "watch:\n  zones:\n" + zones);
        ASSERT_EQ(::kill(sensor.pid(), SIGHUP), 0);
        ASSERT_TRUE(test::eventually(
            [&] {
                const std::string err = sensor.err();
                std::size_t count = 0;
                for (auto at = err.find("result=ok"); at != std::string::npos; at = err.find("result=ok", at + 1)) ++count;
                return count >= static_cast<std::size_t>(nth);
            },
            std::chrono::seconds(10)))
            << sensor.err();
    };

    // bank.test only: the forged victim answer passes unjudged.
    EXPECT_NE(victim_nsd.dig("www.victim.test", "A").find("203.0.113.66"), std::string::npos);
    ASSERT_TRUE(ask_until(bank_nsd, "www.bank.test", 1)) << sensor.err();

    // victim.test added: judged from now on.
    reload_and_wait(victim + bank, 1);
    EXPECT_NE(sensor.err().find("zones_added=1"), std::string::npos) << sensor.err();
    ASSERT_TRUE(ask_until(victim_nsd, "www.victim.test", 2)) << sensor.err();

    // victim.test removed again: its next forged answer is not judged; the
    // bank answer after it shows the sensor has seen it by then.
    reload_and_wait(bank, 2);
    EXPECT_NE(sensor.err().find("zones_removed=1"), std::string::npos) << sensor.err();
    victim_nsd.dig("mail.victim.test", "A");
    ASSERT_TRUE(ask_until(bank_nsd, "mail.bank.test", 3)) << sensor.err();
    EXPECT_EQ(sensor.stop(SIGTERM), 0) << sensor.err();

    const std::vector<std::string> lines = alerts();
    ASSERT_EQ(lines.size(), 3u) << sensor.out();
    const json first = json::parse(lines[0]);
    const json second = json::parse(lines[1]);
    const json third = json::parse(lines[2]);
    EXPECT_EQ(first["name"], "www.bank.test");
    EXPECT_EQ(second["name"], "www.victim.test");
    EXPECT_EQ(second["zone"], "victim.test");
    EXPECT_EQ(second["observed"], json::array({"203.0.113.66"}));
    EXPECT_EQ(third["name"], "mail.bank.test");
    EXPECT_EQ(sensor.err().find("reload_rejected"), std::string::npos) << sensor.err();
    EXPECT_NE(sensor.err().find("rings: 0 packets dropped, 0 messages dropped, 0 alerts dropped"), std::string::npos)
        << sensor.err();
}

}  // namespace
}  // namespace dnswatch
