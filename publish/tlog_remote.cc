#include "publish/tlog_remote.h"

#include <cstring>
#include <string>

#include "common/http_get.h"
#include "publish/tlog_tiles.h"

namespace dnswatch {
namespace {

std::uint64_t tiles_at(std::uint64_t width) { return (width + tiles::kTileWidth - 1) / tiles::kTileWidth; }

unsigned width_of(std::uint64_t width, std::uint64_t index) {
    const std::uint64_t left = width - index * tiles::kTileWidth;
    return static_cast<unsigned>(left < tiles::kTileWidth ? left : tiles::kTileWidth);
}

}  // namespace

LogVerification verify_remote_log(std::string_view url_text, const NoteVerifier& verifier) {
    LogVerification result;
    std::string url(url_text);
    while (!url.empty() && url.back() == '/') url.pop_back();
    const auto fail = [&](std::string message) {
        result.message = std::move(message);
        return result;
    };

    const HttpGetResult note = http_get(url + "/checkpoint");
    if (note.status != 200) return fail(url + "/checkpoint: " + (note.status ? "HTTP " + std::to_string(note.status) : note.error));
    const auto text = open_note(note.body, verifier);
    if (!text) return fail(url + "/checkpoint: signature does not verify with key " + verifier.to_string());
    const auto checkpoint = parse_checkpoint(*text);
    if (!checkpoint) return fail(url + "/checkpoint: not a checkpoint");
    if (checkpoint->origin != verifier.name) {
        return fail("checkpoint origin '" + checkpoint->origin + "' is not the key's name '" + verifier.name + "'");
    }
    const std::uint64_t size = checkpoint->size;
    result.checkpoint_size = size;

    // Level 0: the leaf hashes, from which everything else is recomputed.
    std::vector<merkle::Hash> leaves;
    leaves.reserve(size);
    tiles::TileHashes recomputed;
    for (std::uint64_t n = 0; n < tiles_at(size); ++n) {
        const tiles::TilePath tile{.level = 0, .index = n, .width = width_of(size, n)};
        const HttpGetResult got = http_get(url + "/" + tiles::tile_path(tile));
        if (got.status != 200) return fail(tiles::tile_path(tile) + ": " + (got.status ? "HTTP " + std::to_string(got.status) : got.error));
        if (got.body.size() != tile.width * 32u) {
            return fail(tiles::tile_path(tile) + ": " + std::to_string(got.body.size()) + " bytes, expected " +
                        std::to_string(tile.width * 32u));
        }
        for (unsigned i = 0; i < tile.width; ++i) {
            merkle::Hash hash;
            std::memcpy(hash.data(), got.body.data() + i * 32, 32);
            leaves.push_back(hash);
            recomputed.append(hash);
        }
    }
    result.entries = leaves.size();
    const merkle::Hash root = merkle::root(leaves);
    if (root != checkpoint->root) {
        return fail("root of the " + std::to_string(size) + " leaf hashes served is " + merkle::to_hex(root) +
                    ", the checkpoint signs " + merkle::to_hex(checkpoint->root));
    }
    // The levels above must be what the leaves make.
    for (unsigned level = 1; tiles::level_width(size, level) > 0; ++level) {
        const std::uint64_t width = tiles::level_width(size, level);
        for (std::uint64_t n = 0; n < tiles_at(width); ++n) {
            const tiles::TilePath tile{.level = level, .index = n, .width = width_of(width, n)};
            const HttpGetResult got = http_get(url + "/" + tiles::tile_path(tile));
            if (got.status != 200 || got.body != recomputed.tile(level, n, tile.width, size)) {
                return fail(tiles::tile_path(tile) + ": " + (got.status == 200 ? "does not match the level below" : "HTTP " + std::to_string(got.status) + " " + got.error));
            }
        }
    }
    // The entries: every bundle served hashes to its leaves.
    std::uint64_t first_served = size;
    for (std::uint64_t n = 0; n < tiles_at(size); ++n) {
        const tiles::TilePath tile{.entries = true, .index = n, .width = width_of(size, n)};
        const HttpGetResult got = http_get(url + "/" + tiles::tile_path(tile));
        if (got.status == 404 && first_served == size) continue;  // pruned
        if (got.status != 200) return fail(tiles::tile_path(tile) + ": " + (got.status ? "HTTP " + std::to_string(got.status) : got.error));
        if (first_served == size) first_served = n * tiles::kTileWidth;
        std::string_view bundle = got.body;
        for (unsigned i = 0; i < tile.width; ++i) {
            if (bundle.size() < 2) return fail(tiles::tile_path(tile) + ": holds fewer than " + std::to_string(tile.width) + " entries");
            const std::size_t length = (static_cast<std::size_t>(static_cast<std::uint8_t>(bundle[0])) << 8) |
                                       static_cast<std::uint8_t>(bundle[1]);
            if (bundle.size() < 2 + length) return fail(tiles::tile_path(tile) + ": an entry is cut short");
            const auto entry = bundle.substr(2, length);
            bundle.remove_prefix(2 + length);
            const std::uint64_t index = n * tiles::kTileWidth + i;
            if (merkle::leaf_hash({reinterpret_cast<const std::uint8_t*>(entry.data()), entry.size()}) != leaves[index]) {
                return fail("entry " + std::to_string(index) + " does not hash to its leaf hash");
            }
        }
        if (!bundle.empty()) return fail(tiles::tile_path(tile) + ": holds more than " + std::to_string(tile.width) + " entries");
    }
    result.pruned = first_served;
    result.ok = true;
    result.message = "verified " + std::to_string(size) + " entries from " + url + " against the checkpoint, root " +
                     merkle::to_hex(root);
    if (first_served > 0) {
        result.message += "; entries 0.." + std::to_string(first_served - 1) +
                          " are pruned (checked by their leaf hashes), the rest by their contents";
    }
    return result;
}

}  // namespace dnswatch
