// The incident correlator's state rebuilt from the durable store, as the
// open alerts are (publish/alert_store.h): the last record of each
// incident, the last record of each of its members, and the latest change
// records the correlator ties wire alerts to. A second state file beside
// the store (incidents.jsonl, before) could lag behind it after a crash and
// had to be written on every change; the store already holds every record.
//
// Bounded like the correlator: the `max_incidents` incidents touched last
// (by an incident record or one of its members' records) and the last
// `max_changes` change records. Incidents whose records were pruned past
// the retention are not rebuilt.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "baseline/baseline_change.h"
#include "detect/incident.h"

namespace dnswatch {

class IncidentRebuild {
public:
    explicit IncidentRebuild(std::size_t max_incidents = 10000, std::size_t max_changes = 10000);

    // One record of the store, in seq order (alert, change or incident);
    // records it cannot read are left out: the store has already checked
    // each line's CRC, and the correlator starts without what it lacks.
    void fold(const nlohmann::json& record);

    // What IncidentCorrelator::import_state takes: the incidents, the one
    // touched least recently first, each with its members' last records
    // (their ties are the correlator's to compute); and the change records,
    // oldest first.
    std::vector<IncidentState> incidents() const;
    std::vector<BaselineChange> changes() const;

private:
    struct Rebuilt {
        Incident incident;                               // its last record; id only until one is read
        std::vector<Alert> members;                      // in the order they joined
        std::unordered_map<std::string, std::size_t> member_at;  // alert id -> index in members
        bool has_record = false;
    };
    Rebuilt& touch(const std::string& incident_id);

    std::size_t max_incidents_;
    std::size_t max_changes_;
    std::list<Rebuilt> order_;  // least recently touched first
    std::unordered_map<std::string, std::list<Rebuilt>::iterator> by_id_;
    std::vector<BaselineChange> changes_;  // a ring of max_changes_, oldest at changes_next_ once full
    std::size_t changes_next_ = 0;
};

}  // namespace dnswatch
