// The transparency log's files, and a reader of them that any thread or
// process may run beside the writer (publish/transparency_log.h):
//
//   DIR/hashes           every leaf hash, 32 bytes each, in index order, kept
//                        for ever (so that the tree, and every checkpoint ever
//                        signed, stays verifiable once contents are pruned)
//   DIR/entries          u32 big-endian length || entry bytes, repeated, from
//                        index 0; once pruned, DIR/entries-from-<M> holds the
//                        entries from index M (M: the first kept entry). The
//                        name carries M so that a prune is one rename.
//   DIR/checkpoint       the latest signed checkpoint
//   DIR/log.pub          the verifier key, for convenience
//
// A writer appends the entry first, then its hash, then signs a checkpoint,
// so a reader that reads the checkpoint first finds every hash it covers.
// Logs written before DIR/hashes existed hold only DIR/entries: their hashes
// are computed from the contents.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "publish/merkle.h"

namespace dnswatch {

class TransparencyLogError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

std::string log_hashes_path(const std::string& dir);
std::string log_checkpoint_path(const std::string& dir);
// DIR/entries for 0, DIR/entries-from-<first> otherwise.
std::string log_entries_path(const std::string& dir, std::uint64_t first);

// The entries of a log as read from disk, with their leaf hashes.
struct LogContents {
    std::vector<merkle::Hash> leaves;    // every leaf hash, pruned entries' included
    std::uint64_t stored_hashes = 0;     // of them, read from DIR/hashes (the rest computed from contents)
    std::uint64_t first_kept = 0;        // entries below have their hash only: their contents were pruned
    std::string entries_path;            // the file holding entries first_kept...
    std::vector<std::uint64_t> offsets;  // where the record of entry first_kept + i starts
    std::uint64_t valid_bytes = 0;       // up to the end of the last complete record
    std::uint64_t file_bytes = 0;        // more than valid_bytes when the last record is torn
    // The first kept entry whose contents do not hash to its stored hash.
    std::optional<std::uint64_t> mismatch;

    std::uint64_t kept() const { return offsets.size(); }
    // Entries with a stored hash but no contents though not pruned (a cut
    // entries file); 0 in a sound log.
    std::uint64_t missing_contents() const {
        return leaves.size() > first_kept + kept() ? leaves.size() - first_kept - kept() : 0;
    }
};

// Reads a log directory and, on each refresh(), what was appended since; a
// prune (a new DIR/entries-from-M) is followed. Throws TransparencyLogError
// when a file cannot be read or the hashes of pruned entries are missing.
class LogReader {
public:
    explicit LogReader(std::string dir);
    ~LogReader();
    LogReader(const LogReader&) = delete;
    LogReader& operator=(const LogReader&) = delete;

    void refresh();
    const LogContents& contents() const { return contents_; }
    // The bytes of entry `index` (first_kept <= index < first_kept + kept()).
    std::string entry(std::uint64_t index);

private:
    std::string dir_;
    LogContents contents_;
    std::FILE* entries_ = nullptr;  // contents_.entries_path, kept open across a prune
};

// The first index of the newest entries file in DIR; nullopt when none.
std::optional<std::uint64_t> latest_entries_file(const std::string& dir);
// Removes the entries files a prune has replaced (a crash can leave one)
// and a half-written one.
void remove_superseded_entries_files(const std::string& dir, std::uint64_t first);

// One full read of DIR (LogReader once).
LogContents read_log_entries(const std::string& dir);

}  // namespace dnswatch
