// docs/schema/dnswatch.alert-1.schema.json against what the sensor really
// emits: every scenario capture and the bundled sample replayed by the real
// binary, every alert line validated by python3-jsonschema, and broken alerts
// that must fail.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "decode/dns_datagram.h"
#include "detect/alert.h"
#include "detect/change_watcher.h"
#include "detect/signals.h"
#include "tests/support/run_command.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = DNSWATCH_SOURCE_DIR;
const fs::path kSchema = kSource / "docs/schema/dnswatch.alert-1.schema.json";
const fs::path kValidator = kSource / "tests/schema/validate_alerts.py";

class AlertSchemaTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("dnswatch-schema-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    test::CommandResult run(const std::vector<std::string>& argv) { return test::run_command(argv, dir_); }

    // Replays `pcap` with `config`, alerts into a file of their own; its path.
    fs::path replay(const std::string& label, const fs::path& config, const fs::path& pcap) {
        const fs::path alerts = dir_ / (label + ".jsonl");
        const auto result = run({DNSWATCH_BINARY, "replay", "--config", config.string(), "--alerts", alerts.string(),
                                 pcap.string()});
        EXPECT_EQ(result.exit_code, 0) << label << ": " << result.err;
        return alerts;
    }

    fs::path dir_;
};

std::size_t line_count(const fs::path& path) {
    std::ifstream in(path);
    return static_cast<std::size_t>(std::count(std::istreambuf_iterator<char>(in), {}, '\n'));
}

TEST_F(AlertSchemaTest, SignalsAreExactlyTheOnesTheSensorKnows) {
    std::ifstream in(kSchema);
    const auto schema = nlohmann::json::parse(in);
    std::vector<std::string> listed = schema.at("properties").at("signals").at("items").at("enum");
    // Every bit: the names of all signals, in declaration order; then
    // those of the alerts on the baseline's own changes.
    std::vector<std::string> known = signal_names(~SignalSet{0});
    known.insert(known.end(), kChangeSignalNames.begin(), kChangeSignalNames.end());
    EXPECT_EQ(listed, known);
}

TEST_F(AlertSchemaTest, KindsAreExactlyTheOnesTheMetricsDeclare) {
    std::ifstream in(kSchema);
    const auto schema = nlohmann::json::parse(in);
    const std::vector<std::string> listed = schema.at("properties").at("kind").at("enum");
    // kAlertKinds is what the alert counters are declared with at start-up.
    EXPECT_EQ(listed, std::vector<std::string>(kAlertKinds.begin(), kAlertKinds.end()));
}

TEST_F(AlertSchemaTest, EveryAlertOfEveryScenarioAndTheSampleValidates) {
    std::vector<std::string> files;
    std::size_t alerts = 0;
    for (const auto& entry : fs::directory_iterator(kSource / "scenarios")) {
        const fs::path capture = entry.path() / "capture.pcap";
        const fs::path config = entry.path() / "dnswatch.yaml";
        if (!fs::exists(capture) || !fs::exists(config)) continue;
        const fs::path out = replay(entry.path().filename().string(), config, capture);
        alerts += line_count(out);
        files.push_back(out.string());
    }
    const fs::path sample = replay("sample", kSource / "samples/dnswatch.yaml", kSource / "samples/hijack.pcap");
    EXPECT_EQ(line_count(sample), 5u);
    alerts += line_count(sample);
    files.push_back(sample.string());
    ASSERT_GE(files.size(), 10u) << "the scenarios are missing";
    ASSERT_GE(alerts, 20u);

    std::vector<std::string> argv{"/usr/bin/python3", kValidator.string(), kSchema.string()};
    argv.insert(argv.end(), files.begin(), files.end());
    const auto result = run(argv);
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_NE(result.out.find(std::to_string(alerts) + " alert(s) checked, 0 problem(s)"), std::string::npos)
        << result.out;
}

// docs/schema/dnswatch.incident-1.schema.json likewise: every incident
// record of every scenario and of the sample.
TEST_F(AlertSchemaTest, EveryIncidentOfEveryScenarioAndTheSampleValidates) {
    const fs::path incidents = dir_ / "incidents.jsonl";
    std::ofstream out(incidents);
    std::size_t records = 0;
    auto add = [&](const std::string& label, const fs::path& config, const fs::path& pcap) {
        const fs::path lines = dir_ / (label + ".all.jsonl");
        const auto result = run({DNSWATCH_BINARY, "replay", "--incidents", "--config", config.string(), "--alerts",
                                 lines.string(), pcap.string()});
        ASSERT_EQ(result.exit_code, 0) << label << ": " << result.err;
        std::ifstream in(lines);
        for (std::string line; std::getline(in, line);) {
            if (nlohmann::json::parse(line).value("schema", "") != "dnswatch.incident/1") continue;
            out << line << "\n";
            ++records;
        }
    };
    for (const auto& entry : fs::directory_iterator(kSource / "scenarios")) {
        if (!fs::exists(entry.path() / "capture.pcap") || !fs::exists(entry.path() / "dnswatch.yaml")) continue;
        add(entry.path().filename().string(), entry.path() / "dnswatch.yaml", entry.path() / "capture.pcap");
    }
    add("sample", kSource / "samples/dnswatch.yaml", kSource / "samples/hijack.pcap");
    out.close();
    ASSERT_GE(records, 12u);
    const auto result = run({"/usr/bin/python3", kValidator.string(),
                             (kSource / "docs/schema/dnswatch.incident-1.schema.json").string(), incidents.string()});
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_NE(result.out.find(std::to_string(records) + " alert(s) checked, 0 problem(s)"), std::string::npos)
        << result.out;
}

// A forged answer inside GTP-U: its alerts carry vantage.tunnel, which
// validates; and the schema lists exactly the tunnels the decoder names.
TEST_F(AlertSchemaTest, TunnelledAlertsValidate) {
    std::ifstream in(kSchema);
    const auto schema = nlohmann::json::parse(in);
    const auto& tunnel = schema.at("properties").at("vantage").at("properties").at("tunnel");
    std::vector<std::string> listed = tunnel.at("properties").at("protocol").at("enum");
    std::vector<std::string> named;
    for (const std::string_view kind : kTunnelKindNames) {
        if (kind != name_of(TunnelKind::mpls)) named.emplace_back(kind);  // no addresses: never named
    }
    EXPECT_EQ(listed, named);
    for (const TunnelId id : {TunnelId::teid, TunnelId::key, TunnelId::call_id, TunnelId::vni}) {
        EXPECT_TRUE(tunnel.at("properties").contains(std::string(name_of(id)))) << name_of(id);
    }

    const fs::path alerts = replay("gtpu", kSource / "scenarios/single-response-change/dnswatch.yaml",
                                   kSource / "tests/decode/tunnel-captures/gtpu-forged-answer.pcap");
    ASSERT_GE(line_count(alerts), 2u);
    std::ifstream lines(alerts);
    std::string first;
    std::getline(lines, first);
    EXPECT_TRUE(nlohmann::json::parse(first).at("vantage").contains("tunnel")) << first;
    const auto result = run({"/usr/bin/python3", kValidator.string(), kSchema.string(), alerts.string()});
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    // And a tunnel that breaks the schema fails it.
    auto broken = nlohmann::json::parse(first);
    broken["vantage"]["tunnel"]["teid"] = "0xb3c4";
    std::ofstream(dir_ / "broken.jsonl") << broken.dump() << "\n";
    const auto failed = run({"/usr/bin/python3", kValidator.string(), kSchema.string(), (dir_ / "broken.jsonl").string()});
    EXPECT_EQ(failed.exit_code, 1) << failed.out;
}

// With a durable store and a transparency log, alerts carry tlog_index and
// evidence.pcap: the optional fields validate too.
TEST_F(AlertSchemaTest, DurableAlertsWithLogIndexAndEvidenceValidate) {
    const auto key = run({DNSWATCH_BINARY, "tlog", "keygen", "--name", "dnswatch.test/schema", "--key",
                          (dir_ / "tlog.key").string()});
    ASSERT_EQ(key.exit_code, 0) << key.err;
    const fs::path samples = kSource / "samples";
    std::ofstream(dir_ / "dnswatch.yaml") << "watch:\n  zones:\n    - name: victim.test\n      zone_file: "
                                          << (samples / "victim.test.zone").string() << "\nbaseline:\n  zone_files: ["
                                          << (samples / "test.zone").string() << "]\n"
                                          << "state:\n  dir: state\n"
                                          << "transparency_log:\n  dir: tlog\n  key_file: tlog.key\n";
    const fs::path alerts = replay("durable", dir_ / "dnswatch.yaml", samples / "hijack.pcap");
    std::ifstream in(alerts);
    std::string first;
    std::getline(in, first);
    const auto record = nlohmann::json::parse(first);
    EXPECT_TRUE(record.contains("tlog_index")) << first;
    EXPECT_TRUE(record.at("evidence").contains("pcap")) << first;
    const auto result = run({"/usr/bin/python3", kValidator.string(), kSchema.string(), alerts.string()});
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
}

TEST_F(AlertSchemaTest, BrokenAlertsFailValidation) {
    const fs::path sample = replay("sample", kSource / "samples/dnswatch.yaml", kSource / "samples/hijack.pcap");
    const auto result = run({"/usr/bin/python3", kValidator.string(), kSchema.string(), "--broken", sample.string()});
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_NE(result.out.find("broken alert(s) checked"), std::string::npos) << result.out;
    // And the validator does say no: a file of garbage fails.
    std::ofstream(dir_ / "garbage.jsonl") << "{\"schema\":\"dnswatch.alert/1\"}\nnot json\n";
    const auto garbage = run({"/usr/bin/python3", kValidator.string(), kSchema.string(),
                              (dir_ / "garbage.jsonl").string()});
    EXPECT_EQ(garbage.exit_code, 1) << garbage.out;
    EXPECT_NE(garbage.out.find("garbage.jsonl:2: not JSON"), std::string::npos) << garbage.out;
}

}  // namespace
}  // namespace dnswatch
