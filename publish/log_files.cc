#include "publish/log_files.h"

#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

namespace dnswatch {
namespace {

constexpr std::string_view kEntriesFrom = "entries-from-";

// The first index of every entries file in `dir` ("entries": 0).
std::vector<std::uint64_t> entries_files(const std::string& dir) {
    std::vector<std::uint64_t> firsts;
    std::error_code error;
    for (const auto& file : std::filesystem::directory_iterator(dir, error)) {
        const std::string name = file.path().filename().string();
        if (name == "entries") {
            firsts.push_back(0);
        } else if (name.rfind(kEntriesFrom, 0) == 0) {
            std::uint64_t first = 0;
            const char* begin = name.data() + kEntriesFrom.size();
            const char* end = name.data() + name.size();
            const auto [stop, failed] = std::from_chars(begin, end, first);
            if (failed == std::errc() && stop == end && begin != end) firsts.push_back(first);  // not a .tmp
        }
    }
    return firsts;
}

merkle::Hash hash_of(std::string_view entry) {
    return merkle::leaf_hash({reinterpret_cast<const std::uint8_t*>(entry.data()), entry.size()});
}

// Reads one length-prefixed record at the file position; false at the end
// or at a torn record.
bool read_record(std::FILE* file, std::string& entry) {
    unsigned char length_bytes[4];
    if (std::fread(length_bytes, 1, 4, file) != 4) return false;
    const std::uint32_t length = (std::uint32_t{length_bytes[0]} << 24) | (std::uint32_t{length_bytes[1]} << 16) |
                                 (std::uint32_t{length_bytes[2]} << 8) | length_bytes[3];
    // The length is a claim: a record longer than what is left of the file
    // is torn, and must not cost a 4 GiB allocation to find out
    // (fuzz_tlog: a flipped length byte took 36 s).
    const long at = std::ftell(file);
    struct stat status {};
    if (at < 0 || ::fstat(::fileno(file), &status) != 0 || length > status.st_size - at) return false;
    entry.resize(length);
    return std::fread(entry.data(), 1, length, file) == length;
}

}  // namespace

std::string log_hashes_path(const std::string& dir) { return dir + "/hashes"; }
std::string log_checkpoint_path(const std::string& dir) { return dir + "/checkpoint"; }
std::string log_entries_path(const std::string& dir, std::uint64_t first) {
    return first == 0 ? dir + "/entries" : dir + "/" + std::string(kEntriesFrom) + std::to_string(first);
}

std::optional<std::uint64_t> latest_entries_file(const std::string& dir) {
    std::optional<std::uint64_t> latest;
    for (const std::uint64_t first : entries_files(dir)) {
        if (!latest || first > *latest) latest = first;
    }
    return latest;
}

void remove_superseded_entries_files(const std::string& dir, std::uint64_t first) {
    for (const std::uint64_t other : entries_files(dir)) {
        if (other < first) std::filesystem::remove(log_entries_path(dir, other));
    }
    std::error_code error;
    std::filesystem::remove(log_entries_path(dir, first) + ".tmp", error);
}

LogReader::LogReader(std::string dir) : dir_(std::move(dir)) {}

LogReader::~LogReader() {
    if (entries_ != nullptr) std::fclose(entries_);
}

void LogReader::refresh() {
    LogContents& c = contents_;
    // The hashes first: the writer writes them after the entry.
    if (std::FILE* hashes = std::fopen(log_hashes_path(dir_).c_str(), "rb")) {
        ::fseeko(hashes, static_cast<off_t>(c.stored_hashes * 32), SEEK_SET);
        merkle::Hash hash;
        while (std::fread(hash.data(), 1, hash.size(), hashes) == hash.size()) {
            const std::uint64_t index = c.stored_hashes++;
            if (index < c.leaves.size()) {
                // Computed from its contents at an earlier refresh: the stored hash is what the tree holds.
                if (c.leaves[index] != hash && !c.mismatch) c.mismatch = index;
                c.leaves[index] = hash;
            } else {
                c.leaves.push_back(hash);
            }
        }
        std::fclose(hashes);
    } else if (errno != ENOENT) {
        throw TransparencyLogError(log_hashes_path(dir_) + ": " + std::strerror(errno));
    }

    const std::optional<std::uint64_t> first = latest_entries_file(dir_);
    if (!first) return;  // a new log, or one whose entries file is gone
    if (entries_ == nullptr || *first != c.first_kept) {  // the first read, or a prune since
        if (entries_ != nullptr) std::fclose(entries_);
        c.entries_path = log_entries_path(dir_, *first);
        entries_ = std::fopen(c.entries_path.c_str(), "rb");
        if (entries_ == nullptr) throw TransparencyLogError(c.entries_path + ": " + std::strerror(errno));
        c.first_kept = *first;
        c.offsets.clear();
        c.valid_bytes = 0;
    }
    if (c.first_kept > c.leaves.size()) {
        throw TransparencyLogError(log_hashes_path(dir_) + ": holds " + std::to_string(c.leaves.size()) +
                                   " hashes, but the entries before " + std::to_string(c.first_kept) +
                                   " were pruned: their hashes are lost");
    }
    ::fseeko(entries_, static_cast<off_t>(c.valid_bytes), SEEK_SET);
    std::string entry;
    while (read_record(entries_, entry)) {
        const std::uint64_t index = c.first_kept + c.offsets.size();
        const merkle::Hash hash = hash_of(entry);
        if (index < c.leaves.size()) {
            if (c.leaves[index] != hash && !c.mismatch) c.mismatch = index;
        } else {
            c.leaves.push_back(hash);
        }
        c.offsets.push_back(c.valid_bytes);
        c.valid_bytes += 4 + entry.size();
    }
    struct stat st {};
    c.file_bytes = ::fstat(fileno(entries_), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : c.valid_bytes;
}

std::string LogReader::entry(std::uint64_t index) {
    const LogContents& c = contents_;
    if (entries_ == nullptr || index < c.first_kept || index - c.first_kept >= c.offsets.size()) {
        throw TransparencyLogError("entry " + std::to_string(index) + " is not kept");
    }
    ::fseeko(entries_, static_cast<off_t>(c.offsets[index - c.first_kept]), SEEK_SET);
    std::string text;
    if (!read_record(entries_, text)) throw TransparencyLogError(c.entries_path + ": cannot read entry " + std::to_string(index));
    return text;
}

LogContents read_log_entries(const std::string& dir) {
    LogReader reader(dir);
    reader.refresh();
    return reader.contents();
}

}  // namespace dnswatch
