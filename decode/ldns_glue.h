// Where dnswatch uses ldns: zone files and presentation format. Neither is on
// the packet path (DESIGN "Performance stance").
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "decode/dns_name.h"

namespace dnswatch {

// "NS", "A", "TYPE65280" (RFC 3597 form for types ldns does not know).
std::string rrtype_to_text(std::uint16_t type);

// Presentation form of canonical (uncompressed) rdata, e.g. "10 mail.victim.test."
// Falls back to the RFC 3597 generic form "\# 4 c0000201" when ldns cannot
// read it.
std::string rdata_to_text(std::uint16_t type, std::span<const std::uint8_t> rdata);

struct ZoneRecord {
    DnsName owner;
    std::uint16_t type = 0;
    std::uint32_t ttl = 0;
    std::vector<std::uint8_t> rdata;  // uncompressed wire form, as ldns writes it
};

// A zone file that could not be read: `what()` is "file:line:col: reason",
// or "file:line: reason" when the column is unknown (0).
class ZoneFileError : public std::runtime_error {
public:
    ZoneFileError(const std::string& file, int line, const std::string& reason);
    ZoneFileError(const std::string& file, int line, int column, const std::string& reason);
    const std::string& file() const { return file_; }
    int line() const { return line_; }
    int column() const { return column_; }
    // The reason alone, without "file:line:col: ".
    const std::string& reason() const { return reason_; }

private:
    std::string file_;
    int line_;
    int column_;
    std::string reason_;
};

// Parses one record in presentation format ("www.victim.test. 300 IN A
// 192.0.2.1", absolute names). Throws std::invalid_argument with ldns's reason.
ZoneRecord record_from_text(const std::string& text);

// The type a mnemonic names, as ldns knows them ("ns", "NSEC3", "TYPE65280"
// and ldns's other spellings); std::nullopt for a name ldns does not know.
std::optional<std::uint16_t> rrtype_from_text(std::string_view text);

// The uncompressed wire rdata ldns makes of `rdata_text` (presentation form,
// "10 mail" or "\# 4 c0000201") for a record of `type`, relative names read
// under `origin` (an absolute name in presentation form; std::nullopt: none,
// relative names are then taken as absolute, as ldns does). The zone reader's
// path for types it has no parser of its own for. Throws
// std::invalid_argument with ldns's reason.
std::vector<std::uint8_t> rdata_from_text(std::uint16_t type, std::string_view rdata_text,
                                          const std::optional<std::string>& origin);

// Reads every record of a zone file (the SOA included) with ldns. `origin`
// is the zone's name for files without $ORIGIN; std::nullopt when the file
// must name its own origin.
std::vector<ZoneRecord> read_zone_file(const std::string& path, const std::optional<std::string>& origin);

}  // namespace dnswatch
