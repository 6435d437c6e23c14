// The append-only transparency log: entries (alert records) in a file of
// length-prefixed records, an RFC 9162 Merkle tree over them, and a signed
// checkpoint (C2SP tlog-checkpoint: origin, size, base64 root) beside them.
//
//   DIR/entries     u32 big-endian length || entry bytes, repeated
//   DIR/checkpoint  the latest signed checkpoint
//   DIR/log.pub     the verifier key, for convenience (auditors pin their own copy)
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "publish/merkle.h"
#include "publish/signed_note.h"

namespace dnswatch {

class TransparencyLogError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The entries of a log as read from disk, with their leaf hashes.
struct LogContents {
    std::vector<merkle::Hash> leaves;
    std::vector<std::uint64_t> offsets;  // where each record starts
    std::uint64_t valid_bytes = 0;       // up to the end of the last complete record
    std::uint64_t file_bytes = 0;        // more than valid_bytes when the last record is torn
};

// Reads DIR/entries. A last record cut short (a crash mid-write) is left out
// and shows as file_bytes > valid_bytes. Throws TransparencyLogError when the
// file cannot be read.
LogContents read_log_entries(const std::string& dir);

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
    // checkpoint is cut off; entries that no longer match the checkpoint
    // are refused with TransparencyLogError. With `fsync`, append() returns
    // only once the entry is on disk.
    TransparencyLog(const std::string& dir, NoteSigner signer, bool fsync = true);
    ~TransparencyLog();
    TransparencyLog(const TransparencyLog&) = delete;
    TransparencyLog& operator=(const TransparencyLog&) = delete;

    // Appends an entry and returns its index.
    std::uint64_t append(std::string_view entry);
    // Signs the current tree head, replaces DIR/checkpoint atomically, and
    // returns the signed note.
    std::string write_checkpoint();

    std::uint64_t size() const { return leaves_.size(); }
    merkle::Hash root() const { return range_.root(); }

private:
    std::string dir_;
    NoteSigner signer_;
    bool fsync_;
    std::FILE* entries_ = nullptr;
    std::vector<merkle::Hash> leaves_;
    merkle::CompactRange range_;
};

struct LogVerification {
    bool ok = false;
    std::string message;           // what was checked, or what failed
    std::uint64_t entries = 0;     // complete records in the file
    std::uint64_t checkpoint_size = 0;
};

// Recomputes the tree from DIR/entries and checks DIR/checkpoint against it:
// the signature (by `verifier`), the origin, and the root at the
// checkpoint's size. A flipped byte anywhere in the checkpointed entries
// fails it.
LogVerification verify_log(const std::string& dir, const NoteVerifier& verifier);

std::string checkpoint_text(std::string_view origin, std::uint64_t size, const merkle::Hash& root);

}  // namespace dnswatch
