// DNSSEC signature checks with ldns (DESIGN: decode/ owns the ldns glue).
// Expensive — an ldns_rr per record, a public-key operation — so callers
// put them behind a cache (detect/dnssec_verifier.h), never on every packet.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "decode/dns_name.h"

namespace dnswatch {

// What the cryptography says about one RRSIG over one RRset; time is judged
// separately (rrsig_time_check) so that a cached verdict stays true at any
// packet time.
enum class SignatureCheck : std::uint8_t {
    valid,        // a trusted key with the RRSIG's tag and algorithm verifies it
    bogus,        // a key with that tag and algorithm exists, the signature does not verify
    unknown_key,  // no trusted key has the RRSIG's key tag and algorithm
    unsupported,  // an algorithm this build of ldns cannot check: no verdict
    malformed,    // rdata ldns cannot read as an RRSIG, or that does not cover the RRset
};

enum class SignatureTime : std::uint8_t { valid, expired, not_yet_valid };

// The fixed fields of RRSIG rdata (RFC 4034 section 3.1) the sensor reads
// without ldns. False when the rdata is too short to hold them.
struct RrsigFields {
    std::uint16_t type_covered = 0;
    std::uint8_t algorithm = 0;
    std::uint8_t labels = 0;
    std::uint32_t original_ttl = 0;
    std::uint32_t expiration = 0;  // seconds since the epoch, modulo 2^32
    std::uint32_t inception = 0;
    std::uint16_t key_tag = 0;
    std::span<const std::uint8_t> signer_wire;  // uncompressed (RFC 4034 3.1.7), as sent
};
bool read_rrsig_fields(std::span<const std::uint8_t> rdata, RrsigFields* out);

// Inception and expiration compared with `time_s` in RFC 1982 serial
// arithmetic (RFC 4034 3.1.5), as validators do: the 32-bit fields wrap in 2106.
SignatureTime rrsig_time_check(const RrsigFields& fields, std::int64_t time_s);

// The trusted keys of one zone, held as ldns records: built once from the
// baseline's DNSKEY rdata, used for every verification of the zone.
class TrustedKeys {
public:
    // `apex` owns the keys; each entry of `dnskey_rdata` is one DNSKEY's
    // rdata. Keys ldns cannot read are skipped (and counted in `skipped()`).
    TrustedKeys(const DnsName& apex, const std::vector<std::string_view>& dnskey_rdata);
    ~TrustedKeys();
    TrustedKeys(const TrustedKeys&) = delete;
    TrustedKeys& operator=(const TrustedKeys&) = delete;

    std::size_t size() const;
    std::size_t skipped() const { return skipped_; }

    // Verifies `rrsig_rdata` over the RRset (owner, type, class IN, one
    // canonical rdata per record). The time fields are not judged here.
    SignatureCheck verify(const DnsName& owner, std::uint16_t type,
                          const std::vector<std::span<const std::uint8_t>>& rdatas,
                          std::span<const std::uint8_t> rrsig_rdata) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::size_t skipped_ = 0;
};

}  // namespace dnswatch
