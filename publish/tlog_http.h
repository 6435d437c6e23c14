// Serves a transparency log directory read-only over HTTP in the C2SP
// tlog-tiles layout (https://c2sp.org/tlog-tiles), at the root of the URL:
//
//   /checkpoint                    the signed checkpoint (text/plain; charset=utf-8, not cached)
//   /tile/<L>/<N>[.p/<W>]          hash tiles (application/octet-stream, immutable)
//   /tile/entries/<N>[.p/<W>]      entry bundles: uint16 length || entry, each
//
// It reads the files the writer (transparency_log.h) leaves, as any other
// process could, so `dnswatch run` and `dnswatch tlog serve` serve alike,
// and serves only what the current checkpoint covers. Every leaf hash is
// kept for ever, so every hash tile is served; an entry bundle that holds an
// entry whose contents retention pruned answers 404: the log's minimum
// index (tlog-tiles "Pruning") is the first kept entry rounded up to a
// bundle boundary, or the tree size if that is smaller.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/http_server.h"
#include "publish/log_files.h"
#include "publish/tlog_tiles.h"

namespace dnswatch {

class TlogHttpServer {
public:
    // Throws std::runtime_error when `listen` cannot be bound.
    TlogHttpServer(std::string dir, const std::string& listen);

    std::uint16_t port() const { return server_->port(); }

private:
    HttpResponse answer(std::string_view path);
    HttpResponse bundle(const tiles::TilePath& tile);
    // Rereads the checkpoint and whatever was appended or pruned since.
    void refresh();

    std::string dir_;
    LogReader reader_;
    tiles::TileHashes hashes_;
    std::string checkpoint_;   // the note served
    std::uint64_t size_ = 0;   // its tree size
    std::unique_ptr<HttpServer> server_;  // last: its thread stops before the rest goes
};

}  // namespace dnswatch
