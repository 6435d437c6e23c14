// Saves the detector's open alerts so that a restarted sensor keeps them and
// reports their revert under the same id: DIR/open-alerts.jsonl, replaced
// atomically (write to a temporary file, fsync, rename).
#pragma once

#include <string>
#include <vector>

#include "detect/detector.h"

namespace dnswatch {

// One JSON line per open alert (key, signals, observed_forms in hex, the alert).
std::string open_alerts_text(const std::vector<OpenAlertState>& alerts);
void save_open_alerts(const std::string& path, const std::vector<OpenAlertState>& alerts);
// An absent file is an empty list; a malformed one throws std::runtime_error
// naming the file and line.
std::vector<OpenAlertState> load_open_alerts(const std::string& path);

}  // namespace dnswatch
