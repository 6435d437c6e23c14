// `dnswatch run` as a user runs it, on captures: replayed through the live
// pipeline (pcap_file, any number of workers and shards) and through DPDK's
// net_pcap driver, it must emit exactly the alerts `dnswatch replay` emits
// on the same capture; SIGTERM in the middle loses no alert; counters go out
// as `stats.` messages on ZeroMQ.
#include <gtest/gtest.h>

#include <glob.h>

#include <thread>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "capture/dpdk_source.h"
#include "publish/alert_store.h"
#include "tests/cli/run_support.h"
#include "tests/support/http_client.h"

namespace dnswatch {
namespace {

using nlohmann::json;
using test::lines_of;
using test::write_file;
namespace fs = std::filesystem;

const fs::path kSource = DNSWATCH_SOURCE_DIR;

// A folder with a sensor config (its zone files next to it): the bundled
// sample, or a scenario of scenarios/.
struct Case {
    std::string name;
    fs::path folder;
    std::string config;  // file name in `folder`
    std::string capture;
};

std::vector<Case> cases() {
    std::vector<Case> all = {{"sample", kSource / "samples", "dnswatch.yaml", "hijack.pcap"}};
    for (const char* scenario : {"ns-hijack-at-parent", "mail-only-repointed", "dnssec-stripped"}) {
        if (fs::exists(kSource / "scenarios" / scenario / "capture.pcap")) {
            all.push_back({scenario, kSource / "scenarios" / scenario, "dnswatch.yaml", "capture.pcap"});
        }
    }
    return all;
}

class RunTest : public ::testing::Test {
protected:
    void SetUp() override { dir_ = test::scratch_dir("file"); }
    void TearDown() override { fs::remove_all(dir_); }

    // Copies the case's folder (configs use relative paths) and appends `extra` to its config.
    fs::path config_for(const Case& c, const std::string& extra) {
        const fs::path copy = dir_ / c.name;
        fs::create_directories(copy);
        for (const auto& entry : fs::directory_iterator(c.folder)) {
            if (entry.is_regular_file() && entry.path().extension() != ".pcap") {
                fs::copy_file(entry.path(), copy / entry.path().filename(), fs::copy_options::overwrite_existing);
            }
        }
        std::ifstream in(c.folder / c.config);
        std::stringstream text;
        text << in.rdbuf() << "\n" << extra;
        write_file(copy / "run.yaml", text.str());
        return copy / "run.yaml";
    }
    std::string capture_path(const Case& c) const { return (c.folder / c.capture).lexically_normal().string(); }

    std::vector<std::string> replay(const Case& c) {
        const test::CommandResult r = test::run_command(
            {DNSWATCH_BINARY, "replay", "--config", (c.folder / c.config).string(), capture_path(c)}, dir_);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return lines_of(r.out);
    }

    fs::path dir_;
};

TEST_F(RunTest, PcapFileEmitsWhatReplayEmits) {
    for (const Case& c : cases()) {
        const std::vector<std::string> expected = replay(c);
        ASSERT_FALSE(expected.empty()) << c.name;
        for (const char* shape : {"workers: 1\n  shards: 1", "workers: 3\n  shards: 2", "workers: 2\n  shards: 1"}) {
            const fs::path config = config_for(c, "capture:\n  source: pcap_file\n  files: [" + capture_path(c) +
                                                      "]\npipeline:\n  " + shape + "\n");
            const test::CommandResult r = test::run_command({DNSWATCH_BINARY, "run", "--config", config.string()}, dir_);
            ASSERT_EQ(r.exit_code, 0) << c.name << " " << shape << "\n" << r.err;
            EXPECT_EQ(lines_of(r.out), expected) << c.name << " " << shape << "\n" << r.err;
            EXPECT_NE(r.err.find(", 0 dropped,"), std::string::npos) << r.err;
        }
    }
}

// The lines of `text` that start with `prefix`.
std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
    std::vector<std::string> found;
    for (const std::string& line : lines_of(text)) {
        if (line.rfind(prefix, 0) == 0) found.push_back(line);
    }
    return found;
}

// run's summary counts signature checks and query matching as replay's
// does: the same figures, whether one worker runs the whole path or two
// workers feed one shard.
// The verifier's cache slot is a keyed hash with a per-process random key
// (so that no one can aim collisions): in about 2% of processes two RRSIGs
// share a slot and one is verified twice. How the signatures split between
// verifications and cache hits is therefore not a fact about the input; their
// sum is. Everything else on the line is compared as printed.
std::string without_cache_split(const std::string& line) {
    // Plain string search, not <regex>: GCC 12's std::regex trips
    // -Wmaybe-uninitialized (an error here) in the sanitizer build at -O2.
    const std::string verifications = " verifications=";
    const std::string cache_hits = " cache_hits=";
    const std::size_t start = line.find(verifications);
    if (start == std::string::npos) return line;
    const std::size_t hits = line.find(cache_hits, start);
    if (hits == std::string::npos) return line;
    const std::size_t verified_from = start + verifications.size();
    const std::size_t hits_from = hits + cache_hits.size();
    std::size_t end = hits_from;
    while (end < line.size() && line[end] >= '0' && line[end] <= '9') ++end;
    const unsigned long long verified = std::stoull(line.substr(verified_from, hits - verified_from));
    const unsigned long long cached = std::stoull(line.substr(hits_from, end - hits_from));
    return line.substr(0, start) + " verified_or_cached=" + std::to_string(verified + cached) + line.substr(end);
}

TEST_F(RunTest, SummaryCountsSignaturesAndQueriesAsReplayDoes) {
    for (const char* scenario : {"forged-signatures", "txid-flood"}) {
        const Case c{scenario, kSource / "scenarios" / scenario, "dnswatch.yaml", "capture.pcap"};
        if (!fs::exists(c.folder / c.capture)) continue;
        const test::CommandResult replayed = test::run_command(
            {DNSWATCH_BINARY, "replay", "--config", (c.folder / c.config).string(), capture_path(c)}, dir_);
        ASSERT_EQ(replayed.exit_code, 0) << replayed.err;
        std::vector<std::string> expected;
        for (const std::string& line : lines_starting(replayed.err, "dnssec: ")) {
            expected.push_back(without_cache_split(line));
        }
        for (const std::string& line : lines_starting(replayed.err, "queries: ")) expected.push_back(line);
        ASSERT_FALSE(expected.empty()) << scenario << ": replay printed no dnssec or queries line\n" << replayed.err;
        for (const char* shape : {"workers: 1\n  shards: 1", "workers: 2\n  shards: 1"}) {
            const fs::path config = config_for(c, "capture:\n  source: pcap_file\n  files: [" + capture_path(c) +
                                                      "]\npipeline:\n  " + shape + "\n");
            const test::CommandResult r = test::run_command({DNSWATCH_BINARY, "run", "--config", config.string()}, dir_);
            ASSERT_EQ(r.exit_code, 0) << r.err;
            std::vector<std::string> got;
            for (const std::string& line : lines_starting(r.err, "dnssec: ")) got.push_back(without_cache_split(line));
            for (const std::string& line : lines_starting(r.err, "queries: ")) got.push_back(line);
            EXPECT_EQ(got, expected) << scenario << ", " << shape << "\n" << r.err;
        }
    }
}

// Debian's DPDK drivers are plugins: -d for each one used.
std::string dpdk_plugin(const std::string& name) {
    glob_t found{};
    std::string path;
    if (::glob(("/usr/lib/*/dpdk/pmds-*/" + name + ".so.*").c_str(), 0, nullptr, &found) == 0 && found.gl_pathc > 0) {
        path = found.gl_pathv[0];
    }
    ::globfree(&found);
    return path;
}

// Every field but evidence.source, which names the DPDK port instead of the file.
std::vector<std::string> without_source(const std::vector<std::string>& lines) {
    std::vector<std::string> out;
    for (const std::string& line : lines) {
        json alert = json::parse(line);
        alert["evidence"].erase("source");
        out.push_back(alert.dump());
    }
    return out;
}

TEST_F(RunTest, DpdkNetPcapEmitsWhatReplayEmits) {
    if (!dpdk_available()) GTEST_SKIP() << "built without DPDK (libdpdk-dev)";
    if (::geteuid() != 0) GTEST_SKIP() << "DPDK's EAL needs root here";
    const std::string mempool = dpdk_plugin("librte_mempool_ring");
    const std::string net_pcap = dpdk_plugin("librte_net_pcap");
    if (mempool.empty() || net_pcap.empty()) GTEST_SKIP() << "DPDK's ring mempool or net_pcap driver is not installed";
    for (const Case& c : cases()) {
        const std::vector<std::string> expected = replay(c);
        // --no-shconf and a file prefix of our own: tests run side by side.
        const fs::path config = config_for(
            c, "capture:\n  source: dpdk\n  idle_exit_ms: 500\n  dpdk:\n    eal_args: [--no-huge, --no-pci, "
               "--no-shconf, --no-telemetry, --file-prefix=dnswatch-test-" + std::to_string(::getpid()) +
               ", -m, \"128\", --log-level=lib.eal:error, -d, " + mempool + ", -d, " + net_pcap +
               ", \"--vdev=net_pcap0,rx_pcap=" + capture_path(c) + "\"]\n    ports: [net_pcap0]\n"
               "pipeline:\n  workers: 1\n");
        const test::CommandResult r = test::run_command({DNSWATCH_BINARY, "run", "--config", config.string()}, dir_);
        ASSERT_EQ(r.exit_code, 0) << c.name << "\n" << r.err;
        EXPECT_EQ(without_source(lines_of(r.out)), without_source(expected)) << c.name << "\n" << r.err;
        EXPECT_NE(r.err.find("net_pcap0 (net_pcap, 1 RX queue)"), std::string::npos) << r.err;
    }
}

// The sample at 1000 times its pace lasts about 3 s: the hijack opens 4
// alerts at 0.12 s, the revert comes at 2.8 s. SIGTERM in between: the 4
// alerts must be out, in the store and in the log, and nothing after them.
TEST_F(RunTest, SigtermMidRunLosesNoAlert) {
    const Case sample = cases().front();
    const std::vector<std::string> expected = replay(sample);
    ASSERT_EQ(expected.size(), 5u);
    const test::CommandResult keygen = test::run_command(
        {DNSWATCH_BINARY, "tlog", "keygen", "--name", "dnswatch.test/run", "--key", (dir_ / "tlog.key").string()},
        dir_);
    ASSERT_EQ(keygen.exit_code, 0) << keygen.err;
    const fs::path config = config_for(
        sample, "capture:\n  source: pcap_file\n  speed: 1000x\n  files: [" + capture_path(sample) +
                    "]\npipeline:\n  workers: 2\n  shards: 2\nstate:\n  dir: " + (dir_ / "state").string() +
                    "\ntransparency_log:\n  dir: " + (dir_ / "tlog").string() + "\n  key_file: " +
                    (dir_ / "tlog.key").string() + "\n");
    test::Spawned run({DNSWATCH_BINARY, "run", "--config", config.string()}, dir_ / "out", dir_ / "err");
    ASSERT_TRUE(test::eventually([&] { return lines_of(run.out()).size() >= 4; }, std::chrono::seconds(20)))
        << run.err();
    EXPECT_EQ(run.stop(SIGTERM), 0) << run.err();

    // With state.dir the records also name their log entry and evidence pcap.
    auto without_log_index = [](const std::vector<std::string>& lines) {
        std::vector<std::string> out;
        for (const std::string& line : lines) {
            json alert = json::parse(line);
            alert.erase("tlog_index");
            if (alert["evidence"].contains("pcap")) {
                EXPECT_TRUE(fs::exists(alert["evidence"]["pcap"].get<std::string>())) << line;
                alert["evidence"].erase("pcap");
                alert["evidence"].erase("pcap_bytes");
                alert["evidence"].erase("pcap_sha256");
            }
            out.push_back(alert.dump());
        }
        return out;
    };
    const std::vector<std::string> out = without_log_index(lines_of(run.out()));
    ASSERT_EQ(out.size(), 4u) << run.err();
    const std::vector<std::string> prefix(expected.begin(), expected.begin() + 4);
    EXPECT_EQ(out, without_log_index(prefix));
    // The store holds the incident records too (dnswatch.incident/1), between the alerts.
    std::vector<std::string> stored;
    scan_alert_store((dir_ / "state" / "alerts.jsonl").string(), 0, [&](std::uint64_t, std::string_view record) {
        if (json::parse(record).value("schema", "") == "dnswatch.alert/1") stored.emplace_back(record);
        return true;
    });
    EXPECT_EQ(without_log_index(stored), out);
    // The 4 alerts are still open: the store's records alone say so, for a
    // restart to revert them under their ids (no second file to lag behind).
    EXPECT_FALSE(fs::exists(dir_ / "state" / "open-alerts.jsonl"));
    EXPECT_EQ(AlertStore((dir_ / "state").string()).open_alerts().size(), 4u);
    EXPECT_NE(run.err().find("event=stopping signal=SIGTERM"), std::string::npos) << run.err();
    EXPECT_NE(run.err().find("4 alerts opened, 0 updated, 0 reverted"), std::string::npos) << run.err();
    EXPECT_NE(run.err().find("0 alerts dropped"), std::string::npos) << run.err();
    const test::CommandResult verify = test::run_command(
        {DNSWATCH_BINARY, "tlog", "verify", "--dir", (dir_ / "tlog").string(), "--key",
         (dir_ / "tlog.key.pub").string()},
        dir_);
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST_F(RunTest, CountersGoOutAsStatsMessages) {
    const Case sample = cases().front();
    const int port = test::reserved_port();
    const fs::path config = config_for(
        sample, "capture:\n  source: pcap_file\n  speed: 1500x\n  files: [" + capture_path(sample) +
                    "]\npipeline:\n  workers: 2\n  shards: 1\nstats:\n  interval: 1\npublish:\n  zmq:\n"
                    "    endpoint: tcp://127.0.0.1:" + std::to_string(port) + "\n    linger_ms: 1000\n");
    zmq::context_t context;
    zmq::socket_t subscriber(context, zmq::socket_type::sub);
    subscriber.set(zmq::sockopt::subscribe, "stats.");
    subscriber.set(zmq::sockopt::rcvtimeo, 200);
    subscriber.connect("tcp://127.0.0.1:" + std::to_string(port));
    test::Spawned run({DNSWATCH_BINARY, "run", "--config", config.string()}, dir_ / "out", dir_ / "err");
    std::vector<json> stats;
    bool exited = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        zmq::message_t topic;
        zmq::message_t payload;
        if (!subscriber.recv(topic)) {
            // The final figures can arrive between a receive timeout and the
            // exit check: after the exit, wait out one more timeout for them.
            if (exited) break;
            exited = !run.running();
            continue;
        }
        ASSERT_TRUE(subscriber.recv(payload));
        EXPECT_EQ(topic.to_string(), "stats.");
        stats.push_back(json::parse(payload.to_string()));
        if (stats.back()["capture"]["received"] == 32) break;  // the final figures
    }
    EXPECT_EQ(run.wait(), 0) << run.err();
    ASSERT_FALSE(stats.empty()) << run.err();
    const json& last = stats.back();
    EXPECT_EQ(last["schema"], "dnswatch.stats/1");
    EXPECT_EQ(last["sensor"], "sample-sensor");
    EXPECT_EQ(last["capture"]["received"], 32);
    EXPECT_EQ(last["decode"]["packets"], 32);
    EXPECT_EQ(last["watch"]["watched_responses"], 15);
    EXPECT_EQ(last["rings"]["message_drops"], 0);
    EXPECT_EQ(last["detect"]["queries"]["tracked"], 15);  // as replay counts them on the sample
    EXPECT_EQ(last["detect"]["queries"]["matched"], 15);
    EXPECT_EQ(last["pipeline"]["workers"].size(), 2u);
}

// The Prometheus endpoint of a running sensor, scraped over HTTP: the
// counters move while the capture is replayed at 500x (the sample's hour in
// under 6 s), and the alerts are counted by kind and severity; each alert
// it emitted validates against docs/schema/dnswatch.alert-1.schema.json.
TEST_F(RunTest, MetricsAreScrapedOverHttpAndMove) {
    const Case sample = cases().front();
    const fs::path config = config_for(
        sample, "capture:\n  source: pcap_file\n  speed: 500x\n  files: [" + capture_path(sample) +
                    "]\npipeline:\n  workers: 2\n  shards: 2\nmetrics:\n  listen: 127.0.0.1:0\n");
    test::Spawned run({DNSWATCH_BINARY, "run", "--config", config.string()}, dir_ / "out", dir_ / "err");
    const std::uint16_t port = test::metrics_port(run);
    ASSERT_NE(port, 0) << run.err();
    const test::HttpReply first = test::http_request(port, "GET", "/metrics");
    EXPECT_EQ(first.status, 200);
    EXPECT_NE(first.body.find("dnswatch_build_info{version=\""), std::string::npos) << first.body;
    EXPECT_EQ(test::metric_value(first.body, "dnswatch_watched_zones"), 1);
    EXPECT_GT(test::metric_value(first.body, "dnswatch_baseline_rrsets{zone=\"victim.test\"}"), 0) << first.body;
    EXPECT_NE(first.body.find("dnswatch_ring_depth{ring=\"worker0->shard1\"}"), std::string::npos) << first.body;
    const double received_before = test::metric_value(first.body, "dnswatch_packets_received_total{stage=\"capture\"}");

    // After the first alert, and a second for the counters to be copied.
    ASSERT_TRUE(test::eventually([&] { return !lines_of(run.out()).empty(); }, std::chrono::seconds(20))) << run.err();
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    const test::HttpReply second = test::http_request(port, "GET", "/metrics");
    EXPECT_GT(test::metric_value(second.body, "dnswatch_packets_received_total{stage=\"capture\"}"), received_before)
        << second.body;
    EXPECT_GE(test::metric_value(second.body, "dnswatch_alerts_total{kind=\"rrset_divergence\",severity=\"critical\"}"), 1)
        << second.body;
    EXPECT_EQ(test::metric_value(second.body, "dnswatch_packets_dropped_total{stage=\"decode\",reason=\"ring_full\"}"), 0);
    EXPECT_EQ(test::metric_value(second.body, "dnswatch_queries_total{result=\"matched\"}"),
              test::metric_value(second.body, "dnswatch_queries_total{result=\"tracked\"}"));
    EXPECT_GT(test::metric_value(second.body, "dnswatch_queries_total{result=\"tracked\"}"), 0) << second.body;
    EXPECT_EQ(test::metric_value(second.body, "dnswatch_dnssec_rrsets_total{result=\"bogus\"}"), 0);
    EXPECT_EQ(test::http_request(port, "GET", "/").status, 404);
    EXPECT_EQ(run.wait(), 0) << run.err();

    // Every alert the running sensor emitted keeps the published contract.
    ASSERT_FALSE(run.out().empty());
    const test::CommandResult valid = test::run_command(
        {"/usr/bin/python3", (kSource / "tests/schema/validate_alerts.py").string(),
         (kSource / "docs/schema/dnswatch.alert-1.schema.json").string(), (dir_ / "out").string()},
        dir_);
    EXPECT_EQ(valid.exit_code, 0) << valid.out << valid.err;
}

// A running sensor reloads: a zone file written (inotify) or SIGHUP brings
// a new baseline; a config that does not load, or that switches learning
// on, is rejected with its reason (file:line:col) and the sensor runs on. The capture is replayed at its
// recorded speed, so the sensor is still running throughout.
TEST_F(RunTest, ReloadTakesANewBaselineAndRejectsABadConfig) {
    const Case sample = cases().front();
    const std::string extra = "capture:\n  source: pcap_file\n  speed: 1x\n  files: [" + capture_path(sample) +
                              "]\nmetrics:\n  listen: 127.0.0.1:0\n";
    const fs::path config = config_for(sample, extra);
    {
        // A zone of a few parts, so that a reload can read only the one that changes.
        std::ofstream zone(config.parent_path() / "victim.test.zone", std::ios::app);
        for (int i = 0; i < 1500; ++i) zone << "f" << i << "-filler 300 IN A 192.0.2." << (i % 250 + 1) << "\n";
    }
    test::Spawned run({DNSWATCH_BINARY, "run", "--config", config.string()}, dir_ / "out", dir_ / "err");
    const std::uint16_t port = test::metrics_port(run);
    ASSERT_NE(port, 0) << run.err();
    auto metric = [&](const std::string& series) {
        return test::metric_value(test::http_request(port, "GET", "/metrics").body, series);
    };
    const std::string rrsets = "dnswatch_baseline_rrsets{zone=\"victim.test\"}";
    const double before = metric(rrsets);
    ASSERT_GT(before, 0);

    // A new RRset in the zone file: picked up without a signal.
    {
        std::ofstream zone(config.parent_path() / "victim.test.zone", std::ios::app);
        zone << "reload-check 300 IN A 192.0.2.99\n";
    }
    ASSERT_TRUE(test::eventually([&] { return metric(rrsets) == before + 1; }, std::chrono::seconds(10)))
        << run.err();
    EXPECT_NE(run.err().find("zone_file_changed"), std::string::npos) << run.err();
    // Only the changed part of the file was read (baseline/zone_file_index.h).
    EXPECT_NE(run.err().find("mode=changed_parts"), std::string::npos) << run.err();
    EXPECT_EQ(metric("dnswatch_config_reloads_total{result=\"ok\"}"), 1);

    // A config with a mistake: rejected, located, the sensor runs on.
    std::ifstream in(config);
    std::stringstream good;
    good << in.rdbuf();
    write_file(config, good.str() + "bogus_key: 1\n");
    ASSERT_EQ(::kill(run.pid(), SIGHUP), 0);
    ASSERT_TRUE(test::eventually([&] { return metric("dnswatch_config_reloads_total{result=\"rejected\"}") == 1; },
                                 std::chrono::seconds(10)))
        << run.err();
    EXPECT_NE(run.err().find("reload_rejected"), std::string::npos) << run.err();
    EXPECT_NE(run.err().find("run.yaml:"), std::string::npos) << run.err();
    EXPECT_NE(run.err().find("bogus_key"), std::string::npos) << run.err();
    EXPECT_EQ(metric(rrsets), before + 1);  // the running baseline kept
    EXPECT_TRUE(run.running());

    // Learning switched on for a zone: that takes a restart, and says so.
    std::string learning = good.str();
    const std::string zone_line = "      zone_file: victim.test.zone\n";
    ASSERT_NE(learning.find(zone_line), std::string::npos);
    learning.insert(learning.find(zone_line) + zone_line.size(), "      learn: true\n");
    write_file(config, learning);
    ASSERT_EQ(::kill(run.pid(), SIGHUP), 0);
    ASSERT_TRUE(test::eventually([&] { return metric("dnswatch_config_reloads_total{result=\"rejected\"}") == 2; },
                                 std::chrono::seconds(10)))
        << run.err();
    EXPECT_NE(run.err().find("which zones learn takes a restart"), std::string::npos) << run.err();

    // Fixed again and signalled: accepted.
    write_file(config, good.str());
    ASSERT_EQ(::kill(run.pid(), SIGHUP), 0);
    ASSERT_TRUE(test::eventually([&] { return metric("dnswatch_config_reloads_total{result=\"ok\"}") == 2; },
                                 std::chrono::seconds(10)))
        << run.err();
    EXPECT_EQ(run.stop(SIGTERM), 0) << run.err();
}

TEST_F(RunTest, ConfigMistakesExitTwo) {
    EXPECT_EQ(test::run_command({DNSWATCH_BINARY, "run"}, dir_).exit_code, 2);
    const Case sample = cases().front();
    const test::CommandResult no_interface =
        test::run_command({DNSWATCH_BINARY, "run", "--config", config_for(sample, "").string()}, dir_);
    EXPECT_EQ(no_interface.exit_code, 2);
    EXPECT_NE(no_interface.err.find("capture.interfaces: pcap_live needs an interface"), std::string::npos)
        << no_interface.err;
    const test::CommandResult bad_source = test::run_command(
        {DNSWATCH_BINARY, "run", "--config", config_for(sample, "capture:\n  source: pcap_files\n").string()}, dir_);
    EXPECT_EQ(bad_source.exit_code, 2);
    EXPECT_NE(bad_source.err.find("run.yaml:11:11: capture.source: 'pcap_files': expected"), std::string::npos)
        << bad_source.err;
}

// Start-up failures that restarting the service cannot mend have exit
// statuses of their own (the unit's RestartPreventExitStatus=), each with
// its structured log line: 3 a capture that cannot be opened, 4 an address
// that cannot be bound.
TEST_F(RunTest, ACaptureThatCannotBeOpenedExitsThreeAndABusyAddressFour) {
    const Case sample = cases().front();
    const test::CommandResult no_device = test::run_command(
        {DNSWATCH_BINARY, "run", "--config",
         config_for(sample, "capture:\n  source: pcap_live\n  interfaces: [dnswatch-none0]\n").string()},
        dir_);
    EXPECT_EQ(no_device.exit_code, 3) << no_device.err;
    EXPECT_NE(no_device.err.find("event=capture_open_failed"), std::string::npos) << no_device.err;
    EXPECT_NE(no_device.err.find("dnswatch-none0"), std::string::npos) << no_device.err;

    // The ZeroMQ endpoint's port is taken by another socket.
    zmq::context_t context;
    zmq::socket_t squatter(context, zmq::socket_type::pub);
    squatter.bind("tcp://127.0.0.1:*");
    const std::string taken = squatter.get(zmq::sockopt::last_endpoint);
    const test::CommandResult busy = test::run_command(
        {DNSWATCH_BINARY, "run", "--config",
         config_for(sample, "capture:\n  source: pcap_file\n  files: [" + capture_path(sample) +
                                "]\npublish:\n  zmq:\n    endpoint: " + taken + "\n")
             .string()},
        dir_);
    EXPECT_EQ(busy.exit_code, 4) << busy.err;
    EXPECT_NE(busy.err.find("event=bind_failed"), std::string::npos) << busy.err;
}

}  // namespace
}  // namespace dnswatch
