// A fleet on a real three-node nats-server JetStream cluster on loopback
// (ports chosen at run time), with a stream replicated three times:
//  - two sensors publish while one node is killed mid-run;
//  - then the whole cluster is down while a sensor stores more alerts, and
//    comes back, and the sensor sends what waited in its store;
//  - a consumer that connects only afterwards (dnswatch tail --nats, a
//    durable consumer) receives every alert of every store exactly once,
//    in order per sensor.
#include <gtest/gtest.h>

#include <signal.h>

#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/cli/run_support.h"

namespace dnswatch {
namespace {

using nlohmann::json;
using test::lines_of;
using test::write_file;
namespace fs = std::filesystem;

const fs::path kSource = DNSWATCH_SOURCE_DIR;

class NatsCluster {
public:
    explicit NatsCluster(const fs::path& dir) : dir_(dir) {
        for (int i = 0; i < 3; ++i) {
            client_ports_.push_back(test::reserved_port());
            cluster_ports_.push_back(test::reserved_port());
        }
        for (int i = 0; i < 3; ++i) {
            std::string routes;
            for (int j = 0; j < 3; ++j) {
                routes += std::string(routes.empty() ? "" : ", ") + "nats://127.0.0.1:" + std::to_string(cluster_ports_[j]);
            }
            const fs::path node = dir_ / ("n" + std::to_string(i + 1));
            fs::create_directories(node);
            write_file(node / "nats.conf", "server_name: n" + std::to_string(i + 1) +
                                               "\nlisten: 127.0.0.1:" + std::to_string(client_ports_[i]) +
                                               "\njetstream {\n  store_dir: \"" + (node / "js").string() +
                                               "\"\n}\ncluster {\n  name: dnswatch-test\n  listen: 127.0.0.1:" +
                                               std::to_string(cluster_ports_[i]) + "\n  routes: [" + routes + "]\n}\n");
        }
        nodes_.resize(3);
    }
    void start(int i) {
        const fs::path node = dir_ / ("n" + std::to_string(i + 1));
        const fs::path log = node / ("nats-" + std::to_string(++starts_) + ".err");
        nodes_[static_cast<std::size_t>(i)] = std::make_unique<test::Spawned>(
            std::vector<std::string>{test::find_program("nats-server"), "-c", (node / "nats.conf").string()},
            node / "nats.out", log);
        test::eventually([&] { return test::slurp(log).find("Server is ready") != std::string::npos; },
                         std::chrono::seconds(15));
    }
    void start_all() {
        for (int i = 0; i < 3; ++i) start(i);
    }
    void kill(int i) { nodes_[static_cast<std::size_t>(i)]->stop(SIGKILL); }
    void stop(int i) { nodes_[static_cast<std::size_t>(i)]->stop(SIGTERM); }
    std::vector<std::string> urls() const {
        std::vector<std::string> out;
        for (const int port : client_ports_) out.push_back("nats://127.0.0.1:" + std::to_string(port));
        return out;
    }

private:
    fs::path dir_;
    std::vector<int> client_ports_;
    std::vector<int> cluster_ports_;
    std::vector<std::unique_ptr<test::Spawned>> nodes_;
    int starts_ = 0;
};

class NatsFleetTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (test::find_program("nats-server").empty()) {
            if (test::in_ci()) FAIL() << "nats-server is not installed";
            GTEST_SKIP() << "nats-server is not installed";
        }
        dir_ = test::scratch_dir("nats-fleet");
        for (const char* file : {"victim.test.zone", "test.zone", "hijack.pcap"}) {
            fs::copy_file(kSource / "samples" / file, dir_ / file);
        }
    }
    void TearDown() override {
        if (!dir_.empty()) fs::remove_all(dir_);
    }

    // A sensor's config: its own store; alerts to the cluster, the stream
    // replicated on all three nodes.
    fs::path sensor_config(const std::string& id, const std::vector<std::string>& urls, const std::string& capture,
                           const std::string& drain) {
        std::string servers;
        for (const std::string& url : urls) servers += std::string(servers.empty() ? "" : ", ") + url;
        const fs::path config = dir_ / (id + ".yaml");
        write_file(config, "sensor:\n  id: " + id +
                               "\nwatch:\n  zones:\n    - name: victim.test\n      zone_file: victim.test.zone\n"
                               "baseline:\n  zone_files: [test.zone]\n" + capture +
                               "state:\n  dir: state-" + id + "\n  fsync: false\n"
                               "publish:\n  nats:\n    servers: [" + servers + "]\n    replicas: 3\n"
                               "    drain_timeout: " + drain + "\nstats:\n  interval: 0\n");
        return config;
    }
    std::uint64_t stored(const std::string& id) {
        return lines_of(test::slurp(dir_ / ("state-" + id) / "alerts.jsonl")).size();
    }
    std::uint64_t delivered(const std::string& id) {
        const std::string text = test::slurp(dir_ / ("state-" + id) / "nats.delivered");
        return text.empty() ? 0 : std::stoull(text);
    }

    fs::path dir_;
};

TEST_F(NatsFleetTest, EveryAlertOnceInOrderPerSensorThroughANodeLossAndAClusterOutage) {
    NatsCluster cluster(dir_);
    cluster.start_all();
    const std::vector<std::string> urls = cluster.urls();

    // Two sensors replay the sample at 100x (about thirty seconds, alerts
    // spread over it); one node dies a few seconds in.
    const std::string live = "capture:\n  source: pcap_file\n  files: [hijack.pcap]\n  speed: 100x\n";
    test::Spawned a({DNSWATCH_BINARY, "run", "--config", sensor_config("sensor-a", urls, live, "30s").string()},
                    dir_ / "a.out", dir_ / "a.err");
    test::Spawned b({DNSWATCH_BINARY, "run", "--config", sensor_config("sensor-b", urls, live, "30s").string()},
                    dir_ / "b.out", dir_ / "b.err");
    ASSERT_TRUE(test::eventually([&] { return delivered("sensor-a") >= 1 && delivered("sensor-b") >= 1; },
                                 std::chrono::seconds(30)))
        << a.err() << b.err();
    cluster.kill(0);
    const std::uint64_t at_kill = delivered("sensor-a") + delivered("sensor-b");
    EXPECT_EQ(a.wait(900), 0) << a.err();
    EXPECT_EQ(b.wait(900), 0) << b.err();
    ASSERT_GE(stored("sensor-a"), 3u);
    EXPECT_LT(at_kill, stored("sensor-a") + stored("sensor-b")) << "the node died after the run, not during it";
    EXPECT_EQ(delivered("sensor-a"), stored("sensor-a"));
    EXPECT_EQ(delivered("sensor-b"), stored("sensor-b"));

    // The whole cluster away: a sensor's alerts wait in its store.
    cluster.stop(1);
    cluster.stop(2);
    const fs::path offline = sensor_config("sensor-a", urls, "", "1s");
    const test::CommandResult during = test::run_command(
        {DNSWATCH_BINARY, "replay", "--config", offline.string(), "--alerts", (dir_ / "during.jsonl").string(),
         (dir_ / "hijack.pcap").string()},
        dir_);
    EXPECT_EQ(during.exit_code, 0) << during.err;
    const std::uint64_t before = delivered("sensor-a");
    EXPECT_GT(stored("sensor-a"), before) << "nothing waited in the store";
    EXPECT_NE(during.err.find("pending in the store"), std::string::npos) << during.err;
    EXPECT_EQ(during.err.find(" 0 pending in the store"), std::string::npos) << during.err;

    // Back: the next run sends what waited, then its own, in order.
    cluster.start_all();
    const fs::path online = sensor_config("sensor-a", urls, "", "60s");
    const test::CommandResult after = test::run_command(
        {DNSWATCH_BINARY, "replay", "--config", online.string(), "--alerts", (dir_ / "after.jsonl").string(),
         (dir_ / "hijack.pcap").string()},
        dir_);
    EXPECT_EQ(after.exit_code, 0) << after.err;
    EXPECT_EQ(delivered("sensor-a"), stored("sensor-a"));

    // A consumer connecting only now gets everything, once, in order per sensor.
    std::string servers;
    for (const std::string& url : urls) servers += std::string(servers.empty() ? "" : ",") + url;
    // A cluster just restarted elects its stream's leader first, and under
    // load may pause longer than tail's idle exit (ten tries once ended
    // before the records came, under ctest -j2 beside a compile): the
    // durable consumer is read again, from where it stopped (acknowledged
    // records are not sent twice), until every stored record came or two
    // minutes passed. Each try's errors are kept for the failure message.
    const std::size_t all = stored("sensor-a") + stored("sensor-b");
    std::map<std::string, std::vector<std::uint64_t>> seqs;
    std::size_t received = 0;
    test::CommandResult tail;
    std::string tries;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    while (received < all && std::chrono::steady_clock::now() < give_up) {
        tail = test::run_command(
            {DNSWATCH_BINARY, "tail", "--nats", servers, "--durable", "soc", "--idle-exit", "3000"}, dir_);
        tries += "try: exit " + std::to_string(tail.exit_code) + ", " + std::to_string(lines_of(tail.out).size()) +
                 " records; " + tail.err + "\n";
        for (const std::string& line : lines_of(tail.out)) {
            const json record = json::parse(line);
            seqs[record["sensor"].get<std::string>()].push_back(record["seq"].get<std::uint64_t>());
            ++received;
        }
    }
    EXPECT_EQ(tail.exit_code, 0) << tail.err;
    ASSERT_EQ(seqs.size(), 2u) << tail.out << tail.err;
    for (const std::string id : {"sensor-a", "sensor-b"}) {
        std::vector<std::uint64_t> expected(stored(id));
        for (std::size_t i = 0; i < expected.size(); ++i) expected[i] = i + 1;
        EXPECT_EQ(seqs[id], expected) << id << "\n" << tries;
    }
}

// Each kind of record on its own subject, as on ZeroMQ: a change of the
// zone (a SIGHUP reload of its file) on dnswatch.change.<reversed labels>,
// alerts on dnswatch.alert.*, and the stats messages on dnswatch.stats.<sensor>;
// the change wakes the forwarder at once. One JetStream node suffices here.
TEST_F(NatsFleetTest, ChangesAlertsAndStatsTakeTheirOwnSubjects) {
    const int port = test::reserved_port();
    const fs::path node = dir_ / "single";
    fs::create_directories(node);
    write_file(node / "nats.conf", "listen: 127.0.0.1:" + std::to_string(port) + "\njetstream {\n  store_dir: \"" +
                                       (node / "js").string() + "\"\n}\n");
    test::Spawned server({test::find_program("nats-server"), "-c", (node / "nats.conf").string()}, node / "out",
                         node / "err");
    ASSERT_TRUE(test::eventually([&] { return test::slurp(node / "err").find("Server is ready") != std::string::npos; },
                                 std::chrono::seconds(15)));
    const std::string url = "nats://127.0.0.1:" + std::to_string(port);
    // The sample at its own pace lasts 47 minutes: the run is stopped
    // once the change went out.
    fs::path config = sensor_config("sensor-s", {url}, "capture:\n  source: pcap_file\n  files: [hijack.pcap]\n"
                                                       "  speed: 1x\n", "10s");
    // One node: the stream has one replica; stats every second.
    std::string text = test::slurp(config);
    for (const auto& [from, to] : {std::pair<std::string, std::string>{"replicas: 3", "replicas: 1"},
                                   {"stats:\n  interval: 0", "stats:\n  interval: 1s"}}) {
        text.replace(text.find(from), from.size(), to);
    }
    write_file(config, text);
    test::Spawned run({DNSWATCH_BINARY, "run", "--config", config.string()}, dir_ / "s.out", dir_ / "s.err");
    ASSERT_TRUE(test::eventually([&] { return run.err().find("event=run_started") != std::string::npos; },
                                 std::chrono::seconds(20)))
        << run.err();
    const std::string zone = test::slurp(dir_ / "victim.test.zone");
    write_file(dir_ / "victim.test.zone", zone + "new IN A 192.0.2.99\n");
    ASSERT_EQ(::kill(run.pid(), SIGHUP), 0);
    ASSERT_TRUE(test::eventually(
        [&] {
            const std::string store = test::slurp(dir_ / "state-sensor-s" / "alerts.jsonl");
            return store.find("dnswatch.change/1") != std::string::npos && delivered("sensor-s") >= stored("sensor-s");
        },
        std::chrono::seconds(20)))
        << run.err();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // a stats message or two
    EXPECT_EQ(run.stop(SIGTERM), 0) << run.err();

    const auto read = [&](const std::string& durable, const std::string& subject) {
        const test::CommandResult tail = test::run_command({DNSWATCH_BINARY, "tail", "--nats", url, "--durable", durable,
                                                            "--subject", subject, "--idle-exit", "2000"},
                                                           dir_);
        EXPECT_EQ(tail.exit_code, 0) << tail.err;
        std::vector<json> records;
        for (const std::string& line : lines_of(tail.out)) records.push_back(json::parse(line));
        return records;
    };
    const std::vector<json> changes = read("changes", "dnswatch.change.test.victim.>");
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(changes[0]["schema"], "dnswatch.change/1");
    EXPECT_EQ(changes[0]["name"], "new.victim.test");
    EXPECT_EQ(changes[0]["source"], "zone_file");
    for (const json& alert : read("alerts", "dnswatch.alert.>")) EXPECT_EQ(alert["schema"], "dnswatch.alert/1");
    const std::vector<json> stats = read("stats", "dnswatch.stats.sensor-s");
    ASSERT_FALSE(stats.empty()) << run.err();
    EXPECT_TRUE(stats.back().contains("capture")) << stats.back().dump();
}

}  // namespace
}  // namespace dnswatch
