// What the last load saw of each zone file of the config, part by part
// (baseline/zone_file_parts.h), so that a reload costs the changed part of
// a file, not the file: a TLD's 150 MB zone file with 1,000 delegations
// changed is hashed whole (tens of milliseconds) but only its changed parts
// are read as records, and only the RRsets of the owners they name are
// compared (scripts/bench-reload gives the figures).
//
// Kept per part: its hash, its lines and records, the reader's state after
// it ($ORIGIN, $TTL, the last owner: zone_reader.h), and the hash_name() of
// each watched owner it names. A part of the new file is unchanged when a
// part of the old one had the same hash and was read from the same state:
// reading it again would give the same records and the same state after it.
// Every other part is read. The owners those changed parts name, in the
// old version (from the kept owner hashes) and in the new (as read), are
// the owners whose records may have changed; their records are gathered
// from the changed parts and from the unchanged parts that also name them
// (an owner listed in two places, or across a cut), and their RRsets
// compared with the running baseline's. Why no copy of the old text is
// needed: the running baseline holds what the old version gave each owner.
//
// A reload falls back on a full load (and the change feed on the full
// diff) when the watch list or the set of zone files changed, or when most
// of the bytes changed (a file replaced by one with nothing in common): then
// reading everything is as cheap and simpler.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "baseline/baseline.h"
#include "baseline/baseline_input.h"
#include "baseline/watch_set.h"
#include "baseline/zone_file_parts.h"
#include "baseline/zone_reader.h"
#include "common/large_page_allocator.h"

namespace dnswatch {

// One zone file of the config as the baseline reads it.
struct ZoneFileSpec {
    std::string path;
    std::optional<std::string> origin;  // the watched zone's name, for a watch.zones[].zone_file
    SourceId source = 0;
    friend bool operator==(const ZoneFileSpec&, const ZoneFileSpec&) = default;
};

// The reader's state between two parts, compactly.
struct SavedReaderState {
    std::string origin;  // wire form as written (case kept); empty: none
    std::uint8_t origin_labels = 0;
    std::string previous_owner;  // wire form, lower case; empty: none yet
    std::uint8_t owner_labels = 0;
    std::uint32_t default_ttl = 0;
    friend bool operator==(const SavedReaderState&, const SavedReaderState&) = default;
};

struct ZoneFilePartState {
    std::uint64_t hash = 0;
    std::uint32_t length = 0;
    std::uint32_t lines = 0;    // newlines in it
    std::uint32_t records = 0;
    // Its owners in ZoneFileIndex::owners: [owners_begin, + owners_count).
    std::uint32_t owners_begin = 0;
    std::uint32_t owners_count = 0;
    // The reader's state after the part. Shared by the indexes of
    // successive loads while the part is unchanged: taking an unchanged
    // part over costs no copy, and a walk that took part i - 1 knows that
    // part i starts from the same state by the pointer alone.
    std::shared_ptr<const SavedReaderState> after_state;
    const SavedReaderState& after() const { return *after_state; }
};

struct ZoneFileIndex {
    ZoneFileSpec spec;
    SavedReaderState start;
    // Both arrays are MBs for a TLD: mapped on their own (common/
    // large_page_allocator.h), so that each reload's copy goes back to the
    // system when the next replaces it.
    std::vector<ZoneFilePartState, LargePageAllocator<ZoneFilePartState>> parts;
    // hash_name() of the watched owners each part names (sorted, unique
    // within a part), part after part in one array: a reload looks for a
    // few changed owners in all of them, and a scan of one array costs no
    // cache miss per part.
    std::vector<std::uint32_t, LargePageAllocator<std::uint32_t>> owners;
    std::size_t bytes = 0;
    std::size_t records = 0;
    std::span<const std::uint32_t> owners_of(const ZoneFilePartState& part) const {
        return std::span(owners).subspan(part.owners_begin, part.owners_count);
    }
    // Memory the index holds (for the log and the benchmark).
    std::size_t memory_bytes() const;
};

struct ZoneFileIndexes {
    std::vector<ZoneFileIndex> files;
    FilePartOptions options;
    std::size_t memory_bytes() const;
};

// Reads a zone file whole into `input` (records outside the watched zones
// are dropped there) and returns its index. Throws ZoneFileError as
// read_zone does.
ZoneFileIndex read_zone_file_indexed(const ZoneFileSpec& spec, BaselineInput& input,
                                     const FilePartOptions& options = {});

// The outcome of an incremental reload of the config's zone files.
struct ZoneFilesDelta {
    std::vector<RRsetChange> changes;  // RRsets of the files' sources that changed, as they are now
    ZoneFileIndexes indexes;           // what this load saw, for the next one
    std::size_t parts = 0;             // parts in all files
    std::size_t parts_read = 0;        // parts read as records: changed, or naming a changed owner
    std::size_t bytes_read = 0;
    std::size_t owners = 0;            // owners whose records were compared
};

// The changes from what `last` saw to what the files `specs` hold now,
// against `current` (the running baseline, which holds what `last` gave;
// the files' sources are theirs alone) for the watch list `watch` it was
// read with. nullopt when a full load is the better way: `specs` differs
// from what `last` read, or more than half the bytes changed. Throws
// ZoneFileError ("file:line:col: reason") for a file that does not load
// (the running baseline is then kept).
std::optional<ZoneFilesDelta> reload_zone_files(const ZoneFileIndexes& last, const std::vector<ZoneFileSpec>& specs,
                                                const WatchSet& watch, const Baseline& current);

}  // namespace dnswatch
