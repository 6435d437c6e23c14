// DNS over TCP (RFC 7766): each message behind a 2-byte length, several in a
// segment, one across several segments, in both directions of a flow.
//
// Bounded: a fixed flow table (evicting the least recently used flow), bytes
// held in a shared BlockPool, a cap per flow direction, an idle timeout
// driven by packet time. A message that lies whole in an in-order segment is
// handed out in place, without a copy; only the bytes of a message that spans
// segments, and out-of-order segments, are held.
//
// Losing sync is the danger of a length-prefixed stream: one wrong length
// swallows everything after it. So a direction starts unsynchronised when
// its SYN was not seen (a flow first seen mid-stream) and after a gap that
// cannot be filled; while unsynchronised, a message may start only at the
// beginning of a segment, and only where the length and the DNS header it
// introduces are plausible. Other segments are passed over and counted.
//
// The evidence of an alert must show a reassembled answer as it crossed the
// wire, so a message that spans segments keeps copies of the frames that
// carried it (decode/carrier_frames.h) in the same pool, as long as the
// message is incomplete: handed out with it (on_reassembled_dns), then
// released. Bounded by the pool and by twice the per-direction byte cap (the
// message and every segment's headers, at any MSS); a frame refused is
// counted (tcp_carrier_dropped) and the message is still reassembled. A
// message whole in one segment keeps nothing: that frame is the packet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "decode/decode_counters.h"
#include "decode/dns_datagram.h"
#include "decode/reassembly_buffer.h"

namespace dnswatch {

struct TcpSegment {
    std::uint16_t src_port = 0;
    std::uint16_t dst_port = 0;
    std::uint32_t seq = 0;
    std::uint32_t ack = 0;
    std::uint8_t flags = 0;  // TCP header byte 13
    std::span<const std::uint8_t> payload;
    const Tunnel* tunnel = nullptr;  // what the segment came through; its messages say so

    static constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kAck = 0x10;
};

class TcpReassembler {
public:
    static constexpr std::size_t kMaxOutOfOrder = 8;  // segments held ahead of a gap, per direction

    TcpReassembler(BlockPool& pool, std::size_t max_flows, std::size_t flow_bytes, std::int64_t timeout_us,
                   DecodeCounters& counters);

    // Takes one segment of a flow on a DNS port; hands every message it
    // completes (in either direction) to `sink`. Returns how many.
    std::size_t add(const IpAddress& src, const IpAddress& dst, const TcpSegment& segment, std::int64_t now_us,
                    const PacketView& packet, DnsMessageSink& sink);

    // Ends flows idle for longer than the timeout.
    void expire(std::int64_t now_us);
    // Ends every flow (end of input).
    void clear();

    std::size_t flows() const { return flow_count_; }

private:
    static constexpr std::uint32_t kNil = 0xffffffffu;

    struct Endpoint {
        IpAddress address;
        std::uint16_t port = 0;
        friend bool operator==(const Endpoint&, const Endpoint&) = default;
    };
    struct PendingSegment {
        std::uint32_t seq = 0;
        ByteChain bytes;
        ByteChain frame;  // its frame, one carrier record; empty when refused
    };
    struct Direction {
        bool seen = false;         // next_seq is known
        bool synced = false;       // next_seq is at a message boundary we trust
        bool fin = false;
        bool acked_known = false;
        std::uint32_t next_seq = 0;
        std::uint32_t peer_acked = 0;  // the highest ACK the other side sent for these bytes
        std::uint32_t skip = 0;        // bytes left of a message we could not hold
        ByteChain message;             // a partial message, from its length prefix on
        ByteChain carriers;            // the frames that carried `message` so far
        std::uint16_t carrier_frames = 0;
        std::uint8_t ooo_count = 0;
        PendingSegment ooo[kMaxOutOfOrder];  // sorted by seq

        std::size_t held() const {
            std::size_t n = message.size;
            for (std::size_t i = 0; i < ooo_count; ++i) n += ooo[i].bytes.size;
            return n;
        }
        std::size_t carrier_bytes() const {
            std::size_t n = carriers.size;
            for (std::size_t i = 0; i < ooo_count; ++i) n += ooo[i].frame.size;
            return n;
        }
    };
    struct Flow {
        bool used = false;
        Endpoint end[2];  // end[0] < end[1]; direction i carries bytes from end[i]
        Direction dir[2];
        std::int64_t last_seen_us = 0;
        std::uint32_t lru_newer = kNil, lru_older = kNil;
        std::uint32_t hash_next = kNil;
    };
    // The frame the bytes being consumed came from: the packet being added,
    // or (replaying out-of-order segments) a held segment's carrier record.
    struct FrameRef {
        const PacketView* live = nullptr;
        std::span<const std::uint8_t> held;
        bool kept = false;  // already among the direction's carriers
    };
    // What one call needs to hand out a message: where it is from and to.
    struct Emit {
        const PacketView* packet;
        DnsMessageSink* sink;
        std::size_t count = 0;
        const Tunnel* tunnel = nullptr;
        // Where the packet's own frame lies among the carriers of the
        // message being reassembled (size 0: not there). A message completed
        // by replaying a held segment is handed out with the packet, which
        // may have carried part of it: it is then no carrier.
        std::uint32_t live_at = 0, live_size = 0;
    };

    std::size_t bucket_of(const Endpoint& a, const Endpoint& b) const;
    std::uint32_t find(const Endpoint& a, const Endpoint& b) const;
    std::uint32_t open(const Endpoint& a, const Endpoint& b, std::int64_t now_us);
    void close(std::uint32_t flow);
    void touch(std::uint32_t flow, std::int64_t now_us);
    void release(Direction& d);
    // Frees blocks by ending the least recently used flows other than
    // `keep` that hold bytes; true when `blocks` are free.
    bool make_room(std::size_t blocks, std::uint32_t keep);
    // Frees the frames a direction keeps for evidence (counted).
    void shed_carriers(Direction& d);
    bool hold(ByteChain& chain, std::span<const std::uint8_t> bytes, std::uint32_t keep);
    // Adds `frame` to `chain` as a carrier record, unless a bound refuses it
    // (counted); never evicts a flow for it.
    void keep_carrier(ByteChain& chain, std::size_t held_already, const FrameRef& frame);
    void keep_frame(Direction& d, FrameRef& frame, Emit& emit);
    void drop_message(Direction& d, FrameRef& frame, Emit& emit);

    void data(Flow& f, int side, std::uint32_t seq, std::span<const std::uint8_t> bytes, Emit& emit);
    void gap(Flow& f, int side, Emit& emit);
    void drain(Flow& f, int side, Emit& emit);
    void consume(Flow& f, int side, std::span<const std::uint8_t> bytes, FrameRef frame, Emit& emit);
    void replay_first(Flow& f, int side, Emit& emit);
    void deliver(const Flow& f, int side, std::span<const std::uint8_t> message, bool reassembled,
                 std::span<const std::uint8_t> carriers, Emit& emit);

    BlockPool& pool_;
    std::size_t flow_bytes_;
    std::size_t carrier_cap_;  // carrier bytes held per direction: 2 * flow_bytes_
    std::int64_t timeout_us_;
    DecodeCounters& counters_;
    std::vector<Flow> flows_;
    std::vector<std::uint32_t> buckets_;
    std::vector<std::uint32_t> free_flows_;
    std::uint32_t newest_ = kNil, oldest_ = kNil;
    std::size_t flow_count_ = 0;
    std::uint64_t seed_;
    std::uint32_t current_ = kNil;  // the flow add() works on: never evicted for room
    // Allocated once, not value-initialised: a message assembled from held
    // bytes, and an out-of-order segment being replayed.
    static constexpr std::size_t kMessageScratch = 2 + 65535, kSegmentScratch = 65535;
    std::unique_ptr<std::uint8_t[]> message_scratch_;
    std::unique_ptr<std::uint8_t[]> segment_scratch_;
    // The carriers of a message being handed out, and a replayed segment's
    // frame: carrier_cap_ bytes each.
    std::unique_ptr<std::uint8_t[]> carriers_scratch_;
    std::unique_ptr<std::uint8_t[]> frame_scratch_;
};

}  // namespace dnswatch
