// The C2SP tlog-tiles layout (https://c2sp.org/tlog-tiles) of a Merkle tree:
// tile paths and the hashes a tile holds. Pure: serving is tlog_http.h,
// fetching is cli/tlog_remote.cc.
//
// A tile at level L holds up to 256 consecutive hashes; hash i of tile N at
// level L is MTH(D[(N*256 + i) * 256^L : (N*256 + i + 1) * 256^L]). A full
// tile holds 256; the rightmost tiles of a tree may be partial (.p/<W>).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "publish/merkle.h"

namespace dnswatch::tiles {

inline constexpr std::uint64_t kTileWidth = 256;

struct TilePath {
    bool entries = false;      // tile/entries/<N>: an entry bundle
    unsigned level = 0;        // 0..63 (hash tiles)
    std::uint64_t index = 0;   // N
    unsigned width = 256;      // 256: a full tile; 1..255: .p/<W>

    bool operator==(const TilePath&) const = default;
};

// "x001/x234/067" for 1234067.
std::string encode_index(std::uint64_t index);
// "tile/0/x001/234.p/5", "tile/entries/000".
std::string tile_path(const TilePath& tile);
// The inverse of tile_path (with the leading "tile/"), strictly: no leading
// zeros in L or W, zero-padded 3-digit elements, 'x' on all but the last,
// the shortest encoding of N. nullopt otherwise.
std::optional<TilePath> parse_tile_path(std::string_view path);

// How many hashes level `level` holds in a tree of `size` leaves: size / 256^level.
std::uint64_t level_width(std::uint64_t size, unsigned level);

// Every level's hashes of an append-only tree, kept up to date leaf by
// leaf: level 0 is the leaves, each hash of level L+1 the root of 256 of level L.
class TileHashes {
public:
    void append(const merkle::Hash& leaf);
    std::uint64_t size() const { return levels_.empty() ? 0 : levels_[0].size(); }

    // The bytes of hash tile (level, index, width) when the tree of
    // `tree_size` leaves (<= size()) holds it whole; nullopt otherwise.
    std::optional<std::string> tile(unsigned level, std::uint64_t index, unsigned width,
                                    std::uint64_t tree_size) const;

private:
    std::vector<std::vector<merkle::Hash>> levels_;
};

// An entry bundle: each entry as big-endian uint16 length || bytes.
// nullopt when an entry is longer than 65,535 bytes.
std::optional<std::string> entry_bundle(std::span<const std::string> entries);

}  // namespace dnswatch::tiles
