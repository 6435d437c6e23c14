// watch.zones[].versions (issue 14): a zone's successive zone files taking
// over by packet time. Each version goes through SharedBaseline as a
// transfer's content does; its change records say where it came from
// (source zone_version) and when, in packet time, not the wall clock: the
// short-lived window and the feed's announcements count in that time. The
// scenarios (scenarios/registrar-*) show the whole path through replay.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "baseline/sources.h"
#include "baseline/zone_versions.h"
#include "common/rfc3339.h"
#include "decode/dns_message.h"
#include "config/config.h"
#include "tests/support/scratch_dir.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;

std::string registry_zone(int serial, const std::string& bank_ns, bool bank_ds) {
    std::string zone = "$ORIGIN reg.test.\n$TTL 3600\n@ IN SOA a.nic.reg.test. hostmaster.nic.reg.test. " +
                       std::to_string(serial) +
                       " 3600 600 86400 300\n@ IN NS a.nic.reg.test.\na.nic IN A 127.0.0.10\n"
                       "bank IN NS " + bank_ns + "\n";
    if (bank_ds) zone += "bank IN DS 12345 13 2 " + std::string(64, 'a') + "\n";
    return zone;
}

class ZoneVersionsTest : public ::testing::Test {
protected:
    void SetUp() override { dir_ = test::scratch_dir("zone-versions"); }
    void TearDown() override { fs::remove_all(dir_); }

    void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }

    // The registry's zone at 09:00, hijacked at 10:00, restored at 13:00.
    Config config(const std::string& feed = "") {
        write("v1.zone", registry_zone(1, "ns.bank-hosting.example.", true));
        write("v2.zone", registry_zone(2, "ns.evil-dns.example.", false));
        write("v3.zone", registry_zone(3, "ns.bank-hosting.example.", true));
        std::string yaml =
            "watch:\n  zones:\n    - name: reg.test\n      zone_file: v1.zone\n      versions:\n"
            "        - {from: 2026-03-20T10:00:00Z, zone_file: v2.zone}\n"
            "        - {from: 2026-03-20T13:00:00Z, zone_file: v3.zone}\n";
        if (!feed.empty()) {
            write("feed.jsonl", feed);
            yaml += "baseline:\n  transparency_feed: feed.jsonl\n";
        }
        write("dnswatch.yaml", yaml);
        return load_config((dir_ / "dnswatch.yaml").string());
    }

    fs::path dir_;
};

const std::int64_t kHijack = parse_rfc3339_us("2026-03-20T10:00:00Z");
const std::int64_t kRestore = parse_rfc3339_us("2026-03-20T13:00:00Z");

TEST_F(ZoneVersionsTest, EachVersionTakesOverAtItsPacketTimeWithChangeRecordsOfThatTime) {
    const Config cfg = config();
    const auto model = build_baseline_model(cfg);
    ZoneVersionTimeline versions(cfg);
    ASSERT_EQ(versions.size(), 2u);
    std::vector<BaselineChange> changes;
    model->shared.set_change_listener([&](std::vector<BaselineChange> made) {
        changes.insert(changes.end(), made.begin(), made.end());
    });
    const DnsName bank = *DnsName::from_text("bank.reg.test");

    // Before its time, nothing moves.
    const std::uint64_t before = model->shared.version();
    EXPECT_EQ(versions.apply_due(kHijack - 1, model->shared), 0u);
    EXPECT_EQ(model->shared.version(), before);
    EXPECT_EQ(versions.next_us(), kHijack);

    // A packet past it: the hijacked version is the baseline, reported at
    // the version's time (not the packet's, not the wall clock).
    EXPECT_EQ(versions.apply_due(kHijack + 60'000'000, model->shared), 1u);
    EXPECT_GT(model->shared.version(), before);
    EXPECT_EQ(model->shared.snapshot()->baseline.find(bank, rrtype::NS).presentation(),
              (std::vector<std::string>{"ns.evil-dns.example."}));
    EXPECT_FALSE(model->shared.snapshot()->baseline.find(bank, rrtype::DS).has_rdata());
    ASSERT_EQ(changes.size(), 2u);
    EXPECT_EQ(changes[0].rrtype, "NS");
    EXPECT_EQ(changes[0].source, ChangeSource::zone_version);
    EXPECT_EQ(std::string(to_string(changes[0].source)), "zone_version");
    EXPECT_EQ(changes[0].time_us, kHijack);
    EXPECT_EQ(changes[0].op, ChangeOp::update);
    EXPECT_EQ(changes[0].serial_before, 1u);
    EXPECT_EQ(changes[0].serial_after, 2u);
    EXPECT_EQ(changes[1].rrtype, "DS");
    EXPECT_TRUE(changes[1].after.empty());
    EXPECT_FALSE(changes[1].announced);

    // The restore, reported at its own time although the packet that reached it came later.
    changes.clear();
    EXPECT_EQ(versions.apply_due(kRestore + 5 * 60'000'000, model->shared), 1u);
    ASSERT_EQ(changes.size(), 2u);
    EXPECT_EQ(changes[0].time_us, kRestore);
    EXPECT_EQ(changes[0].serial_before, 2u);
    EXPECT_EQ(changes[0].serial_after, 3u);
    EXPECT_EQ(versions.applied(), 2u);
    EXPECT_EQ(versions.apply_due(kRestore + 86'400'000'000, model->shared), 0u) << "nothing left";
}

TEST_F(ZoneVersionsTest, AVersionThatChangesNothingPublishesNothing) {
    write("v1.zone", registry_zone(1, "ns.bank-hosting.example.", true));
    write("dnswatch.yaml",
          "watch:\n  zones:\n    - name: reg.test\n      zone_file: v1.zone\n      versions:\n"
          "        - {from: 2026-03-20T10:00:00Z, zone_file: v1.zone}\n");
    const Config cfg = load_config((dir_ / "dnswatch.yaml").string());
    const auto model = build_baseline_model(cfg);
    ZoneVersionTimeline versions(cfg);
    std::size_t reported = 0;
    model->shared.set_change_listener([&](std::vector<BaselineChange> made) { reported += made.size(); });
    const std::uint64_t before = model->shared.version();
    EXPECT_EQ(versions.apply_due(kHijack, model->shared), 1u);
    EXPECT_EQ(model->shared.version(), before) << "a re-push of the same data is not a change";
    EXPECT_EQ(reported, 0u);
}

// A removal the feed announces for 11:00 does not cover a version that
// took over at 10:00 (packet time), although the wall clock is long past
// both: what was announced is judged at the moment the change happened.
TEST_F(ZoneVersionsTest, AnnouncementsCountAtThePacketTimeOfTheVersion) {
    const std::string ds_gone_at = "2026-03-20T11:00:00.000000Z";
    const Config late = config(R"({"zone":"reg.test","name":"bank.reg.test","rrtype":"DS","rdata":[],"effective":")" +
                               ds_gone_at + "\"}\n");
    auto model = build_baseline_model(late);
    ZoneVersionTimeline versions(late);
    std::vector<BaselineChange> changes;
    model->shared.set_change_listener([&](std::vector<BaselineChange> made) {
        changes.insert(changes.end(), made.begin(), made.end());
    });
    versions.apply_due(kHijack, model->shared);
    ASSERT_EQ(changes.size(), 2u);
    EXPECT_EQ(changes[1].rrtype, "DS");
    EXPECT_FALSE(changes[1].announced) << "announced for 11:00, applied at 10:00";

    // Announced for 09:30: covered.
    const Config early = config(R"({"zone":"reg.test","name":"bank.reg.test","rrtype":"DS","rdata":[],"effective":"2026-03-20T09:30:00Z"})"
                                "\n");
    model = build_baseline_model(early);
    ZoneVersionTimeline in_time(early);
    changes.clear();
    model->shared.set_change_listener([&](std::vector<BaselineChange> made) {
        changes.insert(changes.end(), made.begin(), made.end());
    });
    in_time.apply_due(kHijack, model->shared);
    ASSERT_EQ(changes.size(), 2u);
    EXPECT_TRUE(changes[1].announced);
}

TEST_F(ZoneVersionsTest, ABrokenVersionIsRefusedWithItsLineBeforeAnyPacket) {
    const Config cfg = config();
    write("v2.zone", "$ORIGIN reg.test.\n@ IN SOA a.nic.reg.test. h.reg.test. 2 3600 600 86400 300\nbank IN NS (\n");
    try {
        ZoneVersionTimeline versions(cfg);
        FAIL() << "expected a ZoneFileError";
    } catch (const ZoneFileError& e) {
        EXPECT_NE(std::string(e.what()).find((dir_ / "v2.zone").string() + ":3:"), std::string::npos) << e.what();
    }
}

TEST_F(ZoneVersionsTest, RunRefusesThemAndSaysWhy) {
    const std::string why = zone_versions_refused_by_run(config());
    EXPECT_NE(why.find("watch.zones[0].versions (reg.test)"), std::string::npos) << why;
    EXPECT_NE(why.find("dnswatch replay"), std::string::npos) << why;
    write("plain.yaml", "watch:\n  zones:\n    - name: reg.test\n      zone_file: v1.zone\n");
    EXPECT_EQ(zone_versions_refused_by_run(load_config((dir_ / "plain.yaml").string())), "");
}

}  // namespace
}  // namespace dnswatch
