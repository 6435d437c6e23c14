#include "publish/tlog_http.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "publish/transparency_log.h"

namespace dnswatch {
namespace {

constexpr const char* kOctets = "application/octet-stream";

HttpResponse immutable(std::string body) {
    return HttpResponse{.content_type = kOctets,
                        .body = std::move(body),
                        .headers = {{"Cache-Control", "public, max-age=31536000, immutable"}}};
}

HttpResponse not_found(std::string why) { return HttpResponse{.status = 404, .body = std::move(why) + "\n"}; }

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The tree size a checkpoint note states (its second line), without trusting it further.
std::uint64_t size_of(const std::string& note) {
    const auto text = parse_checkpoint(note.substr(0, note.find("\n\n") + 1));
    return text ? text->size : 0;
}

}  // namespace

TlogHttpServer::TlogHttpServer(std::string dir, const std::string& listen) : dir_(std::move(dir)), reader_(dir_) {
    refresh();
    server_ = std::make_unique<HttpServer>(listen, "transparency_log.http",
                                           [this](std::string_view path) { return answer(path); });
}

void TlogHttpServer::refresh() {
    const std::string note = read_text(log_checkpoint_path(dir_));
    // A prune replaces the entries file: follow it, so pruned contents are not served from the old one.
    const bool pruned = !reader_.contents().entries_path.empty() && ::access(reader_.contents().entries_path.c_str(), F_OK) != 0;
    if (note == checkpoint_ && !pruned) return;
    // The checkpoint before the files: what it covers is on disk by then.
    reader_.refresh();
    const LogContents& contents = reader_.contents();
    while (hashes_.size() < contents.leaves.size()) hashes_.append(contents.leaves[hashes_.size()]);
    const std::uint64_t size = size_of(note);
    if (size <= hashes_.size()) {
        checkpoint_ = note;
        size_ = size;
    }
}

HttpResponse TlogHttpServer::answer(std::string_view path) {
    try {
        refresh();
    } catch (const std::exception& e) {
        return HttpResponse{.status = 503, .body = std::string("the log cannot be read: ") + e.what() + "\n"};
    }
    if (path == "/checkpoint") {
        if (checkpoint_.empty()) return HttpResponse{.status = 503, .body = "no checkpoint yet\n"};
        return HttpResponse{.body = checkpoint_, .headers = {{"Cache-Control", "no-cache"}}};
    }
    const auto tile = path.substr(0, 1) == "/" ? tiles::parse_tile_path(path.substr(1)) : std::nullopt;
    if (!tile) return not_found("not found: try /checkpoint, /tile/<L>/<N>[.p/<W>], /tile/entries/<N>[.p/<W>]");
    if (tile->entries) return bundle(*tile);
    auto bytes = hashes_.tile(tile->level, tile->index, tile->width, size_);
    if (!bytes) return not_found("no such tile in the tree of size " + std::to_string(size_));
    return immutable(std::move(*bytes));
}

HttpResponse TlogHttpServer::bundle(const tiles::TilePath& tile) {
    const std::uint64_t start = tile.index * tiles::kTileWidth;
    if (tile.index > UINT64_MAX / tiles::kTileWidth || start + tile.width > size_) {
        return not_found("no such entry bundle in the tree of size " + std::to_string(size_));
    }
    const LogContents& contents = reader_.contents();
    if (start < contents.first_kept) {
        return not_found("pruned: the contents of entries before " + std::to_string(contents.first_kept) +
                         " are past the log's retention (their hashes stay in the hash tiles)");
    }
    std::vector<std::string> entries;
    entries.reserve(tile.width);
    try {
        for (std::uint64_t i = start; i < start + tile.width; ++i) entries.push_back(reader_.entry(i));
    } catch (const TransparencyLogError& e) {
        return HttpResponse{.status = 503, .body = std::string(e.what()) + "\n"};
    }
    auto bytes = tiles::entry_bundle(entries);
    if (!bytes) return HttpResponse{.status = 500, .body = "an entry of this bundle is longer than 65535 bytes\n"};
    return immutable(std::move(*bytes));
}

}  // namespace dnswatch
