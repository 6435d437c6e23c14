// watch.zones[].versions: a zone's successive zone files, each taking over
// at a packet time. With it `dnswatch replay` re-judges a capture against
// the zone of each moment (a registry's day of zone files, say): when the
// packet clock reaches a version's time, the version goes into the
// SharedBaseline as a reload's or a transfer's content does, so the same
// diff makes the change records (source zone_version, time = that packet
// time), the same judgement (detect/change_watcher.h) sees them, and the
// next packet is judged against the new snapshot. Packets that match the
// zone of their moment never diverge; only the change feed can tell that the
// zone itself changed (the registrar-account hijacks of 2017-2019).
//
// `dnswatch run` refuses the key: its baseline follows the live zone (a
// reloaded file, NOTIFY + IXFR) on the wall clock, and a second timeline in
// packet time would fight it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "baseline/shared_baseline.h"
#include "config/config.h"
#include "decode/ldns_glue.h"

namespace dnswatch {

// Why `dnswatch run` refuses this config ("watch.zones[1].versions: ..."),
// or "" when no zone has versions.
std::string zone_versions_refused_by_run(const Config& config);

class ZoneVersionTimeline {
public:
    // Reads every version's zone file now, so that a bad one stops the
    // command before the first packet. Throws ZoneFileError
    // ("file:line:col: reason").
    explicit ZoneVersionTimeline(const Config& config);

    bool empty() const { return versions_.empty(); }
    std::size_t size() const { return versions_.size(); }
    std::size_t applied() const { return next_; }
    // The time of the next version not applied yet; the largest time when none is left.
    std::int64_t next_us() const {
        return next_ < versions_.size() ? versions_[next_].from_us : std::numeric_limits<std::int64_t>::max();
    }
    // Applies every version whose time is at or before `now_us` (a packet's
    // time), oldest first; each at its own time. Returns how many.
    std::size_t apply_due(std::int64_t now_us, SharedBaseline& baseline);

private:
    struct Version {
        std::int64_t from_us;
        std::string zone;
        std::vector<ZoneRecord> records;
    };
    std::vector<Version> versions_;  // by time; for one time, in the config's zone order
    std::size_t next_ = 0;
};

}  // namespace dnswatch
