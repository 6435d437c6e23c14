// WatchSet::find() hashes suffixes a word at a time with masked loads and
// skips label counts no zone has: it must still answer exactly what the
// definition says (the watched zone with the most labels among those the
// name is at or below), for names of every length up to 255 bytes, where
// the last word of a hash sits at the very end of the name's buffer.
#include "baseline/watch_set.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace dnswatch {
namespace {

const WatchedZone* find_by_definition(const WatchSet& watch, const DnsName& name) {
    const WatchedZone* best = nullptr;
    for (const WatchedZone& zone : watch.zones()) {
        if (name.is_at_or_below(zone.name) && (best == nullptr || zone.name.label_count > best->name.label_count)) {
            best = &zone;
        }
    }
    return best;
}

// Labels of lengths around the 8-byte word (with their length byte: 2, 7,
// 8, 9, 16, 64 bytes), so that hashed suffixes end at every offset in a word.
const std::vector<std::string> kLabels = {"a",  "b",        "test",     "victim", "abcdefg", "abcdefgh",
                                          "ex", "example1", "abcdefghijklmno", std::string(63, 'z')};

std::string random_name(std::mt19937& random, unsigned max_labels) {
    std::string text;
    const unsigned labels = std::uniform_int_distribution<unsigned>(0, max_labels)(random);
    for (unsigned i = 0; i < labels; ++i) {
        const std::string& label = kLabels[std::uniform_int_distribution<std::size_t>(0, kLabels.size() - 1)(random)];
        if (text.size() + label.size() + 2 > 250) break;
        if (!text.empty()) text += '.';
        text += label;
    }
    return text.empty() ? "." : text;
}

TEST(WatchSet, FindsTheClosestWatchedZoneAsDefined) {
    std::mt19937 random(20261129);
    for (int round = 0; round < 200; ++round) {
        WatchSet watch;
        // Every other round, no zone shorter than 8 bytes: find() then
        // rejects most names by their last 8 bytes alone.
        const bool long_zones_only = round % 2 == 1;
        const int zones = std::uniform_int_distribution<int>(1, 12)(random);
        for (int i = 0; i < zones || watch.empty(); ++i) {
            const std::string zone = random_name(random, 4);
            const auto name = DnsName::from_text(zone);
            ASSERT_TRUE(name) << zone;
            if (long_zones_only && name->length < 8) continue;
            bool known = false;
            for (const WatchedZone& watched : watch.zones()) known = known || watched.name == *name;
            if (known) {
                EXPECT_THROW(watch.add(zone), std::invalid_argument) << zone;
            } else {
                watch.add(zone);
            }
        }
        for (int i = 0; i < 200; ++i) {
            // Names that end in a watched zone half of the time.
            std::string text = random_name(random, 6);
            if (i % 2 == 0) {
                const WatchedZone& zone = watch.zones()[static_cast<std::size_t>(i / 2) % watch.zones().size()];
                if (zone.text != ".") text = (text == "." ? "" : text + ".") + zone.text;
            }
            const auto name = DnsName::from_text(text);
            if (!name) continue;  // grew past 255 bytes
            EXPECT_EQ(watch.find(*name), find_by_definition(watch, *name)) << text;
        }
    }
}

TEST(WatchSet, NamesFillingTheWholeBuffer) {
    // 255 bytes: three 63-byte labels and a 61-byte one. The hash of the
    // shortest suffixes ends on the buffer's last byte.
    const std::string l63(63, 'q'), l61(61, 'r');
    const std::string text = l63 + "." + l63 + "." + l63 + "." + l61;
    const auto name = DnsName::from_text(text);
    ASSERT_TRUE(name);
    ASSERT_EQ(name->length, 255);
    WatchSet watch;
    watch.add("example");
    EXPECT_EQ(watch.find(*name), nullptr);
    const WatchedZone& tail = watch.add(l61);
    EXPECT_EQ(watch.find(*name), &tail);
    const WatchedZone& longer = watch.add(l63 + "." + l61);
    EXPECT_EQ(watch.find(*name), &longer);
    const WatchedZone& whole = watch.add(text);
    EXPECT_EQ(watch.find(*name), &whole);
}

TEST(WatchSet, NamesShorterThanEveryZone) {
    WatchSet watch;
    watch.add("victim.test");
    EXPECT_EQ(watch.find(*DnsName::from_text("test")), nullptr);  // 6 bytes
    EXPECT_EQ(watch.find(*DnsName::from_text(".")), nullptr);
    const WatchedZone& a = watch.add("a");  // 3 bytes: now names of any length may be under a zone
    EXPECT_EQ(watch.find(*DnsName::from_text("b.a")), &a);
    EXPECT_EQ(watch.find(*DnsName::from_text("a")), &a);
}

TEST(WatchSet, TheRootWatchesEverything) {
    WatchSet watch;
    watch.add(".");
    watch.add("test");
    const WatchedZone& root = watch.zones()[0];  // add() may move the zones: references taken after
    const WatchedZone& test = watch.zones()[1];
    EXPECT_EQ(watch.find(*DnsName::from_text("www.victim.test")), &test);
    EXPECT_EQ(watch.find(*DnsName::from_text("www.example")), &root);
    EXPECT_EQ(watch.find(*DnsName::from_text(".")), &root);
    EXPECT_EQ(watch.find(DnsName{}), nullptr);  // an unset name is no name
}

TEST(WatchSet, CaseAndLabelBoundaries) {
    WatchSet watch;
    const WatchedZone& zone = watch.add("Victim.TEST.");
    EXPECT_EQ(watch.find(*DnsName::from_text("mail.victim.test")), &zone);
    EXPECT_EQ(watch.find(*DnsName::from_text("victim.test")), &zone);
    EXPECT_EQ(watch.find(*DnsName::from_text("xvictim.test")), nullptr);
    EXPECT_EQ(watch.find(*DnsName::from_text("test")), nullptr);
    EXPECT_THROW(watch.add("victim.test"), std::invalid_argument);
}

}  // namespace
}  // namespace dnswatch
