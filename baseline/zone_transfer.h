// Zone transfers from a zone's primary (watch.zones[].primary), over TCP
// with messages built and read by ldns: AXFR for the first copy, then IXFR
// (RFC 1995: our SOA in the authority section) for each refresh; with a
// TSIG key, every request signed and every answer checked (baseline/tsig.h). A primary
// that answers an IXFR with the whole zone (AXFR-style, as NSD does unless
// it keeps IXFR data) is taken as such; one that refuses IXFR gets an AXFR.
// Not on the packet path: run by the refresher's thread (baseline/zone_refresher.h).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "baseline/tsig.h"
#include "common/host_port.h"
#include "decode/ldns_glue.h"

namespace dnswatch {

class TransferError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A zone's primary: "192.0.2.1", "192.0.2.1:5353", "::1", "[::1]:5353"
// (parse_server_address; port 53 unless written).
using Primary = HostPort;

// One version of a zone: its SOA, and (after a whole-zone transfer, or for
// callers that keep one) its records, the SOA first. An incremental
// transfer needs only the SOA: the baseline holds the records.
struct ZoneVersion {
    std::uint32_t serial = 0;
    std::uint32_t refresh_s = 0;  // the SOA's refresh and retry fields
    std::uint32_t retry_s = 0;
    ZoneRecord soa;
    std::vector<ZoneRecord> records;

    // From records whose first (or any) record is the zone's SOA; nullopt without one.
    static std::optional<ZoneVersion> from_records(std::vector<ZoneRecord> records);
    // The version a SOA names, without its records.
    static std::optional<ZoneVersion> from_soa(ZoneRecord soa);
};

enum class TransferKind { axfr, ixfr, ixfr_full_zone, up_to_date };
const char* to_string(TransferKind kind);

struct TransferOutcome {
    TransferKind kind = TransferKind::axfr;
    // The zone after the transfer (unchanged when up to date): its records
    // after a whole-zone transfer, or when the version it started from held
    // them; only the SOA after an incremental one otherwise.
    ZoneVersion zone;
    // An incremental transfer's net changes (a record removed and added back
    // in later sequences is neither), the SOA aside.
    std::vector<ZoneRecord> removed;
    std::vector<ZoneRecord> added;
};

// Transfers `zone` ("victim.test") from `primary`: IXFR from `current` when
// there is one, AXFR otherwise (or when the primary refuses IXFR); signed
// with `key` when not null. Throws TransferError with the reason (an
// answer unsigned or wrongly signed among them).
TransferOutcome transfer_zone(const std::string& zone, const Primary& primary, const ZoneVersion* current,
                              int timeout_ms, const TsigKey* key = nullptr);

// The answer records of a whole IXFR response applied to `current` (RFC 1995
// section 4): one SOA = up to date; SOA then a non-SOA = the whole zone;
// otherwise sequences of (old SOA, deletions, new SOA, additions), whose net
// changes are returned in O(changes). When `current` holds its records, the
// deletions are checked against them and the new records are returned too.
// Throws TransferError when they do not fit `current`.
TransferOutcome apply_ixfr_answer(const std::vector<ZoneRecord>& answer, const ZoneVersion& current);

// A zone file ldns reads back (absolute names), replaced atomically.
void save_zone_file(const std::string& path, const std::vector<ZoneRecord>& records);

}  // namespace dnswatch
