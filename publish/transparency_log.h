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

// The log's write path as the summary and /metrics report it.
struct LogHealth {
    std::uint64_t held_entries = 0;    // staged, not yet on disk
    std::uint64_t write_failures = 0;  // commits that failed (a full disk)
    bool failing = false;
    std::string last_error;
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

    // Appends an entry, writes it at once and returns its index; throws when
    // the write fails (the entry stays held). Any thread; prune() may run on
    // another.
    std::uint64_t append(std::string_view entry);
    // Signs the current tree head, replaces DIR/checkpoint atomically, and
    // returns the signed note (held entries are written first).
    std::string write_checkpoint();

    // Group commit: stage() adds an entry to the tree in memory and returns
    // its index; commit() writes every staged entry and hash (one fsync
    // each) and signs one checkpoint. False when that fails (a full disk):
    // files are cut back to whole records, the entries stay held and the
    // next commit() writes them.
    std::uint64_t stage(std::string_view entry);
    bool commit();
    LogHealth health() const;

    // The leaf hash of entry `index` (< size()).
    merkle::Hash leaf(std::uint64_t index) const;
    // The size the last checkpoint signed (read and verified at open, then
    // the last one written); 0 with none.
    std::uint64_t checkpoint_size() const;
    bool has_checkpoint() const;
    // The signed note of that checkpoint ("" with none).
    std::string checkpoint_note() const;
    const NoteVerifier& verifier() const { return signer_.verifier(); }

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
    bool write_held_locked();
    std::string sign_locked();

    std::string dir_;
    NoteSigner signer_;
    bool fsync_;
    mutable std::mutex mutex_;
    int entries_ = -1;
    int hashes_ = -1;
    std::string held_entries_;             // staged records not yet in the entries file
    std::string held_hashes_;              // staged leaf hashes not yet in DIR/hashes
    std::uint64_t durable_entries_bytes_ = 0;
    std::uint64_t durable_hashes_bytes_ = 0;
    std::uint64_t held_count_ = 0;
    std::uint64_t checkpoint_size_ = 0;
    bool has_checkpoint_ = false;
    std::string checkpoint_note_;
    LogHealth health_;
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

// verify_log, then checks the log against a checkpoint an auditor kept
// (`auditor_note`, signed by `verifier`): the log's own checkpoint must be
// at least as large, and an RFC 9162 consistency proof from the auditor's
// tree to the log's checkpointed tree must verify against both roots, so
// that a log rolled back to an older checkpoint, or a fork of it, fails.
// Entries after the log's checkpoint, which nothing signs, fail it too.
LogVerification verify_log_against(const std::string& dir, const NoteVerifier& verifier,
                                   std::string_view auditor_note);

std::string checkpoint_text(std::string_view origin, std::uint64_t size, const merkle::Hash& root);

}  // namespace dnswatch
