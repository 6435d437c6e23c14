// An immutable table of baseline RRsets built for registry scale: tens of
// millions of RRsets in a few bytes each beyond their rdata.
//
// Owner nodes lie end to end in one arena; an open-addressing index finds a
// node by hash_name() of its owner, the hash the decoder already computes
// for every record as it walks a message (RecordView::owner_hash), so that
// a lookup hashes nothing. No per-record heap object, no std::string key, no
// presentation text: that is made from the rdata when an alert is written.
//
// A node, 4-byte aligned:
//   u8 owner length | u8 RRset count | u8 flags | u8 label count
//   | owner wire bytes (lower case) | RRsets, by type (rrset_pool.h)
// An index slot (u64): the owner's 32-bit hash in the high half, the node's
// offset / 4 + 1 in the low half (0: empty). At most 5/8 of the slots are
// used, so that a miss stops after a probe or two.
//
// A node with no RRset is a tombstone: in an overlay table (a snapshot's
// recent changes, baseline/baseline.h) it hides the base table's node.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

#include "baseline/rrset_pool.h"
#include "common/large_page_allocator.h"
#include "common/prefetch.h"
#include "decode/dns_name.h"

namespace dnswatch {

// The bytes of a table's arena (and of what stages it): hundreds of MB for
// a TLD, on huge pages (common/large_page_allocator.h).
using TableBytes = std::vector<std::uint8_t, LargePageAllocator<std::uint8_t>>;

namespace node_layout {

inline constexpr std::size_t kHeader = 4;
inline constexpr std::uint8_t kHasNs = 1;  // an NS RRset: a delegation point, unless it is a watched apex

inline std::uint8_t owner_length(const std::uint8_t* node) { return node[0]; }
inline std::uint8_t rrset_count(const std::uint8_t* node) { return node[1]; }
inline std::uint8_t flags(const std::uint8_t* node) { return node[2]; }
inline std::span<const std::uint8_t> owner(const std::uint8_t* node) { return {node + kHeader, node[0]}; }
inline const std::uint8_t* rrsets(const std::uint8_t* node) { return node + kHeader + node[0]; }
// The byte after the node's last RRset.
const std::uint8_t* end(const std::uint8_t* node);
// The RRsets of `type` in `node`: [first, last), empty when none.
void rrsets_of(const std::uint8_t* node, std::uint16_t type, const std::uint8_t** first, const std::uint8_t** last);
// A node of `owner` holding `rrsets` (each laid out as rrset_pool.h says,
// sorted by type), appended to `out` at a 4-byte boundary; returns its offset.
std::size_t append(TableBytes& out, std::span<const std::uint8_t> owner, std::uint8_t label_count,
                   std::span<const std::span<const std::uint8_t>> rrsets);

}  // namespace node_layout

class BaselineTable {
public:
    BaselineTable() = default;
    BaselineTable(const BaselineTable&) = delete;
    BaselineTable& operator=(const BaselineTable&) = delete;
    BaselineTable(BaselineTable&&) = default;
    BaselineTable& operator=(BaselineTable&&) = default;

    // Indexes the nodes laid out in `arena` (node_layout::append).
    explicit BaselineTable(TableBytes arena);

    // The node of `owner` (`hash`: hash_name(owner)), or nullptr.
    const std::uint8_t* find(std::span<const std::uint8_t> owner, std::uint32_t hash) const {
        if (nodes_ == 0) return nullptr;
        for (std::size_t slot = hash & mask_;; slot = (slot + 1) & mask_) {
            const std::uint64_t entry = index_[slot];
            if (entry == 0) return nullptr;
            if (static_cast<std::uint32_t>(entry >> 32) != hash) continue;
            const std::uint8_t* node = node_at(entry);
            if (node[0] == owner.size() && bytes_equal(node + node_layout::kHeader, owner.data(), owner.size())) {
                return node;
            }
        }
    }
    // Calls f(node) for every node whose owner's hash is `hash`.
    template <typename F>
    void for_each_node_with_hash(std::uint32_t hash, F&& f) const {
        if (nodes_ == 0) return;
        for (std::size_t slot = hash & mask_;; slot = (slot + 1) & mask_) {
            const std::uint64_t entry = index_[slot];
            if (entry == 0) return;
            if (static_cast<std::uint32_t>(entry >> 32) != hash) continue;
            f(node_at(entry));
        }
    }
    // Brings the index slot of `hash` towards the cache, for a lookup soon.
    void prefetch(std::uint32_t hash) const {
        if (nodes_ != 0) prefetch_line(&index_[hash & mask_]);
    }
    // Brings the node of `hash` towards the cache: its first two lines, where
    // the owner and the first RRsets lie. The index slots should be there
    // by now (prefetch() a while before); the probe stops at the end of
    // that line, as slots beyond it would be misses of their own.
    void prefetch_node(std::uint32_t hash) const {
        if (nodes_ == 0) return;
        for (std::size_t slot = hash & mask_;; slot = (slot + 1) & mask_) {
            const std::uint64_t entry = index_[slot];
            if (entry == 0) return;
            if (static_cast<std::uint32_t>(entry >> 32) == hash) {
                const std::uint8_t* node = node_at(entry);
                prefetch_line(node);
                prefetch_line(node + 64);
                return;
            }
            if ((slot + 1) % kSlotsPerLine == 0) return;
        }
    }

    // True when some node's owner lies below the name of `hash`
    // (hash_name()): the name exists, as an empty non-terminal at least
    // (RFC 4592). A hash collision says "exists" wrongly, which only keeps
    // a wildcard from covering a name: a divergence is then reported, never
    // hidden.
    bool has_below(std::uint32_t hash) const { return std::binary_search(interior_.begin(), interior_.end(), hash); }

    std::size_t node_count() const { return nodes_; }
    // (owner, type, source) RRsets.
    std::size_t rrset_count() const { return rrsets_; }
    // What the table holds in memory: arena and index (the arena's capacity
    // beyond its size is mapped but never touched, so never resident).
    std::size_t memory_bytes() const { return arena_.size() + index_.capacity() * sizeof(std::uint64_t); }
    bool empty() const { return nodes_ == 0; }

    // Calls f(node) for every node, in arena order.
    template <typename F>
    void for_each_node(F&& f) const {
        for (std::size_t at = 0; at < arena_.size();) {
            const std::uint8_t* node = arena_.data() + at;
            f(node);
            at = static_cast<std::size_t>(node_layout::end(node) - arena_.data());
            at = (at + 3) & ~std::size_t{3};
        }
    }

private:
    static constexpr std::size_t kSlotsPerLine = 64 / sizeof(std::uint64_t);
    // The node an index entry names: its low 32 bits are the node's offset
    // in 4-byte units, plus one (0 is an empty slot).
    const std::uint8_t* node_at(std::uint64_t entry) const {
        return arena_.data() + (static_cast<std::size_t>(static_cast<std::uint32_t>(entry)) - 1) * 4;
    }
    TableBytes arena_;
    std::vector<std::uint64_t, LargePageAllocator<std::uint64_t>> index_;
    std::size_t mask_ = 0;
    std::vector<std::uint32_t> interior_;  // hash_name() of every proper ancestor of an owner, sorted
    std::size_t nodes_ = 0;
    std::size_t rrsets_ = 0;
};

// Collects records in any order and from any source, and builds the table:
// records of one owner become one node; those of one (type, source) one
// RRset, their rdata sorted and unique, their TTL the largest given.
// Staging costs about 30 bytes a record beyond its rdata, until build().
//
// Records are staged in 16 buckets by the top bits of their owner's hash,
// the order the arena is laid out in: build() turns one bucket into nodes
// and frees it before the next, so staging and the arena it becomes never
// both hold a whole TLD (at 10 M delegations they are ~2 GB each), and no
// single staging array doubles from GBs to more GBs while it is filled.
// Few buckets, so that each soon outgrows malloc's sizes and lies on huge
// pages (common/large_page_allocator.h): with 256, a 1 M-delegation
// bucket was ~1 MB of 4 KiB pages, and start-up took 5 s instead of 3.
class BaselineTableBuilder {
public:
    BaselineTableBuilder();
    void add(const DnsName& owner, std::uint16_t type, std::uint32_t ttl, SourceId source,
             std::span<const std::uint8_t> canonical_rdata);
    // Every RRset of `node` (a node of another table), as records.
    void add_node(const std::uint8_t* node, std::uint32_t hash);
    std::size_t records() const;
    BaselineTable build();

private:
    static constexpr unsigned kBucketBits = 4;
    struct Ref {
        std::uint32_t hash;
        std::uint32_t type;
        std::uint32_t offset;  // in its bucket's staging
    };
    // Each record: u8 owner length | owner | u8 labels | u16 type | u32 ttl |
    // u32 source | u16 rdata length | rdata
    struct Bucket {
        TableBytes staging;
        std::vector<Ref, LargePageAllocator<Ref>> refs;
    };
    void stage(std::uint32_t hash, std::span<const std::uint8_t> owner, std::uint8_t labels, std::uint16_t type,
               std::uint32_t ttl, SourceId source, std::span<const std::uint8_t> rdata);
    // The nodes of one bucket's records, appended to `arena` in hash order.
    static void append_nodes(Bucket& bucket, TableBytes& arena);

    std::vector<Bucket> buckets_;  // by hash >> (32 - kBucketBits)
};

}  // namespace dnswatch
