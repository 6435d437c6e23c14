// Each mistake kind, with the exact file:line:col and message it produces.
#include "config/config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace dnswatch {
namespace {

namespace fs = std::filesystem;

class ConfigTest : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = fs::temp_directory_path() /
               ("dnswatch-config-" + std::string(info->name()) + "-" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "baseline");
        write("baseline/victim.test.zone", "victim.test. 3600 IN SOA ns1 admin 1 7200 3600 1209600 300\n");
        write("baseline/other.test.zone", "other.test. 3600 IN SOA ns1 admin 1 7200 3600 1209600 300\n");
        write("baseline/test.zone", "test. 3600 IN SOA ns1 admin 1 7200 3600 1209600 300\n");
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string write(const std::string& name, const std::string& text) {
        const fs::path path = dir_ / name;
        std::ofstream(path, std::ios::binary) << text;
        return path.string();
    }

    // "line:col: message" for each issue (the file part is checked separately).
    std::vector<std::string> issues_of(const std::string& yaml) {
        const std::string path = write("dnswatch.yaml", yaml);
        try {
            load_config(path);
        } catch (const ConfigError& e) {
            std::vector<std::string> out;
            for (const ConfigIssue& issue : e.issues()) {
                EXPECT_EQ(issue.file, path);
                out.push_back(std::to_string(issue.line) + ":" + std::to_string(issue.column) + ": " +
                              issue.message);
            }
            return out;
        }
        ADD_FAILURE() << "expected a ConfigError for:\n" << yaml;
        return {};
    }

    std::string resolved(const std::string& name) const { return (dir_ / name).lexically_normal().string(); }

    fs::path dir_;
};

using Issues = std::vector<std::string>;

constexpr const char* kMinimal = R"(watch:
  zones:
    - name: victim.test
      zone_file: baseline/victim.test.zone
)";

std::string host_name() {
    char buffer[256] = {};
    gethostname(buffer, sizeof buffer - 1);
    return buffer;
}

TEST_F(ConfigTest, MinimalConfigGetsDefaultsAndResolvedPaths) {
    const Config config = load_config(write("dnswatch.yaml", kMinimal));
    EXPECT_EQ(config.source_path, (dir_ / "dnswatch.yaml").string());
    EXPECT_EQ(config.sensor_id, host_name());
    ASSERT_EQ(config.zones.size(), 1u);
    EXPECT_EQ(config.zones[0].name, "victim.test");
    EXPECT_EQ(config.zones[0].zone_file, resolved("baseline/victim.test.zone"));
    EXPECT_TRUE(config.baseline_zone_files.empty());
    EXPECT_EQ(config.zmq.endpoint, "");
    EXPECT_EQ(config.zmq.linger_ms, 2000);
    EXPECT_EQ(config.zmq.send_hwm, 100000);
}

TEST_F(ConfigTest, SchemaDefaultsAgreeWithTheStructDefaults) {
    const Config config = load_config(write("dnswatch.yaml", kMinimal));
    const ZmqPublishConfig defaults;
    EXPECT_EQ(config.zmq.endpoint, defaults.endpoint);
    EXPECT_EQ(config.zmq.linger_ms, defaults.linger_ms);
    EXPECT_EQ(config.zmq.send_hwm, defaults.send_hwm);
}

TEST_F(ConfigTest, FullConfigIsReadAndNamesAreNormalised) {
    fs::create_directories(dir_ / "etc");
    const Config config = load_config(write("etc/dnswatch.yaml", R"(sensor:
  id: ns-fra-1
watch:
  zones:
    - name: Victim.Test.
      zone_file: ../baseline/victim.test.zone
    - name: other.test
      zone_file: )" + resolved("baseline/other.test.zone") + R"(
baseline:
  zone_files: [../baseline/test.zone]
publish:
  zmq:
    endpoint: tcp://127.0.0.1:5556
    linger_ms: 0
    send_hwm: 10000000
)"));
    EXPECT_EQ(config.sensor_id, "ns-fra-1");
    ASSERT_EQ(config.zones.size(), 2u);
    EXPECT_EQ(config.zones[0].name, "victim.test");
    EXPECT_EQ(config.zones[0].zone_file, resolved("baseline/victim.test.zone"));
    EXPECT_EQ(config.zones[1].name, "other.test");
    EXPECT_EQ(config.zones[1].zone_file, resolved("baseline/other.test.zone"));
    EXPECT_EQ(config.baseline_zone_files, std::vector<std::string>{resolved("baseline/test.zone")});
    EXPECT_EQ(config.zmq.endpoint, "tcp://127.0.0.1:5556");
    EXPECT_EQ(config.zmq.linger_ms, 0);
    EXPECT_EQ(config.zmq.send_hwm, 10000000);
}

TEST_F(ConfigTest, EmptyOptionalSectionsMeanDefaults) {
    const Config config = load_config(write("dnswatch.yaml", std::string(kMinimal) + R"(sensor:
baseline:
publish:
  zmq:
    endpoint:
)"));
    EXPECT_EQ(config.sensor_id, host_name());
    EXPECT_TRUE(config.baseline_zone_files.empty());
    EXPECT_EQ(config.zmq.endpoint, "");
    EXPECT_EQ(config.zmq.linger_ms, 2000);
}

TEST_F(ConfigTest, UnknownKeyListsTheExpectedOnes) {
    EXPECT_EQ(issues_of(R"(watch:
  zones:
    - name: victim.test
      zonefile: baseline/victim.test.zone
)"),
              (Issues{"3:7: watch.zones[0]: expected zone_file, primary or learn: true (where its baseline comes from)",
                      "4:7: unknown key 'zonefile' in watch.zones[0] (expected one of: name, zone_file, learn, primary, versions)"}));
    EXPECT_EQ(issues_of(std::string(kMinimal) + "publsh: {}\n"),
              (Issues{"5:1: unknown key 'publsh' at the top level (expected one of: sensor, watch, baseline, publish, state, detect, transparency_log, decode, capture, pipeline, run, stats, metrics, log)"}));
    EXPECT_EQ(issues_of(std::string(kMinimal) + "publish:\n  zmq:\n    hwm: 5\n"),
              (Issues{"7:5: unknown key 'hwm' in publish.zmq (expected one of: endpoint, linger_ms, heartbeat_interval, send_hwm, catchup_endpoint, curve_key_file, client_keys, public_endpoint, public_client_keys)"}));
}

TEST_F(ConfigTest, WrongTypesSayWhatWasExpected) {
    EXPECT_EQ(issues_of(R"(sensor:
  id: {name: x}
watch:
  zones:
    - name: [victim.test]
      zone_file: baseline/victim.test.zone
    - just a string
baseline:
  zone_files: baseline/test.zone
publish:
  zmq:
    endpoint: [tcp://127.0.0.1:1]
    linger_ms: 2 s
    send_hwm: 1.5
)"),
              (Issues{
                  "2:7: sensor.id: expected a string, got a mapping",
                  "5:13: watch.zones[0].name: expected a string, got a sequence",
                  "7:7: watch.zones[1]: expected a mapping, got 'just a string'",
                  "9:15: baseline.zone_files: expected a list, got 'baseline/test.zone'",
                  "12:15: publish.zmq.endpoint: expected a string, got a sequence",
                  "13:16: publish.zmq.linger_ms: expected a duration such as 30s, 15m, 48h or 7d (a bare number counts ms), "
                  "got '2 s'",
                  "14:15: publish.zmq.send_hwm: expected an integer, got '1.5'",
              }));
    EXPECT_EQ(issues_of("watch: victim.test\n"), (Issues{"1:8: watch: expected a mapping, got 'victim.test'"}));
    EXPECT_EQ(issues_of("watch:\n  zones: victim.test\n"),
              (Issues{"2:10: watch.zones: expected a list, got 'victim.test'"}));
    EXPECT_EQ(issues_of("- watch\n"), (Issues{"1:1: expected a mapping at the top level, got a sequence"}));
    EXPECT_EQ(issues_of(std::string(kMinimal) + "baseline:\n  zone_files:\n    - {path: x}\n"),
              (Issues{"7:7: baseline.zone_files[0]: expected a string, got a mapping"}));
}

TEST_F(ConfigTest, IntegersOutOfRange) {
    EXPECT_EQ(issues_of(std::string(kMinimal) + R"(publish:
  zmq:
    linger_ms: 90000
    send_hwm: 0
)"),
              (Issues{"7:16: publish.zmq.linger_ms: 90000 is out of range (0s..1m)",
                      "8:15: publish.zmq.send_hwm: 0 is out of range (1..10000000)"}));
    EXPECT_EQ(issues_of(std::string(kMinimal) + "publish:\n  zmq:\n    linger_ms: 99999999999999999999999\n"),
              (Issues{"7:16: publish.zmq.linger_ms: 99999999999999999999999 is out of range (0s..1m)"}));
    EXPECT_EQ(issues_of(std::string(kMinimal) + "publish:\n  zmq:\n    linger_ms: 300000000000000d\n"),
              (Issues{"7:16: publish.zmq.linger_ms: 300000000000000d is out of range (0s..1m)"}));
    EXPECT_EQ(issues_of(std::string(kMinimal) + "publish:\n  zmq:\n    linger_ms: -1\n"),
              (Issues{"7:16: publish.zmq.linger_ms: expected a duration such as 30s, 15m, 48h or 7d (a bare number "
                      "counts ms), got '-1'"}));
}

TEST_F(ConfigTest, MissingOrUnreadableZoneFiles) {
    fs::create_directories(dir_ / "a-directory");
    EXPECT_EQ(issues_of(R"(watch:
  zones:
    - name: victim.test
      zone_file: nope.zone
    - name: other.test
      zone_file: a-directory
baseline:
  zone_files:
    - baseline/test.zone
    - missing/parent.zone
)"),
              (Issues{"4:18: watch.zones[0].zone_file: cannot read 'nope.zone' (No such file or directory)",
                      "6:18: watch.zones[1].zone_file: cannot read 'a-directory' (Is a directory)",
                      "10:7: baseline.zone_files[1]: cannot read 'missing/parent.zone' (No such file or directory)"}));
}

TEST_F(ConfigTest, RequiredKeysAreReportedAtTheirParent) {
    EXPECT_EQ(issues_of("sensor:\n  id: x\n"), (Issues{"1:1: watch: required key is missing"}));
    EXPECT_EQ(issues_of("sensor:\n  id: x\nwatch: {}\n"),
              (Issues{"3:8: watch: expected zones, zones_file or both (what to watch)"}));
    EXPECT_EQ(issues_of("sensor:\n  id: x\nwatch:\n"),
              (Issues{"3:1: watch: expected zones, zones_file or both (what to watch)"}));
    EXPECT_EQ(issues_of("watch:\n  zones:\n    - zone_file: baseline/victim.test.zone\n"),
              (Issues{"3:7: watch.zones[0].name: required key is missing"}));
    EXPECT_EQ(issues_of("watch:\n  zones:\n    - name:\n      zone_file: baseline/victim.test.zone\n"),
              (Issues{"3:7: watch.zones[0].name: expected a string, got nothing"}));
    // An empty list is no list (a registry may watch only watch.zones_file).
    EXPECT_EQ(issues_of("watch:\n  zones: []\n"),
              (Issues{"2:3: watch: expected zones, zones_file or both (what to watch)"}));
}

TEST_F(ConfigTest, DnsNamesMustBeValid) {
    const std::string long_label(64, 'a');
    std::string long_name;
    for (int i = 0; i < 4; ++i) long_name += std::string(63, 'b') + ".";
    long_name += "test";  // 256 characters
    EXPECT_EQ(issues_of("watch:\n  zones:\n"
                        "    - {name: a..test, zone_file: baseline/test.zone}\n"
                        "    - {name: " + long_label + ".test, zone_file: baseline/test.zone}\n"
                        "    - {name: " + long_name + ", zone_file: baseline/test.zone}\n"
                        "    - {name: 'bad name.test', zone_file: baseline/test.zone}\n"
                        "    - {name: ., zone_file: baseline/test.zone}\n"
                        "    - {name: '', zone_file: baseline/test.zone}\n"),
              (Issues{
                  "3:14: watch.zones[0].name: 'a..test' has an empty label",
                  "4:14: watch.zones[1].name: '" + long_label + ".test' has a label longer than 63 bytes",
                  "5:14: watch.zones[2].name: 'bbbbbbbbbbbbbbbbbbbb...' is longer than 253 characters",
                  "6:14: watch.zones[3].name: 'bad name.test' is not a valid DNS name (character ' '; letters, "
                  "digits, '-' and '_' only)",
                  "7:14: watch.zones[4].name: the root zone cannot be watched",
                  "8:14: watch.zones[5].name: expected a DNS name, got an empty string",
              }));
}

TEST_F(ConfigTest, DuplicateZonesAndDuplicateKeys) {
    EXPECT_EQ(issues_of(R"(watch:
  zones:
    - name: victim.test
      zone_file: baseline/victim.test.zone
    - name: Victim.Test.
      zone_file: baseline/victim.test.zone
      zone_file: baseline/other.test.zone
)"),
              (Issues{"5:13: watch.zones[1].name: 'victim.test' is listed twice (first at line 3, column 13)",
                      "7:7: duplicate key 'zone_file' in watch.zones[1] (first at line 6, column 7)"}));
}

TEST_F(ConfigTest, EndpointMustNameAZeroMqTransport) {
    EXPECT_EQ(issues_of(std::string(kMinimal) + "publish:\n  zmq:\n    endpoint: udp://127.0.0.1:5556\n"),
              (Issues{"7:15: publish.zmq.endpoint: 'udp://127.0.0.1:5556' must start with tcp://, ipc:// or "
                      "inproc://"}));
}

TEST_F(ConfigTest, PlaintextIsForLoopbackOnlyAndTheLogNeedsItsKey) {
    EXPECT_EQ(issues_of(std::string(kMinimal) + "publish:\n  zmq:\n    endpoint: tcp://0.0.0.0:5556\n"),
              (Issues{"7:15: publish.zmq.endpoint: 'tcp://0.0.0.0:5556' is not a loopback address, so it needs "
                      "publish.zmq.curve_key_file (dnswatch keygen)"}));
    const Config loopback = load_config(write("loopback.yaml", std::string(kMinimal) +
                                                             "publish:\n  zmq:\n    endpoint: tcp://127.0.0.1:5556\n"
                                                             "    catchup_endpoint: tcp://[::1]:5557\n"));
    EXPECT_EQ(loopback.zmq.catchup_endpoint, "tcp://[::1]:5557");
    EXPECT_EQ(issues_of(std::string(kMinimal) + "transparency_log:\n  dir: tlog\n"),
              (Issues{"6:3: transparency_log: dir and key_file go together"}));
    const Config state = load_config(write("state.yaml", std::string(kMinimal) + "state:\n  dir: state\n  max_open_alerts: 10\n"));
    EXPECT_EQ(state.state.dir, resolved("state"));  // relative to the config file, created when needed
    EXPECT_EQ(state.state.max_open_alerts, 10);
    EXPECT_TRUE(state.state.fsync);
    EXPECT_FALSE(load_config(write("nosync.yaml", std::string(kMinimal) + "state:\n  fsync: false\n")).state.fsync);
    EXPECT_EQ(issues_of(std::string(kMinimal) + "state:\n  fsync: sometimes\n"),
              (Issues{"6:10: state.fsync: expected true or false, got 'sometimes'"}));
}

// Issue 14: the public endpoint follows the store and is plaintext only on
// loopback; each problem is reported where the user wrote it (two problems
// at one key used to send the second to the key's parent).
TEST_F(ConfigTest, ThePublicEndpointNeedsTheStoreAndItsOwnKeys) {
    EXPECT_EQ(issues_of(std::string(kMinimal) + "publish:\n  zmq:\n    public_endpoint: tcp://192.0.2.1:5599\n"),
              (Issues{"7:22: publish.zmq.public_endpoint: 'tcp://192.0.2.1:5599' is not a loopback address, so it "
                      "needs publish.zmq.curve_key_file (dnswatch keygen)",
                      "7:22: publish.zmq.public_endpoint needs state.dir (held creates and deletes wait in the store)"}));
    const Config config = load_config(write("public.yaml", std::string(kMinimal) +
                                                           "state:\n  dir: state\npublish:\n  zmq:\n"
                                                           "    public_endpoint: tcp://127.0.0.1:5599\n"
                                                           "  delay_creates_deletes: 2h\n"));
    EXPECT_EQ(config.zmq.public_endpoint, "tcp://127.0.0.1:5599");
    EXPECT_EQ(config.zmq.delay_creates_deletes_ms, 2 * 3600 * 1000);
    EXPECT_EQ(load_config(write("default.yaml", kMinimal)).zmq.delay_creates_deletes_ms, 24LL * 3600 * 1000);
}

// Issue 14: retention (a bare number counts days) and the log over HTTP.
TEST_F(ConfigTest, RetentionAndTheLogsHttpEndpoint) {
    const Config config = load_config(write("retention.yaml", std::string(kMinimal) +
                                                              "state:\n  dir: state\n  retention: 90d\n"));
    EXPECT_EQ(config.state.retention_ms, 90LL * 86400 * 1000);
    EXPECT_EQ(load_config(write("bare.yaml", std::string(kMinimal) + "state:\n  dir: state\n  retention: 30\n"))
                  .state.retention_ms,
              30LL * 86400 * 1000);
    EXPECT_EQ(load_config(write("off.yaml", std::string(kMinimal))).state.retention_ms, 0);
    EXPECT_EQ(issues_of(std::string(kMinimal) + "state:\n  retention: 90d\n"),
              (Issues{"6:14: state.retention needs state.dir (what it prunes)"}));
    EXPECT_EQ(issues_of(std::string(kMinimal) + "transparency_log:\n  http: 127.0.0.1:8080\n"),
              (Issues{"6:9: transparency_log.http needs transparency_log.dir"}));
    const Issues bad = issues_of(std::string(kMinimal) + "transparency_log:\n  dir: tlog\n  key_file: k\n  http: nowhere\n");
    EXPECT_NE(std::find(bad.begin(), bad.end(),
                        "8:9: transparency_log.http: 'nowhere': expected IPV4:PORT or [IPV6]:PORT, e.g. 127.0.0.1:8080"),
              bad.end())
        << ::testing::PrintToString(bad);
}

// watch.zones[].versions (issue 14): the zone's later zone files by packet
// time, read whole; every entry that could not be applied as written is
// refused where it stands.
TEST_F(ConfigTest, ZoneVersionsAreReadAndRefusedWhereTheyCannotApply) {
    write("baseline/test.v2.zone", "test. 3600 IN SOA ns1 admin 2 7200 3600 1209600 300\n");
    write("baseline/test.v3.zone", "test. 3600 IN SOA ns1 admin 3 7200 3600 1209600 300\n");
    // The zone `test` from its file, then these versions (lines 6 on).
    const auto with_versions = [](const std::string& entries) {
        return "watch:\n  zones:\n    - name: test\n      zone_file: baseline/test.zone\n      versions:\n" + entries;
    };
    const Config config = load_config(write("versions.yaml", with_versions(R"(        - from: 2026-03-20T10:00:00Z
          zone_file: baseline/test.v2.zone
        - from: 2026-03-20T15:00:00+02:00
          zone_file: baseline/test.v3.zone
    - name: victim.test
      zone_file: baseline/victim.test.zone
)")));
    ASSERT_EQ(config.zones.size(), 2u);
    ASSERT_EQ(config.zones[0].versions.size(), 2u);
    EXPECT_EQ(config.zones[0].versions[0].from_us, 1774000800LL * 1000000);  // 2026-03-20T10:00:00Z
    EXPECT_EQ(config.zones[0].versions[0].zone_file, resolved("baseline/test.v2.zone"));
    EXPECT_EQ(config.zones[0].versions[1].from_us, 1774000800LL * 1000000 + 3 * 3600LL * 1000000);  // 13:00Z
    EXPECT_TRUE(config.zones[1].versions.empty());

    // Times that do not go forward, each at the offending entry's `from`.
    EXPECT_EQ(issues_of(with_versions(R"(        - from: 2026-03-20T10:00:00Z
          zone_file: baseline/test.v2.zone
        - from: 2026-03-20T09:00:00Z
          zone_file: baseline/test.v3.zone
        - from: 2026-03-20T09:00:00Z
          zone_file: baseline/test.v3.zone
)")),
              (Issues{"8:17: watch.zones[0].versions[1].from: 2026-03-20T09:00:00.000000Z is not after the version "
                      "before (2026-03-20T10:00:00.000000Z): versions go forward in time",
                      "10:17: watch.zones[0].versions[2].from: 2026-03-20T09:00:00.000000Z is not after the version "
                      "before (2026-03-20T09:00:00.000000Z): versions go forward in time"}));
    // A missing file, a time that is not one, a missing key.
    EXPECT_EQ(issues_of(with_versions(R"(        - from: 2026-03-20T10:00:00Z
          zone_file: baseline/nope.zone
        - from: yesterday
          zone_file: baseline/test.v3.zone
        - zone_file: baseline/test.v3.zone
)")),
              (Issues{"7:22: watch.zones[0].versions[0].zone_file: cannot read 'baseline/nope.zone' (No such file or "
                      "directory)",
                      "8:17: watch.zones[0].versions[1].from: 'yesterday': expected an RFC 3339 time such as "
                      "2026-03-16T10:00:00Z",
                      "10:11: watch.zones[0].versions[2].from: required key is missing"}));
    // A timeline of the zone file: it needs the file it starts from, and
    // no primary moving the same data by another clock.
    EXPECT_EQ(issues_of("watch:\n  zones:\n    - name: test\n      primary: 127.0.0.1:5300\n      versions:\n"
                        "        - {from: 2026-03-20T10:00:00Z, zone_file: baseline/test.v2.zone}\n"),
              (Issues{"6:9: watch.zones[0].versions: needs zone_file (the zone's data before the first version)",
                      "6:9: watch.zones[0].versions: not with primary (the zone's versions come from its transfers "
                      "then)"}));
}

TEST_F(ConfigTest, YamlSyntaxError) {
    const Issues issues = issues_of("watch:\n  zones: [a, b\nbaseline: {}\n");
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0], "3:9: YAML syntax error: end of sequence flow not found");
    EXPECT_EQ(issues_of("watch:\n  zones: a: b\n"), (Issues{"2:11: YAML syntax error: illegal map value"}));
}

TEST_F(ConfigTest, EmptyAndCommentOnlyFiles) {
    EXPECT_EQ(issues_of(""), (Issues{"1:1: the file is empty (expected a mapping with at least 'watch')"}));
    EXPECT_EQ(issues_of("# nothing yet\n"), (Issues{"1:1: the file is empty (expected a mapping with at least 'watch')"}));
}

TEST_F(ConfigTest, MissingConfigFile) {
    const std::string path = (dir_ / "absent.yaml").string();
    try {
        load_config(path);
        FAIL() << "expected ConfigError";
    } catch (const ConfigError& e) {
        ASSERT_EQ(e.issues().size(), 1u);
        EXPECT_EQ(e.issues()[0].line, 0);
        EXPECT_EQ(e.issues()[0].column, 0);
        EXPECT_EQ(e.issues()[0].to_string(), path + ": cannot read config file (No such file or directory)");
        EXPECT_EQ(std::string(e.what()), e.issues()[0].to_string());
    }
}

// A FIFO, a device or a folder given as the config: refused before a byte
// is read (a FIFO used to wait for a writer for ever, /dev/zero to read
// until bad_alloc).
TEST_F(ConfigTest, ConfigThatIsNotARegularFileIsRefusedAtOnce) {
    const fs::path fifo = dir_ / "fifo.yaml";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    const std::pair<std::string, std::string> cases[] = {
        {fifo.string(), "not a regular file (a FIFO)"},
        {"/dev/zero", "not a regular file (a character device)"},
        {dir_.string(), "is a directory"},
    };
    for (const auto& [path, reason] : cases) {
        try {
            load_config(path);
            ADD_FAILURE() << path << " was read";
        } catch (const ConfigError& e) {
            ASSERT_EQ(e.issues().size(), 1u);
            EXPECT_EQ(e.issues()[0].to_string(), path + ": cannot read config file (" + reason + ")");
        }
    }
}

TEST_F(ConfigTest, FilesTheConfigNamesMustBeRegularFiles) {
    ASSERT_EQ(::mkfifo((dir_ / "baseline/fifo.zone").c_str(), 0600), 0);
    EXPECT_EQ(issues_of("watch:\n  zones:\n    - name: victim.test\n      zone_file: baseline/fifo.zone\n"),
              (Issues{"4:18: watch.zones[0].zone_file: cannot read 'baseline/fifo.zone' (not a regular file (a FIFO))"}));
    EXPECT_EQ(issues_of("watch:\n  zones:\n    - name: victim.test\n      zone_file: /dev/zero\n"),
              (Issues{"4:18: watch.zones[0].zone_file: cannot read '/dev/zero' (not a regular file (a character "
                      "device))"}));
}

TEST_F(ConfigTest, StateDirThatIsAFileIsRefused) {
    write("state-file", "not a folder\n");
    EXPECT_EQ(issues_of(std::string(kMinimal) + "state:\n  dir: state-file\n"),
              (Issues{"6:8: state.dir: 'state-file' is a regular file, not a directory"}));
    EXPECT_EQ(issues_of(std::string(kMinimal) + "state:\n  dir: state-file/sub\n"),
              (Issues{"6:8: state.dir: 'state-file/sub' is under '" + resolved("state-file") +
                      "', which is a regular file, not a directory"}));
    EXPECT_EQ(issues_of(std::string(kMinimal) + "transparency_log:\n  dir: /dev/null\n  key_file: baseline/test.zone\n"),
              (Issues{"6:8: transparency_log.dir: '/dev/null' is not a directory"}));
    // Folders that do not exist yet are created when needed, as before.
    EXPECT_EQ(load_config(write("later.yaml", std::string(kMinimal) + "state:\n  dir: later/state\n")).state.dir,
              resolved("later/state"));
}

// Every spelling of a loopback address is loopback; names that only look
// like one are not (127.evil.example was, by its prefix).
TEST_F(ConfigTest, LoopbackInEverySpellingAndNothingElse) {
    for (const char* endpoint : {"tcp://127.0.0.1:5556", "tcp://127.1.2.3:5556", "tcp://[::1]:5556",
                                 "tcp://[::ffff:127.0.0.1]:5556", "tcp://[0:0:0:0:0:0:0:1]:5556",
                                 "tcp://[::0001]:5556", "tcp://[::ffff:7f00:1]:5556", "tcp://localhost:5556",
                                 "tcp://LocalHost:5556", "tcp://::1:5556"}) {
        const std::string yaml = std::string(kMinimal) + "publish:\n  zmq:\n    endpoint: " + endpoint + "\n";
        EXPECT_NO_THROW(load_config(write("loopback.yaml", yaml))) << endpoint;
    }
    for (const char* endpoint : {"tcp://0.0.0.0:5556", "tcp://*:5556", "tcp://127.evil.example:5556",
                                 "tcp://127.1:5556", "tcp://[::]:5556", "tcp://[::ffff:10.0.0.1]:5556",
                                 "tcp://[::127.0.0.1]:5556", "tcp://lo:5556", "tcp://[::2]:5556",
                                 "tcp://127.0.0.1;192.0.2.1:5556"}) {
        const std::string yaml = std::string(kMinimal) + "publish:\n  zmq:\n    endpoint: " + endpoint + "\n";
        EXPECT_EQ(issues_of(yaml), (Issues{std::string("7:15: publish.zmq.endpoint: '") + endpoint +
                                           "' is not a loopback address, so it needs publish.zmq.curve_key_file "
                                           "(dnswatch keygen)"}))
            << endpoint;
    }
}

TEST_F(ConfigTest, AllIssuesAreCollectedInFileOrder) {
    const std::string path = write("dnswatch.yaml", R"(sensor:
  name: x
watch:
  zones:
    - name: victim..test
      zone_file: nope.zone
publish:
  zmq:
    linger_ms: 90000
)");
    try {
        load_config(path);
        FAIL() << "expected ConfigError";
    } catch (const ConfigError& e) {
        ASSERT_EQ(e.issues().size(), 4u);
        EXPECT_EQ(std::string(e.what()),
                  path + ":2:3: unknown key 'name' in sensor (expected one of: id)\n" +
                  path + ":5:13: watch.zones[0].name: 'victim..test' has an empty label\n" +
                  path + ":6:18: watch.zones[0].zone_file: cannot read 'nope.zone' (No such file or directory)\n" +
                  path + ":9:16: publish.zmq.linger_ms: 90000 is out of range (0s..1m)");
    }
}

TEST_F(ConfigTest, ToYamlPrintsTheEffectiveConfigAndLoadsAgain) {
    const Config config = load_config(write("dnswatch.yaml", std::string(kMinimal) + R"(sensor:
  id: ns-fra-1
baseline:
  zone_files: [baseline/test.zone]
publish:
  zmq:
    endpoint: tcp://127.0.0.1:*
)"));
    const std::string yaml = to_yaml(config);
    EXPECT_NE(yaml.find("id: ns-fra-1"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("name: victim.test"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("zone_file: " + resolved("baseline/victim.test.zone")), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("- " + resolved("baseline/test.zone")), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("endpoint: tcp://127.0.0.1:*"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("linger_ms: 2s"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("send_hwm: 100000"), std::string::npos) << yaml;

    // Written elsewhere, the printed config means the same thing.
    fs::create_directories(dir_ / "elsewhere");
    const Config again = load_config(write("elsewhere/effective.yaml", yaml));
    EXPECT_EQ(to_yaml(again), yaml);
    EXPECT_EQ(again.sensor_id, "ns-fra-1");
    ASSERT_EQ(again.zones.size(), 1u);
    EXPECT_EQ(again.zones[0].zone_file, config.zones[0].zone_file);
    EXPECT_EQ(again.baseline_zone_files, config.baseline_zone_files);
    EXPECT_EQ(again.zmq.endpoint, "tcp://127.0.0.1:*");
}

TEST_F(ConfigTest, ToYamlWithNoBaselineFilesPrintsAnEmptyList) {
    const std::string yaml = to_yaml(load_config(write("dnswatch.yaml", kMinimal)));
    EXPECT_NE(yaml.find("zone_files: []  #"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("id: " + host_name()), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("endpoint: \"\""), std::string::npos) << yaml;
}

TEST_F(ConfigTest, ReferenceListsEveryKeyFromTheSchema) {
    const std::string reference = config_reference();
    for (const char* key : {"sensor.id", "watch.zones", "watch.zones[].name", "watch.zones[].zone_file",
                            "baseline.zone_files", "publish.zmq.endpoint", "publish.zmq.linger_ms",
                            "publish.zmq.send_hwm"}) {
        EXPECT_NE(reference.find("| `" + std::string(key) + "` |"), std::string::npos) << key << "\n" << reference;
    }
    EXPECT_NE(reference.find("| `publish.zmq.linger_ms` | duration | 0s..1m | `2s` | how long closing waits"),
              std::string::npos)
        << reference;
    EXPECT_NE(reference.find("| `watch.zones[].name` | DNS name | unique | required |"), std::string::npos) << reference;
}

// --- decode: DNS ports and reassembly bounds -----------------------------------

TEST_F(ConfigTest, DecodeDefaultsAgreeWithTheStructDefaults) {
    const Config config = load_config(write("dnswatch.yaml", kMinimal));
    const DecodeConfig defaults;
    EXPECT_EQ(config.decode.dns_ports, std::vector<int>{53});
    EXPECT_EQ(config.decode.dns_ports, defaults.dns_ports);
    EXPECT_EQ(config.decode.gtpu_ports, std::vector<int>{2152});
    EXPECT_EQ(config.decode.gtpu_ports, defaults.gtpu_ports);
    const ReassemblyConfig& r = config.decode.reassembly;
    EXPECT_EQ(r.max_fragment_datagrams, defaults.reassembly.max_fragment_datagrams);
    EXPECT_EQ(r.max_tcp_flows, defaults.reassembly.max_tcp_flows);
    EXPECT_EQ(r.tcp_flow_bytes, defaults.reassembly.tcp_flow_bytes);
    EXPECT_EQ(r.total_bytes, defaults.reassembly.total_bytes);
    EXPECT_EQ(r.timeout_ms, defaults.reassembly.timeout_ms);
    EXPECT_EQ(r.tcp_flow_bytes, 65537);
    EXPECT_EQ(r.total_bytes, 32 << 20);
}

TEST_F(ConfigTest, DecodeKeysAreRead) {
    const Config config = load_config(write("dnswatch.yaml", std::string(kMinimal) + R"(decode:
  dns_ports: [53, 5353, 8053]
  reassembly:
    max_fragment_datagrams: 16
    max_tcp_flows: 100
    tcp_flow_bytes: 4096
    total_bytes: 8589934592
    timeout_ms: 5000
)"));
    EXPECT_EQ(config.decode.dns_ports, (std::vector<int>{53, 5353, 8053}));
    EXPECT_EQ(config.decode.reassembly.max_fragment_datagrams, 16);
    EXPECT_EQ(config.decode.reassembly.max_tcp_flows, 100);
    EXPECT_EQ(config.decode.reassembly.tcp_flow_bytes, 4096);
    EXPECT_EQ(config.decode.reassembly.total_bytes, 8589934592);
    EXPECT_EQ(config.decode.reassembly.timeout_ms, 5000);
    // A block list is a list too.
    const Config block = load_config(write("dnswatch.yaml", std::string(kMinimal) + "decode:\n  dns_ports:\n    - 8053\n"));
    EXPECT_EQ(block.decode.dns_ports, std::vector<int>{8053});
}

TEST_F(ConfigTest, GtpuPortsMayBeEmptyToTurnGtpUOff) {
    const Config ports = load_config(write("dnswatch.yaml", std::string(kMinimal) + "decode:\n  gtpu_ports: [2152, 3386]\n"));
    EXPECT_EQ(ports.decode.gtpu_ports, (std::vector<int>{2152, 3386}));
    const Config off = load_config(write("dnswatch.yaml", std::string(kMinimal) + "decode:\n  gtpu_ports: []\n"));
    EXPECT_TRUE(off.decode.gtpu_ports.empty());
    const std::string yaml = to_yaml(off);
    EXPECT_NE(yaml.find("gtpu_ports: []"), std::string::npos) << yaml;
    EXPECT_TRUE(load_config(write("again.yaml", yaml)).decode.gtpu_ports.empty());
    EXPECT_EQ(issues_of(std::string(kMinimal) + "decode:\n  gtpu_ports: [0]\n"),
              (Issues{"6:16: decode.gtpu_ports[0]: 0 is out of range (1..65535)"}));
    const std::string reference = config_reference();
    EXPECT_NE(reference.find("| `decode.gtpu_ports` | list of integers | each 1..65535, or none | `[2152]` |"),
              std::string::npos)
        << reference;
}

TEST_F(ConfigTest, DecodeMistakes) {
    const std::string base = std::string(kMinimal) + "decode:\n";
    EXPECT_EQ(issues_of(base + "  dns_ports: 53\n"),
              (Issues{"6:14: decode.dns_ports: expected a list, got '53'"}));
    EXPECT_EQ(issues_of(base + "  dns_ports: []\n"),
              (Issues{"6:14: decode.dns_ports: expected at least one integer, got an empty list"}));
    EXPECT_EQ(issues_of(base + "  dns_ports: [53, 0, 70000, domain, [1]]\n"),
              (Issues{"6:19: decode.dns_ports[1]: 0 is out of range (1..65535)",
                      "6:22: decode.dns_ports[2]: 70000 is out of range (1..65535)",
                      "6:29: decode.dns_ports[3]: expected an integer, got 'domain'",
                      "6:37: decode.dns_ports[4]: expected an integer, got a sequence"}));
    EXPECT_EQ(issues_of(base + "  reassembly:\n    max_tcp_flows: 0\n    tcp_flow_bytes: 100\n"),
              (Issues{"7:20: decode.reassembly.max_tcp_flows: 0 is out of range (1..262144)",
                      "8:21: decode.reassembly.tcp_flow_bytes: 100 is out of range (1KiB..1MiB)"}));
    EXPECT_EQ(issues_of(base + "  reassembly:\n    timeout: 5\n"),
              (Issues{"7:5: unknown key 'timeout' in decode.reassembly (expected one of: max_fragment_datagrams, "
                      "max_tcp_flows, tcp_flow_bytes, total_bytes, timeout_ms)"}));
}

TEST_F(ConfigTest, DecodeKeysRoundTripThroughToYaml) {
    const Config config = load_config(write("dnswatch.yaml", std::string(kMinimal) + R"(decode:
  dns_ports: [53, 8053]
  reassembly:
    timeout_ms: 5000
)"));
    const std::string yaml = to_yaml(config);
    EXPECT_NE(yaml.find("dns_ports: [53, 8053]"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("timeout_ms: 5s"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("max_tcp_flows: 4096"), std::string::npos) << yaml;
    const Config again = load_config(write("again.yaml", yaml));
    EXPECT_EQ(again.decode.dns_ports, (std::vector<int>{53, 8053}));
    EXPECT_EQ(again.decode.reassembly.timeout_ms, 5000);
    EXPECT_EQ(to_yaml(again), yaml);
    const std::string reference = config_reference();
    EXPECT_NE(reference.find("| `decode.dns_ports` | list of integers | each 1..65535 | `[53]` |"), std::string::npos)
        << reference;
    EXPECT_NE(reference.find("| `decode.reassembly.total_bytes` | size | 64KiB..16GiB | `32MiB` |"),
              std::string::npos)
        << reference;
}

// --- durations and sizes -------------------------------------------------------

TEST_F(ConfigTest, DurationsAndSizesTakeUnitsAndKeepBareNumbers) {
    const Config config = load_config(write("dnswatch.yaml", std::string(kMinimal) + R"(publish:
  zmq:
    linger_ms: 1500
decode:
  reassembly:
    timeout_ms: 1m30s
    tcp_flow_bytes: 64KiB
    total_bytes: 1GiB
capture:
  buffer_bytes: 100MB
  idle_exit_ms: 250ms
pipeline:
  reader_ring_bytes: 1048576
stats:
  interval: 2m
)"));
    EXPECT_EQ(config.zmq.linger_ms, 1500);  // bare number: ms, as before units
    EXPECT_EQ(config.decode.reassembly.timeout_ms, 90000);
    EXPECT_EQ(config.decode.reassembly.tcp_flow_bytes, 65536);
    EXPECT_EQ(config.decode.reassembly.total_bytes, std::int64_t{1} << 30);
    EXPECT_EQ(config.capture.buffer_bytes, 100000000);
    EXPECT_EQ(config.capture.idle_exit_ms, 250);
    EXPECT_EQ(config.pipeline.reader_ring_bytes, 1048576);
    EXPECT_EQ(config.run.stats_interval_s, 120);
    const std::string yaml = to_yaml(config);
    EXPECT_NE(yaml.find("linger_ms: 1500ms"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("timeout_ms: 1m30s"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("total_bytes: 1GiB"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("reader_ring_bytes: 1MiB"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("interval: 2m"), std::string::npos) << yaml;
    EXPECT_EQ(to_yaml(load_config(write("again.yaml", yaml))), yaml);

    // stats.interval counts seconds when bare, as it always did.
    EXPECT_EQ(load_config(write("bare.yaml", std::string(kMinimal) + "stats:\n  interval: 7\n")).run.stats_interval_s, 7);
}

TEST_F(ConfigTest, DurationAndSizeMistakes) {
    EXPECT_EQ(issues_of(std::string(kMinimal) + "stats:\n  interval: 1500ms\n"),
              (Issues{"6:13: stats.interval: 1500ms is not a whole number of seconds"}));
    EXPECT_EQ(issues_of(std::string(kMinimal) + "stats:\n  interval: 2y\n"),
              (Issues{"6:13: stats.interval: expected a duration such as 30s, 15m, 48h or 7d (a bare number counts "
                      "seconds), got '2y'"}));
    EXPECT_EQ(issues_of(std::string(kMinimal) + "stats:\n  interval: 2d\n"),
              (Issues{"6:13: stats.interval: 2d is out of range (0s..1d)"}));
    EXPECT_EQ(issues_of(std::string(kMinimal) + "stats:\n  interval: [1s]\n"),
              (Issues{"6:13: stats.interval: expected a duration, got a sequence"}));
    EXPECT_EQ(issues_of(std::string(kMinimal) + "capture:\n  buffer_bytes: 3GiB\n"),
              (Issues{"6:17: capture.buffer_bytes: 3GiB is out of range (64KiB..2147483647)"}));
    EXPECT_EQ(issues_of(std::string(kMinimal) + "capture:\n  buffer_bytes: 1.5MiB\n"),
              (Issues{"6:17: capture.buffer_bytes: expected a size such as 64KiB, 64MiB or 1GiB (a bare number "
                      "counts bytes), got '1.5MiB'"}));
    EXPECT_EQ(issues_of(std::string(kMinimal) + "capture:\n  buffer_bytes: 9999999999TiB\n"),
              (Issues{"6:17: capture.buffer_bytes: 9999999999TiB is out of range (64KiB..2147483647)"}));
}

TEST_F(ConfigTest, MetricsAndLogKeys) {
    const Config defaults = load_config(write("dnswatch.yaml", kMinimal));
    EXPECT_EQ(defaults.metrics.listen, "");
    EXPECT_EQ(defaults.log.level, "info");
    EXPECT_EQ(defaults.log.format, "keyvalue");
    const Config config = load_config(write("dnswatch.yaml", std::string(kMinimal) +
                                                                 "metrics:\n  listen: \"[::1]:9153\"\n"
                                                                 "log:\n  level: debug\n  format: json\n"));
    EXPECT_EQ(config.metrics.listen, "[::1]:9153");
    EXPECT_EQ(config.log.level, "debug");
    EXPECT_EQ(config.log.format, "json");
    EXPECT_EQ(issues_of(std::string(kMinimal) + "metrics:\n  listen: localhost:9153\nlog:\n  level: verbose\n"
                                                "  format: text\n"),
              (Issues{"6:11: metrics.listen: 'localhost:9153': expected IPV4:PORT or [IPV6]:PORT, e.g. 127.0.0.1:9153",
                      "8:10: log.level: 'verbose': expected error, warn, info or debug",
                      "9:11: log.format: 'text': expected keyvalue or json"}));
    EXPECT_EQ(issues_of(std::string(kMinimal) + "metrics:\n  listen: 127.0.0.1:99999\n"),
              (Issues{"6:11: metrics.listen: '127.0.0.1:99999': expected IPV4:PORT or [IPV6]:PORT, e.g. 127.0.0.1:9153"}));
}

}  // namespace
}  // namespace dnswatch
