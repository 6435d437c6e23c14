// The zones this sensor watches, matched by suffix on label boundaries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "decode/dns_name.h"

namespace dnswatch {

// Heterogeneous hashing so that maps keyed by std::string are searched with a
// std::string_view built on the stack: no allocation per lookup.
struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

struct WatchedZone {
    DnsName name;
    std::string text;   // lower case, no trailing dot
    std::size_t index;  // position in the watch set
    // Watched for its delegation alone (watch.zones_file): its baseline is
    // the parent's NS, DS and glue, so a name below the apex that the
    // baseline does not hold says nothing about it.
    bool delegation_only = false;
};

class WatchSet {
public:
    // Throws std::invalid_argument for a name that is not a DNS name or is
    // already watched.
    const WatchedZone& add(std::string_view zone_name, bool delegation_only = false);

    // The closest watched zone at or above `name`; nullptr when unwatched,
    // or when that zone belongs to another part (see part()).
    const WatchedZone* find(const DnsName& name) const;

    // The watched zone named `zone_text` itself (not one above it), or nullptr.
    const WatchedZone* find_zone(std::string_view zone_text) const;

    // A pipeline shard's part of the watch list: a view of the same list
    // (shared, not copied) whose find() answers only for what this part
    // owns, and returns nullptr where the closest watched zone is another
    // part's (a name in mail.victim.test, watched on another shard, is not
    // victim.test's even if this part owns victim.test). `owned` flags the
    // zones this part holds (by index). A zone flagged in `split` (a TLD's,
    // with its delegations) is spread over all `shard_count` parts: names
    // below its apex belong to shard child_shard(name, zone, shard_count),
    // the apex to the part that owns the zone. zones() and the indexes stay
    // those of the whole list, so per-zone state sized by zones() needs no
    // mapping.
    WatchSet part(std::vector<std::uint8_t> owned, std::shared_ptr<const std::vector<std::uint8_t>> split = {},
                  std::size_t shard = 0, std::size_t shard_count = 1) const;
    bool owns(const WatchedZone& zone) const { return owned_.empty() || owned_[zone.index] != 0; }
    // The shard that judges `name` (strictly below `zone`'s apex) in a
    // split zone: by a hash of the child zone it lies in (one label below
    // the apex), so that a delegation's NS, DS, glue and the questions about
    // it all meet on one shard.
    static std::size_t child_shard(const DnsName& name, const WatchedZone& zone, std::size_t shard_count);

    const std::vector<WatchedZone>& zones() const { return core_->zones; }
    bool empty() const { return core_->zones.empty(); }

private:
    // Every message's question is looked up here, and most of them (90% in
    // scripts/bench-replay) are about unwatched zones and end here. So:
    //  1. The name's last 8 bytes (its top labels and the root) are those
    //     of every zone of 8 bytes or more it could be under: they are
    //     looked up in a 1024-bit filter of the zones' last 8 bytes. One
    //     load from the name's end settles most unwatched names, where the
    //     steps below form a dependent chain (label walk, hash, probe) of
    //     ~8 ns a name, 7% of replay (replay went 5% faster).
    //  2. One walk over the labels, skipping at once those no zone is long
    //     enough to need; for each candidate suffix, only if some zone has
    //     that many labels, a hash taken a word at a time (the last word
    //     masked, never assembled byte by byte) and a probe of an open
    //     addressing table of (hash, zone index); bytes are compared only
    //     on a hash match.
    // (A std::unordered_map<std::string> spent ~14% of replay in murmur
    // hashing, bucket walking and memcmp; hashing each candidate suffix
    // after a walk from the first label, its tail byte by byte, ~11%.)
    struct Slot {
        std::uint64_t hash = 0;
        std::uint32_t zone_plus_one = 0;  // 0: empty
    };
    static constexpr std::size_t kTailFilterBits = 1024;
    static std::size_t tail_bit(const DnsName& name);  // needs name.length >= 8
    bool tail_may_match(const DnsName& name) const;
    // The hash of the wire bytes [at, name.length) of `name`: a suffix.
    static std::uint64_t hash_suffix(const DnsName& name, std::size_t at);
    // The zone whose wire form is `key`, hashed `hash`; nullptr if none.
    const WatchedZone* probe(std::uint64_t hash, std::string_view key) const;
    bool has_label_count(unsigned labels) const { return (core_->label_counts[labels / 64] >> (labels % 64)) & 1; }
    // Whether this part judges `name`, whose closest watched zone is `zone`.
    bool judges(const WatchedZone& zone, const DnsName& name) const;

    // The list itself, shared by the parts cut from it; written only while
    // the list is built (add() copies it first if a part shares it).
    struct Core {
        std::vector<WatchedZone> zones;
        std::vector<Slot> table;  // power-of-two size, at most half full (a quarter after a rebuild)
        std::uint64_t label_counts[2] = {0, 0};  // bit n: some zone has n labels (a name has at most 127)
        std::uint64_t tail_filter[kTailFilterBits / 64] = {};
        bool short_zone = false;  // a zone's wire form is under 8 bytes: the filter cannot speak for it
        unsigned min_labels = 255;
        unsigned max_labels = 0;

        void insert(const WatchedZone& zone);
        void rebuild_table();
    };
    Core& writable_core();

    std::shared_ptr<Core> core_ = std::make_shared<Core>();
    std::vector<std::uint8_t> owned_;  // by zone index; empty: the whole list
    std::shared_ptr<const std::vector<std::uint8_t>> split_;  // by zone index; null: none split
    std::uint32_t shard_ = 0;
    std::uint32_t shard_count_ = 1;
};

}  // namespace dnswatch
