// Verifies a transparency log served as C2SP tlog-tiles, from anywhere:
// fetch the checkpoint and check its signature, fetch every hash tile and
// recompute the root from them, check every tile of a higher level against
// the level below, and hash every entry bundle served against its leaf
// hashes. Bundles before the log's minimum index may be refused (pruned,
// tlog-tiles "Pruning"); once one is served, every later one must be.
#pragma once

#include <string_view>

#include "publish/signed_note.h"
#include "publish/transparency_log.h"

namespace dnswatch {

// `url`: the log's prefix, "http://HOST:PORT[/PATH]" (no trailing slash needed).
LogVerification verify_remote_log(std::string_view url, const NoteVerifier& verifier);

}  // namespace dnswatch
