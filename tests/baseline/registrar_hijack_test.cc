// A registrar-account hijack seen at the registry (issue 14, end to end).
// A hidden primary Knot signs a TLD-like zone (reg.test) and feeds a public
// NSD secondary by NOTIFY + IXFR; dnswatch takes its baseline from the same
// primary (NOTIFY + IXFR) and captures the public NSD's answers to dig live
// on lo. Through the primary (knotc, as an EPP update from a compromised
// registrar account reaches the registry's database) bank's delegation moves
// to another provider and loses its DS. Every packet then matches the zone:
// only the change feed can tell, and it must.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "publish/alert_store.h"
#include "tests/cli/run_support.h"
#include "tests/support/http_client.h"
#include "tests/support/knot_server.h"
#include "tests/support/nsd_server.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kDs = "bank 3600 DS 12345 13 2 3A2B1C0D9E8F7A6B5C4D3E2F1A0B9C8D7E6F5A4B3C2D1E0F9A8B7C6D5E4F3A2B";
const std::vector<std::string> kTrueNs = {"bank 3600 NS ns1.bank-hosting.example.",
                                          "bank 3600 NS ns2.bank-hosting.example."};
const std::vector<std::string> kEvilNs = {"bank 3600 NS ns1.evil-dns.example.",
                                          "bank 3600 NS ns2.evil-dns.example."};

class RegistrarHijackTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!test::have_program(test::KnotServer::kKnotd) || !test::have_program("nsd") ||
            !test::have_program("dig")) {
            if (test::in_ci()) FAIL() << "knotd, nsd and dig are installed in CI (scripts/setup)";
            GTEST_SKIP() << "knotd, nsd or dig is not installed";
        }
        if (::geteuid() != 0) GTEST_SKIP() << "live capture on lo needs root";
        dir_ = test::scratch_dir("registrar-hijack");
        knot_port_ = test::reserved_port();
        public_port_ = test::reserved_port();
        notify_port_ = test::reserved_port();
        fs::create_directories(dir_ / "zones");
        fs::create_directories(dir_ / "public");
        // The registry's unsigned data; Knot signs it (DNSKEY, RRSIG, NSEC).
        test::write_file(dir_ / "zones" / "reg.test.zone",
                         "$ORIGIN reg.test.\n$TTL 3600\n"
                         "@ IN SOA a.nic.reg.test. hostmaster.nic.reg.test. 2026120701 3600 600 86400 300\n"
                         "@ IN NS a.nic.reg.test.\na.nic IN A 127.0.0.10\n" +
                             kTrueNs[0] + "\n" + kTrueNs[1] + "\n" + kDs +
                             "\nshop IN NS ns.shop-hosting.example.\n");
        test::write_file(dir_ / "feed.jsonl", "");
    }
    void TearDown() override {
        if (!dir_.empty()) fs::remove_all(dir_);
    }

    // The hidden primary, then the public secondary that transfers from it.
    void start_servers() {
        knot_ = std::make_unique<test::KnotServer>(dir_ / "knot", "reg.test", dir_ / "zones" / "reg.test.zone",
                                                   knot_port_, notify_port_,
                                                   test::KnotOptions{{public_port_}, /*sign=*/true});
        ASSERT_TRUE(knot_->ok()) << knot_->why();
        test::NsdZone zone{"reg.test", dir_ / "public" / "reg.test.zone",
                           "    request-xfr: 127.0.0.1@" + std::to_string(knot_port_) + " NOKEY\n"
                           "    allow-notify: 127.0.0.1 NOKEY\n"};
        nsd_ = std::make_unique<test::NsdServer>(dir_ / "public", std::vector<test::NsdZone>{zone}, public_port_);
        ASSERT_TRUE(nsd_->ok()) << nsd_->why();
        ASSERT_TRUE(public_serves(knot_->serial())) << knot_->log();
    }

    // dnswatch: baseline from the primary, the public server's wire from lo.
    std::unique_ptr<test::Spawned> start_sensor(const std::string& more_watch = "") {
        test::write_file(dir_ / "dnswatch.yaml",
                         "sensor: {id: registry-1}\n"
                         "capture:\n  source: pcap_live\n  interfaces: [lo]\n  filter: udp port " +
                             std::to_string(public_port_) +
                             "\ndecode: {dns_ports: [" + std::to_string(public_port_) +
                             "]}\npipeline: {workers: 1}\nstats: {interval: 0}\n"
                             "metrics: {listen: 127.0.0.1:0}\n"
                             "watch:\n  zones:\n    - name: reg.test\n      primary: 127.0.0.1:" +
                             std::to_string(knot_port_) + "\n" + more_watch +
                             "baseline:\n  transparency_feed: feed.jsonl\n  transfer:\n    notify_listen: 127.0.0.1:" +
                             std::to_string(notify_port_) +
                             "\n    timeout: 2s\nstate: {dir: state, fsync: false}\n");
        auto run = std::make_unique<test::Spawned>(
            std::vector<std::string>{DNSWATCH_BINARY, "run", "--config", (dir_ / "dnswatch.yaml").string()},
            dir_ / "out", dir_ / "err");
        const std::string serial = "zone=reg.test serial=" + std::to_string(knot_->serial());
        EXPECT_TRUE(test::eventually(
            [&] {
                const std::string err = run->err();
                return err.find(serial) != std::string::npos && err.find("libpcap on lo") != std::string::npos;
            },
            std::chrono::seconds(20)))
            << run->err();
        metrics_port_ = test::metrics_port(*run);
        return run;
    }

    // A change through the primary, waited for until both the public
    // server and the sensor hold the new serial (so the wire and the
    // baseline agree before anyone asks).
    void change_at_primary(const test::Spawned& run, const std::vector<std::string>& unset,
                           const std::vector<std::string>& set) {
        const unsigned long before = knot_->serial();
        ASSERT_TRUE(knot_->change(unset, set)) << knot_->log();
        unsigned long after = 0;
        ASSERT_TRUE(test::eventually([&] { return (after = knot_->serial()) > before; }, std::chrono::seconds(10)));
        ASSERT_TRUE(public_serves(after)) << test::slurp(dir_ / "public" / "nsd.log");
        ASSERT_TRUE(test::eventually(
            [&] { return run.err().find("zone=reg.test serial=" + std::to_string(after)) != std::string::npos; },
            std::chrono::seconds(20)))
            << run.err();
    }

    bool public_serves(unsigned long serial) const {
        return test::eventually(
            [&] {
                const test::CommandResult r = nsd_->dig({"@127.0.0.1", "reg.test", "SOA", "+short", "+time=1"});
                return r.out.find(" " + std::to_string(serial) + " ") != std::string::npos;
            },
            std::chrono::seconds(20));
    }

    // What a resolver asks the public server about bank, with DO: the
    // referral (NS, and DS or the NSEC that proves it absent) and the DS.
    // Returns the referral's authority section as dig prints it.
    std::string ask_public() const {
        const test::CommandResult referral =
            nsd_->dig({"@127.0.0.1", "www.bank.reg.test", "A", "+norec", "+dnssec", "+time=2", "+noall", "+authority"});
        nsd_->dig({"@127.0.0.1", "bank.reg.test", "DS", "+norec", "+dnssec", "+time=2"});
        nsd_->dig({"@127.0.0.1", "shop.reg.test", "NS", "+norec", "+dnssec", "+time=2"});
        return referral.out;
    }

    double metric(const std::string& series) const {
        return test::metric_value(test::http_request(static_cast<std::uint16_t>(metrics_port_), "GET", "/metrics").body,
                                  series);
    }

    std::vector<json> stored(const std::string& schema) const {
        std::vector<json> records;
        const fs::path store = dir_ / "state" / "alerts.jsonl";
        if (!fs::exists(store)) return records;
        scan_alert_store(store.string(), 0, [&](std::uint64_t, std::string_view line) {
            json record = json::parse(line);
            if (record["schema"] == schema) records.push_back(record);
            return true;
        });
        return records;
    }
    std::vector<json> alerts() const { return stored("dnswatch.alert/1"); }
    std::vector<json> alerts(const std::string& kind) const {
        std::vector<json> of_kind;
        for (const json& alert : alerts()) {
            if (alert["kind"] == kind) of_kind.push_back(alert);
        }
        return of_kind;
    }
    // The change records of bank.reg.test's `rrtype`, in order.
    std::vector<json> bank_changes(const std::string& rrtype) const {
        std::vector<json> changes;
        for (const json& change : stored("dnswatch.change/1")) {
            if (change["name"] == "bank.reg.test" && change["rrtype"] == rrtype) changes.push_back(change);
        }
        return changes;
    }
    std::string store_text() const { return test::slurp(dir_ / "state" / "alerts.jsonl"); }

    fs::path dir_;
    int knot_port_ = 0;
    int public_port_ = 0;
    int notify_port_ = 0;
    int metrics_port_ = 0;
    std::unique_ptr<test::KnotServer> knot_;
    std::unique_ptr<test::NsdServer> nsd_;
};

TEST_F(RegistrarHijackTest, ADelegationMovedAndPutBackAlertsWhileTheWireMatchesTheZone) {
    ASSERT_NO_FATAL_FAILURE(start_servers());
    auto run = start_sensor();
    const unsigned long first = knot_->serial();
    EXPECT_NE(ask_public().find("ns1.bank-hosting.example."), std::string::npos);

    // The hijack: bank's NS to another provider, its DS withdrawn.
    ASSERT_NO_FATAL_FAILURE(change_at_primary(*run, {"bank NS", "bank DS"}, kEvilNs));
    const unsigned long hijacked = knot_->serial();
    const std::string referral = ask_public();
    EXPECT_NE(referral.find("ns1.evil-dns.example."), std::string::npos) << referral;
    EXPECT_EQ(referral.find("\tDS\t"), std::string::npos) << "the public server serves the hijack: " << referral;

    // The scenario's "restored three hours later" is any time within
    // detect.short_lived_change.window (default 7d, wall clock): a few
    // seconds here, while resolvers keep asking.
    std::this_thread::sleep_for(std::chrono::seconds(2));
    ask_public();
    std::vector<std::string> restore = kTrueNs;
    restore.push_back(kDs);
    ASSERT_NO_FATAL_FAILURE(change_at_primary(*run, {"bank NS"}, restore));
    const unsigned long restored = knot_->serial();
    EXPECT_NE(ask_public().find("ns1.bank-hosting.example."), std::string::npos);
    ASSERT_TRUE(test::eventually([&] { return alerts("short_lived_change").size() >= 2; }, std::chrono::seconds(10)))
        << store_text();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));

    // The change records: each RRset's change is an update by IXFR, with
    // the serials of both ends of the transfer.
    const std::vector<json> ns = bank_changes("NS");
    ASSERT_EQ(ns.size(), 2u) << store_text();
    EXPECT_EQ(ns[0]["op"], "update");
    EXPECT_EQ(ns[0]["source"], "ixfr") << "Knot answers the IXFR from its journal";
    EXPECT_EQ(ns[0]["serial_before"], first);
    EXPECT_EQ(ns[0]["serial_after"], hijacked);
    EXPECT_EQ(ns[0]["before"], json({"ns1.bank-hosting.example.", "ns2.bank-hosting.example."}));
    EXPECT_EQ(ns[0]["after"], json({"ns1.evil-dns.example.", "ns2.evil-dns.example."}));
    EXPECT_EQ(ns[0]["announced"], false);
    EXPECT_EQ(ns[1]["source"], "ixfr");
    EXPECT_EQ(ns[1]["serial_before"], hijacked);
    EXPECT_EQ(ns[1]["serial_after"], restored);
    const std::vector<json> ds = bank_changes("DS");
    ASSERT_EQ(ds.size(), 2u) << store_text();
    EXPECT_EQ(ds[0]["op"], "update") << "the domain stays; its DS goes";
    EXPECT_EQ(ds[0]["source"], "ixfr");
    EXPECT_EQ(ds[0]["after"], json::array());
    EXPECT_EQ(ds[1]["before"], json::array());
    EXPECT_EQ(ds[1]["serial_after"], restored);

    // At the first change: suspicious, with every signal of the hijack.
    const std::vector<json> suspicious = alerts("suspicious_change");
    ASSERT_FALSE(suspicious.empty()) << store_text();
    EXPECT_EQ(suspicious.front()["name"], "bank.reg.test");
    EXPECT_EQ(suspicious.front()["state"], "open");
    EXPECT_LT(suspicious.front()["seq"].get<std::uint64_t>(), ns[1]["seq"].get<std::uint64_t>())
        << "raised at the hijack, before the revert";
    std::vector<std::string> open_signals;
    for (const json& alert : suspicious) {
        if (alert["state"] == "open") open_signals = alert["signals"].get<std::vector<std::string>>();
    }
    std::sort(open_signals.begin(), open_signals.end());  // in the order the IXFR listed the RRsets
    EXPECT_EQ(open_signals, (std::vector<std::string>{"ds_removed", "ns_provider_changed", "unannounced"}))
        << store_text();
    EXPECT_EQ(suspicious.back()["state"], "reverted");
    // At the revert: short-lived, for the NS and the DS.
    std::map<std::string, json> short_lived;
    for (const json& alert : alerts("short_lived_change")) short_lived[alert["rrtype"].get<std::string>()] = alert;
    ASSERT_TRUE(short_lived.contains("NS")) << store_text();
    EXPECT_EQ(short_lived["NS"]["name"], "bank.reg.test");
    EXPECT_EQ(short_lived["NS"]["state"], "reverted");
    EXPECT_EQ(short_lived["NS"]["signals"], json({"short_lived"}));
    EXPECT_EQ(short_lived["NS"]["observed"], json({"ns1.evil-dns.example.", "ns2.evil-dns.example."}));
    EXPECT_EQ(short_lived["NS"]["changes"], json({ns[0]["seq"], ns[1]["seq"]}));
    EXPECT_TRUE(short_lived.contains("DS")) << store_text();

    // The wire matched the zone throughout: the sensor judged the public
    // server's signed answers, and nothing but the change feed alerted.
    EXPECT_GE(metric("dnswatch_dns_messages_total"), 18) << "9 queries and their answers, captured";
    EXPECT_GT(metric("dnswatch_dnssec_rrsets_total{result=\"checked\"}"), 0);
    EXPECT_EQ(metric("dnswatch_dnssec_rrsets_total{result=\"bogus\"}"), 0);
    for (const json& alert : alerts()) {
        EXPECT_TRUE(alert["kind"] == "suspicious_change" || alert["kind"] == "short_lived_change") << alert.dump();
    }
    EXPECT_EQ(run->stop(SIGTERM), 0) << run->err();
}

// The registrant moves bank to a new provider and drops its DS on purpose;
// the registry announced it in its transparency feed first. The change is
// still published (the raw feed is every change), marked announced, and
// nothing alerts: this is what a legitimate migration looks like.
TEST_F(RegistrarHijackTest, AnAnnouncedChangeIsPublishedAndDoesNotAlert) {
    test::write_file(dir_ / "feed.jsonl",
                     "{\"zone\":\"reg.test\",\"name\":\"bank.reg.test\",\"rrtype\":\"NS\","
                     "\"rdata\":[\"ns1.evil-dns.example.\",\"ns2.evil-dns.example.\"],"
                     "\"effective\":\"2026-01-01T00:00:00.000000Z\"}\n"
                     "{\"zone\":\"reg.test\",\"name\":\"bank.reg.test\",\"rrtype\":\"DS\",\"rdata\":[],"
                     "\"effective\":\"2026-01-01T00:00:00.000000Z\"}\n");
    ASSERT_NO_FATAL_FAILURE(start_servers());
    auto run = start_sensor();
    ask_public();
    ASSERT_NO_FATAL_FAILURE(change_at_primary(*run, {"bank NS", "bank DS"}, kEvilNs));
    EXPECT_NE(ask_public().find("ns1.evil-dns.example."), std::string::npos);
    ASSERT_TRUE(test::eventually([&] { return !bank_changes("NS").empty() && !bank_changes("DS").empty(); },
                                 std::chrono::seconds(10)))
        << store_text();
    // Never reverted: a while later, still asked, still the new data.
    std::this_thread::sleep_for(std::chrono::seconds(1));
    ask_public();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));

    const std::vector<json> ns = bank_changes("NS");
    ASSERT_EQ(ns.size(), 1u) << store_text();
    EXPECT_EQ(ns[0]["source"], "ixfr");
    EXPECT_EQ(ns[0]["op"], "update");
    EXPECT_EQ(ns[0]["announced"], true);
    const std::vector<json> ds = bank_changes("DS");
    ASSERT_EQ(ds.size(), 1u) << store_text();
    EXPECT_EQ(ds[0]["after"], json::array());
    EXPECT_EQ(ds[0]["announced"], true) << "the feed announced the DS's removal (rdata [])";
    EXPECT_TRUE(alerts().empty()) << store_text();
    EXPECT_GE(metric("dnswatch_dns_messages_total"), 12);
    EXPECT_EQ(run->stop(SIGTERM), 0) << run->err();
}

// bank is registry-locked (watch.locked_domains): no change of it may pass
// unremarked, even one that alone would be routine (a DS replaced, as in a
// key roll-over), and it is critical at once, before any revert.
TEST_F(RegistrarHijackTest, ALockedDomainsChangeIsCriticalAtOnce) {
    test::write_file(dir_ / "locked.txt", "# registry lock\nbank.reg.test\n");
    ASSERT_NO_FATAL_FAILURE(start_servers());
    auto run = start_sensor("  locked_domains: locked.txt\n");
    ASSERT_NO_FATAL_FAILURE(change_at_primary(
        *run, {"bank DS"}, {"bank 3600 DS 54321 13 2 " + std::string(64, 'C')}));
    ASSERT_TRUE(test::eventually([&] { return !alerts("suspicious_change").empty(); }, std::chrono::seconds(10)))
        << store_text();
    const json alert = alerts("suspicious_change").front();
    EXPECT_EQ(alert["name"], "bank.reg.test");
    EXPECT_EQ(alert["rrtype"], "DS");
    EXPECT_EQ(alert["state"], "open");
    EXPECT_EQ(alert["severity"], "critical");
    const auto signals = alert["signals"].get<std::vector<std::string>>();
    EXPECT_NE(std::find(signals.begin(), signals.end(), "locked"), signals.end()) << alert.dump();
    const std::vector<json> ds = bank_changes("DS");
    ASSERT_EQ(ds.size(), 1u) << store_text();
    EXPECT_EQ(alert["changes"], json({ds[0]["seq"]}));
    EXPECT_EQ(ds[0]["source"], "ixfr");
    EXPECT_EQ(run->stop(SIGTERM), 0) << run->err();
}

}  // namespace
}  // namespace dnswatch
