// detect/change_watcher: the alerts about the baseline's own changes, fed
// the change records SharedBaseline makes (here written out, as the store
// would hold them). The end-to-end path against a real NSD primary is
// tests/baseline/change_feed_test.cc.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "detect/change_watcher.h"

namespace dnswatch {
namespace {

constexpr std::int64_t kHour = 3600LL * 1000000;

class Collecting : public AlertSink {
public:
    void publish(const Alert& alert) override { alerts.push_back(alert); }
    std::vector<Alert> alerts;
};

BaselineChange change(std::uint64_t seq, std::int64_t at, const std::string& name, const std::string& rrtype,
                      std::vector<std::string> before, std::vector<std::string> after) {
    BaselineChange c;
    c.seq = seq;
    c.time_us = at;
    c.zone = "reg.test";
    c.name = name;
    c.rrtype = rrtype;
    c.source = ChangeSource::ixfr;
    c.before = std::move(before);
    c.after = std::move(after);
    c.ttl_before = c.ttl_after = 3600;
    return c;
}

const std::vector<std::string> kHosting = {"ns1.hosting.example.", "ns2.hosting.example."};
const std::vector<std::string> kEvil = {"ns1.evil-dns.example.", "ns2.evil-dns.example."};

TEST(ChangeWatcher, AnAnnouncedChangeRaisesNothing) {
    Collecting out;
    ChangeWatchOptions options;
    options.feed_configured = true;
    ChangeWatcher watcher(options, "s1", out);
    BaselineChange moved = change(1, 0, "bank.reg.test", "NS", kHosting, kEvil);
    moved.announced = true;
    watcher.publish_change(moved);
    EXPECT_TRUE(out.alerts.empty());

    // Unannounced, the same change is suspicious: a new provider, no feed entry.
    watcher.publish_change(change(2, kHour, "shop.reg.test", "NS", kHosting, kEvil));
    ASSERT_EQ(out.alerts.size(), 1u);
    EXPECT_EQ(out.alerts[0].kind, "suspicious_change");
    EXPECT_EQ(out.alerts[0].signals, (std::vector<std::string>{"ns_provider_changed", "unannounced"}));
    EXPECT_EQ(out.alerts[0].severity, Severity::medium);
    EXPECT_EQ(out.alerts[0].changes, (std::vector<std::uint64_t>{2}));
}

TEST(ChangeWatcher, ALockedDomainIsCriticalAtItsFirstChange) {
    Collecting out;
    ChangeWatchOptions options;
    options.locked = {"bank.reg.test"};
    ChangeWatcher watcher(options, "s1", out);
    // Even a change that stays with the same provider, even of its glue.
    watcher.publish_change(change(7, 0, "ns1.bank.reg.test", "A", {"192.0.2.1"}, {"192.0.2.2"}));
    ASSERT_EQ(out.alerts.size(), 1u);
    EXPECT_EQ(out.alerts[0].kind, "suspicious_change");
    EXPECT_EQ(out.alerts[0].severity, Severity::critical);
    EXPECT_EQ(out.alerts[0].signals, (std::vector<std::string>{"locked"}));
}

TEST(ChangeWatcher, ATtlCutBeforeAChangeIsASignal) {
    Collecting out;
    ChangeWatcher watcher({}, "s1", out);
    BaselineChange cut = change(1, 0, "www.reg.test", "A", {"192.0.2.1"}, {"192.0.2.1"});
    cut.ttl_after = 60;
    watcher.publish_change(cut);
    EXPECT_TRUE(out.alerts.empty()) << "a TTL cut alone is routine";
    watcher.publish_change(change(2, kHour, "www.reg.test", "A", {"192.0.2.1"}, {"203.0.113.9"}));
    ASSERT_EQ(out.alerts.size(), 1u);
    EXPECT_EQ(out.alerts[0].signals, (std::vector<std::string>{"ttl_lowered_before_change"}));
}

TEST(ChangeWatcher, ARevertIsShortLivedOnlyWithinTheWindow) {
    Collecting out;
    ChangeWatchOptions options;
    options.window_us = 24 * kHour;
    ChangeWatcher watcher(options, "s1", out);
    watcher.publish_change(change(1, 0, "a.reg.test", "MX", {"10 mx.a.example."}, {"10 mx.evil.example."}));
    watcher.publish_change(change(2, 3 * kHour, "a.reg.test", "MX", {"10 mx.evil.example."}, {"10 mx.a.example."}));
    ASSERT_EQ(out.alerts.size(), 1u);
    EXPECT_EQ(out.alerts[0].kind, "short_lived_change");
    EXPECT_EQ(out.alerts[0].state, AlertState::reverted);
    EXPECT_EQ(out.alerts[0].changes, (std::vector<std::uint64_t>{1, 2}));
    EXPECT_DOUBLE_EQ(out.alerts[0].duration_s(), 3 * 3600.0);

    // The same flip-flop two days apart is two changes, not a short-lived one.
    watcher.publish_change(change(3, 100 * kHour, "b.reg.test", "MX", {"10 mx.b.example."}, {"10 mx2.b.example."}));
    watcher.publish_change(change(4, 150 * kHour, "b.reg.test", "MX", {"10 mx2.b.example."}, {"10 mx.b.example."}));
    EXPECT_EQ(out.alerts.size(), 1u);
    // TXT is no hijack's record: its flip-flops raise nothing.
    watcher.publish_change(change(5, 0, "c.reg.test", "TXT", {"\"v=1\""}, {"\"v=2\""}));
    watcher.publish_change(change(6, kHour, "c.reg.test", "TXT", {"\"v=2\""}, {"\"v=1\""}));
    EXPECT_EQ(out.alerts.size(), 1u);
}

TEST(ChangeWatcher, WhatItRemembersIsBounded) {
    Collecting out;
    ChangeWatchOptions options;
    options.max_tracked = 2;
    ChangeWatcher watcher(options, "s1", out);
    watcher.publish_change(change(1, 0, "a.reg.test", "A", {"192.0.2.1"}, {"192.0.2.2"}));
    watcher.publish_change(change(2, 1, "b.reg.test", "A", {"192.0.2.1"}, {"192.0.2.2"}));
    watcher.publish_change(change(3, 2, "c.reg.test", "A", {"192.0.2.1"}, {"192.0.2.2"}));
    EXPECT_EQ(watcher.counters().forgotten, 1u);
    watcher.publish_change(change(4, 3, "a.reg.test", "A", {"192.0.2.2"}, {"192.0.2.1"}));
    EXPECT_TRUE(out.alerts.empty()) << "a.reg.test's first change was forgotten";
}

}  // namespace
}  // namespace dnswatch
