// The rdata the baseline allows for one (owner, type): a view into a
// baseline table's arena (baseline/baseline_table.h) or a learner's entry,
// valid while the snapshot (or learner) that holds it is. Nothing is copied
// to look at it: the detector compares an answer's rdata with the bytes
// where they lie.
//
// The bytes of an RRset, as the arena lays them out (little endian, no
// alignment; read with memcpy):
//
//   u16 type | u16 item count | u32 ttl | u32 source | items...
//   item: u16 rdata length | rdata (canonical wire form, RFC 4034 6.2)
//
// An owner may hold several RRsets of one type, one per source that says
// so (a zone file and the zone's transfers, say); they lie next to each
// other and the pool is their union.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "decode/bytes_equal.h"

namespace dnswatch {

// Where an RRset of the baseline came from, so that a change from one
// source (a transfer, a reloaded file) leaves what the others say.
using SourceId = std::uint32_t;

namespace rrset_layout {

inline constexpr std::size_t kHeader = 12;
inline constexpr std::size_t kItemHeader = 2;

inline std::uint16_t load16(const std::uint8_t* p) {
    std::uint16_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
inline std::uint32_t load32(const std::uint8_t* p) {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
inline void store16(std::uint8_t* p, std::uint16_t v) { std::memcpy(p, &v, sizeof v); }
inline void store32(std::uint8_t* p, std::uint32_t v) { std::memcpy(p, &v, sizeof v); }

inline std::uint16_t type(const std::uint8_t* rrset) { return load16(rrset); }
inline std::uint16_t item_count(const std::uint8_t* rrset) { return load16(rrset + 2); }
inline std::uint32_t ttl(const std::uint8_t* rrset) { return load32(rrset + 4); }
inline SourceId source(const std::uint8_t* rrset) { return load32(rrset + 8); }

// The byte after the RRset that starts at `rrset`.
inline const std::uint8_t* end(const std::uint8_t* rrset) {
    const std::uint8_t* p = rrset + kHeader;
    for (std::uint16_t i = item_count(rrset); i > 0; --i) p += kItemHeader + load16(p);
    return p;
}

// Appends an RRset to `out`.
void append(std::vector<std::uint8_t>& out, std::uint16_t type, std::uint32_t ttl, SourceId source,
            const std::vector<std::span<const std::uint8_t>>& items);

}  // namespace rrset_layout

// Fields whose change never diverges are left out of the comparison: the
// SOA serial (the 4 bytes after the two names, 20 bytes from the end).
bool same_comparison_form(std::uint16_t type, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

// Turns canonical rdata, in place, into the form the detector compares
// (the SOA serial zeroed).
void to_comparison_form(std::uint16_t type, std::span<std::uint8_t> canonical_rdata);

// A change announced by the registry's transparency feed: legitimate from
// `effective_us` on; or its removal (`removal`, no rdata), which allows no packet.
struct AnnouncedRdata {
    std::vector<std::uint8_t> rdata;  // canonical
    std::int64_t effective_us = 0;
    bool removal = false;             // `"rdata": []`: the RRset goes; `rdata` is empty
};

class RRsetPool {
public:
    RRsetPool() = default;
    // `first` .. `last` (exclusive): adjacent RRsets of `type`.
    RRsetPool(std::uint16_t type, const std::uint8_t* first, const std::uint8_t* last,
              const std::vector<AnnouncedRdata>* announced)
        : type_(type), first_(first), last_(last), announced_(announced) {}

    // False when the baseline says nothing of this (owner, type).
    explicit operator bool() const { return first_ != last_ || announced_ != nullptr; }
    // The zone's own rdata (not only announcements).
    bool has_rdata() const;
    std::size_t rdata_count() const;
    // The largest TTL the sources give it.
    std::uint32_t ttl() const;

    // `form` (a comparison form, decode order) is one of the zone's rdata.
    bool contains(std::span<const std::uint8_t> form) const;
    // In the pool, or announced and in effect at `time_us`; `*by_announcement`
    // is set when only the announcement allows it.
    bool allows(std::span<const std::uint8_t> form, std::int64_t time_us, bool* by_announcement) const;

    // True when the feed announced the RRset's removal, in effect at `time_us`.
    bool removal_announced(std::int64_t time_us) const;

    // Calls f(span<const uint8_t>) for each rdata of the zone, then, with
    // `with_announced`, for each announced one in effect at `at_us`
    // (announced data counts from its effective time, not before).
    template <typename F>
    void for_each_rdata(F&& f, bool with_announced = false,
                        std::int64_t at_us = std::numeric_limits<std::int64_t>::max()) const {
        for (const std::uint8_t* rrset = first_; rrset != last_;) {
            const std::uint8_t* p = rrset + rrset_layout::kHeader;
            for (std::uint16_t i = rrset_layout::item_count(rrset); i > 0; --i) {
                const std::uint16_t length = rrset_layout::load16(p);
                f(std::span<const std::uint8_t>(p + rrset_layout::kItemHeader, length));
                p += rrset_layout::kItemHeader + length;
            }
            rrset = p;
        }
        if (with_announced && announced_ != nullptr) {
            for (const AnnouncedRdata& a : *announced_) {
                if (!a.removal && a.effective_us <= at_us) f(std::span<const std::uint8_t>(a.rdata));
            }
        }
    }
    std::size_t announced_count() const { return announced_ != nullptr ? announced_->size() : 0; }
    // The announced rdata (removals aside) in effect at `time_us`.
    std::size_t announced_in_effect(std::int64_t time_us) const;

    // The zone's rdata in presentation format, sorted and unique: what an
    // alert's `baseline` lists. Made only when an alert is written.
    std::vector<std::string> presentation() const;
    std::uint16_t type() const { return type_; }

    // Equal for views of the same bytes (a cache key for what is built
    // from a pool, e.g. DNSSEC keys).
    const void* identity() const { return first_ != last_ ? static_cast<const void*>(first_) : announced_; }

private:
    std::uint16_t type_ = 0;
    const std::uint8_t* first_ = nullptr;
    const std::uint8_t* last_ = nullptr;
    const std::vector<AnnouncedRdata>* announced_ = nullptr;
};

}  // namespace dnswatch
