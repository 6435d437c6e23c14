// The keys `dnswatch run` reads (config/live_config.h): defaults, values,
// and each kind of mistake located at file:line:col.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/config.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;

class LiveConfigTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("dnswatch-live-config-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
        std::ofstream(dir_ / "victim.test.zone") << "victim.test. 3600 IN SOA ns1 admin 1 7200 3600 1209600 300\n";
        std::ofstream(dir_ / "a.pcap") << "not read by load_config, only checked readable\n";
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string path(const std::string& yaml) {
        std::ofstream(dir_ / "dnswatch.yaml") << kMinimal << yaml;
        return (dir_ / "dnswatch.yaml").string();
    }
    std::vector<std::string> issues_of(const std::string& yaml) {
        try {
            load_config(path(yaml));
        } catch (const ConfigError& e) {
            std::vector<std::string> issues;
            for (const ConfigIssue& issue : e.issues()) issues.push_back(issue.to_string().substr(dir_.string().size() + 15));
            return issues;
        }
        return {};
    }

    static constexpr const char* kMinimal = "watch:\n  zones:\n    - name: victim.test\n      zone_file: victim.test.zone\n";
    fs::path dir_;
};

TEST_F(LiveConfigTest, DefaultsSuitALiveSensor) {
    const Config config = load_config(path(""));
    EXPECT_EQ(config.capture.source, "pcap_live");
    EXPECT_EQ(config.capture.speed_factor, 0.0);
    EXPECT_EQ(config.capture.timeout_ms, 0);
    EXPECT_EQ(config.capture.snaplen, 65535);
    EXPECT_FALSE(config.capture.promiscuous);
    EXPECT_EQ(config.capture.filter, "");
    EXPECT_EQ(config.capture.dpdk.burst, 32);
    EXPECT_EQ(config.pipeline.workers, 0);
    EXPECT_EQ(config.pipeline.shards, 0);
    EXPECT_EQ(config.run.user, "");
    EXPECT_EQ(config.run.stats_interval_s, 10);
}

TEST_F(LiveConfigTest, EveryKeyIsRead) {
    const Config config = load_config(path(R"(capture:
  source: pcap_file
  files: [a.pcap]
  speed: 2.5x
  interfaces: [eth0, eth1]
  filter: udp port 53
  timeout_ms: 10
  promiscuous: true
  idle_exit_ms: 500
  dpdk:
    eal_args: [--no-huge, -d, librte_net_pcap.so.23]
    ports: [net_pcap0]
    burst: 64
pipeline:
  workers: 3
  shards: 2
run:
  user: nobody
stats:
  interval: 0
)"));
    EXPECT_EQ(config.capture.source, "pcap_file");
    EXPECT_EQ(config.capture.files, std::vector<std::string>{(dir_ / "a.pcap").string()});
    EXPECT_EQ(config.capture.speed_factor, 2.5);
    EXPECT_EQ(config.capture.interfaces, (std::vector<std::string>{"eth0", "eth1"}));
    EXPECT_EQ(config.capture.filter, "udp port 53");
    EXPECT_TRUE(config.capture.promiscuous);
    EXPECT_EQ(config.capture.idle_exit_ms, 500);
    EXPECT_EQ(config.capture.dpdk.eal_args, (std::vector<std::string>{"--no-huge", "-d", "librte_net_pcap.so.23"}));
    EXPECT_EQ(config.capture.dpdk.burst, 64);
    EXPECT_EQ(config.pipeline.workers, 3);
    EXPECT_EQ(config.run.user, "nobody");
    EXPECT_EQ(config.run.stats_interval_s, 0);
    // And the effective config reads back to the same.
    std::ofstream(dir_ / "effective.yaml") << to_yaml(config);
    EXPECT_EQ(to_yaml(load_config((dir_ / "effective.yaml").string())), to_yaml(config));
}

TEST_F(LiveConfigTest, MistakesAreLocated) {
    EXPECT_EQ(issues_of("capture:\n  source: pcapfile\n"),
              std::vector<std::string>{"6:11: capture.source: 'pcapfile': expected pcap_live, dpdk, dnstap or pcap_file"});
    EXPECT_EQ(issues_of("capture:\n  speed: fast\n"),
              std::vector<std::string>{"6:10: capture.speed: 'fast': expected max, recorded or a factor such as 10x"});
    EXPECT_EQ(issues_of("capture:\n  interfaces: lo\n"),
              std::vector<std::string>{"6:15: capture.interfaces: expected a list, got 'lo'"});
    EXPECT_EQ(issues_of("capture:\n  interfaces: [lo, \"\"]\n"),
              std::vector<std::string>{"6:20: capture.interfaces[1]: expected a non-empty string, got an empty string"});
    EXPECT_EQ(issues_of("capture:\n  dpdk:\n    burst: 65\n"),
              std::vector<std::string>{"7:12: capture.dpdk.burst: 65 is out of range (1..64)"});
    EXPECT_EQ(issues_of("pipeline:\n  worker: 2\n"),
              std::vector<std::string>{"6:3: unknown key 'worker' in pipeline (expected one of: workers, shards, "
                                       "reader_ring_bytes, message_ring_bytes, alert_ring)"});
}

}  // namespace
}  // namespace dnswatch
