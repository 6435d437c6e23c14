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

std::string entries_path(const std::string& dir) { return dir + "/entries"; }
std::string checkpoint_path(const std::string& dir) { return dir + "/checkpoint"; }

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

LogContents read_log_entries(const std::string& dir) {
    LogContents contents;
    std::ifstream in(entries_path(dir), std::ios::binary);
    if (!in) {
        if (errno == ENOENT) return contents;  // a new log
        throw TransparencyLogError(entries_path(dir) + ": " + std::strerror(errno));
    }
    std::string entry;
    while (true) {
        unsigned char length_bytes[4];
        in.read(reinterpret_cast<char*>(length_bytes), 4);
        if (in.gcount() == 0) break;
        const std::uint64_t start = contents.valid_bytes;
        if (in.gcount() < 4) {
            contents.file_bytes = start + static_cast<std::uint64_t>(in.gcount());
            return contents;
        }
        const std::uint32_t length = (std::uint32_t{length_bytes[0]} << 24) | (std::uint32_t{length_bytes[1]} << 16) |
                                     (std::uint32_t{length_bytes[2]} << 8) | length_bytes[3];
        entry.resize(length);
        in.read(entry.data(), length);
        if (static_cast<std::uint64_t>(in.gcount()) < length) {
            contents.file_bytes = start + 4 + static_cast<std::uint64_t>(in.gcount());
            return contents;
        }
        contents.offsets.push_back(start);
        contents.leaves.push_back(
            merkle::leaf_hash({reinterpret_cast<const std::uint8_t*>(entry.data()), entry.size()}));
        contents.valid_bytes = start + 4 + length;
    }
    contents.file_bytes = contents.valid_bytes;
    return contents;
}

TransparencyLog::TransparencyLog(const std::string& dir, NoteSigner signer, bool fsync)
    : dir_(dir), signer_(std::move(signer)), fsync_(fsync) {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) throw TransparencyLogError(dir + ": " + error.message());
    LogContents contents = read_log_entries(dir);
    leaves_ = std::move(contents.leaves);

    // What was signed must still be there, unchanged.
    const std::string signed_text = read_file(checkpoint_path(dir));
    if (!signed_text.empty()) {
        const auto text = open_note(signed_text, signer_.verifier());
        const auto checkpoint = text ? parse_checkpoint(*text) : std::nullopt;
        if (!checkpoint) throw TransparencyLogError(checkpoint_path(dir) + ": not a checkpoint signed by this log's key");
        if (checkpoint->size > leaves_.size() ||
            merkle::root(std::span(leaves_).first(checkpoint->size)) != checkpoint->root) {
            throw TransparencyLogError(entries_path(dir) + ": entries do not match the signed checkpoint of size " +
                                       std::to_string(checkpoint->size));
        }
    }
    // A record torn by a crash was never acknowledged: cut it off.
    if (contents.file_bytes > contents.valid_bytes) {
        if (::truncate(entries_path(dir).c_str(), static_cast<off_t>(contents.valid_bytes)) != 0) {
            throw TransparencyLogError(entries_path(dir) + ": " + std::strerror(errno));
        }
    }
    for (const merkle::Hash& leaf : leaves_) range_.append(leaf);
    entries_ = std::fopen(entries_path(dir).c_str(), "ab");
    if (entries_ == nullptr) throw TransparencyLogError(entries_path(dir) + ": " + std::strerror(errno));
    write_atomically(dir + "/log.pub", signer_.verifier().to_string() + "\n", fsync_);
}

TransparencyLog::~TransparencyLog() {
    if (entries_ != nullptr) std::fclose(entries_);
}

std::uint64_t TransparencyLog::append(std::string_view entry) {
    if (entry.size() > 0xFFFFFFFFu) throw TransparencyLogError("entry too large");
    const auto length = static_cast<std::uint32_t>(entry.size());
    const unsigned char length_bytes[4] = {static_cast<unsigned char>(length >> 24),
                                           static_cast<unsigned char>(length >> 16),
                                           static_cast<unsigned char>(length >> 8), static_cast<unsigned char>(length)};
    if (std::fwrite(length_bytes, 1, 4, entries_) != 4 ||
        std::fwrite(entry.data(), 1, entry.size(), entries_) != entry.size() || std::fflush(entries_) != 0 ||
        (fsync_ && ::fsync(fileno(entries_)) != 0)) {
        throw TransparencyLogError(entries_path(dir_) + ": " + std::strerror(errno));
    }
    const merkle::Hash leaf = merkle::leaf_hash({reinterpret_cast<const std::uint8_t*>(entry.data()), entry.size()});
    leaves_.push_back(leaf);
    range_.append(leaf);
    return leaves_.size() - 1;
}

std::string TransparencyLog::write_checkpoint() {
    const std::string note = signer_.sign(checkpoint_text(signer_.verifier().name, size(), root()));
    write_atomically(checkpoint_path(dir_), note, fsync_);
    if (fsync_) sync_directory(dir_);
    return note;
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
        result.message = "checkpoint covers " + std::to_string(checkpoint->size) + " entries, the file holds " +
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
    if (contents.leaves.size() > checkpoint->size) {
        result.message += "; " + std::to_string(contents.leaves.size() - checkpoint->size) +
                          " later entries are not yet checkpointed";
    }
    if (contents.file_bytes > contents.valid_bytes) result.message += "; the last record is torn";
    return result;
}

}  // namespace dnswatch
