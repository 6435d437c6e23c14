#include "publish/tlog_tiles.h"

#include <charconv>
#include <cstdio>

namespace dnswatch::tiles {
namespace {

// A decimal with no leading zero, within 0..max; nullopt otherwise.
std::optional<std::uint64_t> parse_decimal(std::string_view text, std::uint64_t max) {
    if (text.empty() || text.size() > 20 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;
    return value;
}

// "x001/x234/067" as a number, or nullopt.
std::optional<std::uint64_t> parse_index(std::string_view text) {
    std::uint64_t index = 0;
    while (true) {
        const bool last = text.empty() || text[0] != 'x';
        if (!last) text.remove_prefix(1);
        if (text.size() < 3) return std::nullopt;
        for (std::size_t i = 0; i < 3; ++i) {
            if (text[i] < '0' || text[i] > '9') return std::nullopt;
        }
        if (index > (UINT64_MAX - 999) / 1000) return std::nullopt;
        index = index * 1000 + static_cast<std::uint64_t>((text[0] - '0') * 100 + (text[1] - '0') * 10 + (text[2] - '0'));
        text.remove_prefix(3);
        if (last) return text.empty() ? std::optional(index) : std::nullopt;
        if (text.empty() || text[0] != '/') return std::nullopt;
        text.remove_prefix(1);
    }
}

}  // namespace

std::string encode_index(std::uint64_t index) {
    std::string text;
    do {
        char group[5];
        std::snprintf(group, sizeof group, "%03u", static_cast<unsigned>(index % 1000));
        text = text.empty() ? std::string(group) : std::string("x") + group + "/" + text;
        index /= 1000;
    } while (index > 0);
    return text;
}

std::string tile_path(const TilePath& tile) {
    std::string path = "tile/" + (tile.entries ? std::string("entries") : std::to_string(tile.level)) + "/" +
                       encode_index(tile.index);
    if (tile.width < kTileWidth) path += ".p/" + std::to_string(tile.width);
    return path;
}

std::optional<TilePath> parse_tile_path(std::string_view path) {
    constexpr std::string_view kPrefix = "tile/";
    if (path.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
    path.remove_prefix(kPrefix.size());
    TilePath tile;
    const auto slash = path.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    if (path.substr(0, slash) == "entries") {
        tile.entries = true;
    } else {
        const auto level = parse_decimal(path.substr(0, slash), 63);
        if (!level) return std::nullopt;
        tile.level = static_cast<unsigned>(*level);
    }
    path.remove_prefix(slash + 1);
    if (const auto partial = path.find(".p/"); partial != std::string_view::npos) {
        const auto width = parse_decimal(path.substr(partial + 3), kTileWidth - 1);
        if (!width || *width == 0) return std::nullopt;
        tile.width = static_cast<unsigned>(*width);
        path = path.substr(0, partial);
    }
    const auto index = parse_index(path);
    if (!index || encode_index(*index) != path) return std::nullopt;  // "x000/005" is not 5's path
    tile.index = *index;
    return tile;
}

std::uint64_t level_width(std::uint64_t size, unsigned level) {
    for (unsigned l = 0; l < level && size > 0; ++l) size /= kTileWidth;
    return size;
}

void TileHashes::append(const merkle::Hash& leaf) {
    if (levels_.empty()) levels_.emplace_back();
    levels_[0].push_back(leaf);
    // Each completed group of 256 becomes one hash a level up.
    for (std::size_t level = 0; levels_[level].size() % kTileWidth == 0; ++level) {
        if (levels_.size() == level + 1) levels_.emplace_back();
        const auto group = std::span(levels_[level]).last(kTileWidth);
        levels_[level + 1].push_back(merkle::root(group));
    }
}

std::optional<std::string> TileHashes::tile(unsigned level, std::uint64_t index, unsigned width,
                                            std::uint64_t tree_size) const {
    if (tree_size > size() || level >= levels_.size() || width == 0 || width > kTileWidth) return std::nullopt;
    if (index > (UINT64_MAX - width) / kTileWidth) return std::nullopt;
    const std::uint64_t start = index * kTileWidth;
    if (start + width > level_width(tree_size, level)) return std::nullopt;
    std::string bytes;
    bytes.reserve(width * 32);
    for (std::uint64_t i = start; i < start + width; ++i) {
        const merkle::Hash& hash = levels_[level][i];
        bytes.append(reinterpret_cast<const char*>(hash.data()), hash.size());
    }
    return bytes;
}

std::optional<std::string> entry_bundle(std::span<const std::string> entries) {
    std::string bundle;
    for (const std::string& entry : entries) {
        if (entry.size() > 0xFFFF) return std::nullopt;
        bundle.push_back(static_cast<char>(entry.size() >> 8));
        bundle.push_back(static_cast<char>(entry.size() & 0xFF));
        bundle += entry;
    }
    return bundle;
}

}  // namespace dnswatch::tiles
