// Who may make the sensor transfer a zone, against a real NSD primary on
// loopback ports chosen at run time (CONVENTIONS 15):
//  - baseline.transfer.allow_notify: NSD sends its NOTIFY from another of
//    its addresses (outgoing-interface 127.0.0.2, the primary being
//    127.0.0.1); taken when that address is allowed, else refused, logged
//    (notify_refused) and counted;
//  - baseline.transfer.tsig_key_file: a transfer signed with NSD's key
//    works; with a key NSD does not know (same name, another secret) it is
//    refused, logged (zone_transfer_failed) and counted, and the signed
//    NOTIFY of NSD is checked too.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

// NSD's helper before anything that includes ldns (whose common.h defines
// true and false).
#include "tests/support/nsd_server.h"
#include "tests/support/knot_server.h"
#include "baseline/sources.h"
#include "baseline/zone_refresher.h"
#include "config/config.h"
#include "log/log.h"
#include "tests/cli/run_support.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSecret = "K2tf3TRjvQkVCmJF3/Z9vA==";       // 16 bytes, hmac-sha256
constexpr const char* kWrongSecret = "c2VjcmV0IHRoYXQgbnNkIGxhY2tz";  // another key of the same name

std::string zone_text(const std::string& serial, const std::string& www) {
    return "$ORIGIN victim.test.\n$TTL 300\n"
           "@ IN SOA ns1.victim.test. hostmaster.victim.test. " + serial + " 3600 600 86400 300\n"
           "@ IN NS ns1.victim.test.\nns1 IN A 127.0.0.10\nwww IN A " + www + "\n";
}

// NSD's key clause; dnswatch reads the same text as its key file.
std::string nsd_key(const std::string& secret) {
    return "key:\n    name: xfr-key\n    algorithm: hmac-sha256\n    secret: \"" + secret + "\"\n";
}

// What a logger wrote to its temporary file so far.
std::string logged(std::FILE* file) {
    std::fflush(file);
    std::rewind(file);
    std::string text;
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;) text.append(buffer, n);
    return text;
}

class TransferSecurityTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!test::have_program("nsd")) GTEST_SKIP() << "nsd is not installed";
        dir_ = test::scratch_dir("xfr-security");
        nsd_port_ = test::reserved_port();
        notify_port_ = test::reserved_port();
        zone_file_ = dir_ / "nsd" / "victim.test.zone";
        fs::create_directories(zone_file_.parent_path());
        test::write_file(zone_file_, zone_text("2026030101", "192.0.2.10"));
        log_file_ = std::tmpfile();
        logger_ = std::make_unique<log::Logger>(log_file_);
    }
    void TearDown() override {
        refresher_.reset();
        logger_.reset();
        if (log_file_ != nullptr) std::fclose(log_file_);
        if (!dir_.empty()) fs::remove_all(dir_);
    }

    // NSD serving victim.test to 127.0.0.1, NOTIFY to the sensor sent from
    // `notify_from`; with `tsig`, transfers need the key and NOTIFY is signed.
    std::unique_ptr<test::NsdServer> start_nsd(const std::string& notify_from, bool tsig) {
        const std::string key = tsig ? "xfr-key" : "NOKEY";
        test::NsdZone zone{"victim.test", zone_file_,
                           "    provide-xfr: 127.0.0.1 " + key + "\n"
                           "    notify: 127.0.0.1@" + std::to_string(notify_port_) + " " + key + "\n"
                           "    outgoing-interface: " + notify_from + "\n"};
        return std::make_unique<test::NsdServer>(dir_ / "nsd", std::vector<test::NsdZone>{zone}, nsd_port_, nullptr,
                                                 tsig ? nsd_key(kSecret) : "");
    }

    Config config(const std::string& transfer_extra) {
        test::write_file(dir_ / "dnswatch.yaml",
                         "sensor: {id: xfr-security}\n"
                         "watch:\n  zones:\n    - name: victim.test\n      primary: 127.0.0.1:" +
                             std::to_string(nsd_port_) +
                             "\nbaseline:\n  transfer:\n    notify_listen: 127.0.0.1:" + std::to_string(notify_port_) +
                             "\n    timeout: 2s\n" + transfer_extra);
        return load_config((dir_ / "dnswatch.yaml").string());
    }

    // The sensor's side: the baseline of `config(transfer_extra)` and its
    // refresher, which transfers at once (logging to log_file_).
    ZoneRefresher& start_refresher(const std::string& transfer_extra) {
        config_ = config(transfer_extra);
        model_ = build_baseline_model(config_);
        refresher_ = std::make_unique<ZoneRefresher>(config_, model_->shared, logger_.get());
        return *refresher_;
    }

    // Waits (bounded) until `counter` of the refresher reaches `n`.
    bool reaches(const std::atomic<std::uint64_t>& counter, std::uint64_t n) {
        return test::eventually([&] { return counter >= n; }, std::chrono::seconds(20));
    }

    // A new serial in the zone file, and NSD told to reload it (it then notifies).
    void change_zone() {
        test::write_file(zone_file_, zone_text("2026030102", "198.51.100.10"));
        std::ifstream pidfile(dir_ / "nsd/nsd.pid");
        pid_t pid = 0;
        pidfile >> pid;
        ASSERT_GT(pid, 0);
        ASSERT_EQ(::kill(pid, SIGHUP), 0);
    }

    fs::path dir_;
    fs::path zone_file_;
    int nsd_port_ = 0;
    int notify_port_ = 0;
    std::FILE* log_file_ = nullptr;
    std::unique_ptr<log::Logger> logger_;
    Config config_;
    std::unique_ptr<BaselineModel> model_;
    std::unique_ptr<ZoneRefresher> refresher_;
};

TEST_F(TransferSecurityTest, NotifyFromAnotherAddressOfThePrimaryIsTakenWhenAllowed) {
    auto nsd = start_nsd("127.0.0.2", false);
    ASSERT_TRUE(nsd->ok()) << nsd->why();
    const ZoneRefresher& refresher = start_refresher("    allow_notify: [127.0.0.2]\n");
    ASSERT_EQ(refresher.counters().transfers, 1u) << logged(log_file_);

    change_zone();
    ASSERT_TRUE(reaches(refresher.counters().transfers, 2))
        << logged(log_file_);
    EXPECT_GE(refresher.counters().notifies, 1u);
    EXPECT_EQ(refresher.counters().notifies_refused, 0u);
    const std::string text = logged(log_file_);
    EXPECT_NE(text.find("event=notify zone=victim.test source=127.0.0.2 transport=udp"), std::string::npos) << text;
}

TEST_F(TransferSecurityTest, NotifyFromAnotherAddressIsRefusedLoggedAndCountedWhenNotAllowed) {
    auto nsd = start_nsd("127.0.0.2", false);
    ASSERT_TRUE(nsd->ok()) << nsd->why();
    const ZoneRefresher& refresher = start_refresher("");
    ASSERT_EQ(refresher.counters().transfers, 1u) << logged(log_file_);

    change_zone();
    ASSERT_TRUE(reaches(refresher.counters().notifies_refused, 1))
        << logged(log_file_);
    EXPECT_EQ(refresher.counters().notifies, 0u);
    EXPECT_EQ(refresher.counters().transfers, 1u) << "a refused NOTIFY must not bring a transfer";
    const std::string text = logged(log_file_);
    EXPECT_NE(text.find("level=warn event=notify_refused zone=victim.test source=127.0.0.2"), std::string::npos)
        << text;
    EXPECT_NE(text.find("allow_notify"), std::string::npos) << text;
}

TEST_F(TransferSecurityTest, TsigTransferAndSignedNotifyFromNsdWork) {
    auto nsd = start_nsd("127.0.0.1", true);
    ASSERT_TRUE(nsd->ok()) << nsd->why();
    test::write_file(dir_ / "xfr.key", nsd_key(kSecret));
    const ZoneRefresher& refresher = start_refresher("    tsig_key_file: xfr.key\n");
    ASSERT_EQ(refresher.counters().transfers, 1u) << logged(log_file_);
    EXPECT_EQ(refresher.counters().failures, 0u);
    EXPECT_NE(logged(log_file_).find("tsig=true"), std::string::npos) << logged(log_file_);

    // NSD signs its NOTIFY with the key; the IXFR that follows is signed too.
    change_zone();
    ASSERT_TRUE(reaches(refresher.counters().transfers, 2))
        << logged(log_file_);
    EXPECT_GE(refresher.counters().notifies, 1u);
    EXPECT_EQ(refresher.counters().notifies_refused, 0u) << logged(log_file_);
    EXPECT_EQ(refresher.counters().failures, 0u) << logged(log_file_);
}

TEST_F(TransferSecurityTest, ATransferWithTheWrongKeyIsRefusedLoggedAndCounted) {
    auto nsd = start_nsd("127.0.0.1", true);
    ASSERT_TRUE(nsd->ok()) << nsd->why();
    test::write_file(dir_ / "wrong.key", nsd_key(kWrongSecret));
    const ZoneRefresher& refresher = start_refresher("    tsig_key_file: wrong.key\n");
    EXPECT_EQ(refresher.counters().transfers, 0u);
    EXPECT_EQ(refresher.counters().failures, 1u);
    std::string text = logged(log_file_);
    EXPECT_NE(text.find("level=error event=zone_transfer_failed zone=victim.test"), std::string::npos) << text;

    // NSD's NOTIFY, signed with the key it has, fails our check: refused too.
    change_zone();
    ASSERT_TRUE(reaches(refresher.counters().notifies_refused, 1))
        << logged(log_file_);
    text = logged(log_file_);
    EXPECT_NE(text.find("event=notify_refused"), std::string::npos) << text;
}

TEST_F(TransferSecurityTest, AnUnsignedTransferIsRefusedWhenAKeyIsConfigured) {
    // The primary answers without TSIG (it has no key configured): the
    // sensor, told to expect signatures, must not take the zone.
    auto nsd = start_nsd("127.0.0.1", false);
    ASSERT_TRUE(nsd->ok()) << nsd->why();
    test::write_file(dir_ / "xfr.key", nsd_key(kSecret));
    const ZoneRefresher& refresher = start_refresher("    tsig_key_file: xfr.key\n");
    EXPECT_EQ(refresher.counters().transfers, 0u);
    EXPECT_EQ(refresher.counters().failures, 1u);
    EXPECT_NE(logged(log_file_).find("event=zone_transfer_failed"), std::string::npos) << logged(log_file_);
}

// Knot 3.2 sends NOTIFY over TCP only: the sensor must hear it there, and
// the IXFR that follows carries the change alone.
TEST_F(TransferSecurityTest, AKnotPrimarysNotifyOverTcpBringsAnIxfr) {
    if (!test::have_program(test::KnotServer::kKnotd)) GTEST_SKIP() << "knotd is not installed";
    const fs::path zone_file = dir_ / "knot-zones" / "victim.test.zone";
    fs::create_directories(zone_file.parent_path());
    test::write_file(zone_file, zone_text("2026030101", "192.0.2.10"));
    test::KnotServer knot(dir_ / "knot", "victim.test", zone_file, nsd_port_, notify_port_);
    ASSERT_TRUE(knot.ok()) << knot.why();
    const ZoneRefresher& refresher = start_refresher("");
    ASSERT_EQ(refresher.counters().transfers, 1u) << logged(log_file_) << knot.log();

    test::write_file(zone_file, zone_text("2026030102", "198.51.100.10"));
    ASSERT_TRUE(knot.reload());
    ASSERT_TRUE(reaches(refresher.counters().transfers, 2))
        << logged(log_file_) << knot.log();
    EXPECT_GE(refresher.counters().notifies, 1u);
    EXPECT_EQ(refresher.counters().notifies_refused, 0u);
    const std::string text = logged(log_file_);
    EXPECT_NE(text.find("event=notify zone=victim.test source=127.0.0.1 transport=tcp"), std::string::npos) << text;
    EXPECT_NE(text.find("serial=2026030102 kind=IXFR "), std::string::npos) << text;
}

}  // namespace
}  // namespace dnswatch
