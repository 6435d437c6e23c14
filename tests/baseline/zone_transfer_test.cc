// Zone transfers as a baseline source, against a real NSD primary on
// 127.0.0.1 at ports chosen at run time: the first AXFR gives the same
// baseline as the zone file; a changed zone reloaded by NSD (SIGHUP) sends
// NOTIFY to the sensor, which answers it, transfers the new serial (IXFR;
// NSD 4.6 answers it with the whole zone) and swaps the new baseline in: the
// open alert about the new data ends `accepted`, the old data now alerts.
// A restart without the primary keeps the last transferred zone. A running
// sensor whose reload adds a zone with a primary transfers it at once.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

// NSD's helper before anything that includes ldns (whose common.h defines
// true and false as integers).
#include "tests/support/nsd_server.h"
#include "tests/support/run_command.h"
#include "capture/pcap_file_source.h"
#include "common/host_port.h"
#include "baseline/sources.h"
#include "baseline/zone_refresher.h"
#include "log/log.h"
#include "baseline/zone_transfer.h"
#include "config/config.h"
#include "decode/dns_message.h"
#include "detect/packet_processor.h"
#include "log/log.h"
#include "baseline/shared_baseline.h"
#include "publish/alert_json.h"
#include "tests/cli/run_support.h"
#include "tests/support/answer_capture.h"
#include "tests/support/http_client.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::int64_t kStart = 1772323200;  // 2026-03-01T00:00:00Z

std::string zone_text(const std::string& serial, const std::string& www, const std::string& extra = "") {
    return "$ORIGIN victim.test.\n$TTL 300\n"
           "@ IN SOA ns1.victim.test. hostmaster.victim.test. " + serial + " 3600 600 86400 300\n"
           "@ IN NS ns1.victim.test.\nns1 IN A 127.0.0.10\nwww IN A " + www + "\n" + extra;
}

// (owner, type) -> comparison forms, for every RRset of `records` in the baseline.
std::map<std::string, std::vector<std::string>> pools_of(const Baseline& baseline, const std::vector<ZoneRecord>& records) {
    std::map<std::string, std::vector<std::string>> pools;
    for (const ZoneRecord& r : records) {
        std::vector<std::string> forms;
        baseline.find(r.owner, r.type).for_each_rdata([&forms](std::span<const std::uint8_t> rdata) {
            forms.emplace_back(rdata.begin(), rdata.end());
        });
        std::sort(forms.begin(), forms.end());
        forms.erase(std::unique(forms.begin(), forms.end()), forms.end());
        pools[r.owner.to_text() + "/" + rrtype_to_text(r.type)] = forms;
    }
    return pools;
}

class CollectingSink : public AlertSink {
public:
    void publish(const Alert& alert) override { alerts.push_back(alert); }
    std::vector<Alert> alerts;
};

class ZoneTransferTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!test::have_program("nsd")) GTEST_SKIP() << "nsd is not installed";
        dir_ = test::scratch_dir("xfr");
        nsd_port_ = test::reserved_port();
        notify_port_ = test::reserved_port();
        zone_file_ = dir_ / "nsd" / "victim.test.zone";
        fs::create_directories(zone_file_.parent_path());
        test::write_file(zone_file_, zone_text("2026030101", "192.0.2.10"));
        test::write_file(dir_ / "dnswatch.yaml",
                         "sensor: {id: xfr-test}\n"
                         "watch:\n  zones:\n    - name: victim.test\n      primary: 127.0.0.1:" +
                             std::to_string(nsd_port_) +
                             "\nbaseline:\n  transfer:\n    notify_listen: 127.0.0.1:" + std::to_string(notify_port_) +
                             "\n    timeout: 2s\nstate: {dir: state, fsync: false}\n");
    }
    void TearDown() override {
        if (!dir_.empty()) fs::remove_all(dir_);
    }

    std::unique_ptr<test::NsdServer> start_nsd() {
        test::NsdZone zone{"victim.test", zone_file_,
                           "    provide-xfr: 127.0.0.1 NOKEY\n"
                           "    notify: 127.0.0.1@" + std::to_string(notify_port_) + " NOKEY\n"};
        return std::make_unique<test::NsdServer>(dir_ / "nsd", std::vector<test::NsdZone>{zone}, nsd_port_);
    }

    // One response from 127.0.0.10 for www, judged by `processor`.
    void observe(PacketProcessor& processor, std::int64_t at_s, const std::string& address) {
        const fs::path pcap = dir_ / "one.pcap";
        test::write_answer_capture(pcap, kStart, {{at_s, "www.victim.test. IN A", {"www.victim.test. 300 IN A " + address}}});
        PcapFileSource source(pcap.string());
        PacketBatch batch;
        while (source.next_batch(batch)) processor.process(batch, "one.pcap");
    }

    fs::path dir_;
    fs::path zone_file_;
    int nsd_port_ = 0;
    int notify_port_ = 0;
};

TEST_F(ZoneTransferTest, NotifyBringsTheNewSerialWhichSwapsTheBaselineAndARestartKeepsIt) {
    auto nsd = start_nsd();
    ASSERT_TRUE(nsd->ok()) << nsd->why();
    const Config config = load_config((dir_ / "dnswatch.yaml").string());
    auto model = build_baseline_model(config);
    std::FILE* log = std::tmpfile();
    log::Logger logger(log);
    auto refresher = std::make_unique<ZoneRefresher>(config, model->shared, &logger);
    ASSERT_EQ(refresher->counters().transfers, 1u);
    EXPECT_EQ(refresher->notify_port(), notify_port_);

    // The first AXFR: the same baseline as the zone file, kept in state.dir.
    const std::vector<ZoneRecord> v1 = read_zone_file(zone_file_.string(), "victim.test.");
    Baseline from_file;
    from_file.add_zone_records(v1, *model->shared.watch());
    EXPECT_EQ(pools_of(model->shared.snapshot()->baseline, v1), pools_of(from_file, v1));
    EXPECT_EQ(model->shared.snapshot()->baseline.rrset_count(), from_file.rrset_count());
    const fs::path kept = dir_ / "state/zones/victim.test.zone";
    EXPECT_EQ(read_zone_file(kept.string(), "victim.test.").size(), v1.size());

    CollectingSink sink;
    BaselineFollower follower(model->shared);
    follower.refresh();
    PacketProcessor processor(follower.local_watch(), follower.snapshot().baseline, "xfr-test", sink);
    processor.follow(follower);
    observe(processor, 0, "192.0.2.10");
    EXPECT_TRUE(sink.alerts.empty());
    observe(processor, 60, "198.51.100.10");  // not (yet) in the zone
    ASSERT_EQ(sink.alerts.size(), 1u);
    EXPECT_EQ(sink.alerts[0].state, AlertState::open);

    // The zone changes; NSD reloads it and sends NOTIFY.
    test::write_file(zone_file_, zone_text("2026030102", "198.51.100.10", "mail IN A 198.51.100.25\n"));
    const std::uint64_t before = model->shared.version();
    std::ifstream pidfile(dir_ / "nsd/nsd.pid");
    pid_t nsd_pid = 0;
    pidfile >> nsd_pid;
    ASSERT_GT(nsd_pid, 0);
    ASSERT_EQ(::kill(nsd_pid, SIGHUP), 0);
    ASSERT_TRUE(test::eventually([&] { return model->shared.version() > before; }, std::chrono::seconds(20)))
        << "no transfer after NOTIFY: " << refresher->counters().notifies << " notifies, "
        << refresher->counters().failures << " failures";
    // The snapshot is published first, then the copy kept, counted and logged.
    ASSERT_TRUE(test::eventually([&] { return refresher->counters().transfers >= 2; }, std::chrono::seconds(5)));
    EXPECT_GE(refresher->counters().notifies, 1u);
    EXPECT_EQ(refresher->counters().transfers, 2u);
    EXPECT_EQ(refresher->counters().notifies_refused, 0u);
    std::rewind(log);
    std::string logged(4096, '\0');
    logged.resize(std::fread(logged.data(), 1, logged.size(), log));
    EXPECT_NE(logged.find("zone_transferred"), std::string::npos) << logged;
    EXPECT_NE(logged.find("serial=2026030102"), std::string::npos) << logged;
    EXPECT_NE(logged.find("IXFR, whole zone"), std::string::npos) << logged;

    // Between two batches the detector takes the new snapshot: the new
    // address ends its alert `accepted`; the old one now diverges.
    EXPECT_TRUE(processor.follow(follower));
    observe(processor, 120, "198.51.100.10");
    ASSERT_EQ(sink.alerts.size(), 2u);
    EXPECT_EQ(sink.alerts[1].id, sink.alerts[0].id);
    EXPECT_EQ(sink.alerts[1].state, AlertState::accepted);
    observe(processor, 180, "192.0.2.10");
    ASSERT_EQ(sink.alerts.size(), 3u);
    EXPECT_EQ(sink.alerts[2].state, AlertState::open);
    EXPECT_EQ(sink.alerts[2].baseline, std::vector<std::string>{"198.51.100.10"});
    refresher.reset();
    std::fclose(log);

    // The primary goes away; the sensor restarts with what it kept.
    nsd.reset();
    const fs::path pcap = dir_ / "after.pcap";
    test::write_answer_capture(pcap, kStart, {{300, "www.victim.test. IN A", {"www.victim.test. 300 IN A 198.51.100.10"}},
                                              {310, "mail.victim.test. IN A", {"mail.victim.test. 300 IN A 198.51.100.25"}},
                                              {320, "www.victim.test. IN A", {"www.victim.test. 300 IN A 192.0.2.10"}}});
    const test::CommandResult r = test::run_command(
        {DNSWATCH_BINARY, "replay", "--config", (dir_ / "dnswatch.yaml").string(), "--alerts",
         (dir_ / "after.jsonl").string(), pcap.string()},
        dir_);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("zone_transfer_failed"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("primary=127.0.0.1:" + std::to_string(nsd_port_)), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("kept_serial=2026030102"), std::string::npos) << r.err;
    const std::vector<std::string> lines = test::lines_of(test::slurp(dir_ / "after.jsonl"));
    ASSERT_EQ(lines.size(), 1u) << test::slurp(dir_ / "after.jsonl");
    EXPECT_EQ(json::parse(lines[0])["observed"], json({"192.0.2.10"}));
}

// A NOTIFY (opcode 4) for `zone` sent to the refresher from 127.0.0.1; the
// answer's flags and rcode bytes, or empty when none came within a second.
std::vector<std::uint8_t> send_notify(int port, const std::string& zone, std::uint16_t id) {
    test::MessageSpec spec;
    spec.id = id;
    spec.qr = false;
    spec.question = zone + ". IN SOA";
    std::vector<std::uint8_t> message = test::build_message(spec);
    message[2] = static_cast<std::uint8_t>((message[2] & 0x87) | (4 << 3));
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(port));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const timeval tv{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::sendto(fd, message.data(), message.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    std::uint8_t answer[512];
    const ssize_t n = ::recv(fd, answer, sizeof answer, 0);
    ::close(fd);
    if (n < 12 || answer[0] != (id >> 8) || answer[1] != (id & 0xFF)) return {};
    return {answer[2], answer[3]};
}

// A zone of many records (a TLD's, in small) arrives whole and in the order
// the primary sent it: the records come in blocks (so that reading never
// stops to move millions of them) made one list at the end.
TEST_F(ZoneTransferTest, AnAxfrOfManyRecordsArrivesWholeInTheOrderSent) {
    std::string extra;
    constexpr int kHosts = 10000;  // more than two of the receiver's blocks
    for (int i = 0; i < kHosts; ++i) {
        extra += "h" + std::to_string(i) + " IN A 10." + std::to_string(i >> 8 & 255) + "." + std::to_string(i & 255) + ".1\n";
    }
    test::write_file(zone_file_, zone_text("2026030101", "192.0.2.10", extra));
    auto nsd = start_nsd();
    ASSERT_TRUE(nsd->ok()) << nsd->why();
    const std::optional<HostPort> primary = parse_host_port("127.0.0.1:" + std::to_string(nsd_port_));
    ASSERT_TRUE(primary.has_value());
    const TransferOutcome outcome = transfer_zone("victim.test", *primary, nullptr, 5000);
    ASSERT_EQ(outcome.kind, TransferKind::axfr);
    // SOA, NS, ns1, www and the hosts; the closing SOA is not a record.
    ASSERT_EQ(outcome.zone.records.size(), std::size_t{4 + kHosts});
    EXPECT_EQ(outcome.zone.records.front().type, rrtype::SOA);
    std::set<std::string> hosts;
    for (const ZoneRecord& r : outcome.zone.records) {
        if (r.type == rrtype::A && r.owner.to_text().rfind("h", 0) == 0) hosts.insert(r.owner.to_text());
    }
    EXPECT_EQ(hosts.size(), std::size_t{kHosts});
    // What dig receives from the same primary, record by record, in order.
    const test::CommandResult dig = test::run_command({"/usr/bin/dig", "-p", std::to_string(nsd_port_), "@127.0.0.1",
                                                       "victim.test", "AXFR", "+noall", "+answer", "+nottlid"},
                                                      dir_);
    ASSERT_EQ(dig.exit_code, 0) << dig.err;
    std::vector<std::string> dig_owners;
    std::istringstream lines(dig.out);
    for (std::string line; std::getline(lines, line);) {
        if (line.empty()) continue;
        std::string owner = line.substr(0, line.find_first_of(" \t"));
        if (owner.size() > 1 && owner.back() == '.') owner.pop_back();  // to_text() writes no final dot
        dig_owners.push_back(owner);
    }
    ASSERT_EQ(dig_owners.size(), outcome.zone.records.size() + 1);  // dig shows the closing SOA
    for (std::size_t i = 0; i < outcome.zone.records.size(); ++i) {
        ASSERT_EQ(outcome.zone.records[i].owner.to_text(), dig_owners[i]) << "record " << i;
    }
}

TEST_F(ZoneTransferTest, NotifyIsAnsweredAndRefusedForAZoneWithoutThisPrimary) {
    auto nsd = start_nsd();
    ASSERT_TRUE(nsd->ok()) << nsd->why();
    const Config config = load_config((dir_ / "dnswatch.yaml").string());
    auto model = build_baseline_model(config);
    ZoneRefresher refresher(config, model->shared, nullptr);
    const std::uint64_t notifies = refresher.counters().notifies;  // NSD's own, if any arrived yet

    // Ours: QR, opcode NOTIFY, AA, NOERROR; a transfer follows (up to date).
    const std::vector<std::uint8_t> ours = send_notify(notify_port_, "victim.test", 0x4242);
    ASSERT_EQ(ours.size(), 2u);
    EXPECT_EQ(ours[0], 0x80 | (4 << 3) | 0x04);
    EXPECT_EQ(ours[1] & 0x0F, 0);
    EXPECT_TRUE(test::eventually([&] { return refresher.counters().up_to_date >= 1; }, std::chrono::seconds(10)));
    EXPECT_GE(refresher.counters().notifies, notifies + 1);

    // A zone without a primary here: REFUSED, counted, nothing transferred.
    const std::vector<std::uint8_t> other = send_notify(notify_port_, "other.test", 0x4343);
    ASSERT_EQ(other.size(), 2u);
    EXPECT_EQ(other[1] & 0x0F, 5);
    EXPECT_EQ(refresher.counters().notifies_refused, 1u);
    EXPECT_EQ(refresher.counters().transfers, 1u);
}

// Anyone who can reach the NOTIFY port can send NOTIFYs: 2,000 of them
// used to write 2,000 lines. Each is still answered and counted; the log
// writes the first few and counts the rest as suppressed.
TEST_F(ZoneTransferTest, ANotifyFloodIsAnsweredButItsLogLinesAreRateLimited) {
    auto nsd = start_nsd();
    ASSERT_TRUE(nsd->ok()) << nsd->why();
    const Config config = load_config((dir_ / "dnswatch.yaml").string());
    auto model = build_baseline_model(config);
    std::FILE* log = std::tmpfile();
    log::Logger logger(log);
    ZoneRefresher refresher(config, model->shared, &logger);
    const std::uint64_t before = refresher.counters().notifies;
    constexpr int kNotifies = 2000;
    int answered = 0;
    for (int i = 0; i < kNotifies; ++i) answered += send_notify(notify_port_, "victim.test", static_cast<std::uint16_t>(i)).size() == 2;
    EXPECT_EQ(answered, kNotifies);
    EXPECT_EQ(refresher.counters().notifies, before + kNotifies);
    std::rewind(log);
    std::string logged;
    char chunk[65536];
    for (std::size_t n; (n = std::fread(chunk, 1, sizeof chunk, log)) > 0;) logged.append(chunk, n);
    std::fclose(log);
    std::size_t notify_lines = 0;
    for (std::size_t at = 0; (at = logged.find("event=notify ", at)) != std::string::npos; ++at) ++notify_lines;
    EXPECT_GE(notify_lines, 1u);
    EXPECT_LE(notify_lines, 12u) << logged.substr(0, 2000);  // the burst (10), one refill if the run is slow
    EXPECT_GE(logger.suppressed_total(), static_cast<std::uint64_t>(kNotifies - 12));
}

ZoneRecord rr(const std::string& text) { return record_from_text(text); }

TEST(IxfrAnswerTest, IncrementalSequencesApplyInOrder) {
    const std::string soa = "victim.test. 300 IN SOA ns1.victim.test. h.victim.test. ";
    const auto current = ZoneVersion::from_records(
        {rr(soa + "1 3600 600 86400 300"), rr("www.victim.test. 300 IN A 192.0.2.10"), rr("victim.test. 300 IN NS ns1.victim.test.")});
    ASSERT_TRUE(current);
    // 1 -> 2: www moves; 2 -> 3: mail appears.
    const TransferOutcome outcome = apply_ixfr_answer(
        {rr(soa + "3 3600 600 86400 300"), rr(soa + "1 3600 600 86400 300"), rr("www.victim.test. 300 IN A 192.0.2.10"),
         rr(soa + "2 3600 600 86400 300"), rr("www.victim.test. 300 IN A 198.51.100.10"), rr(soa + "2 3600 600 86400 300"),
         rr(soa + "3 3600 600 86400 300"), rr("mail.victim.test. 300 IN A 198.51.100.25"), rr(soa + "3 3600 600 86400 300")},
        *current);
    EXPECT_EQ(outcome.kind, TransferKind::ixfr);
    EXPECT_EQ(outcome.zone.serial, 3u);
    std::vector<std::string> texts;
    for (const ZoneRecord& r : outcome.zone.records) texts.push_back(r.owner.to_text() + " " + rrtype_to_text(r.type) + " " + rdata_to_text(r.type, r.rdata));
    EXPECT_EQ(texts, (std::vector<std::string>{"victim.test SOA ns1.victim.test. h.victim.test. 3 3600 600 86400 300",
                                               "victim.test NS ns1.victim.test.", "www.victim.test A 198.51.100.10",
                                               "mail.victim.test A 198.51.100.25"}));
    // Up to date: one SOA with our serial.
    EXPECT_EQ(apply_ixfr_answer({rr(soa + "1 3600 600 86400 300")}, *current).kind, TransferKind::up_to_date);
    // A diff from a serial we do not hold, or deleting what we do not hold.
    EXPECT_THROW(apply_ixfr_answer({rr(soa + "3 3600 600 86400 300"), rr(soa + "2 3600 600 86400 300"),
                                    rr(soa + "3 3600 600 86400 300"), rr(soa + "3 3600 600 86400 300")},
                                   *current),
                 TransferError);
    EXPECT_THROW(apply_ixfr_answer({rr(soa + "2 3600 600 86400 300"), rr(soa + "1 3600 600 86400 300"),
                                    rr("www.victim.test. 300 IN A 203.0.113.1"), rr(soa + "2 3600 600 86400 300"),
                                    rr(soa + "2 3600 600 86400 300")},
                                   *current),
                 TransferError);
    EXPECT_EQ(parse_server_address("[::1]:5353")->port, 5353);
    EXPECT_EQ(parse_server_address("192.0.2.1")->port, 53);
    EXPECT_FALSE(parse_server_address("ns1.example:53"));
}

// `dnswatch run` (capturing on lo) reloads a config that adds a zone with a
// primary: the transfers restart with the new watch list and the zone's
// baseline comes from the primary, without a restart; a reload that removes
// it again drops it from the baseline metrics.
TEST_F(ZoneTransferTest, AZoneWithAPrimaryAddedByAReloadIsTransferred) {
    if (::geteuid() != 0) GTEST_SKIP() << "live capture on lo needs root";
    auto nsd = start_nsd();
    ASSERT_TRUE(nsd->ok()) << nsd->why();
    test::write_file(dir_ / "other.test.zone",
                     "$ORIGIN other.test.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n@ IN NS ns1\n"
                     "ns1 IN A 192.0.2.1\n");
    const std::string common = "sensor: {id: xfr-run}\n"
                               "capture:\n  source: pcap_live\n  interfaces: [lo]\n  filter: udp port 9\n"
                               "pipeline: {workers: 1}\nmetrics: {listen: '127.0.0.1:0'}\nstats: {interval: 0}\n"
                               "state: {dir: state, fsync: false}\n"
                               "baseline:\n  transfer:\n    notify_listen: 127.0.0.1:" +
                               std::to_string(notify_port_) + "\n    timeout: 2s\n";
    const std::string other = "    - name: other.test\n      zone_file: other.test.zone\n";
    const std::string victim = "    - name: victim.test\n      primary: 127.0.0.1:" + std::to_string(nsd_port_) + "\n";
    const fs::path config = dir_ / "run.yaml";
    test::write_file(config, common + "watch:\n  zones:\n" + other);

    test::Spawned run({DNSWATCH_BINARY, "run", "--config", config.string()}, dir_ / "out", dir_ / "err");
    const std::uint16_t port = test::metrics_port(run);
    ASSERT_NE(port, 0) << run.err();
    auto metric = [&](const std::string& series) {
        return test::metric_value(test::http_request(port, "GET", "/metrics").body, series);
    };
    const std::string victim_rrsets = "dnswatch_baseline_rrsets{zone=\"victim.test\"}";
    EXPECT_EQ(metric("dnswatch_watched_zones"), 1);
    EXPECT_EQ(metric(victim_rrsets), -1) << "not watched yet";

    test::write_file(config, common + "watch:\n  zones:\n" + other + victim);
    ASSERT_EQ(::kill(run.pid(), SIGHUP), 0);
    // SOA, NS, ns1 A and www A: from the primary, the config has no zone file.
    ASSERT_TRUE(test::eventually([&] { return metric(victim_rrsets) == 4; }, std::chrono::seconds(15))) << run.err();
    EXPECT_EQ(metric("dnswatch_watched_zones"), 2);
    EXPECT_NE(run.err().find("serial=2026030101"), std::string::npos) << run.err();
    EXPECT_TRUE(fs::exists(dir_ / "state/zones/victim.test.zone"));

    test::write_file(config, common + "watch:\n  zones:\n" + other);
    ASSERT_EQ(::kill(run.pid(), SIGHUP), 0);
    ASSERT_TRUE(test::eventually([&] { return metric("dnswatch_watched_zones") == 1; }, std::chrono::seconds(15)))
        << run.err();
    EXPECT_EQ(metric(victim_rrsets), -1);
    EXPECT_EQ(run.stop(SIGTERM), 0) << run.err();
}

}  // namespace
}  // namespace dnswatch
