// `dnswatch run` on a live interface (libpcap), as root, inside a network
// namespace of the test's own: a real NSD on 127.83.0.11:53 answers dig; the
// sensor, started before and dropping to `nobody`, sees the traffic; the
// zone is swapped to a forged copy mid-test (NSD restarted on it), which the
// sensor must report at once, and swapped back, which it must report as
// reverted. SIGTERM then ends it cleanly, with its counters.
#include <gtest/gtest.h>

#include <pwd.h>

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

TEST_F(RunLiveTest, LibpcapOnLoopbackAlertsOnAHijackPerformedDuringTheRun) {
    test::Netns netns(dir_);
    ASSERT_TRUE(netns.ok()) << "cannot create a network namespace";
    fs::copy_file(kSource / "samples/victim.test.zone", dir_ / "victim.test.zone");
    // The attacker's copy: www moved to its own address, the rest untouched.
    std::ifstream in(kSource / "samples/victim.test.zone");
    std::string forged;
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("www     IN A    192.0.2.11", 0) == 0) continue;
        if (line.rfind("www     IN A    192.0.2.10", 0) == 0) line = "www     IN A    203.0.113.66";
        forged += line + "\n";
    }
    write_file(dir_ / "forged.zone", forged);
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
    // Asking again now and then: some kernels hand the last frame of a
    // quiet socket ring over only when the next one arrives.
    int polls = 0;
    const auto alerted = [&](std::size_t n) {
        if (++polls % 25 == 0) nsd->dig("victim.test", "SOA");
        return lines_of(sensor.out()).size() >= n;
    };
    ASSERT_TRUE(test::eventually([&] { return alerted(1); }, std::chrono::seconds(10)))
        << "no alert for the forged answer\n" << sensor.err();
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
    EXPECT_NE(err.find("SIGTERM: stopping capture"), std::string::npos) << err;
    EXPECT_NE(err.find("kernel-dropped 0"), std::string::npos) << err;
    EXPECT_EQ(err.find("received 0,"), std::string::npos) << err;
}

}  // namespace
}  // namespace dnswatch
