// The change feed (issue 14): every change of a watched zone's own data is a
// record (dnswatch.change/1), numbered with the alerts, kept in the store
// and sent on topic change.<reversed labels>. A real NSD primary serves a
// registry-like zone; `dnswatch run` takes its baseline by transfer. The
// registry moves a delegation to another provider and drops its DS, adds a
// domain and deletes one (NSD reloads, sends NOTIFY, the sensor transfers):
// each RRset changed is one record, with both serials, and nothing else is.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "common/rfc3339.h"

#include "tests/support/nsd_server.h"
#include "publish/alert_store.h"
#include "publish/retention.h"
#include "tests/cli/run_support.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The registry's zone at `serial`: bank's delegation as given, and the
// domains of `others` ("shop" -> its name server).
std::string registry_zone(int serial, const std::string& bank_ns, bool bank_ds,
                          const std::map<std::string, std::string>& others) {
    std::string zone = "$ORIGIN reg.test.\n$TTL 3600\n"
                       "@ IN SOA a.nic.reg.test. hostmaster.nic.reg.test. " + std::to_string(serial) +
                       " 3600 600 86400 300\n@ IN NS a.nic.reg.test.\na.nic IN A 127.0.0.10\n"
                       "bank IN NS ns1.bank.reg.test.\nbank IN NS " + bank_ns + "\nns1.bank IN A 192.0.2.53\n";
    if (bank_ds) zone += "bank IN DS 12345 13 2 " + std::string(64, 'A') + "\n";
    for (const auto& [name, ns] : others) zone += name + " IN NS " + ns + "\n";
    return zone;
}

class ChangeFeedTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!test::have_program("nsd")) GTEST_SKIP() << "nsd is not installed";
        if (::geteuid() != 0) GTEST_SKIP() << "live capture on lo needs root";
        dir_ = test::scratch_dir("changes");
        nsd_port_ = test::reserved_port();
        notify_port_ = test::reserved_port();
        zone_file_ = dir_ / "nsd" / "reg.test.zone";
        fs::create_directories(zone_file_.parent_path());
        write_zone(2026120701, "ns.bank-hosting.example.", true, {{"shop", "ns.shop-hosting.example."}});
        test::write_file(dir_ / "dnswatch.yaml",
                         "sensor: {id: registry-1}\n"
                         "capture:\n  source: pcap_live\n  interfaces: [lo]\n  filter: udp port 9\n"
                         "pipeline: {workers: 1}\nstats: {interval: 0}\n"
                         "watch:\n  zones:\n    - name: reg.test\n      primary: 127.0.0.1:" +
                             std::to_string(nsd_port_) +
                             "\nbaseline:\n  transfer:\n    notify_listen: 127.0.0.1:" + std::to_string(notify_port_) +
                             "\n    timeout: 2s\nstate: {dir: state, fsync: false}\n");
    }
    void TearDown() override {
        if (!dir_.empty()) fs::remove_all(dir_);
    }

    void write_zone(int serial, const std::string& bank_ns, bool bank_ds,
                    const std::map<std::string, std::string>& others) {
        test::write_file(zone_file_, registry_zone(serial, bank_ns, bank_ds, others));
    }

    std::unique_ptr<test::NsdServer> start_nsd() {
        test::NsdZone zone{"reg.test", zone_file_,
                           "    provide-xfr: 127.0.0.1 NOKEY\n"
                           "    notify: 127.0.0.1@" + std::to_string(notify_port_) + " NOKEY\n"};
        return std::make_unique<test::NsdServer>(dir_ / "nsd", std::vector<test::NsdZone>{zone}, nsd_port_);
    }

    void reload_nsd() {
        std::ifstream pidfile(dir_ / "nsd/nsd.pid");
        pid_t pid = 0;
        pidfile >> pid;
        ASSERT_GT(pid, 0);
        ASSERT_EQ(::kill(pid, SIGHUP), 0);
    }

    // The store's change records, by "name/rrtype".
    std::map<std::string, json> stored_changes() const {
        std::map<std::string, json> changes;
        const fs::path store = dir_ / "state" / "alerts.jsonl";
        if (!fs::exists(store)) return changes;
        scan_alert_store(store.string(), 0, [&](std::uint64_t, std::string_view line) {
            json record = json::parse(line);
            if (record["schema"] == "dnswatch.change/1") {
                changes[record["name"].get<std::string>() + "/" + record["rrtype"].get<std::string>()] = record;
            }
            return true;
        });
        return changes;
    }
    // The store's alerts of `kind`, in order.
    std::vector<json> stored_alerts(const std::string& kind) const {
        std::vector<json> alerts;
        const fs::path store = dir_ / "state" / "alerts.jsonl";
        if (!fs::exists(store)) return alerts;
        scan_alert_store(store.string(), 0, [&](std::uint64_t, std::string_view line) {
            json record = json::parse(line);
            if (record["schema"] == "dnswatch.alert/1" && record["kind"] == kind) alerts.push_back(record);
            return true;
        });
        return alerts;
    }
    std::size_t stored_records() const {
        std::size_t n = 0;
        const fs::path store = dir_ / "state" / "alerts.jsonl";
        if (fs::exists(store)) scan_alert_store(store.string(), 0, [&](std::uint64_t, std::string_view) { return ++n; });
        return n;
    }

    fs::path dir_;
    fs::path zone_file_;
    int nsd_port_ = 0;
    int notify_port_ = 0;
};

TEST_F(ChangeFeedTest, EveryChangeOfTheRegistrysZoneIsARecord) {
    auto nsd = start_nsd();
    ASSERT_TRUE(nsd->ok()) << nsd->why();
    test::Spawned run({DNSWATCH_BINARY, "run", "--config", (dir_ / "dnswatch.yaml").string()}, dir_ / "out",
                      dir_ / "err");
    ASSERT_TRUE(test::eventually([&] { return run.err().find("zone=reg.test serial=2026120701") != std::string::npos; },
                                 std::chrono::seconds(20)))
        << run.err();
    // The zone's first data is where it starts, not a change.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_TRUE(stored_changes().empty());

    // Through the registry (as a registrar account would): bank moves to
    // another provider and loses its DS; shop is deleted, newco created.
    write_zone(2026120702, "ns.evil-dns.example.", false, {{"newco", "ns.newco-dns.example."}});
    reload_nsd();
    ASSERT_TRUE(test::eventually([&] { return stored_changes().size() >= 4; }, std::chrono::seconds(20))) << run.err();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const auto changes = stored_changes();
    std::vector<std::string> keys;
    for (const auto& [key, record] : changes) keys.push_back(key);
    EXPECT_EQ(keys, (std::vector<std::string>{"bank.reg.test/DS", "bank.reg.test/NS", "newco.reg.test/NS",
                                              "shop.reg.test/NS"}))
        << "the SOA's serial alone is no change";

    const json& ns = changes.at("bank.reg.test/NS");
    EXPECT_EQ(ns["op"], "update");
    EXPECT_EQ(ns["source"], "axfr") << "NSD answers an IXFR with the whole zone";
    EXPECT_EQ(ns["zone"], "reg.test");
    EXPECT_EQ(ns["sensor"], "registry-1");
    EXPECT_EQ(ns["before"], json({"ns.bank-hosting.example.", "ns1.bank.reg.test."}));
    EXPECT_EQ(ns["after"], json({"ns.evil-dns.example.", "ns1.bank.reg.test."}));
    EXPECT_EQ(ns["serial_before"], 2026120701u);
    EXPECT_EQ(ns["serial_after"], 2026120702u);
    EXPECT_EQ(ns["announced"], false);
    const json& ds = changes.at("bank.reg.test/DS");
    EXPECT_EQ(ds["op"], "update") << "the domain stays; its DS goes";
    EXPECT_EQ(ds["after"], json::array());
    EXPECT_EQ(ds["before"].size(), 1u);
    EXPECT_EQ(changes.at("shop.reg.test/NS")["op"], "delete");
    EXPECT_EQ(changes.at("shop.reg.test/NS")["after"], json::array());
    EXPECT_EQ(changes.at("newco.reg.test/NS")["op"], "create");
    EXPECT_EQ(changes.at("newco.reg.test/NS")["before"], json::array());

    // Every packet will match this zone: the change itself is what alerts.
    // One alert for bank, grown by its DS change (the same id, a new seq).
    const auto suspicious = stored_alerts("suspicious_change");
    ASSERT_EQ(suspicious.size(), 2u) << test::slurp(dir_ / "state" / "alerts.jsonl");
    EXPECT_EQ(suspicious[0]["id"], suspicious[1]["id"]);
    EXPECT_EQ(suspicious[1]["name"], "bank.reg.test");
    EXPECT_EQ(suspicious[1]["state"], "open");
    EXPECT_EQ(suspicious[1]["severity"], "high");
    EXPECT_EQ(suspicious[1]["signals"], json({"ns_provider_changed", "ds_removed"}));
    EXPECT_EQ(suspicious[1]["changes"], json({ns["seq"], ds["seq"]}));

    // A re-push of the same data (a new serial, nothing else) is no change.
    const std::size_t records = stored_records();
    write_zone(2026120703, "ns.evil-dns.example.", false, {{"newco", "ns.newco-dns.example."}});
    reload_nsd();
    ASSERT_TRUE(test::eventually([&] { return run.err().find("zone=reg.test serial=2026120703") != std::string::npos; },
                                 std::chrono::seconds(20)))
        << run.err();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    EXPECT_EQ(stored_records(), records);

    // The registry's data goes back (the hijacker's window closes): each
    // RRset back to its earlier rdata within the window is short-lived.
    write_zone(2026120704, "ns.bank-hosting.example.", true, {{"shop", "ns.shop-hosting.example."}});
    reload_nsd();
    ASSERT_TRUE(test::eventually([&] { return stored_alerts("short_lived_change").size() >= 3; },
                                 std::chrono::seconds(20)))
        << test::slurp(dir_ / "state" / "alerts.jsonl");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    std::map<std::string, json> short_lived;
    for (const json& alert : stored_alerts("short_lived_change")) {
        short_lived[alert["name"].get<std::string>() + "/" + alert["rrtype"].get<std::string>()] = alert;
    }
    ASSERT_EQ(short_lived.size(), 3u);  // bank's NS and DS, shop's delegation (deleted, then back)
    const json& ns_back = short_lived.at("bank.reg.test/NS");
    EXPECT_EQ(ns_back["state"], "reverted");
    EXPECT_EQ(ns_back["signals"], json({"short_lived"}));
    EXPECT_EQ(ns_back["observed"], json({"ns.evil-dns.example.", "ns1.bank.reg.test."}));
    EXPECT_EQ(ns_back["baseline"], json({"ns.bank-hosting.example.", "ns1.bank.reg.test."}));
    EXPECT_EQ(ns_back["changes"][0], ns["seq"]);
    EXPECT_TRUE(short_lived.contains("bank.reg.test/DS"));
    EXPECT_TRUE(short_lived.contains("shop.reg.test/NS"));
    // bank's suspicious alert ends with the revert.
    const auto closed = stored_alerts("suspicious_change");
    EXPECT_EQ(closed.back()["state"], "reverted");
    EXPECT_EQ(closed.back()["id"], suspicious[0]["id"]);
    // No divergence alert: nothing was captured, and the wire would have matched.
    EXPECT_TRUE(stored_alerts("rrset_divergence").empty());
    EXPECT_EQ(run.stop(SIGTERM), 0) << run.err();
}

// Two audiences (publish.zmq.public_endpoint): a domain created through the
// registry reaches the vetted endpoint at once and the public one only
// publish.delay_creates_deletes after its time, though the sensor restarts
// in between; an update of an existing domain reaches both at once.
class ChangeSubscriber {
public:
    ChangeSubscriber(zmq::context_t& context, const std::string& endpoint) : socket_(context, zmq::socket_type::sub) {
        socket_.set(zmq::sockopt::subscribe, "change.");
        socket_.connect(endpoint);
    }
    // Change records received within `wait` (or until `enough` came), each
    // with the wall time it came.
    std::vector<std::pair<json, std::int64_t>> receive(std::chrono::milliseconds wait, std::size_t enough = SIZE_MAX) {
        std::vector<std::pair<json, std::int64_t>> got;
        const auto deadline = std::chrono::steady_clock::now() + wait;
        while (std::chrono::steady_clock::now() < deadline && got.size() < enough) {
            zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
            zmq::poll(&item, 1, std::chrono::milliseconds(50));
            if ((item.revents & ZMQ_POLLIN) == 0) continue;
            zmq::message_t topic, body;
            (void)socket_.recv(topic);
            (void)socket_.recv(body);
            got.emplace_back(json::parse(body.to_string()), wall_clock_us());
        }
        return got;
    }

private:
    zmq::socket_t socket_;
};

std::vector<std::string> names_and_ops(const std::vector<std::pair<json, std::int64_t>>& records) {
    std::vector<std::string> out;
    for (const auto& [record, when] : records) {
        out.push_back(record["name"].get<std::string>() + " " + record["op"].get<std::string>());
    }
    return out;
}

TEST_F(ChangeFeedTest, CreatesReachThePublicEndpointOnlyAfterTheDelayAcrossARestart) {
    const int vetted_port = test::reserved_port(), public_port = test::reserved_port();
    const std::string vetted = "tcp://127.0.0.1:" + std::to_string(vetted_port);
    const std::string open = "tcp://127.0.0.1:" + std::to_string(public_port);
    // Long enough for a stop and a start under load: a record released while
    // no subscriber is connected is not seen (PUB semantics).
    constexpr std::int64_t kDelayS = 15;
    {
        std::ofstream config(dir_ / "dnswatch.yaml", std::ios::app);
        config << "publish:\n  zmq:\n    endpoint: " << vetted << "\n    public_endpoint: " << open
               << "\n  delay_creates_deletes: " << kDelayS << "s\n";
    }
    auto nsd = start_nsd();
    ASSERT_TRUE(nsd->ok()) << nsd->why();
    auto start_sensor = [&](const std::string& tag) {
        auto run = std::make_unique<test::Spawned>(
            std::vector<std::string>{DNSWATCH_BINARY, "run", "--config", (dir_ / "dnswatch.yaml").string()},
            dir_ / ("out-" + tag), dir_ / ("err-" + tag));
        EXPECT_TRUE(test::eventually([&] { return run->err().find("event=run_started") != std::string::npos; },
                                     std::chrono::seconds(20)))
            << run->err();
        return run;
    };
    auto run = start_sensor("1");
    ASSERT_TRUE(test::eventually([&] { return run->err().find("zone=reg.test serial=2026120701") != std::string::npos; },
                                 std::chrono::seconds(20)));
    zmq::context_t context;
    ChangeSubscriber vetted_feed(context, vetted);
    auto public_feed = std::make_unique<ChangeSubscriber>(context, open);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the subscriptions reach the PUB sockets

    // newco is created, bank's NS updated, in one transfer.
    write_zone(2026120702, "ns.evil-dns.example.", true,
               {{"shop", "ns.shop-hosting.example."}, {"newco", "ns.newco-dns.example."}});
    reload_nsd();
    const auto at_once = vetted_feed.receive(std::chrono::seconds(10), 2);
    EXPECT_EQ(names_and_ops(at_once), (std::vector<std::string>{"bank.reg.test update", "newco.reg.test create"}));
    EXPECT_EQ(names_and_ops(public_feed->receive(std::chrono::milliseconds(1500))),
              (std::vector<std::string>{"bank.reg.test update"}))
        << "the update at once, the create held";

    // The sensor restarts while the create is held.
    EXPECT_EQ(run->stop(SIGTERM), 0) << run->err();
    public_feed.reset();
    run = start_sensor("2");
    public_feed = std::make_unique<ChangeSubscriber>(context, open);
    const auto later = public_feed->receive(std::chrono::seconds(kDelayS + 8), 1);
    EXPECT_TRUE(public_feed->receive(std::chrono::milliseconds(500)).empty()) << "one record only";
    ASSERT_EQ(names_and_ops(later), (std::vector<std::string>{"newco.reg.test create"}))
        << "held across the restart, and the update not sent twice\n" << run->err();
    const std::int64_t change_time = parse_rfc3339_us(later[0].first["time"].get<std::string>());
    EXPECT_GE(later[0].second, change_time + kDelayS * 1'000'000) << "released before its delay";
    EXPECT_EQ(later[0].first["seq"], at_once[1].first["seq"]);
    EXPECT_EQ(run->stop(SIGTERM), 0) << run->err();
}

}  // namespace
}  // namespace dnswatch
