// Where dnswatch uses ldns: zone files and presentation format. Neither is on
// the packet path (DESIGN "Performance stance").
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
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

// A zone file ldns could not read: `what()` is "file:line: reason".
class ZoneFileError : public std::runtime_error {
public:
    ZoneFileError(const std::string& file, int line, const std::string& reason);
    const std::string& file() const { return file_; }
    int line() const { return line_; }

private:
    std::string file_;
    int line_;
};

// Parses one record in presentation format ("www.victim.test. 300 IN A
// 192.0.2.1", absolute names). Throws std::invalid_argument with ldns's reason.
ZoneRecord record_from_text(const std::string& text);

// Reads every record of a zone file (the SOA included) with ldns. `origin`
// is the zone's name for files without $ORIGIN; std::nullopt when the file
// must name its own origin.
std::vector<ZoneRecord> read_zone_file(const std::string& path, const std::optional<std::string>& origin);

}  // namespace dnswatch
