#include "baseline/zone_file_index.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bitset>
#include <cerrno>
#include <cstring>
#include <memory>

#include "decode/dns_name.h"

namespace dnswatch {
namespace {

// What a file is read through: parts are cut and read in place, so that a
// TLD's file costs one pass and no copy of it.
constexpr std::size_t kWindowBytes = 8 * 1024 * 1024;

// Lookups in the running baseline are asked for this many owners ahead.
constexpr std::size_t kLookAhead = 16;

// Thrown when more than half of the bytes changed: a full load is cheaper.
struct FullLoadIsCheaper {};

SavedReaderState save(const ZoneReaderState& state) {
    SavedReaderState saved;
    saved.origin.assign(reinterpret_cast<const char*>(state.origin.bytes.data()), state.origin.length);
    saved.origin_labels = state.origin.labels;
    saved.previous_owner.assign(reinterpret_cast<const char*>(state.previous_owner.wire.data()),
                                state.previous_owner.length);
    saved.owner_labels = state.previous_owner.label_count;
    saved.default_ttl = state.default_ttl;
    return saved;
}

ZoneReaderState restore(const SavedReaderState& saved) {
    ZoneReaderState state;
    std::memcpy(state.origin.bytes.data(), saved.origin.data(), saved.origin.size());
    state.origin.length = static_cast<std::uint8_t>(saved.origin.size());
    state.origin.labels = saved.origin_labels;
    if (state.origin.length != 0) state.origin_text = name_to_ldns_text(state.origin);
    std::memcpy(state.previous_owner.wire.data(), saved.previous_owner.data(), saved.previous_owner.size());
    state.previous_owner.length = static_cast<std::uint8_t>(saved.previous_owner.size());
    state.previous_owner.label_count = saved.owner_labels;
    state.default_ttl = saved.default_ttl;
    return state;
}

// Whether a part read from `a` gives what it gives read from `b`: the last
// owner matters only to a part that does not start by naming one.
bool same_start(const SavedReaderState& a, const SavedReaderState& b, char first_byte) {
    if (&a == &b) return true;  // one state shared by successive loads' indexes
    if (a.origin != b.origin || a.origin_labels != b.origin_labels || a.default_ttl != b.default_ttl) return false;
    const bool names_owner = first_byte != ' ' && first_byte != '\t' && first_byte != '\r' && first_byte != '\n' &&
                             first_byte != ';' && first_byte != '(' && first_byte != '$';
    return names_owner || (a.previous_owner == b.previous_owner && a.owner_labels == b.owner_labels);
}

class ZoneFileStream {
public:
    ZoneFileStream(const std::string& path, const FilePartOptions& options) : path_(path), options_(options) {
        fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd_ < 0) throw ZoneFileError(path, 0, std::string("cannot open: ") + std::strerror(errno));
        struct stat status {};
        if (::fstat(fd_, &status) != 0) {
            const int error = errno;
            ::close(fd_);
            throw ZoneFileError(path, 0, std::string("cannot stat: ") + std::strerror(error));
        }
        if (!S_ISREG(status.st_mode)) {
            ::close(fd_);
            throw ZoneFileError(path, 0, "not a regular file");
        }
        size_ = static_cast<std::size_t>(status.st_size);
    }
    ~ZoneFileStream() { ::close(fd_); }
    ZoneFileStream(const ZoneFileStream&) = delete;
    ZoneFileStream& operator=(const ZoneFileStream&) = delete;

    std::size_t size() const { return size_; }
    // The byte at `offset` of the file, while it is in the window (during on_part).
    char* at(std::size_t offset) { return buffer_.get() + (offset - window_offset_); }

    // Calls on_part(offset, length, hash) for each part in order, its text
    // at at(offset) and NUL-terminated in place during the call; on_part
    // returns the offset from which the text must stay in the window (a
    // part joined with the ones after it).
    //
    // expected() names the part of the last load that should come next (or
    // nullptr): when the bytes here, as long as it was, hash as it did, they
    // are that part, and no line of them is looked at. Only where they do
    // not are parts cut by content (next_file_cut), until a cut part is one
    // of the last load's again. So a reload of a TLD's file costs hashing it
    // plus cutting around its changes, not looking at each of its lines.
    template <typename Expected, typename OnPart>
    void for_each_part(Expected&& expected, OnPart&& on_part) {
        if (!buffer_) buffer_.reset(new char[kWindowBytes + 1]);
        std::size_t filled = 0, next = 0, keep = 0;
        window_offset_ = 0;
        bool eof = false;
        for (;;) {
            const std::size_t from = std::min(keep, next);
            if (from > window_offset_) {
                const std::size_t drop = from - window_offset_;
                std::memmove(buffer_.get(), buffer_.get() + drop, filled - drop);
                filled -= drop;
                window_offset_ = from;
            }
            while (!eof && filled < kWindowBytes) {
                const ssize_t n = ::read(fd_, buffer_.get() + filled, kWindowBytes - filled);
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) throw ZoneFileError(path_, 0, std::string("cannot read: ") + std::strerror(errno));
                if (n == 0) eof = true;
                filled += static_cast<std::size_t>(n);
            }
            std::string_view text(buffer_.get() + (next - window_offset_), filled - (next - window_offset_));
            if (!eof) {
                // Whole lines only: a cut depends on the line after it.
                const std::size_t last_newline = text.rfind('\n');
                text = text.substr(0, last_newline == std::string_view::npos ? 0 : last_newline + 1);
            }
            std::size_t consumed = 0;
            while (consumed < text.size()) {
                char* part = const_cast<char*>(text.data()) + consumed;
                std::size_t length = 0;
                std::uint64_t hash = 0;
                const ZoneFilePartState* old = expected();
                if (old != nullptr && old->length <= text.size() - consumed) {
                    hash = hash_bytes(part, old->length);
                    if (hash == old->hash) length = old->length;
                }
                if (length == 0) {
                    const std::size_t cut = next_file_cut(text, consumed, options_);
                    if (cut == text.size() && !eof) break;  // the rest, with what the next read brings
                    length = cut - consumed;
                    hash = hash_bytes(part, length);
                }
                const char kept_byte = part[length];
                part[length] = '\0';
                keep = on_part(next + consumed, length, hash);
                part[length] = kept_byte;
                consumed += length;
            }
            next += consumed;
            if (eof && next == window_offset_ + filled) return;
            if (consumed == 0 && std::min(keep, next) == window_offset_ && filled == kWindowBytes) {
                throw ZoneFileError(path_, 0, "a line or record longer than " + std::to_string(kWindowBytes >> 20) +
                                                  " MiB");
            }
        }
    }

    // A part's text read again (NUL-terminated in `text`); false when it no
    // longer hashes as it did (the file changed while it was read).
    bool read_again(std::size_t offset, std::size_t length, std::uint64_t hash, std::string& text) {
        text.resize(length);
        std::size_t done = 0;
        while (done < length) {
            const ssize_t n = ::pread(fd_, text.data() + done, length - done, static_cast<off_t>(offset + done));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            done += static_cast<std::size_t>(n);
        }
        return hash_bytes(text.data(), text.size()) == hash;
    }

private:
    const std::string& path_;
    const FilePartOptions& options_;
    int fd_ = -1;
    std::size_t size_ = 0;
    std::unique_ptr<char[]> buffer_;
    std::size_t window_offset_ = 0;
};

// Reads one file part by part. With `last` (the index of its previous
// load), a part that hashes as one of last's and starts from the same state
// is not read; every other part is, into `input`.
class PartWalk {
public:
    PartWalk(const ZoneFileSpec& spec, const ZoneFileIndex* last, BaselineInput& input,
             const FilePartOptions& options, std::size_t give_up_bytes)
        : spec_(spec), last_(last), input_(input), stream_(spec.path, options), give_up_bytes_(give_up_bytes) {
        index_.spec = spec;
        index_.start = save(zone_reader_start(spec.path, ZoneReadOptions{.origin = spec.origin, .zone = std::nullopt}));
        if (last_ != nullptr) {
            old_used_.assign(last_->parts.size(), false);
            index_.parts.reserve(last_->parts.size() + last_->parts.size() / 8 + 16);
            index_.owners.reserve(last_->owners.size() + last_->owners.size() / 8 + 64);
        }
    }

    void walk() {
        // The state the next part starts from: index_.start or the shared
        // after-state of the part before, so that an unchanged part's start
        // is checked by address (same_start), with no copy and no read.
        const SavedReaderState* now = &index_.start;
        const auto expected = [&]() -> const ZoneFilePartState* {
            return !pending_ && last_ != nullptr && next_old_ < last_->parts.size() ? &last_->parts[next_old_] : nullptr;
        };
        stream_.for_each_part(expected, [&](std::size_t offset, std::size_t length, std::uint64_t hash) -> std::size_t {
            if (!pending_) {
                if (const ZoneFilePartState* same = unchanged(hash, *now, *stream_.at(offset))) {
                    ZoneFilePartState& part = index_.parts.emplace_back(*same);
                    add_owners(part, last_->owners_of(*same));
                    matched_.push_back(index_.parts.size() - 1);
                    offsets_.push_back(offset);
                    now = &part.after();
                    lines_ += same->lines;
                    return offset + length;
                }
                pending_offset_ = offset;
                pending_state_ = *now;
                pending_line_ = lines_;
            }
            const std::size_t start = pending_offset_;
            const std::size_t joined = offset + length - start;
            ZoneReaderState state = restore(pending_state_);
            ZoneFilePartState part;
            try {
                part.records = static_cast<std::uint32_t>(read_part(std::string_view(stream_.at(start), joined),
                                                                    static_cast<int>(pending_line_) + 1,
                                                                    offset + length < stream_.size(), state,
                                                                    part_owners_, nullptr));
            } catch (const ZoneTextEndsInsideEntry&) {
                pending_ = true;  // read it again joined with the next part
                return start;
            }
            pending_ = false;
            const char* text = stream_.at(start);
            part.hash = joined == length ? hash : hash_bytes(text, joined);
            part.length = static_cast<std::uint32_t>(joined);
            part.lines = static_cast<std::uint32_t>(std::count(text, text + joined, '\n'));
            part.after_state = std::make_shared<const SavedReaderState>(save(state));
            now = part.after_state.get();
            add_owners(part, part_owners_);
            lines_ += part.lines;
            bytes_read_ += joined;
            if (last_ != nullptr && bytes_read_ > give_up_bytes_) throw FullLoadIsCheaper{};
            index_.parts.push_back(std::move(part));
            changed_.push_back(index_.parts.size() - 1);
            offsets_.push_back(start);
            return offset + length;
        });
        for (const ZoneFilePartState& part : index_.parts) index_.records += part.records;
        index_.bytes = stream_.size();
        if (index_.records == 0) {
            // The whole reader says where and why, as a full load would.
            read_zone(spec_.path, ZoneReadOptions{.origin = spec_.origin, .zone = std::nullopt},
                      [](const ZoneFileRecord&) {});
            throw ZoneFileError(spec_.path, 0, "no records in the file");
        }
    }

    // The owner hashes the changed parts named, in the old version and the new.
    void changed_owners(std::vector<std::uint32_t>& owners) const {
        for (const std::size_t i : changed_) {
            const std::span<const std::uint32_t> named = index_.owners_of(index_.parts[i]);
            owners.insert(owners.end(), named.begin(), named.end());
        }
        if (last_ == nullptr) return;
        for (std::size_t i = 0; i < last_->parts.size(); ++i) {
            if (old_used_[i]) continue;
            const std::span<const std::uint32_t> named = last_->owners_of(last_->parts[i]);
            owners.insert(owners.end(), named.begin(), named.end());
        }
    }

    // Reads again the unchanged parts that name one of `owners` (sorted;
    // `maybe` a filter of their hashes), adding those owners' records.
    void read_unchanged_naming(const std::vector<std::uint32_t>& owners, const std::bitset<1 << 22>& maybe) {
        std::string text;
        std::vector<std::size_t> first_lines;  // by part, made at the first part read
        for (const std::size_t i : matched_) {
            const ZoneFilePartState& part = index_.parts[i];
            const std::span<const std::uint32_t> named = index_.owners_of(part);
            const bool names_one = std::any_of(named.begin(), named.end(), [&](std::uint32_t h) {
                return maybe.test(h & 0x3FFFFF) && std::binary_search(owners.begin(), owners.end(), h);
            });
            if (!names_one) continue;
            if (!stream_.read_again(offsets_[i], part.length, part.hash, text)) {
                throw ZoneFileError(spec_.path, 0, "changed while it was read; the next reload reads it again");
            }
            ZoneReaderState state = restore(i == 0 ? index_.start : index_.parts[i - 1].after());
            if (first_lines.empty()) {
                std::size_t line = 1;
                for (const ZoneFilePartState& p : index_.parts) {
                    first_lines.push_back(line);
                    line += p.lines;
                }
            }
            std::vector<std::uint32_t> unused;
            read_part(text, static_cast<int>(first_lines[i]), /*part_of_file=*/false, state, unused, &owners);
            bytes_read_ += part.length;
            ++extra_reads_;
        }
    }

    ZoneFileIndex take_index() { return std::move(index_); }
    std::size_t parts_read() const { return changed_.size() + extra_reads_; }
    std::size_t bytes_read() const { return bytes_read_; }

private:
    // `owners` become `part`'s range at the end of index_.owners.
    void add_owners(ZoneFilePartState& part, std::span<const std::uint32_t> owners) {
        part.owners_begin = static_cast<std::uint32_t>(index_.owners.size());
        part.owners_count = static_cast<std::uint32_t>(owners.size());
        index_.owners.insert(index_.owners.end(), owners.begin(), owners.end());
    }

    // The part of the last load these bytes are (same hash, read from the
    // same state), or nullptr; the one after it is expected next.
    const ZoneFilePartState* unchanged(std::uint64_t hash, const SavedReaderState& now, char first_byte) {
        if (last_ == nullptr) return nullptr;
        // Part i of the last load, when these bytes are it.
        const auto is = [&](std::size_t i) {
            return last_->parts[i].hash == hash &&
                   same_start(i == 0 ? last_->start : last_->parts[i - 1].after(), now, first_byte);
        };
        const auto take = [&](std::size_t i) {
            unmatched_in_a_row_ = 0;
            old_used_[i] = true;
            next_old_ = i + 1;
            return &last_->parts[i];
        };
        if (next_old_ < last_->parts.size()) {
            if (is(next_old_)) return take(next_old_);
            resync_from_ = next_old_;
        }
        // Cut by content after a change: an edit within a part leaves the
        // parts after it as they were, so the next few of the last load are
        // tried first; the search by hash (for moved text) is built only if
        // that fails.
        for (std::size_t i = resync_from_; i < std::min(resync_from_ + kResyncParts, last_->parts.size()); ++i) {
            if (!old_used_[i] && is(i)) return take(i);
        }
        // A part of edited text is found nowhere: only after a few such in a
        // row is it worth looking everywhere (a part missed is read again,
        // which costs time, never a change).
        if (++unmatched_in_a_row_ < kResyncParts) {
            next_old_ = last_->parts.size();
            return nullptr;
        }
        if (old_by_hash_.empty() && !last_->parts.empty()) {
            old_by_hash_.reserve(last_->parts.size());
            for (std::size_t i = 0; i < last_->parts.size(); ++i) old_by_hash_.emplace_back(last_->parts[i].hash, i);
            std::sort(old_by_hash_.begin(), old_by_hash_.end());
        }
        for (auto it = std::lower_bound(old_by_hash_.begin(), old_by_hash_.end(), std::pair<std::uint64_t, std::size_t>{hash, 0});
             it != old_by_hash_.end() && it->first == hash; ++it) {
            if (is(it->second)) return take(it->second);
        }
        next_old_ = last_->parts.size();  // none expected: cut by content until one matches again
        return nullptr;
    }

    // Reads `text` into input_: every record, or with `only` (sorted owner
    // hashes) those of these owners. `owners` gets the hashes of the
    // watched owners named, sorted and unique.
    std::size_t read_part(std::string_view text, int first_line, bool part_of_file, ZoneReaderState& state,
                          std::vector<std::uint32_t>& owners, const std::vector<std::uint32_t>* only) {
        owners.clear();
        DnsName last;  // the last owner hashed
        last.length = 0;
        std::uint32_t last_hash = 0;
        const std::size_t records =
            read_zone_text(spec_.path, text, first_line, part_of_file, state, [&](const ZoneFileRecord& record) {
                if (record.owner.length != last.length ||
                    std::memcmp(record.owner.wire.data(), last.wire.data(), last.length) != 0) {
                    std::memcpy(last.wire.data(), record.owner.wire.data(), record.owner.length);
                    last.length = record.owner.length;
                    last_hash = hash_name(record.owner);
                }
                if (only != nullptr && !std::binary_search(only->begin(), only->end(), last_hash)) return;
                if (input_.add(record.owner, record.type, record.ttl, record.rdata, spec_.source) &&
                    (owners.empty() || owners.back() != last_hash)) {
                    owners.push_back(last_hash);
                }
            });
        std::sort(owners.begin(), owners.end());
        owners.erase(std::unique(owners.begin(), owners.end()), owners.end());
        return records;
    }

    const ZoneFileSpec& spec_;
    const ZoneFileIndex* last_;
    BaselineInput& input_;
    ZoneFileStream stream_;
    std::size_t give_up_bytes_;
    ZoneFileIndex index_;
    static constexpr std::size_t kResyncParts = 4;
    std::vector<std::pair<std::uint64_t, std::size_t>> old_by_hash_;  // (hash, part of last_), sorted; made when needed
    std::vector<bool> old_used_;
    std::size_t next_old_ = 0;          // the part of last_ expected next
    std::size_t resync_from_ = 0;       // the part of last_ that was expected where the bytes last differed
    std::size_t unmatched_in_a_row_ = 0;
    std::vector<std::size_t> matched_;  // parts of index_ taken from last_
    std::vector<std::size_t> changed_;  // parts of index_ read
    std::vector<std::size_t> offsets_;  // by part of index_: where it starts in the file
    bool pending_ = false;              // a part that ended inside an entry, waiting for the next
    std::size_t pending_offset_ = 0;
    SavedReaderState pending_state_;
    std::size_t pending_line_ = 0;
    std::size_t lines_ = 0;
    std::size_t bytes_read_ = 0;
    std::size_t extra_reads_ = 0;
    std::vector<std::uint32_t> part_owners_;  // the owners of the part being read
};

}  // namespace

std::size_t ZoneFileIndex::memory_bytes() const {
    std::size_t held = sizeof(*this) + parts.capacity() * sizeof(ZoneFilePartState) +
                       owners.capacity() * sizeof(std::uint32_t);
    for (const ZoneFilePartState& part : parts) {
        held += sizeof(SavedReaderState) + 16;
        if (part.after().origin.capacity() > 15) held += part.after().origin.capacity();
        if (part.after().previous_owner.capacity() > 15) held += part.after().previous_owner.capacity();
    }
    return held;
}

std::size_t ZoneFileIndexes::memory_bytes() const {
    std::size_t bytes = 0;
    for (const ZoneFileIndex& file : files) bytes += file.memory_bytes();
    return bytes;
}

ZoneFileIndex read_zone_file_indexed(const ZoneFileSpec& spec, BaselineInput& input, const FilePartOptions& options) {
    PartWalk walk(spec, nullptr, input, options, 0);
    walk.walk();
    return walk.take_index();
}

std::optional<ZoneFilesDelta> reload_zone_files(const ZoneFileIndexes& last, const std::vector<ZoneFileSpec>& specs,
                                                const WatchSet& watch, const Baseline& current) {
    if (specs.size() != last.files.size()) return std::nullopt;
    for (std::size_t i = 0; i < specs.size(); ++i) {
        if (!(specs[i] == last.files[i].spec)) return std::nullopt;
    }
    std::size_t total_bytes = 0;
    for (const ZoneFileIndex& file : last.files) total_bytes += file.bytes;
    ZoneFilesDelta delta;
    delta.indexes.options = last.options;
    BaselineInput input(watch);
    std::vector<std::unique_ptr<PartWalk>> walks;
    std::vector<std::uint32_t> owners;
    try {
        for (std::size_t i = 0; i < specs.size(); ++i) {
            auto walk = std::make_unique<PartWalk>(specs[i], &last.files[i], input, last.options, total_bytes / 2);
            walk->walk();
            walk->changed_owners(owners);
            walks.push_back(std::move(walk));
        }
    } catch (const FullLoadIsCheaper&) {
        return std::nullopt;
    }
    std::sort(owners.begin(), owners.end());
    owners.erase(std::unique(owners.begin(), owners.end()), owners.end());
    // Their records elsewhere in the files: an owner across a cut, or listed twice.
    auto maybe = std::make_unique<std::bitset<1 << 22>>();
    for (const std::uint32_t h : owners) maybe->set(h & 0x3FFFFF);
    for (auto& walk : walks) walk->read_unchanged_naming(owners, *maybe);
    const Baseline now = input.build();

    std::vector<SourceId> sources;
    for (const ZoneFileSpec& spec : specs) sources.push_back(spec.source);
    auto of_files = [&](SourceId source) { return std::find(sources.begin(), sources.end(), source) != sources.end(); };
    // One owner's RRsets of the files' sources, before and after.
    auto compare = [&](const DnsName& owner) {
        ++delta.owners;
        current.for_each_rrset_of(owner, [&](const std::uint8_t* was) {
            const SourceId source = rrset_layout::source(was);
            if (!of_files(source)) return;
            const std::uint16_t type = rrset_layout::type(was);
            const std::uint8_t* is = now.find_rrset(owner, type, source);
            if (is == nullptr || !same_rrset_bytes(was, is)) delta.changes.push_back(rrset_change_to(owner, type, is, source));
        });
        now.for_each_rrset_of(owner, [&](const std::uint8_t* is) {
            const SourceId source = rrset_layout::source(is);
            if (current.find_rrset(owner, rrset_layout::type(is), source) == nullptr) {
                delta.changes.push_back(rrset_change_to(owner, rrset_layout::type(is), is, source));
            }
        });
    };
    // The owners read (each node once), then those the old version named
    // that the new one names nowhere. Each is a lookup in the running
    // baseline, a TLD's: its index slot and node are asked for a few
    // owners ahead, so that the misses overlap.
    const auto for_each_owner_read = [&](auto&& f) {
        DnsName previous;
        previous.length = 0;
        now.for_each_rrset([&](const DnsName& owner, const std::uint8_t*) {
            if (owner == previous) return;
            previous = owner;
            f(owner);
        });
    };
    std::vector<std::uint32_t> read_owners;
    for_each_owner_read([&](const DnsName& owner) { read_owners.push_back(hash_name(owner)); });
    const auto prefetch_ahead = [&](const std::vector<std::uint32_t>& hashes, std::size_t at) {
        if (at + kLookAhead < hashes.size()) current.prefetch(hashes[at + kLookAhead]);
        if (at + kLookAhead / 2 < hashes.size()) current.prefetch_node(hashes[at + kLookAhead / 2]);
    };
    std::size_t at = 0;
    for_each_owner_read([&](const DnsName& owner) {
        prefetch_ahead(read_owners, at++);
        compare(owner);
    });
    for (at = 0; at < owners.size(); ++at) {
        prefetch_ahead(owners, at);
        for (const DnsName& owner : current.owners_with_hash(owners[at])) {
            bool read = false;
            now.for_each_rrset_of(owner, [&](const std::uint8_t*) { read = true; });
            if (!read) compare(owner);
        }
    }
    for (auto& walk : walks) {
        delta.parts_read += walk->parts_read();
        delta.bytes_read += walk->bytes_read();
        delta.indexes.files.push_back(walk->take_index());
        delta.parts += delta.indexes.files.back().parts.size();
    }
    return delta;
}

}  // namespace dnswatch
