// A change of the baseline itself (schema dnswatch.change/1, DESIGN.md):
// what a watched zone's own data said of one (owner, type) before and after
// a zone transfer, a reloaded zone file or a feed entry. The registry's
// changes are born here, as SharedBaseline publishes each new snapshot,
// whatever brought them; publish/ numbers, stores, logs and sends them like
// alerts (topic change.<reversed labels>).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace dnswatch {

// zone_version: a version of watch.zones[].versions taking over at its
// packet time (replay of a capture against the zone's successive files).
enum class ChangeSource : std::uint8_t { axfr, ixfr, zone_file, feed, learned, zone_version };
// At the level of a domain: a child whose NS appears in (or leaves) its
// parent's data is created (deleted); every other change is an update.
enum class ChangeOp : std::uint8_t { create, remove, update };

const char* to_string(ChangeSource source);
const char* to_string(ChangeOp op);  // "create", "delete", "update"

struct BaselineChange {
    std::uint64_t seq = 0;      // set by the store (publish/)
    std::string sensor;         // set by the publishing side
    std::string zone;           // the closest watched zone, lower case, no trailing dot
    std::string name;           // owner, lower case, no trailing dot
    std::uint16_t type = 0;
    std::string rrtype;         // mnemonic
    ChangeOp op = ChangeOp::update;
    ChangeSource source = ChangeSource::zone_file;
    std::vector<std::string> before;  // presentation rdata, sorted; empty: the zone had none
    std::vector<std::string> after;   // likewise; empty: the zone has none now
    std::uint32_t ttl_before = 0;     // 0 when `before` is empty
    std::uint32_t ttl_after = 0;
    std::optional<std::uint32_t> serial_before;  // the zone's SOA serial, where it has one
    std::optional<std::uint32_t> serial_after;
    bool announced = false;     // the feed had announced every rdata it adds
    std::int64_t time_us = 0;   // when the sensor applied it (wall clock; packet time for zone_version)
    std::int64_t tlog_index = -1;  // set by the store when a transparency log is kept
};

// Where SharedBaseline hands each new snapshot's changes, on the thread
// that made the snapshot (a transfer, a reload, the feed): it must not block
// for long (a queue, not a socket).
using ChangeListener = std::function<void(std::vector<BaselineChange>)>;

struct DnsName;
struct WatchedZone;

// A change of this (owner, type) is a change of a delegation, whose
// appearance or disappearance is a create or a delete: NS below a watched
// apex, or the NS of a zone watched for its delegation alone.
bool is_delegation(const DnsName& owner, std::uint16_t type, const WatchedZone& zone);

}  // namespace dnswatch
