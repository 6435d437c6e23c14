// Where alerts go. detect/ emits through this interface and never learns
// whether an alert became a JSON line, a ZeroMQ message, or both. Changes of
// the baseline itself (baseline/baseline_change.h) take the same path after
// the detectors: numbered, stored and logged with the alerts; so do incidents.
#pragma once

#include "baseline/baseline_change.h"
#include "detect/alert.h"
#include "detect/incident.h"

namespace dnswatch {

class AlertSink {
public:
    virtual ~AlertSink() = default;
    virtual void publish(const Alert& alert) = 0;
    // A sink that has no use for changes (a file of alert lines) ignores them.
    virtual void publish_change(const BaselineChange& /*change*/) {}
    // Incidents (detect/incident_correlator.h) likewise: a sink that only
    // wants alerts ignores them.
    virtual void publish_incident(const Incident& /*incident*/) {}
    virtual void flush() {}
};

}  // namespace dnswatch
