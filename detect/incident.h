// The value type of an incident, schema dnswatch.incident/1 (DESIGN.md): the
// alerts of one hijack grouped, so that a person is told once per hijack
// rather than once per record and vantage. Updates re-use the id with a new
// seq, as alerts do.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "detect/alert.h"

namespace dnswatch {

struct IncidentVantage {
    std::string role;    // as AlertVantage::role
    std::string server;
    friend auto operator<=>(const IncidentVantage&, const IncidentVantage&) = default;
};

struct Incident {
    std::string id;                // 16 hex digits, stable across updates
    std::uint64_t seq = 0;         // set by the store (or the numbering sink)
    std::string sensor;
    std::string zone;
    AlertState state = AlertState::open;     // the worst of its members: open, then reverted, then accepted
    Severity severity = Severity::low;       // the highest of its members
    std::string title;             // one line a person reads first
    std::int64_t first_seen_us = 0;
    std::int64_t last_seen_us = 0;
    std::vector<IncidentVantage> vantages;   // sorted, unique
    std::vector<std::string> members;        // alert ids, in the order they joined
    std::vector<std::string> signals;        // union of the members', sorted
    std::int64_t tlog_index = -1;  // position in the transparency log; -1 when not logged
};

// An incident as the correlator keeps it across a restart: the record, the
// latest record of each member (what the title is made from), and what ties
// new alerts to it.
struct IncidentState {
    Incident incident;
    std::vector<Alert> members;
    std::vector<std::string> ties;
};

}  // namespace dnswatch
