// Canonical rdata (RFC 4034 section 6.2): the form in which two rdata that
// differ only by name case or compression compare equal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "decode/decode_counters.h"

namespace dnswatch {

// Appends the canonical form of the rdata at [rdata_offset, +rdata_length) of
// `message` to `out`: names embedded in the rdata (NS, CNAME, SOA, MX, SRV,
// RRSIG signer, ...) decompressed and lower-cased, everything else copied.
// Fixed-size types (A, AAAA) are length-checked. For rdata outside a message
// (zone files), pass the rdata itself as `message` with offset 0. On error
// `out` is left as it was and dns_bad_rdata (or a name error) is returned.
MalformedKind append_canonical_rdata(std::span<const std::uint8_t> message, std::uint16_t type,
                                     std::size_t rdata_offset, std::size_t rdata_length,
                                     std::vector<std::uint8_t>& out);

}  // namespace dnswatch
