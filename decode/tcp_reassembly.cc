#include "decode/tcp_reassembly.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <random>

#include "decode/carrier_frames.h"
#include "decode/word_hash.h"

namespace dnswatch {
namespace {

// Sequence numbers wrap: compare them by their signed distance.
inline bool seq_after(std::uint32_t a, std::uint32_t b) { return static_cast<std::int32_t>(a - b) > 0; }

inline std::uint16_t load_be16(const std::uint8_t* p) {
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

// DNS opcodes in use: QUERY, IQUERY, STATUS, NOTIFY, UPDATE, DSO.
inline bool known_opcode(unsigned opcode) { return opcode <= 6 && opcode != 3; }

// Whether `segment` may begin a length-prefixed DNS message, judged without
// the rest of the stream. The smallest message (header and a question for
// the root) is 17 bytes; a record takes at least 11. A segment holding only
// a length (stub resolvers often send it alone) offers nothing more to check.
bool plausible_start(std::span<const std::uint8_t> segment) {
    if (segment.size() < 2) return false;
    const std::size_t length = load_be16(segment.data());
    if (length < 17) return false;
    if (segment.size() == 2) return true;
    if (segment.size() < 2 + 12) return false;
    const std::uint8_t* h = segment.data() + 2;
    const bool response = (h[2] & 0x80) != 0;
    const unsigned opcode = (h[2] >> 3) & 0x0f;
    const std::size_t qd = load_be16(h + 4), an = load_be16(h + 6), ns = load_be16(h + 8),
                      ar = load_be16(h + 10);
    if (!known_opcode(opcode)) return false;
    // One question; zero only in the later messages of a zone transfer.
    if (qd > 1 || (qd == 0 && (!response || an == 0))) return false;
    return (an + ns + ar) * 11 <= length - 12 - (qd == 1 ? 5 : 0);
}

bool endpoint_less(const IpAddress& a, std::uint16_t a_port, const IpAddress& b, std::uint16_t b_port) {
    if (a.family != b.family) return a.family < b.family;
    const int order = std::memcmp(a.bytes.data(), b.bytes.data(), a.bytes.size());
    if (order != 0) return order < 0;
    return a_port < b_port;
}

}  // namespace

TcpReassembler::TcpReassembler(BlockPool& pool, std::size_t max_flows, std::size_t flow_bytes,
                               std::int64_t timeout_us, DecodeCounters& counters)
    : pool_(pool), flow_bytes_(std::max<std::size_t>(flow_bytes, 64)), carrier_cap_(2 * flow_bytes_),
      timeout_us_(timeout_us),
      counters_(counters), flows_(std::max<std::size_t>(1, max_flows)),
      // A seed the sender cannot know, so that it cannot pile flows into one bucket.
      seed_((std::uint64_t{std::random_device{}()} << 32) | std::random_device{}()),
      message_scratch_(new std::uint8_t[kMessageScratch]), segment_scratch_(new std::uint8_t[kSegmentScratch]),
      carriers_scratch_(new std::uint8_t[carrier_cap_]), frame_scratch_(new std::uint8_t[carrier_cap_]) {
    std::size_t buckets = 1;
    while (buckets < 2 * flows_.size()) buckets <<= 1;
    buckets_.assign(buckets, kNil);
    free_flows_.reserve(flows_.size());
    for (std::size_t i = flows_.size(); i-- > 0;) free_flows_.push_back(static_cast<std::uint32_t>(i));
}

std::size_t TcpReassembler::bucket_of(const Endpoint& a, const Endpoint& b) const {
    // Both endpoints a word at a time. (FNV-1a a byte at a time chained 12
    // multiplies for an IPv4 pair, 1% of replay with one TCP segment in 20
    // packets.) The seed is random, so the layout of the buckets, all this
    // decides, could never be relied on.
    WordHasher h(seed_);
    auto add = [&h](const Endpoint& e) {
        if (e.address.family == 4) {  // address and port in one word
            std::uint32_t v4;
            std::memcpy(&v4, e.address.bytes.data(), sizeof v4);
            h.add(std::uint64_t{v4} << 16 | e.port);
            return;
        }
        std::uint64_t high, low;
        std::memcpy(&high, e.address.bytes.data(), sizeof high);
        std::memcpy(&low, e.address.bytes.data() + 8, sizeof low);
        h.add(high);
        h.add(low);
        h.add(e.port);
    };
    add(a);
    add(b);
    return table_index_mix(h.value()) & (buckets_.size() - 1);
}

std::uint32_t TcpReassembler::find(const Endpoint& a, const Endpoint& b) const {
    for (std::uint32_t i = buckets_[bucket_of(a, b)]; i != kNil; i = flows_[i].hash_next) {
        if (flows_[i].end[0] == a && flows_[i].end[1] == b) return i;
    }
    return kNil;
}

std::uint32_t TcpReassembler::open(const Endpoint& a, const Endpoint& b, std::int64_t now_us) {
    if (free_flows_.empty()) {
        counters_.count(ReassemblyEvent::tcp_flow_evicted);
        close(oldest_);
    }
    const std::uint32_t index = free_flows_.back();
    free_flows_.pop_back();
    Flow& f = flows_[index];
    f.used = true;
    f.end[0] = a;
    f.end[1] = b;
    f.dir[0] = Direction{};
    f.dir[1] = Direction{};
    f.last_seen_us = now_us;
    const std::size_t bucket = bucket_of(a, b);
    f.hash_next = buckets_[bucket];
    buckets_[bucket] = index;
    f.lru_older = newest_;
    f.lru_newer = kNil;
    if (newest_ != kNil) flows_[newest_].lru_newer = index;
    newest_ = index;
    if (oldest_ == kNil) oldest_ = index;
    ++flow_count_;
    counters_.count(ReassemblyEvent::tcp_flow);
    return index;
}

void TcpReassembler::release(Direction& d) {
    d.message.release(pool_);
    d.carriers.release(pool_);
    d.carrier_frames = 0;
    for (std::size_t i = 0; i < d.ooo_count; ++i) {
        d.ooo[i].bytes.release(pool_);
        d.ooo[i].frame.release(pool_);
    }
    d.ooo_count = 0;
}

void TcpReassembler::close(std::uint32_t index) {
    Flow& f = flows_[index];
    bool incomplete = false;
    for (Direction& d : f.dir) {
        incomplete = incomplete || !d.message.empty() || d.ooo_count > 0;
        release(d);
    }
    if (incomplete) counters_.count(ReassemblyEvent::tcp_incomplete);
    std::uint32_t* link = &buckets_[bucket_of(f.end[0], f.end[1])];
    while (*link != index) link = &flows_[*link].hash_next;
    *link = f.hash_next;
    if (f.lru_older != kNil) flows_[f.lru_older].lru_newer = f.lru_newer;
    else oldest_ = f.lru_newer;
    if (f.lru_newer != kNil) flows_[f.lru_newer].lru_older = f.lru_older;
    else newest_ = f.lru_older;
    f.used = false;
    f.hash_next = f.lru_newer = f.lru_older = kNil;
    free_flows_.push_back(index);
    --flow_count_;
}

void TcpReassembler::touch(std::uint32_t index, std::int64_t now_us) {
    Flow& f = flows_[index];
    f.last_seen_us = std::max(f.last_seen_us, now_us);
    if (newest_ == index) return;
    if (f.lru_older != kNil) flows_[f.lru_older].lru_newer = f.lru_newer;
    else oldest_ = f.lru_newer;
    flows_[f.lru_newer].lru_older = f.lru_older;  // not the newest, so it has a newer one
    f.lru_older = newest_;
    f.lru_newer = kNil;
    flows_[newest_].lru_newer = index;
    newest_ = index;
}

void TcpReassembler::expire(std::int64_t now_us) {
    while (oldest_ != kNil && oldest_ != current_ && flows_[oldest_].last_seen_us + timeout_us_ < now_us) {
        counters_.count(ReassemblyEvent::tcp_flow_timeout);
        close(oldest_);
    }
}

void TcpReassembler::clear() {
    while (oldest_ != kNil) close(oldest_);
}

void TcpReassembler::shed_carriers(Direction& d) {
    std::size_t frames = d.carrier_frames;
    d.carriers.release(pool_);
    d.carrier_frames = 0;
    for (std::size_t i = 0; i < d.ooo_count; ++i) {
        frames += d.ooo[i].frame.empty() ? 0 : 1;
        d.ooo[i].frame.release(pool_);
    }
    for (std::size_t n = 0; n < frames; ++n) counters_.count(ReassemblyEvent::tcp_carrier_dropped);
}

bool TcpReassembler::make_room(std::size_t blocks, std::uint32_t keep) {
    // Bounded walks from the least recently used end, so that memory pressure
    // cannot make one packet scan the whole table. Frames kept for evidence
    // give way first: they never cost a flow its messages.
    int shed_steps = 64;
    for (std::uint32_t i = oldest_; i != kNil && pool_.free_blocks() < blocks && shed_steps-- > 0;
         i = flows_[i].lru_newer) {
        if (i == keep) continue;
        for (Direction& d : flows_[i].dir) shed_carriers(d);
    }
    int steps = 64;
    for (std::uint32_t i = oldest_; i != kNil && pool_.free_blocks() < blocks && steps-- > 0;) {
        const std::uint32_t newer = flows_[i].lru_newer;
        const Flow& f = flows_[i];
        const std::size_t pooled =
            f.dir[0].held() + f.dir[1].held() + f.dir[0].carrier_bytes() + f.dir[1].carrier_bytes();
        if (i != keep && pooled > 0) {
            counters_.count(ReassemblyEvent::tcp_flow_evicted);
            close(i);
        }
        i = newer;
    }
    return pool_.free_blocks() >= blocks;
}

bool TcpReassembler::hold(ByteChain& chain, std::span<const std::uint8_t> bytes, std::uint32_t keep) {
    const std::size_t need = chain.blocks_needed(bytes.size());
    if (need > pool_.free_blocks() && !make_room(need, keep)) return false;
    return chain.append(pool_, bytes);
}

void TcpReassembler::keep_carrier(ByteChain& chain, std::size_t held_already, const FrameRef& frame) {
    const std::size_t size = frame.live != nullptr ? carrier_frame_size(*frame.live) : frame.held.size();
    if (size == 0) return;  // a held segment whose frame was refused (counted then)
    if (held_already + size > carrier_cap_ || chain.blocks_needed(size) > pool_.free_blocks()) {
        counters_.count(ReassemblyEvent::tcp_carrier_dropped);
        return;
    }
    // Room for all of it was checked: both appends succeed.
    if (frame.live != nullptr) {
        const CarrierFrameHeader header = carrier_header_of(*frame.live);
        chain.append(pool_, {reinterpret_cast<const std::uint8_t*>(&header), sizeof header});
        chain.append(pool_, frame.live->bytes);
    } else {
        chain.append(pool_, frame.held);
    }
}

void TcpReassembler::keep_frame(Direction& d, FrameRef& frame, Emit& emit) {
    if (frame.kept) return;
    frame.kept = true;  // refused or kept: once per message
    const std::uint32_t before = d.carriers.size;
    keep_carrier(d.carriers, d.carrier_bytes(), frame);
    if (d.carriers.size > before) ++d.carrier_frames;
    if (frame.live != nullptr && d.carriers.size > before) {
        emit.live_at = before;
        emit.live_size = d.carriers.size - before;
    }
}

// The partial message is given up: so are the frames that carried it.
void TcpReassembler::drop_message(Direction& d, FrameRef& frame, Emit& emit) {
    d.message.release(pool_);
    d.carriers.release(pool_);
    d.carrier_frames = 0;
    frame.kept = false;
    emit.live_size = 0;
}

void TcpReassembler::deliver(const Flow& f, int side, std::span<const std::uint8_t> message, bool reassembled,
                             std::span<const std::uint8_t> carriers, Emit& emit) {
    DnsDatagram datagram;
    datagram.src = f.end[side].address;
    datagram.src_port = f.end[side].port;
    datagram.dst = f.end[1 - side].address;
    datagram.dst_port = f.end[1 - side].port;
    datagram.ip_protocol = 6;
    datagram.reassembled = reassembled;
    datagram.dns = message;
    datagram.tunnel = emit.tunnel;
    if (carriers.empty()) {
        emit.sink->on_dns(datagram, *emit.packet);
    } else {
        emit.sink->on_reassembled_dns(datagram, *emit.packet, carriers);
    }
    ++emit.count;
}

// In-order bytes of one segment (or of one replayed out-of-order segment),
// which came in `frame`.
void TcpReassembler::consume(Flow& f, int side, std::span<const std::uint8_t> bytes, FrameRef frame,
                             Emit& emit) {
    Direction& d = f.dir[side];
    bool segment_start = true;
    while (!bytes.empty()) {
        if (d.skip > 0) {
            const std::size_t n = std::min<std::size_t>(d.skip, bytes.size());
            d.skip -= static_cast<std::uint32_t>(n);
            bytes = bytes.subspan(n);
            segment_start = false;
            continue;
        }
        segment_start = segment_start && d.message.empty();
        if (!d.message.empty()) {
            if (d.message.size < 2) {  // one byte of the length so far
                if (!hold(d.message, bytes.first(1), current_)) {
                    counters_.count(ReassemblyEvent::tcp_message_dropped);
                    drop_message(d, frame, emit);
                    d.synced = false;
                    return;
                }
                keep_frame(d, frame, emit);
                bytes = bytes.subspan(1);
                continue;
            }
            std::uint8_t prefix[2];
            d.message.copy_out(pool_, 0, prefix);
            const std::size_t total = 2 + std::size_t{load_be16(prefix)};
            if (total > flow_bytes_) {
                counters_.count(ReassemblyEvent::tcp_message_dropped);
                d.skip = static_cast<std::uint32_t>(total - d.message.size);
                drop_message(d, frame, emit);
                continue;
            }
            const std::size_t n = std::min(total - d.message.size, bytes.size());
            if (!hold(d.message, bytes.first(n), current_)) {
                counters_.count(ReassemblyEvent::tcp_message_dropped);
                d.skip = static_cast<std::uint32_t>(total - d.message.size);
                drop_message(d, frame, emit);
                continue;
            }
            bytes = bytes.subspan(n);
            // The packet being added is handed out with the message; any
            // other frame that carried bytes of it is a carrier.
            if (d.message.size < total || frame.live == nullptr) keep_frame(d, frame, emit);
            if (d.message.size == total) {
                const std::span<std::uint8_t> whole(message_scratch_.get(), total);
                d.message.copy_out(pool_, 0, whole);
                d.message.release(pool_);
                // Every carrier but the packet's own frame, handed with it.
                const std::size_t before = emit.live_size != 0 ? emit.live_at : d.carriers.size;
                const std::size_t after = emit.live_size != 0 ? d.carriers.size - emit.live_at - emit.live_size : 0;
                d.carriers.copy_out(pool_, 0, std::span<std::uint8_t>(carriers_scratch_.get(), before));
                if (after > 0) {
                    d.carriers.copy_out(pool_, before + emit.live_size,
                                        std::span<std::uint8_t>(carriers_scratch_.get() + before, after));
                }
                const std::span<const std::uint8_t> carriers(carriers_scratch_.get(), before + after);
                d.carriers.release(pool_);
                d.carrier_frames = 0;
                emit.live_size = 0;
                frame.kept = false;  // the next message may start in this frame
                deliver(f, side, whole.subspan(2), true, carriers, emit);
            }
            continue;
        }
        // At a message boundary.
        if (!d.synced) {
            if (!segment_start || !plausible_start(bytes)) {
                counters_.count(ReassemblyEvent::tcp_resync_skipped);
                return;
            }
            d.synced = true;
        }
        segment_start = false;
        std::size_t total = 0;
        if (bytes.size() >= 2) {
            total = 2 + std::size_t{load_be16(bytes.data())};
            if (total <= bytes.size()) {
                // In place; a replayed segment's own frame is its carrier.
                deliver(f, side, bytes.subspan(2, total - 2), false, frame.held, emit);
                bytes = bytes.subspan(total);
                continue;
            }
            if (total > flow_bytes_) {
                counters_.count(ReassemblyEvent::tcp_message_dropped);
                d.skip = static_cast<std::uint32_t>(total);
                continue;
            }
        }
        if (!hold(d.message, bytes, current_)) {
            counters_.count(ReassemblyEvent::tcp_message_dropped);
            if (total == 0) {  // not even the length: the boundary is lost
                d.synced = false;
                return;
            }
            d.skip = static_cast<std::uint32_t>(total);
            continue;
        }
        keep_frame(d, frame, emit);
        return;
    }
}

// Takes the first held segment and replays what of it the stream has not
// had, with its frame.
void TcpReassembler::replay_first(Flow& f, int side, Emit& emit) {
    Direction& d = f.dir[side];
    PendingSegment next = d.ooo[0];
    std::copy(d.ooo + 1, d.ooo + d.ooo_count, d.ooo);
    --d.ooo_count;
    const std::uint32_t old = d.next_seq - next.seq;
    if (old >= next.bytes.size) {
        next.bytes.release(pool_);
        next.frame.release(pool_);
        return;
    }
    const std::size_t n = next.bytes.size - old;
    next.bytes.copy_out(pool_, old, std::span<std::uint8_t>(segment_scratch_.get(), n));
    next.bytes.release(pool_);
    FrameRef frame;
    frame.held = std::span<const std::uint8_t>(frame_scratch_.get(), next.frame.size);
    next.frame.copy_out(pool_, 0, std::span<std::uint8_t>(frame_scratch_.get(), next.frame.size));
    next.frame.release(pool_);
    consume(f, side, std::span<const std::uint8_t>(segment_scratch_.get(), n), frame, emit);
    d.next_seq += static_cast<std::uint32_t>(n);
}

// Replays every held segment in order, jumping over the holes between
// them: called when a hole cannot be filled (the other side acknowledged
// bytes we never saw, or there is no room to wait). Unsynchronised from the
// first hole on, so each replayed segment must look like a message start.
void TcpReassembler::gap(Flow& f, int side, Emit& emit) {
    Direction& d = f.dir[side];
    counters_.count(ReassemblyEvent::tcp_gap);
    FrameRef none;
    drop_message(d, none, emit);
    d.skip = 0;
    d.synced = false;
    while (d.ooo_count > 0) {
        if (seq_after(d.ooo[0].seq, d.next_seq)) {
            drop_message(d, none, emit);
            d.skip = 0;
            d.synced = false;
            d.next_seq = d.ooo[0].seq;
        }
        replay_first(f, side, emit);
    }
}

// Replays held segments that the stream has now reached.
void TcpReassembler::drain(Flow& f, int side, Emit& emit) {
    Direction& d = f.dir[side];
    while (d.ooo_count > 0 && !seq_after(d.ooo[0].seq, d.next_seq)) replay_first(f, side, emit);
}

void TcpReassembler::data(Flow& f, int side, std::uint32_t seq, std::span<const std::uint8_t> bytes,
                          Emit& emit) {
    Direction& d = f.dir[side];
    FrameRef frame;
    frame.live = emit.packet;
    if (seq_after(d.next_seq, seq)) {  // starts with bytes we have had
        const std::uint32_t old = d.next_seq - seq;
        if (old >= bytes.size()) {
            counters_.count(ReassemblyEvent::tcp_retransmit);
            return;
        }
        bytes = bytes.subspan(old);
        seq = d.next_seq;
    }
    if (seq != d.next_seq) {
        // Ahead of the stream: wait for the hole to fill, unless the other
        // side has acknowledged the missing bytes (they were sent and the
        // capture lost them) or there is no room to wait.
        const bool unfillable = d.acked_known && seq_after(d.peer_acked, d.next_seq);
        if (!unfillable && d.ooo_count < kMaxOutOfOrder && d.held() + bytes.size() <= flow_bytes_) {
            std::size_t at = 0;
            while (at < d.ooo_count && seq_after(seq, d.ooo[at].seq)) ++at;
            if (at < d.ooo_count && d.ooo[at].seq == seq && d.ooo[at].bytes.size >= bytes.size()) {
                counters_.count(ReassemblyEvent::tcp_retransmit);
                return;
            }
            ByteChain held;
            if (hold(held, bytes, current_)) {
                ByteChain held_frame;  // the segment's frame waits with it
                keep_carrier(held_frame, d.carrier_bytes(), frame);
                std::copy_backward(d.ooo + at, d.ooo + d.ooo_count, d.ooo + d.ooo_count + 1);
                d.ooo[at] = PendingSegment{seq, held, held_frame};
                ++d.ooo_count;
                return;
            }
        }
        gap(f, side, emit);
        if (seq_after(d.next_seq, seq)) {  // the replayed segments reached into this one
            const std::uint32_t old = d.next_seq - seq;
            if (old >= bytes.size()) return;
            bytes = bytes.subspan(old);
        } else if (seq_after(seq, d.next_seq)) {
            FrameRef none;
            drop_message(d, none, emit);
            d.skip = 0;
            d.synced = false;
            d.next_seq = seq;
        }
    }
    consume(f, side, bytes, frame, emit);
    d.next_seq += static_cast<std::uint32_t>(bytes.size());
    drain(f, side, emit);
}

std::size_t TcpReassembler::add(const IpAddress& src, const IpAddress& dst, const TcpSegment& segment,
                                std::int64_t now_us, const PacketView& packet, DnsMessageSink& sink) {
    expire(now_us);
    const bool syn = (segment.flags & TcpSegment::kSyn) != 0;
    const bool ack = (segment.flags & TcpSegment::kAck) != 0;
    const bool rst = (segment.flags & TcpSegment::kRst) != 0;
    const Endpoint from{src, segment.src_port};
    const Endpoint to{dst, segment.dst_port};
    const bool forward = endpoint_less(src, segment.src_port, dst, segment.dst_port);
    const Endpoint& a = forward ? from : to;
    const Endpoint& b = forward ? to : from;
    const int side = forward ? 0 : 1;

    std::uint32_t index = find(a, b);
    if (index == kNil) {
        // Only a SYN or data opens a flow: a lone ACK, FIN or RST is most
        // often the tail of a flow already closed.
        if (rst || (!syn && segment.payload.empty())) return 0;
        index = open(a, b, now_us);
        if (!syn) counters_.count(ReassemblyEvent::tcp_midstream);
    }
    Flow& f = flows_[index];
    if (rst) {
        close(index);
        return 0;
    }
    touch(index, now_us);
    current_ = index;
    Emit emit{&packet, &sink, 0, segment.tunnel};
    Direction& me = f.dir[side];
    Direction& other = f.dir[1 - side];
    if (syn) {
        if (me.seen && me.next_seq != segment.seq + 1) {  // a new connection on the same ports
            release(me);
            release(other);
            me = Direction{};
            other = Direction{};
        }
        me.seen = me.synced = true;
        me.next_seq = segment.seq + 1;
        if (ack && !other.seen) {  // a SYN-ACK names the first byte the client sends
            other.seen = other.synced = true;
            other.next_seq = segment.ack;
        }
    }
    if (ack) {
        if (!other.acked_known || seq_after(segment.ack, other.peer_acked)) other.peer_acked = segment.ack;
        other.acked_known = true;
        if (other.ooo_count > 0 && seq_after(other.peer_acked, other.next_seq)) gap(f, 1 - side, emit);
    }
    if (!segment.payload.empty()) {
        const std::uint32_t seq = syn ? segment.seq + 1 : segment.seq;  // TCP Fast Open: data on the SYN
        if (!me.seen) {
            me.seen = true;
            me.synced = false;
            me.next_seq = seq;
        }
        data(f, side, seq, segment.payload, emit);
    }
    if ((segment.flags & TcpSegment::kFin) != 0) me.fin = true;
    current_ = kNil;
    if (me.fin && other.fin && me.ooo_count == 0 && other.ooo_count == 0) close(index);
    return emit.count;
}

}  // namespace dnswatch
