// dnswatch's own master-file (zone file) reader: RFC 1035 §5 as ldns reads
// it, byte for byte, about ten times faster, and strict where ldns is lax.
// ldns (read_zone_file) stays the reference the tests compare it with.
//
// Reads $ORIGIN, $TTL (units as in "1h30m"), "@", relative and absolute
// names, a blank owner (the previous one), TTL and class in either order
// (IN, CH, HS, NONE, ANY, CLASSnnn; IN when absent), type mnemonics and
// TYPEnnn, RFC 3597 "\# len hex", parentheses, comments, quoted strings and
// escapes. A record without a TTL takes the last $TTL, or 3600.
//
// Refuses, as "file:line:col: reason": unbalanced parentheses, an
// unterminated quote, a bad $TTL, a file with no records, an owner outside
// `zone`, a NUL byte (raw, or \000 in a name), rdata over 65,535 bytes,
// $INCLUDE and $GENERATE, relative names with no origin, a file that is not
// a regular file (refused before reading: a FIFO cannot hang it), a record
// longer than 64 KiB of text, and ldns's silent oddities (see zone_lexer.h
// and zone_fields.h).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "baseline/zone_fields.h"
#include "decode/dns_name.h"
#include "decode/ldns_glue.h"

namespace dnswatch {

struct ZoneReadOptions {
    std::optional<std::string> origin;  // "victim.test." for files without $ORIGIN (relative names are then under it)
    std::optional<std::string> zone;    // when set ("victim.test"), every owner must be at or below it
};

struct ZoneFileRecord {                   // valid only during the callback
    const DnsName& owner;                 // lower case
    std::uint16_t type;
    std::uint16_t rrclass;
    std::uint32_t ttl;
    std::span<const std::uint8_t> rdata;  // uncompressed wire rdata, byte for byte what ldns produces for the same text
    int line;                             // the record's first line
};

// Reads the file once and calls on_record for every record in file order.
// Throws ZoneFileError ("file:line:col: reason").
void read_zone(const std::string& path, const ZoneReadOptions& options,
               const std::function<void(const ZoneFileRecord&)>& on_record);

// What reading carries from one entry to the next: the origin ($ORIGIN, or
// the zone's), the default TTL ($TTL) and the last owner named (a blank
// owner's). Reading a part of a file from the state its start was read in
// gives exactly what reading the whole file gives for that part
// (baseline/zone_file_index.h re-reads only a reloaded file's changed parts).
struct ZoneReaderState {
    WireName origin;          // length 0: none
    std::string origin_text;  // origin as ldns reads it back
    DnsName previous_owner;   // length 0: none yet
    std::uint32_t default_ttl = 3600;
};

// The state at the start of a file read with `options` (`zone` aside).
// Throws ZoneFileError for a bad origin.
ZoneReaderState zone_reader_start(const std::string& path, const ZoneReadOptions& options);

// Reads the whole entries of `text`, part of the file `path` (for errors)
// starting on line `first_line`, from `state`, which is left as the end of
// the text leaves it; text.data()[text.size()] must be a NUL. Returns the
// records read. Throws ZoneFileError ("file:line:col: reason"), and
// ZoneTextEndsInsideEntry when `part_of_file` and the text ends inside an
// entry. A text without records is no error here.
std::size_t read_zone_text(const std::string& path, std::string_view text, int first_line, bool part_of_file,
                           ZoneReaderState& state, const std::function<void(const ZoneFileRecord&)>& on_record);

// The same into ZoneRecords, for callers that want a list.
std::vector<ZoneRecord> read_zone_records(const std::string& path, const ZoneReadOptions& options);

}  // namespace dnswatch
