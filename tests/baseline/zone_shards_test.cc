// Which shard owns which zone, at start and across watch-list reloads, and
// what each shard's part of the watch list answers.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "baseline/zone_shards.h"

namespace dnswatch {
namespace {

std::shared_ptr<const WatchSet> watch_of(std::initializer_list<const char*> names) {
    auto watch = std::make_shared<WatchSet>();
    for (const char* name : names) watch->add(name);
    return watch;
}

const WatchedZone* find(const WatchSet& watch, const char* name) { return watch.find(*DnsName::from_text(name)); }

std::size_t shard(const ZoneShards& shards, const char* zone) {
    const WatchedZone* found = find(shards.watch(), zone);
    EXPECT_NE(found, nullptr) << zone;
    EXPECT_EQ(found->text, zone);
    return shards.shard_of(*found);
}

TEST(ZoneShards, AZoneAndItsWatchedSubzonesShareAShard) {
    const ZoneShards shards(watch_of({"a.test", "b.test", "x.a.test", "c.test", "y.x.a.test", "d.test"}), 3);
    EXPECT_EQ(shard(shards, "x.a.test"), shard(shards, "a.test"));
    EXPECT_EQ(shard(shards, "y.x.a.test"), shard(shards, "a.test"));
    // New families go to the shard with the fewest zones, in config order:
    // a (0), b (1), x.a with a, c (2), y.x.a with a, d (1: shard 0 has three).
    EXPECT_EQ(shard(shards, "a.test"), 0u);
    EXPECT_EQ(shard(shards, "b.test"), 1u);
    EXPECT_EQ(shard(shards, "c.test"), 2u);
    EXPECT_EQ(shard(shards, "d.test"), 1u);
    // A shard's part answers like the whole list for its names, and not at all for others'.
    const WatchSet& local = shards.local_watch(0);
    const WatchedZone* zone = find(local, "www.y.x.a.test");
    ASSERT_NE(zone, nullptr);
    EXPECT_EQ(zone->text, "y.x.a.test");
    EXPECT_EQ(find(local, "www.b.test"), nullptr);
    // Parts keep the whole list's indexes.
    EXPECT_EQ(local.zones().size(), 6u);
    EXPECT_EQ(zone->index, find(shards.watch(), "y.x.a.test")->index);
}

TEST(ZoneShards, OneShardIsTheWholeList) {
    const auto watch = watch_of({"a.test", "b.test"});
    const ZoneShards shards(watch, 1);
    EXPECT_EQ(&shards.local_watch(0), watch.get());
}

TEST(ZoneShards, AReloadKeepsEveryZoneStillWatchedOnItsShard) {
    const ZoneShards before(watch_of({"a.test", "b.test", "c.test", "d.test"}), 3);
    const std::size_t a = shard(before, "a.test");
    const std::size_t c = shard(before, "c.test");
    const std::size_t d = shard(before, "d.test");
    // b removed, the order changed, a child of c and a new family added.
    const ZoneShards after(watch_of({"e.test", "d.test", "x.c.test", "c.test", "a.test"}), 3, &before);
    EXPECT_EQ(shard(after, "a.test"), a);
    EXPECT_EQ(shard(after, "c.test"), c);
    EXPECT_EQ(shard(after, "d.test"), d);
    EXPECT_EQ(shard(after, "x.c.test"), c);  // with its family
    // e.test goes where b.test left room: the shard with the fewest zones.
    EXPECT_EQ(shard(after, "e.test"), shard(before, "b.test"));
    EXPECT_THROW(ZoneShards(watch_of({"a.test"}), 2, &before), std::invalid_argument);
}

TEST(ZoneShards, AParentAddedAboveChildrenOnOtherShardsLeavesTheirNamesToThem) {
    const ZoneShards before(watch_of({"one.victim.test", "two.victim.test"}), 2);
    ASSERT_NE(shard(before, "one.victim.test"), shard(before, "two.victim.test"));
    const ZoneShards after(watch_of({"one.victim.test", "two.victim.test", "victim.test"}), 2, &before);
    const std::size_t parent = shard(after, "victim.test");
    const std::size_t other = 1 - parent;
    // The parent's shard judges the parent's own names, never a child's
    // that lives on the other shard, although the parent is above it.
    EXPECT_EQ(find(after.local_watch(parent), "www.victim.test")->text, "victim.test");
    const char* foreign_child = shard(after, "one.victim.test") == other ? "www.one.victim.test" : "www.two.victim.test";
    EXPECT_EQ(find(after.local_watch(parent), foreign_child), nullptr);
    EXPECT_NE(find(after.local_watch(other), foreign_child), nullptr);
    EXPECT_EQ(find(after.local_watch(other), "www.victim.test"), nullptr);
}

}  // namespace
}  // namespace dnswatch
