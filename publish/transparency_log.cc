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

void truncate_or_throw(const std::string& path, std::uint64_t size) {
    if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0 && errno != ENOENT) {
        throw TransparencyLogError(path + ": " + std::strerror(errno));
    }
}

int open_or_throw(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) throw TransparencyLogError(path + ": " + std::strerror(errno));
    return fd;
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
        has_checkpoint_ = true;
        checkpoint_note_ = signed_text;
    }
    checkpoint_size_ = signed_size;
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
    entries_ = open_or_throw(entries_file);
    hashes_ = open_or_throw(log_hashes_path(dir));
    durable_entries_bytes_ = entries_bytes_;
    durable_hashes_bytes_ = contents.stored_hashes * 32;
    // Hashes computed from contents (a log older than DIR/hashes, or a
    // hash write cut short) are stored now.
    for (std::uint64_t i = contents.stored_hashes; i < leaves_.size(); ++i) {
        held_hashes_.append(reinterpret_cast<const char*>(leaves_[i].data()), leaves_[i].size());
    }
    if (!write_held_locked()) throw TransparencyLogError(health_.last_error);
    // Rewritten only when it changed: a start on a full disk must not fail here.
    const std::string verifier_text = signer_.verifier().to_string() + "\n";
    if (read_file(dir + "/log.pub") != verifier_text) write_atomically(dir + "/log.pub", verifier_text, fsync_);
}

TransparencyLog::~TransparencyLog() {
    {
        std::lock_guard lock(mutex_);
        write_held_locked();  // what is held, if the disk allows it now
    }
    if (entries_ >= 0) ::close(entries_);
    if (hashes_ >= 0) ::close(hashes_);
}

merkle::Hash TransparencyLog::leaf(std::uint64_t index) const {
    std::lock_guard lock(mutex_);
    return leaves_.at(index);
}

std::uint64_t TransparencyLog::checkpoint_size() const {
    std::lock_guard lock(mutex_);
    return checkpoint_size_;
}

bool TransparencyLog::has_checkpoint() const {
    std::lock_guard lock(mutex_);
    return has_checkpoint_;
}

std::string TransparencyLog::checkpoint_note() const {
    std::lock_guard lock(mutex_);
    return checkpoint_note_;
}

LogHealth TransparencyLog::health() const {
    std::lock_guard lock(mutex_);
    LogHealth health = health_;
    health.held_entries = held_count_;
    return health;
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

std::uint64_t TransparencyLog::stage(std::string_view entry) {
    if (entry.size() > 0xFFFFFFFFu) throw TransparencyLogError("entry too large");
    const auto length = static_cast<std::uint32_t>(entry.size());
    const char prefix[4] = {static_cast<char>(length >> 24), static_cast<char>(length >> 16),
                            static_cast<char>(length >> 8), static_cast<char>(length)};
    const merkle::Hash leaf = merkle::leaf_hash({reinterpret_cast<const std::uint8_t*>(entry.data()), entry.size()});
    std::lock_guard lock(mutex_);
    held_entries_.append(prefix, 4).append(entry);
    held_hashes_.append(reinterpret_cast<const char*>(leaf.data()), leaf.size());
    ++held_count_;
    offsets_.push_back(entries_bytes_);
    entries_bytes_ += 4 + entry.size();
    leaves_.push_back(leaf);
    range_.append(leaf);
    return leaves_.size() - 1;
}

// The entries before their hashes: a hash on disk always has its contents
// (until pruned). A failed write is cut back, so that no torn record stays
// in front of the next one.
bool TransparencyLog::write_held_locked() {
    const auto fail = [&](int fd, std::uint64_t durable, const std::string& path) {
        const int saved = errno;
        if (::ftruncate(fd, static_cast<off_t>(durable)) != 0) {
            // Cut at the next open instead.
        }
        ++health_.write_failures;
        health_.failing = true;
        health_.last_error = path + ": " + std::strerror(saved);
        return false;
    };
    if (!held_entries_.empty()) {
        if (!write_all(entries_, held_entries_) || (fsync_ && ::fsync(entries_) != 0)) {
            return fail(entries_, durable_entries_bytes_, log_entries_path(dir_, first_kept_));
        }
        durable_entries_bytes_ += held_entries_.size();
        held_entries_.clear();
    }
    if (!held_hashes_.empty()) {
        if (!write_all(hashes_, held_hashes_) || (fsync_ && ::fsync(hashes_) != 0)) {
            return fail(hashes_, durable_hashes_bytes_, log_hashes_path(dir_));
        }
        durable_hashes_bytes_ += held_hashes_.size();
        held_hashes_.clear();
    }
    held_count_ = 0;
    health_.failing = false;
    return true;
}

std::uint64_t TransparencyLog::append(std::string_view entry) {
    const std::uint64_t index = stage(entry);
    std::lock_guard lock(mutex_);
    if (!write_held_locked()) throw TransparencyLogError(health_.last_error);
    return index;
}

std::string TransparencyLog::sign_locked() {
    const std::string note = signer_.sign(checkpoint_text(signer_.verifier().name, leaves_.size(), range_.root()));
    write_atomically(checkpoint_path(dir_), note, fsync_);
    if (fsync_) sync_directory(dir_);
    checkpoint_size_ = leaves_.size();
    has_checkpoint_ = true;
    checkpoint_note_ = note;
    return note;
}

std::string TransparencyLog::write_checkpoint() {
    std::lock_guard lock(mutex_);
    if (!write_held_locked()) throw TransparencyLogError(health_.last_error);
    return sign_locked();
}

bool TransparencyLog::commit() {
    std::lock_guard lock(mutex_);
    if (!write_held_locked()) return false;
    if (has_checkpoint_ && checkpoint_size_ == leaves_.size()) return true;
    try {
        sign_locked();
    } catch (const TransparencyLogError& e) {
        ++health_.write_failures;
        health_.failing = true;
        health_.last_error = e.what();
        return false;
    }
    return true;
}

TransparencyLog::Pruned TransparencyLog::prune(const std::function<bool(std::string_view)>& expired) {
    std::lock_guard lock(mutex_);
    // Pruning works on the file: what is held goes there first.
    if (!write_held_locked()) throw TransparencyLogError(health_.last_error);
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
    ::close(entries_);
    entries_ = open_or_throw(new_path);
    std::filesystem::remove(old_path);
    if (fsync_) sync_directory(dir_);
    offsets_.erase(offsets_.begin(), offsets_.begin() + static_cast<std::ptrdiff_t>(drop));
    for (std::uint64_t& offset : offsets_) offset -= cut;
    entries_bytes_ -= cut;
    durable_entries_bytes_ = entries_bytes_;
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

namespace dnswatch {

LogVerification verify_log_against(const std::string& dir, const NoteVerifier& verifier, std::string_view auditor_note) {
    LogVerification result = verify_log(dir, verifier);
    if (!result.ok) return result;
    result.ok = false;
    const auto text = open_note(auditor_note, verifier);
    if (!text) {
        result.message = "the auditor's checkpoint is not signed by key " + verifier.to_string();
        return result;
    }
    const auto kept = parse_checkpoint(*text);
    if (!kept || kept->origin != verifier.name) {
        result.message = "the auditor's checkpoint is not a checkpoint of log '" + verifier.name + "'";
        return result;
    }
    if (result.entries > result.checkpoint_size) {
        result.message = std::to_string(result.entries - result.checkpoint_size) + " entries after the log's checkpoint (size " +
                         std::to_string(result.checkpoint_size) +
                         ") are signed by nothing: a forged tail, or a sensor that stopped before signing them "
                         "and has not started since";
        return result;
    }
    if (kept->size > result.checkpoint_size) {
        result.message = "the log's checkpoint is of size " + std::to_string(result.checkpoint_size) +
                         ", the auditor's of size " + std::to_string(kept->size) +
                         ": the log was rolled back (a signed log only grows)";
        return result;
    }
    // The log verified: its leaves are those its checkpoint signs.
    const LogContents contents = read_log_entries(dir);
    const std::span<const merkle::Hash> signed_leaves = std::span(contents.leaves).first(result.checkpoint_size);
    const merkle::Hash log_root = merkle::root(signed_leaves);
    const std::vector<merkle::Hash> proof =
        kept->size == 0 || kept->size == result.checkpoint_size ? std::vector<merkle::Hash>{}
                                                                : merkle::consistency_proof(signed_leaves, kept->size);
    const bool consistent = kept->size == 0 ? true
                            : kept->size == result.checkpoint_size
                                ? kept->root == log_root
                                : merkle::verify_consistency(kept->size, result.checkpoint_size, proof, kept->root, log_root);
    if (!consistent) {
        result.message = "the log's tree of size " + std::to_string(result.checkpoint_size) +
                         " does not extend the auditor's tree of size " + std::to_string(kept->size) + " (root " +
                         merkle::to_hex(kept->root) + "): the log forked or was rewritten";
        return result;
    }
    result.ok = true;
    result.message += "; consistent with the auditor's checkpoint of size " + std::to_string(kept->size) + " (" +
                      std::to_string(proof.size()) + "-hash consistency proof)";
    return result;
}

}  // namespace dnswatch
