#include "detect/severity.h"

#include <algorithm>

#include "decode/dns_message.h"

namespace dnswatch {
namespace {

// The groups of corroborating signals; each raises severity one step,
// however many of its members the alert holds.
constexpr SignalSet kDnssecFailed = bit(Signal::rrsig_bogus) | bit(Signal::rrsig_unknown_key) |
                                    bit(Signal::rrsig_expired) | bit(Signal::rrsig_not_yet_valid) |
                                    bit(Signal::unsigned_answer);
constexpr SignalSet kRaisingGroups[] = {
    bit(Signal::delegation_changed),
    kDnssecFailed,
    bit(Signal::ns_address_matches_diverging_target),
    bit(Signal::conflicting_answers),
    bit(Signal::unexpected_server),
    bit(Signal::txid_mismatch_burst),
};

Severity raised(Severity weight, unsigned steps) {
    const unsigned level = std::min(static_cast<unsigned>(weight) + steps, static_cast<unsigned>(Severity::critical));
    return static_cast<Severity>(level);
}

}  // namespace

Severity record_weight(std::uint16_t rrtype, bool glue) {
    switch (rrtype) {
        case rrtype::NS: case rrtype::DS: case rrtype::DNSKEY: case rrtype::CDS: case rrtype::CDNSKEY:
            return Severity::high;
        case rrtype::A: case rrtype::AAAA:
            return glue ? Severity::high : Severity::medium;
        case rrtype::MX: case rrtype::TLSA: case rrtype::CNAME: case rrtype::DNAME: case rrtype::CAA:
        case rrtype::SVCB: case rrtype::HTTPS:
            return Severity::medium;
        default:
            return Severity::low;
    }
}

unsigned severity_raise(const SeverityEvidence& evidence) {
    unsigned steps = 0;
    for (const SignalSet group : kRaisingGroups) steps += (evidence.signals & group) != 0;
    // A DS proven absent is the DS removed; a DNSKEY proven absent, DNSSEC stripped.
    if (evidence.kind == "ds_removed") ++steps;
    if (evidence.kind == "dnssec_stripped" && (evidence.signals & kDnssecFailed) == 0) ++steps;
    if (evidence.vantages >= 2) ++steps;
    if ((evidence.signals & bit(Signal::short_lived)) != 0 && steps > 0) ++steps;
    return steps;
}

Severity severity_from_evidence(const SeverityEvidence& evidence) {
    if (evidence.kind == "resolver_not_validating") return Severity::low;
    if (evidence.kind == "spoofing_attempt") return Severity::high;
    return raised(record_weight(evidence.rrtype, evidence.glue), severity_raise(evidence));
}

Severity change_severity(std::string_view kind, const std::vector<std::string>& signals) {
    auto has = [&](std::string_view signal) { return std::find(signals.begin(), signals.end(), signal) != signals.end(); };
    if (has("locked")) return Severity::critical;
    if (kind == "short_lived_change") return Severity::high;
    const int strong = has("ns_provider_changed") + has("ds_removed") + has("ttl_lowered_before_change");
    return strong >= 2 ? Severity::high : strong == 1 ? Severity::medium : Severity::low;
}

}  // namespace dnswatch
