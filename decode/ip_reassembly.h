// IPv4 and IPv6 fragment reassembly, bounded: a fixed number of datagrams in
// flight, their bytes in a shared BlockPool, 65535 bytes per datagram, a
// timeout driven by packet time. Overlaps follow the stricter reading of each
// family: IPv6 drops the datagram on any overlap (RFC 5722); IPv4 accepts
// overlaps that repeat the same bytes and drops the datagram when they
// disagree, since the disagreement is how fragment-overlap evasion works.
// Exact duplicates (a fragment sent twice) are ignored in both.
//
// For the evidence of an alert, each datagram keeps the captured frames of
// its fragments but the last (decode/carrier_frames.h) in the same pool, at
// most kMaxCarrierBytes; a frame refused is counted (frag_carrier_dropped).
// The completed datagram hands them out; the frame that completed it is
// the packet being decoded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "capture/packet.h"
#include "decode/decode_counters.h"
#include "decode/dns_datagram.h"
#include "decode/reassembly_buffer.h"

namespace dnswatch {

struct FragmentKey {
    IpAddress src;
    IpAddress dst;
    std::uint32_t id = 0;        // IPv4: 16 bits; IPv6: 32 bits
    std::uint8_t protocol = 0;   // IPv4 protocol (part of the key); 0 for IPv6
    friend bool operator==(const FragmentKey&, const FragmentKey&) = default;
};

struct Fragment {
    std::uint32_t offset = 0;           // bytes from the start of the fragmentable part
    bool more = false;                  // the M / MF flag
    std::uint8_t next_header = 0;       // the upper protocol this fragment names
    std::span<const std::uint8_t> bytes;
};

enum class FragmentVerdict : std::uint8_t { held, complete, malformed };

class IpReassembler {
public:
    static constexpr std::size_t kMaxPieces = 64;  // fragments per datagram
    static constexpr std::size_t kMaxDatagram = 65535;
    static constexpr std::size_t kMaxCarrierBytes = 2 * kMaxDatagram;  // a datagram's fragments with their headers

    IpReassembler(BlockPool& pool, std::size_t max_datagrams, std::int64_t timeout_us,
                  DecodeCounters& counters);

    // Where a fragment came from, and where the frames of the others go.
    struct Carriers {
        const PacketView* frame = nullptr;  // the frame that holds this fragment
        std::span<std::uint8_t> scratch;     // at least kMaxCarrierBytes
        std::span<const std::uint8_t> out;   // on `complete`: the other fragments' frames
    };

    // Adds one fragment. On `complete`, `payload` holds the reassembled
    // fragmentable part (copied into `scratch`, at least kMaxDatagram bytes)
    // and `next_header` its protocol. On `malformed`, `why` says which kind.
    // With `carriers`, the fragments' frames are kept for the evidence.
    FragmentVerdict add(const FragmentKey& key, const Fragment& fragment, std::int64_t now_us,
                        std::span<std::uint8_t> scratch, std::span<const std::uint8_t>& payload,
                        std::uint8_t& next_header, MalformedKind& why, Carriers* carriers = nullptr);

    // Drops datagrams whose first fragment is older than the timeout.
    void expire(std::int64_t now_us) {
        while (oldest_ != kNil && slots_[oldest_].first_seen_us + timeout_us_ < now_us) {
            counters_.count(ReassemblyEvent::frag_timeout);
            drop(oldest_);
        }
    }
    // Drops everything in flight (end of input), counted as timeouts.
    void clear();
    // Gives back the blocks of the oldest datagram; false when none is held.
    bool evict_oldest();

    std::size_t in_flight() const { return in_flight_; }

private:
    static constexpr std::uint32_t kNil = 0xffffffffu;

    struct Piece {
        std::uint32_t offset = 0;
        std::uint32_t length = 0;
        ByteChain bytes;
    };
    struct Datagram {
        bool used = false;
        bool have_first = false;
        bool have_last = false;
        std::uint8_t next_header = 0;
        std::uint8_t piece_count = 0;
        std::uint32_t total = 0;  // payload length, known once the last fragment came
        std::int64_t first_seen_us = 0;
        std::uint32_t older = kNil, newer = kNil;  // age list: timeouts count from the first fragment
        FragmentKey key;
        ByteChain carriers;  // the frames of the fragments so far
        std::uint32_t carrier_frames = 0;
        Piece pieces[kMaxPieces];  // sorted by offset
    };

    std::uint32_t find(const FragmentKey& key) const;
    std::uint32_t open(const FragmentKey& key, std::int64_t now_us);
    void drop(std::uint32_t slot);
    // Checks `fragment` against what the datagram holds: true when it may be
    // stored; `duplicate` when every byte of it is held already.
    bool check_overlap(const Datagram& d, bool ipv6, const Fragment& fragment, bool& duplicate) const;
    bool complete(const Datagram& d) const;
    // Frees the kept frames of the oldest datagram that has any (counted):
    // evidence gives way before any datagram's bytes do. False when none.
    bool shed_carriers();

    BlockPool& pool_;
    std::int64_t timeout_us_;
    DecodeCounters& counters_;
    std::vector<Datagram> slots_;
    std::vector<std::uint32_t> free_slots_;
    std::uint32_t oldest_ = kNil, newest_ = kNil;
    std::size_t in_flight_ = 0;
};

}  // namespace dnswatch
