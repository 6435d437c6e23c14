// Issue 16, parts 1 and 4, through the real binary: the sample capture (a
// delegation hijacked for 47 minutes) replayed with a durable store gives
// one incident whose alerts all name it, kept in the store and served by
// catch-up, which `dnswatch tail --incidents` prints as a title and which
// survives a restart; each alert's evidence holds the query and the
// response, and `dnswatch tail --evidence ID` fetches it over a CURVE
// catch-up endpoint into a file whose size and SHA-256 are the alert's.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "capture/pcap_file_source.h"
#include "publish/alert_store.h"
#include "publish/catch_up.h"
#include "publish/evidence_pcap.h"
#include "publish/zmq_publisher.h"
#include "publish/zmq_security.h"
#include "tests/support/answer_capture.h"
#include "tests/support/run_command.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kSamples = fs::path(DNSWATCH_SOURCE_DIR) / "samples";

std::vector<json> lines_of(const std::string& text) {
    std::vector<json> records;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) records.push_back(json::parse(line));
    }
    return records;
}

class IncidentEvidenceTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("dnswatch-incident-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        for (const char* file : {"victim.test.zone", "test.zone"}) fs::copy_file(kSamples / file, dir_ / file);
        std::ofstream(dir_ / "dnswatch.yaml") << "sensor:\n  id: sample-sensor\n"
                                                 "watch:\n  zones:\n    - name: victim.test\n"
                                                 "      zone_file: victim.test.zone\n"
                                                 "baseline:\n  zone_files: [test.zone]\n"
                                                 "state:\n  dir: state\n  fsync: false\n";
    }
    void TearDown() override { fs::remove_all(dir_); }

    test::CommandResult replay(const fs::path& capture) {
        return test::run_command({DNSWATCH_BINARY, "replay", "--incidents", "--config", (dir_ / "dnswatch.yaml").string(),
                                  capture.string()},
                                 dir_);
    }

    fs::path dir_;
};

TEST_F(IncidentEvidenceTest, TheSampleHijackIsOneIncidentStoredServedAndTitled) {
    const test::CommandResult run = replay(kSamples / "hijack.pcap");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    std::vector<json> alerts, incidents;
    for (json& record : lines_of(run.out)) {
        (record["schema"] == "dnswatch.incident/1" ? incidents : alerts).push_back(std::move(record));
    }
    ASSERT_FALSE(alerts.empty());
    ASSERT_FALSE(incidents.empty());
    const json& incident = incidents.back();
    std::set<std::string> incident_ids;
    for (const json& i : incidents) incident_ids.insert(i["id"].get<std::string>());
    EXPECT_EQ(incident_ids.size(), 1u) << "one hijack, one incident";
    std::set<std::string> alert_ids;
    for (const json& a : alerts) {
        EXPECT_EQ(a.value("incident_id", ""), incident["id"]) << a.dump();
        alert_ids.insert(a["id"].get<std::string>());
    }
    const std::vector<std::string> members = incident["members"];
    EXPECT_EQ(std::set<std::string>(members.begin(), members.end()), alert_ids);
    EXPECT_EQ(incident["severity"], "critical");
    const std::string title = incident["title"];
    EXPECT_EQ(title.rfind("victim.test delegated to ns1.victim-dns.example", 0), 0u) << title;
    EXPECT_NE(title.find("for 47 min, then restored"), std::string::npos) << title;
    EXPECT_NE(run.err.find("incident " + incident["id"].get<std::string>()), std::string::npos) << run.err;

    // Kept in the store with the alerts, in one sequence.
    std::vector<json> stored;
    scan_alert_store((dir_ / "state" / "alerts.jsonl").string(), 0, [&](std::uint64_t, std::string_view record) {
        stored.push_back(json::parse(record));
        return true;
    });
    EXPECT_EQ(stored.size(), alerts.size() + incidents.size());
    for (std::size_t i = 0; i < stored.size(); ++i) EXPECT_EQ(stored[i]["seq"], i + 1);

    // Served by catch-up on topic incident.test.victim.; tail prints the title.
    zmq::context_t context;
    CatchUpServer server(context, (dir_ / "state" / "alerts.jsonl").string(), "tcp://127.0.0.1:*");
    ZmqPublisher live(context, ZmqPublisherOptions{"tcp://127.0.0.1:*", 0, 1000});
    const test::CommandResult tail =
        test::run_command({DNSWATCH_BINARY, "tail", "--incidents", "--endpoint", live.endpoint(), "--catchup",
                           server.endpoint(), "--since", "0", "--count", std::to_string(incidents.size())},
                          dir_);
    ASSERT_EQ(tail.exit_code, 0) << tail.err;
    const std::string last_line = tail.out.substr(tail.out.rfind('\n', tail.out.size() - 2) + 1);
    EXPECT_EQ(last_line, incident["id"].get<std::string>() + " critical " + incident["state"].get<std::string>() + " " +
                             std::to_string(members.size()) + " alerts: " + title + "\n");

    // Restarted on the same state, the sensor still knows the incident from
    // the store alone (no second state file): the attacker's server (its
    // alerts still open) gives one more name the attacker's address, a new
    // alert tied to the incident by that server and address, which only a
    // restored correlator knows.
    EXPECT_FALSE(fs::exists(dir_ / "state" / "incidents.jsonl"));
    const fs::path later = dir_ / "later.pcap";
    test::write_answer_capture(later, 1773482400 /* 2026-03-14T10:00:00Z, after the sample */,
                               {{0, "ftp.victim.test. IN A", {"ftp.victim.test. 300 IN A 203.0.113.66"}, false,
                                 "127.0.0.66"}});
    const test::CommandResult again = replay(later);
    ASSERT_EQ(again.exit_code, 0) << again.err;
    std::size_t new_alerts = 0;
    for (const json& record : lines_of(again.out)) {
        if (record["schema"] != "dnswatch.alert/1") continue;
        EXPECT_FALSE(alert_ids.contains(record["id"].get<std::string>())) << record.dump();
        EXPECT_EQ(record.value("incident_id", ""), incident["id"]) << record.dump();
        ++new_alerts;
    }
    EXPECT_EQ(new_alerts, 1u) << again.out << again.err;
}

TEST_F(IncidentEvidenceTest, EvidenceHoldsQueryAndResponseAndTailFetchesItOverCurve) {
    const test::CommandResult run = replay(kSamples / "hijack.pcap");
    ASSERT_EQ(run.exit_code, 0) << run.err;
    json alert;
    for (const json& record : lines_of(run.out)) {
        if (record["schema"] == "dnswatch.alert/1" && record["evidence"].contains("pcap")) {
            alert = record;
            break;
        }
    }
    ASSERT_TRUE(alert.is_object()) << run.out;
    const json& evidence = alert["evidence"];
    const std::string path = evidence["pcap"];
    const EvidenceFile kept = describe_evidence(path);
    EXPECT_EQ(evidence["pcap_bytes"], kept.bytes);
    EXPECT_EQ(evidence["pcap_sha256"], kept.sha256);

    // A nanosecond pcap with the query, then the response (the alert's frame).
    {
        std::ifstream in(path, std::ios::binary);
        unsigned char magic[4] = {};
        in.read(reinterpret_cast<char*>(magic), 4);
        EXPECT_EQ(magic[0] | magic[1] << 8 | magic[2] << 16 | static_cast<unsigned>(magic[3]) << 24, 0xa1b23c4du);
    }
    PcapFileSource source(path);
    PacketBatch batch;
    ASSERT_TRUE(source.next_batch(batch));
    ASSERT_EQ(batch.size(), 2u);
    EXPECT_LT(batch[0].time_us, batch[1].time_us);
    PcapFileSource capture((kSamples / "hijack.pcap").string());
    PacketBatch original;
    std::vector<std::uint8_t> opening;
    std::uint64_t frame = 0;
    while (capture.next_batch(original)) {
        for (const PacketView& p : original) {
            if (++frame == evidence["frame"].get<std::uint64_t>()) opening.assign(p.bytes.begin(), p.bytes.end());
        }
    }
    EXPECT_EQ(std::vector<std::uint8_t>(batch[1].bytes.begin(), batch[1].bytes.end()), opening);

    // Fetched over a CURVE catch-up endpoint that admits only this client.
    const CurveKeyPair sensor = CurveKeyPair::generate();
    const CurveKeyPair analyst = CurveKeyPair::generate();
    sensor.save((dir_ / "sensor.key").string());
    analyst.save((dir_ / "analyst.key").string());
    zmq::context_t context;
    ZapAuthenticator zap(context, {analyst.public_key}, /*allow_plaintext=*/false);
    CatchUpServer server(context, (dir_ / "state" / "alerts.jsonl").string(), "tcp://127.0.0.1:*", sensor, 1000,
                         (dir_ / "state" / "evidence").string());
    const std::string id = alert["id"];
    const test::CommandResult fetched =
        test::run_command({DNSWATCH_BINARY, "tail", "--catchup", server.endpoint(), "--evidence", id, "--output",
                           (dir_ / "fetched.pcap").string(), "--key", (dir_ / "analyst.key").string(), "--server-key",
                           (dir_ / "sensor.key").string()},
                          dir_);
    ASSERT_EQ(fetched.exit_code, 0) << fetched.err;
    EXPECT_EQ(test::slurp(dir_ / "fetched.pcap"), test::slurp(path));
    EXPECT_NE(fetched.out.find("sha256 " + evidence["pcap_sha256"].get<std::string>()), std::string::npos) << fetched.out;
    EXPECT_EQ(server.evidence_served(), 1u);

    // Refusals are answered, counted, and the command says why.
    auto fetch = [&](const std::string& asked) {
        return test::run_command({DNSWATCH_BINARY, "tail", "--catchup", server.endpoint(), "--evidence", asked, "--key",
                                  (dir_ / "analyst.key").string(), "--server-key", (dir_ / "sensor.key").string()},
                                 dir_);
    };
    const test::CommandResult unknown = fetch("0000000000000000");
    EXPECT_EQ(unknown.exit_code, 1);
    EXPECT_NE(unknown.err.find("no evidence kept for alert 0000000000000000"), std::string::npos) << unknown.err;
    const test::CommandResult traversal = fetch("../alerts.jsonl");
    EXPECT_EQ(traversal.exit_code, 1);
    EXPECT_NE(traversal.err.find("not an alert id"), std::string::npos) << traversal.err;
    EXPECT_EQ(server.evidence_refused(), 2u);
}

}  // namespace
}  // namespace dnswatch
