// The threads that keep the sensor up to date rather than judge packets
// (reloads, zone transfers, the transparency feed, freeing retired baseline
// snapshots, the control thread's metrics and pruning) run at the lowest
// CPU priority (nice 19), each on its own: Linux keeps a nice value per
// thread. On a machine whose cores the packet path keeps busy, such a
// thread then runs only in the scheduler's shortest slices beside a worker
// (and at full speed on an idle core) instead of taking a worker's core for
// milliseconds: a reload of 1,000 changes at 1 M delegations is ~200 ms of
// CPU, and beside the reclaimer freeing the snapshot before it, three
// threads shared two cores (issue 13: a 4 ms stall of the packet path).
// A nice-19 thread still gets its share when every core is busy, so the
// baseline keeps up; only the order changes.
#pragma once

#include <string>

namespace dnswatch {

// Lowers the calling thread (threads it starts later inherit it). Returns
// "" or, when the kernel refused, why: the caller logs it (the thread then
// runs at the usual priority, which costs packet-path latency, not data).
std::string run_at_background_priority();

}  // namespace dnswatch
