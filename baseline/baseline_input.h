// What a baseline is built from, on its way into a table: records from zone
// files and transfers (each tagged with its source), and the changes the
// transparency feed announced. Records outside the watched zones are
// dropped as they come, so that a parent's whole zone file costs only the
// delegations it holds for watched names.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "baseline/baseline.h"
#include "baseline/baseline_table.h"
#include "baseline/watch_set.h"
#include "decode/ldns_glue.h"

namespace dnswatch {

// A change the registry's transparency feed announced (baseline/transparency_feed.h):
// the new RRset, legitimate from `effective_us` on; or, with no records,
// the RRset's removal (`rdata: []`, e.g. a DS withdrawn with a move to a
// provider that does not sign).
struct Announcement {
    std::vector<ZoneRecord> records;  // the new RRset; empty for a removal
    std::int64_t effective_us = 0;
    DnsName owner;                    // what the entry is about, also for a removal
    std::uint16_t type = 0;
    bool removal() const { return records.empty(); }
};

// The announcement as what the baseline keeps of it, each rdata canonical:
// calls f(owner, type, AnnouncedRdata) once per rdata, or once for a
// removal; skips what lies in no watched zone.
void for_each_announced(const Announcement& announcement, const WatchSet& watch,
                        const std::function<void(const DnsName&, std::uint16_t, AnnouncedRdata)>& f);

// The sources of RRsets, by name, so that one source's later change
// (a transfer, a reloaded file) replaces only what that source said.
// Interned for the life of the process: an id always means one source.
SourceId zone_file_source(std::string_view zone);    // watch.zones[].zone_file of `zone`
SourceId transfer_source(std::string_view zone);     // the transfers of `zone` from its primary
SourceId other_files_source();                       // baseline.zone_files, together
// The zone a transfer source is for ("" for another kind of source).
std::string transfer_zone_of(SourceId source);

class BaselineInput {
public:
    explicit BaselineInput(const WatchSet& watch) : watch_(&watch) {}

    // One record as ldns or the zone reader gives it (rdata in wire form,
    // made canonical here); false when it lies in no watched zone or its
    // rdata does not parse as its type.
    bool add(const DnsName& owner, std::uint16_t type, std::uint32_t ttl, std::span<const std::uint8_t> rdata,
             SourceId source);
    std::size_t add(std::span<const ZoneRecord> records, SourceId source);
    // Every RRset of `rrset` (rrset_pool.h layout) of `owner`, as it is.
    void add_rrset(const DnsName& owner, const std::uint8_t* rrset);
    void announce(const Announcement& announcement);

    std::size_t records() const { return table_.records(); }
    const WatchSet& watch() const { return *watch_; }
    // The same watch list, another copy of it (the one the input's
    // baseline will be published with).
    void rebind(const WatchSet& watch) { watch_ = &watch; }
    Baseline build();

private:
    const WatchSet* watch_;
    BaselineTableBuilder table_;
    std::vector<Announcement> announcements_;
    std::vector<std::uint8_t> canonical_;
};

// Everything a baseline is built from, as record lists: what tests and
// small tools hand over. (The config's files are streamed into a
// BaselineInput instead: baseline/sources.h.)
struct BaselineSources {
    std::vector<std::vector<ZoneRecord>> zone_files;            // by watched zone index: watch.zones[].zone_file
    std::map<std::string, std::vector<ZoneRecord>> transferred;  // by watched zone name: its last zone transfer
    std::vector<ZoneRecord> other_records;                      // baseline.zone_files (a parent's: delegation, glue, DS)
    std::vector<Announcement> announcements;

    explicit BaselineSources(std::size_t zones = 0) : zone_files(zones) {}
    // A zone's file and its transfer both count: the pool is their union.
    void add_to(BaselineInput& input) const;
    Baseline build(const WatchSet& watch) const;
};

}  // namespace dnswatch
