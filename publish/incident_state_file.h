// Keeps the correlator's incidents across a restart (like the open-alert
// file): DIR/incidents.jsonl, one incident a line with its members' latest
// records and its ties, replaced atomically.
#pragma once

#include <string>
#include <vector>

#include "detect/incident_correlator.h"

namespace dnswatch {

class IncidentStateFile : public IncidentStateKeeper {
public:
    IncidentStateFile(std::string path, bool fsync) : path_(std::move(path)), fsync_(fsync) {}
    void save(const std::vector<IncidentState>& incidents) override;
    // An absent file is none; a malformed one throws std::runtime_error
    // naming the file and line.
    std::vector<IncidentState> load() const;

private:
    std::string path_;
    bool fsync_;
};

}  // namespace dnswatch
