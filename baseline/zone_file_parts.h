// A zone file cut into parts by its content, so that a reload can tell the
// parts that changed from those that did not without reading any record:
// mapping the file and hashing it costs tens of milliseconds for a TLD's
// 150 MB, where reading every record costs seconds.
//
// Cuts are content-defined (as rsync's and restic's chunks are), so that a
// line inserted or removed moves no cut but the nearest: a part ends before
// a line that names an owner other than the line before it, when a hash of
// that owner's text says so (one owner run in 2^cut_bits), no sooner than
// min_bytes after the part's start; a part longer than max_bytes ends at the
// next line's start whatever it holds. Cutting before an owner run keeps an
// owner's records in one part, as zone files list them together.
//
// A reload follows the last load's parts where the bytes are the same
// (baseline/zone_file_index.cc), and cuts by content only around changes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dnswatch {

// 64-bit hash of bytes (XXH64's algorithm): a part that hashes the same as
// before is taken to be the same text.
std::uint64_t hash_bytes(const void* data, std::size_t size, std::uint64_t seed = 0);

struct FilePartOptions {
    // Parts of ~2 KB on a TLD's file: a changed delegation costs reading
    // about 2 KB of records and comparing about 25 owners, and the index
    // ~10 bytes per RRset (bench_reload prints both).
    std::size_t min_bytes = 512;
    std::size_t max_bytes = 64 * 1024;
    unsigned cut_bits = 4;  // one owner run in 16 may start a part (0: every one)
};

struct FilePart {
    std::size_t offset = 0;
    std::size_t length = 0;
    std::uint64_t hash = 0;  // hash_bytes of the part's text
};

// The cut after `start` in `text` (a line start), or text.size() when none
// is found before the end (the file's end when at the end). Unless the file
// ends with `text`, a cut at text.size() is no cut: the text must then be
// extended (it must hold max_bytes plus the longest line beyond `start` for
// the cut to be the same as in the whole file).
std::size_t next_file_cut(std::string_view text, std::size_t start, const FilePartOptions& options);

}  // namespace dnswatch
