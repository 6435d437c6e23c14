// The zone reader's own rdata parsers: the types registries and signed
// zones hold nearly all of (A, AAAA, NS, CNAME, PTR, DNAME, MX, SOA, TXT,
// SRV, DS, CDS, DNSKEY, CDNSKEY, TLSA, CAA, RRSIG, NSEC, NSEC3, NSEC3PARAM),
// each field as ldns reads it (rr.c's descriptors), so that the bytes are
// ldns's. Other types, and the RFC 3597 form, go to ldns (the caller).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "baseline/zone_fields.h"
#include "baseline/zone_lexer.h"

namespace dnswatch {

// Where the rdata tokens come from: for "missing field" errors, the place
// just past the record's last token.
struct RdataEnd {
    int line = 0;
    int column = 0;
};

// True when the reader has a parser of its own for `type`.
bool has_rdata_parser(std::uint16_t type);

// Appends the wire rdata of `tokens` for a record of `type` (one for which
// has_rdata_parser() is true) to `out`. Relative names are completed with
// `origin` (nullptr: refused). Throws ZoneSyntaxError.
void parse_rdata(std::uint16_t type, std::span<const ZoneToken> tokens, const WireName* origin, RdataEnd end,
                 std::vector<std::uint8_t>& out);

}  // namespace dnswatch
