// The C2SP tlog-tiles layout: paths as the spec writes them, and which
// tiles a tree holds (the spec's own example of a tree of 70,000).
#include <gtest/gtest.h>

#include <string>

#include "publish/merkle.h"
#include "publish/tlog_tiles.h"

namespace dnswatch::tiles {
namespace {

merkle::Hash leaf(std::uint64_t i) {
    const std::string entry = "entry " + std::to_string(i);
    return merkle::leaf_hash({reinterpret_cast<const std::uint8_t*>(entry.data()), entry.size()});
}

TEST(TlogTiles, PathsAreEncodedAsTheSpecWrites) {
    EXPECT_EQ(encode_index(1234067), "x001/x234/067");
    EXPECT_EQ(encode_index(0), "000");
    EXPECT_EQ(encode_index(1000), "x001/000");
    EXPECT_EQ(tile_path({.level = 0, .index = 1234067}), "tile/0/x001/x234/067");
    EXPECT_EQ(tile_path({.level = 2, .index = 5, .width = 17}), "tile/2/005.p/17");
    EXPECT_EQ(tile_path({.entries = true, .index = 1, .width = 112}), "tile/entries/001.p/112");
    for (const TilePath& tile : {TilePath{.level = 63, .index = 999999999}, TilePath{.level = 1, .index = 7, .width = 255},
                                 TilePath{.entries = true, .index = 1000, .width = 1}}) {
        EXPECT_EQ(parse_tile_path(tile_path(tile)), tile) << tile_path(tile);
    }
}

TEST(TlogTiles, MalformedPathsAreRefused) {
    for (const char* path : {"tile/0/5", "tile/0/0005", "tile/00/005", "tile/64/000", "tile/0/x000/005", "tile/0/001/002",
                             "tile/0/x001", "tile/0/005.p/0", "tile/0/005.p/256", "tile/0/005.p/07", "tile/0/005.p/",
                             "tile/entries/", "tile/0/-01", "tile/1", "checkpoint", "tile/0/005/", "tile/a/005"}) {
        EXPECT_FALSE(parse_tile_path(path)) << path;
    }
}

TEST(TlogTiles, ATreeOf70000HoldsTheTilesTheSpecLists) {
    TileHashes hashes;
    std::vector<merkle::Hash> leaves;
    for (std::uint64_t i = 0; i < 70000; ++i) {
        leaves.push_back(leaf(i));
        hashes.append(leaves.back());
    }
    const std::uint64_t size = 70000;
    // 273 full level-0 tiles and one partial of width 112.
    EXPECT_TRUE(hashes.tile(0, 272, 256, size));
    EXPECT_FALSE(hashes.tile(0, 273, 256, size));
    EXPECT_TRUE(hashes.tile(0, 273, 112, size));
    EXPECT_FALSE(hashes.tile(0, 273, 113, size));
    // One full level-1 tile and a partial of width 17; a level-2 tile of width 1.
    EXPECT_TRUE(hashes.tile(1, 0, 256, size));
    EXPECT_TRUE(hashes.tile(1, 1, 17, size));
    EXPECT_FALSE(hashes.tile(1, 1, 18, size));
    EXPECT_TRUE(hashes.tile(2, 0, 1, size));
    EXPECT_FALSE(hashes.tile(2, 0, 2, size));
    EXPECT_FALSE(hashes.tile(3, 0, 1, size));
    // A smaller tree (an earlier checkpoint) holds only its own.
    EXPECT_FALSE(hashes.tile(0, 273, 1, 69888));
    EXPECT_TRUE(hashes.tile(0, 272, 256, 69888));
    // Hash i of a level-L tile is the MTH of its 256^L leaves.
    const auto level1 = *hashes.tile(1, 1, 17, size);
    merkle::Hash third{};
    std::copy(level1.begin() + 2 * 32, level1.begin() + 3 * 32, third.begin());
    const std::uint64_t start = (256 + 2) * 256;
    EXPECT_EQ(third, merkle::root(std::span(leaves).subspan(start, 256)));
    const auto level2 = *hashes.tile(2, 0, 1, size);
    EXPECT_EQ(std::string(level2), std::string(reinterpret_cast<const char*>(merkle::root(std::span(leaves).first(65536)).data()), 32));
}

TEST(TlogTiles, EntryBundlesAreUint16LengthPrefixed) {
    const std::vector<std::string> entries = {"ab", "", std::string(300, 'x')};
    const auto bundle = entry_bundle(entries);
    ASSERT_TRUE(bundle);
    EXPECT_EQ(bundle->substr(0, 4), std::string("\x00\x02" "ab", 4));
    EXPECT_EQ(bundle->substr(4, 2), std::string("\x00\x00", 2));
    EXPECT_EQ(bundle->substr(6, 2), std::string("\x01\x2c", 2));
    EXPECT_EQ(bundle->size(), 4u + 2 + 2 + 300);
    EXPECT_FALSE(entry_bundle(std::vector<std::string>{std::string(65536, 'x')}));
}

}  // namespace
}  // namespace dnswatch::tiles
