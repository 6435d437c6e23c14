#include "publish/transparency_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/atomic_file.h"

namespace dnswatch {
namespace {

std::string entries_path(const std::string& dir) { return log_entries_path(dir, 0); }
std::string checkpoint_path(const std::string& dir) { return log_checkpoint_path(dir); }

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The log's own error type for callers that catch it.
void write_atomically(const std::string& path, std::string_view text, bool sync) {
    try {
        write_file_atomically(path, text, sync);
    } catch (const std::runtime_error& e) {
        throw TransparencyLogError(e.what());
    }
}

}  // namespace

std::string checkpoint_text(std::string_view origin, std::uint64_t size, const merkle::Hash& root) {
    return std::string(origin) + "\n" + std::to_string(size) + "\n" + base64_encode(root.data(), root.size()) + "\n";
}

std::optional<Checkpoint> parse_checkpoint(std::string_view text) {
    Checkpoint checkpoint;
    std::string_view lines[3];
    for (auto& line : lines) {
        const auto end = text.find('\n');
        if (end == std::string_view::npos) return std::nullopt;
        line = text.substr(0, end);
        text.remove_prefix(end + 1);
    }
    checkpoint.origin = std::string(lines[0]);
    if (lines[1].empty() || lines[1].size() > 20 || (lines[1].size() > 1 && lines[1][0] == '0')) return std::nullopt;
    for (const char c : lines[1]) {
        if (c < '0' || c > '9') return std::nullopt;
        checkpoint.size = checkpoint.size * 10 + static_cast<std::uint64_t>(c - '0');
    }
    const auto root = base64_decode(lines[2]);
    if (!root || root->size() != checkpoint.root.size()) return std::nullopt;
    std::memcpy(checkpoint.root.data(), root->data(), root->size());
    return checkpoint;
}

namespace {

void write_or_throw(std::FILE* file, const void* data, std::size_t size, bool sync, const std::string& path) {
    if (std::fwrite(data, 1, size, file) != size || std::fflush(file) != 0 || (sync && ::fsync(fileno(file)) != 0)) {
        throw TransparencyLogError(path + ": " + std::strerror(errno));
    }
}

void truncate_or_throw(const std::string& path, std::uint64_t size) {
    if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0 && errno != ENOENT) {
        throw TransparencyLogError(path + ": " + std::strerror(errno));
    }
}

std::FILE* open_or_throw(const std::string& path, const char* mode) {
    std::FILE* file = std::fopen(path.c_str(), mode);
    if (file == nullptr) throw TransparencyLogError(path + ": " + std::strerror(errno));
    return file;
}

}  // namespace

TransparencyLog::TransparencyLog(const std::string& dir, NoteSigner signer, bool fsync)
    : dir_(dir), signer_(std::move(signer)), fsync_(fsync) {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) throw TransparencyLogError(dir + ": " + error.message());
    LogContents contents = read_log_entries(dir);
    if (contents.mismatch) {
        throw TransparencyLogError(contents.entries_path + ": entry " + std::to_string(*contents.mismatch) +
                                   " does not match its stored hash");
    }

    // What was signed must still be there, unchanged.
    std::uint64_t signed_size = 0;
    const std::string signed_text = read_file(checkpoint_path(dir));
    if (!signed_text.empty()) {
        const auto text = open_note(signed_text, signer_.verifier());
        const auto checkpoint = text ? parse_checkpoint(*text) : std::nullopt;
        if (!checkpoint) throw TransparencyLogError(checkpoint_path(dir) + ": not a checkpoint signed by this log's key");
        if (checkpoint->size > contents.leaves.size() ||
            merkle::root(std::span(contents.leaves).first(checkpoint->size)) != checkpoint->root) {
            throw TransparencyLogError(entries_path(dir) + ": entries do not match the signed checkpoint of size " +
                                       std::to_string(checkpoint->size));
        }
        signed_size = checkpoint->size;
    }
    // Hashes whose entries never reached the disk (no fsync, a power cut)
    // were never signed: drop them. Signed ones without contents are a cut file.
    if (const std::uint64_t missing = contents.missing_contents(); missing > 0) {
        const std::uint64_t with_contents = contents.first_kept + contents.kept();
        if (with_contents < signed_size) {
            throw TransparencyLogError(entries_path(dir) + ": entries " + std::to_string(with_contents) + ".." +
                                       std::to_string(contents.leaves.size() - 1) + " have a hash but no contents");
        }
        contents.leaves.resize(with_contents);
        contents.stored_hashes = std::min(contents.stored_hashes, with_contents);
    }
    // A record torn by a crash was never acknowledged: cut it off, and a torn hash with it.
    first_kept_ = contents.first_kept;
    const std::string entries_file = log_entries_path(dir, first_kept_);
    if (contents.file_bytes > contents.valid_bytes) truncate_or_throw(entries_file, contents.valid_bytes);
    remove_superseded_entries_files(dir, first_kept_);
    truncate_or_throw(log_hashes_path(dir), contents.stored_hashes * 32);
    leaves_ = std::move(contents.leaves);
    offsets_ = std::move(contents.offsets);
    entries_bytes_ = contents.valid_bytes;
    for (const merkle::Hash& leaf : leaves_) range_.append(leaf);
    entries_ = open_or_throw(entries_file, "ab");
    hashes_ = open_or_throw(log_hashes_path(dir), "ab");
    // Hashes computed from contents (a log older than DIR/hashes) are stored now.
    for (std::uint64_t i = contents.stored_hashes; i < leaves_.size(); ++i) {
        write_or_throw(hashes_, leaves_[i].data(), leaves_[i].size(), false, log_hashes_path(dir));
    }
    if (fsync_ && ::fsync(fileno(hashes_)) != 0) throw TransparencyLogError(log_hashes_path(dir) + ": " + std::strerror(errno));
    write_atomically(dir + "/log.pub", signer_.verifier().to_string() + "\n", fsync_);
}

TransparencyLog::~TransparencyLog() {
    if (entries_ != nullptr) std::fclose(entries_);
    if (hashes_ != nullptr) std::fclose(hashes_);
}

std::uint64_t TransparencyLog::size() const {
    std::lock_guard lock(mutex_);
    return leaves_.size();
}

merkle::Hash TransparencyLog::root() const {
    std::lock_guard lock(mutex_);
    return range_.root();
}

std::uint64_t TransparencyLog::first_kept() const {
    std::lock_guard lock(mutex_);
    return first_kept_;
}

std::uint64_t TransparencyLog::append(std::string_view entry) {
    if (entry.size() > 0xFFFFFFFFu) throw TransparencyLogError("entry too large");
    const auto length = static_cast<std::uint32_t>(entry.size());
    std::string record = {static_cast<char>(length >> 24), static_cast<char>(length >> 16),
                          static_cast<char>(length >> 8), static_cast<char>(length)};
    record.append(entry);
    const merkle::Hash leaf = merkle::leaf_hash({reinterpret_cast<const std::uint8_t*>(entry.data()), entry.size()});
    std::lock_guard lock(mutex_);
    // The entry before its hash: a hash on disk always has its contents (until pruned).
    write_or_throw(entries_, record.data(), record.size(), fsync_, log_entries_path(dir_, first_kept_));
    write_or_throw(hashes_, leaf.data(), leaf.size(), fsync_, log_hashes_path(dir_));
    offsets_.push_back(entries_bytes_);
    entries_bytes_ += record.size();
    leaves_.push_back(leaf);
    range_.append(leaf);
    return leaves_.size() - 1;
}

std::string TransparencyLog::write_checkpoint() {
    std::lock_guard lock(mutex_);
    const std::string note = signer_.sign(checkpoint_text(signer_.verifier().name, leaves_.size(), range_.root()));
    write_atomically(checkpoint_path(dir_), note, fsync_);
    if (fsync_) sync_directory(dir_);
    return note;
}

TransparencyLog::Pruned TransparencyLog::prune(const std::function<bool(std::string_view)>& expired) {
    std::lock_guard lock(mutex_);
    const std::string old_path = log_entries_path(dir_, first_kept_);
    // How many of the oldest kept entries have expired.
    std::uint64_t drop = 0;
    {
        std::ifstream in(old_path, std::ios::binary);
        std::string entry;
        while (drop < offsets_.size()) {
            const std::uint64_t end = drop + 1 < offsets_.size() ? offsets_[drop + 1] : entries_bytes_;
            entry.resize(end - offsets_[drop] - 4);
            in.seekg(static_cast<std::streamoff>(offsets_[drop] + 4));
            if (!in.read(entry.data(), static_cast<std::streamsize>(entry.size()))) {
                throw TransparencyLogError(old_path + ": cannot read entry " + std::to_string(first_kept_ + drop));
            }
            if (!expired(entry)) break;
            ++drop;
        }
    }
    if (drop == 0) return {};
    const std::uint64_t first = first_kept_ + drop;
    const std::uint64_t cut = drop < offsets_.size() ? offsets_[drop] : entries_bytes_;
    // The kept records, copied to DIR/entries-from-FIRST, then one rename.
    const std::string new_path = log_entries_path(dir_, first);
    {
        std::ifstream in(old_path, std::ios::binary);
        in.seekg(static_cast<std::streamoff>(cut));
        std::string kept(entries_bytes_ - cut, '\0');
        if (!in.read(kept.data(), static_cast<std::streamsize>(kept.size()))) {
            throw TransparencyLogError(old_path + ": cannot read the kept entries");
        }
        write_atomically(new_path, kept, fsync_);
    }
    if (fsync_) sync_directory(dir_);
    std::fclose(entries_);
    entries_ = open_or_throw(new_path, "ab");
    std::filesystem::remove(old_path);
    if (fsync_) sync_directory(dir_);
    offsets_.erase(offsets_.begin(), offsets_.begin() + static_cast<std::ptrdiff_t>(drop));
    for (std::uint64_t& offset : offsets_) offset -= cut;
    entries_bytes_ -= cut;
    first_kept_ = first;
    return {drop, cut};
}

LogVerification verify_log(const std::string& dir, const NoteVerifier& verifier) {
    LogVerification result;
    LogContents contents;
    try {
        contents = read_log_entries(dir);
    } catch (const TransparencyLogError& e) {
        result.message = e.what();
        return result;
    }
    result.entries = contents.leaves.size();
    result.pruned = contents.first_kept;
    if (contents.mismatch) {
        result.message = contents.entries_path + ": entry " + std::to_string(*contents.mismatch) +
                         " does not hash to its stored leaf hash";
        return result;
    }
    if (contents.missing_contents() > 0) {
        result.message = contents.entries_path + ": entries " + std::to_string(contents.first_kept + contents.kept()) +
                         ".." + std::to_string(contents.leaves.size() - 1) +
                         " have a stored hash but no contents, and were not pruned";
        return result;
    }
    const std::string note = read_file(checkpoint_path(dir));
    if (note.empty()) {
        result.message = checkpoint_path(dir) + ": missing or empty";
        return result;
    }
    const auto text = open_note(note, verifier);
    if (!text) {
        result.message = checkpoint_path(dir) + ": signature does not verify with key " + verifier.to_string();
        return result;
    }
    const auto checkpoint = parse_checkpoint(*text);
    if (!checkpoint) {
        result.message = checkpoint_path(dir) + ": not a checkpoint";
        return result;
    }
    result.checkpoint_size = checkpoint->size;
    if (checkpoint->origin != verifier.name) {
        result.message = "checkpoint origin '" + checkpoint->origin + "' is not the key's name '" + verifier.name + "'";
        return result;
    }
    if (checkpoint->size > contents.leaves.size()) {
        result.message = "checkpoint covers " + std::to_string(checkpoint->size) + " entries, the log holds " +
                         std::to_string(contents.leaves.size());
        return result;
    }
    const merkle::Hash root = merkle::root(std::span(contents.leaves).first(checkpoint->size));
    if (root != checkpoint->root) {
        result.message = "root of the first " + std::to_string(checkpoint->size) + " entries is " +
                         merkle::to_hex(root) + ", the checkpoint signs " + merkle::to_hex(checkpoint->root);
        return result;
    }
    result.ok = true;
    result.message = "verified " + std::to_string(checkpoint->size) + " entries against the checkpoint, root " +
                     merkle::to_hex(root);
    if (contents.first_kept > 0) {
        result.message += "; entries 0.." + std::to_string(contents.first_kept - 1) +
                          " are pruned (checked by their kept leaf hashes), the rest by their contents";
    }
    if (contents.leaves.size() > checkpoint->size) {
        result.message += "; " + std::to_string(contents.leaves.size() - checkpoint->size) +
                          " later entries are not yet checkpointed";
    }
    if (contents.file_bytes > contents.valid_bytes) result.message += "; the last record is torn";
    return result;
}

}  // namespace dnswatch
