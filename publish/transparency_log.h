// The append-only transparency log: entries (alert and change records), an
// RFC 9162 Merkle tree over them, and a signed checkpoint (C2SP
// tlog-checkpoint: origin, size, base64 root) beside them. The files are
// described in publish/log_files.h; the log is served as C2SP tlog-tiles
// by publish/tlog_http.h.
//
// Retention (publish/retention.h) prunes the contents of the oldest
// entries; their leaf hashes stay for ever, so the tree, every checkpoint
// and every proof stay verifiable.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "publish/log_files.h"
#include "publish/merkle.h"
#include "publish/signed_note.h"

namespace dnswatch {

struct Checkpoint {
    std::string origin;
    std::uint64_t size = 0;
    merkle::Hash root{};
};

// Parses checkpoint text ("origin\nsize\nbase64 root\n", extension lines ignored).
std::optional<Checkpoint> parse_checkpoint(std::string_view text);

class TransparencyLog {
public:
    // Opens or creates the log in `dir`, signing checkpoints with `signer`
    // (whose name is the log's origin). A torn last record beyond the signed
    // checkpoint is cut off; entries that no longer match the checkpoint or
    // their stored hashes are refused with TransparencyLogError. A log
    // without DIR/hashes (older dnswatch) gets one. With `fsync`, append()
    // returns only once the entry and its hash are on disk.
    TransparencyLog(const std::string& dir, NoteSigner signer, bool fsync = true);
    ~TransparencyLog();
    TransparencyLog(const TransparencyLog&) = delete;
    TransparencyLog& operator=(const TransparencyLog&) = delete;

    // Appends an entry and returns its index. Any thread; prune() may run
    // on another.
    std::uint64_t append(std::string_view entry);
    // Signs the current tree head, replaces DIR/checkpoint atomically, and
    // returns the signed note.
    std::string write_checkpoint();

    std::uint64_t size() const;
    merkle::Hash root() const;
    // The first entry whose contents are kept; those before are pruned.
    std::uint64_t first_kept() const;

    struct Pruned {
        std::uint64_t entries = 0;  // whose contents went
        std::uint64_t bytes = 0;    // freed on disk
    };
    // Drops the contents of the oldest kept entries for as long as
    // `expired(entry)` says so (the first entry it keeps ends the prune),
    // keeping their hashes. The kept entries move to a new file in one
    // rename, so a crash leaves either the old file or the new one.
    Pruned prune(const std::function<bool(std::string_view entry)>& expired);

private:
    std::string dir_;
    NoteSigner signer_;
    bool fsync_;
    mutable std::mutex mutex_;
    std::FILE* entries_ = nullptr;
    std::FILE* hashes_ = nullptr;
    std::vector<merkle::Hash> leaves_;
    merkle::CompactRange range_;
    std::uint64_t first_kept_ = 0;
    std::vector<std::uint64_t> offsets_;  // of the kept entries' records in their file
    std::uint64_t entries_bytes_ = 0;     // the size of that file
};

struct LogVerification {
    bool ok = false;
    std::string message;           // what was checked, or what failed
    std::uint64_t entries = 0;     // leaves of the tree on disk
    std::uint64_t pruned = 0;      // of them, with their hash only
    std::uint64_t checkpoint_size = 0;
};

// Recomputes the tree and checks DIR/checkpoint against it: the signature
// (by `verifier`), the origin, and the root at the checkpoint's size. Kept
// entries count by their contents (each must hash to its stored leaf hash),
// pruned ones by their stored hash. A flipped byte anywhere in the
// checkpointed entries or hashes fails it.
LogVerification verify_log(const std::string& dir, const NoteVerifier& verifier);

std::string checkpoint_text(std::string_view origin, std::uint64_t size, const merkle::Hash& root);

}  // namespace dnswatch
