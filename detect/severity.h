// How severe an alert is, from its evidence: the one table of docs/alerts.md
// ("Severity"). Every alert's severity is set here and nowhere else, so that
// an incident (the alerts of one hijack) can take its highest member's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "detect/alert.h"
#include "detect/signals.h"

namespace dnswatch {

// What an alert about a response is judged on.
struct SeverityEvidence {
    std::string_view kind;     // "rrset_divergence", "ds_removed", ...
    std::uint16_t rrtype = 0;  // the RRset's type
    bool glue = false;         // an address of one of the zone's (or its delegation's) name servers
    SignalSet signals = 0;     // every signal the alert holds so far
    std::size_t vantages = 1;  // servers that answer this RRset divergently, this one included
};

// The record's weight, before any signal: NS, DS, DNSKEY (CDS, CDNSKEY) and
// glue high; what points clients somewhere (A, AAAA, MX, TLSA, CNAME, DNAME,
// CAA, SVCB, HTTPS) medium; the rest low.
Severity record_weight(std::uint16_t rrtype, bool glue);

// How many steps the evidence raises the weight: one for each group of
// corroborating signals present (delegation changed; DS removed; DNSSEC
// bogus or stripped; self-hosted rogue NS; conflicting answers; unexpected
// server; spoofing burst), one for two or more vantages, and one for
// short_lived, which counts only beside another: a revert never raises
// severity by itself.
unsigned severity_raise(const SeverityEvidence& evidence);

// The alert's severity: fixed for the advisory kinds (resolver_not_validating
// low, spoofing_attempt high), else the weight raised by the evidence,
// capped at critical.
Severity severity_from_evidence(const SeverityEvidence& evidence);

// The severity of an alert about the baseline's own change
// (detect/change_watcher.h), from its kind and signal names: a registry
// lock broken is critical; a change undone within the window
// (short_lived_change) high; else two strong signals (ns_provider_changed,
// ds_removed, ttl_lowered_before_change) high, one medium, none low.
Severity change_severity(std::string_view kind, const std::vector<std::string>& signals);

// The higher of two: an alert's severity never drops over its life.
inline Severity max_severity(Severity a, Severity b) { return a < b ? b : a; }

}  // namespace dnswatch
