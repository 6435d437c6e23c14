// `dnswatch check-config` as an operator runs it: the real binary, one config
// per kind of mistake, exit status 2 and the mistake's file:line:col on stderr.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/run_command.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;

class CheckConfigTest : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = fs::temp_directory_path() /
               ("dnswatch-check-config-" + std::string(info->name()) + "-" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "baseline");
        std::ofstream(dir_ / "baseline/victim.test.zone")
            << "victim.test. 3600 IN SOA ns1.victim.test. admin.victim.test. 1 7200 3600 1209600 300\n"
               "victim.test. 3600 IN NS ns1.victim.test.\n";
    }
    void TearDown() override { fs::remove_all(dir_); }

    // Runs check-config on `yaml` (written after the minimal watch section).
    test::CommandResult check(const std::string& extra) {
        config_path_ = (dir_ / "dnswatch.yaml").string();
        std::ofstream(config_path_) << "watch:\n  zones:\n    - name: victim.test\n"
                                       "      zone_file: baseline/victim.test.zone\n"
                                    << extra;
        return test::run_command({DNSWATCH_BINARY, "check-config", "--config", config_path_}, dir_);
    }

    fs::path dir_;
    std::string config_path_;
};

TEST_F(CheckConfigTest, AValidConfigPrintsItselfWithUnitsAndExitsZero) {
    const auto result = check("stats:\n  interval: 1m\ndecode:\n  reassembly:\n    total_bytes: 64MiB\n");
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("interval: 1m"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("total_bytes: 64MiB"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("linger_ms: 2s"), std::string::npos) << result.out;
}

TEST_F(CheckConfigTest, UnknownKey) {
    const auto result = check("publish:\n  zmq:\n    lingr_ms: 5\n");
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find(config_path_ + ":7:5: unknown key 'lingr_ms' in publish.zmq"), std::string::npos)
        << result.err;
}

TEST_F(CheckConfigTest, WrongType) {
    const auto result = check("state:\n  fsync: sometimes\n");
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find(config_path_ + ":6:10: state.fsync: expected true or false, got 'sometimes'"),
              std::string::npos)
        << result.err;
}

TEST_F(CheckConfigTest, OutOfRange) {
    const auto result = check("publish:\n  zmq:\n    linger_ms: 2m\n");
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find(config_path_ + ":7:16: publish.zmq.linger_ms: 2m is out of range (0s..1m)"),
              std::string::npos)
        << result.err;
}

TEST_F(CheckConfigTest, MissingZoneFile) {
    const auto result = check("baseline:\n  zone_files: [baseline/parent.zone]\n");
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find(config_path_ +
                              ":6:16: baseline.zone_files[0]: cannot read 'baseline/parent.zone' (No such file or "
                              "directory)"),
              std::string::npos)
        << result.err;
}

TEST_F(CheckConfigTest, MissingWatchedZoneFile) {
    const std::string path = (dir_ / "watch.yaml").string();
    std::ofstream(path) << "watch:\n  zones:\n    - name: victim.test\n      zone_file: zones/victim.test.zone\n";
    const auto result = test::run_command({DNSWATCH_BINARY, "check-config", "--config", path}, dir_);
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find(path + ":4:18: watch.zones[0].zone_file: cannot read 'zones/victim.test.zone' (No such "
                                     "file or directory)"),
              std::string::npos)
        << result.err;
    EXPECT_EQ(result.out, "");  // no effective config for a config that is not valid
}

TEST_F(CheckConfigTest, BadDurationAndBadSize) {
    const auto result = check("stats:\n  interval: 10 minutes\ncapture:\n  buffer_bytes: 32MB!\n");
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find(config_path_ +
                              ":6:13: stats.interval: expected a duration such as 30s, 15m, 48h or 7d (a bare number "
                              "counts seconds), got '10 minutes'"),
              std::string::npos)
        << result.err;
    EXPECT_NE(result.err.find(config_path_ +
                              ":8:17: capture.buffer_bytes: expected a size such as 64KiB, 64MiB or 1GiB (a bare "
                              "number counts bytes), got '32MB!'"),
              std::string::npos)
        << result.err;
}

TEST_F(CheckConfigTest, ReferenceIsTheCommittedPage) {
    const auto result = test::run_command({DNSWATCH_BINARY, "check-config", "--reference"}, dir_);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("| `publish.zmq.linger_ms` | duration | 0s..1m | `2s` |"), std::string::npos)
        << result.out;
    EXPECT_NE(result.out.find("| `decode.reassembly.total_bytes` | size | 64KiB..16GiB | `32MiB` |"),
              std::string::npos)
        << result.out;
}

}  // namespace
}  // namespace dnswatch
