#include "decode/ip_reassembly.h"

#include <algorithm>

#include "decode/carrier_frames.h"

namespace dnswatch {

IpReassembler::IpReassembler(BlockPool& pool, std::size_t max_datagrams, std::int64_t timeout_us,
                             DecodeCounters& counters)
    : pool_(pool), timeout_us_(timeout_us), counters_(counters),
      slots_(std::max<std::size_t>(1, max_datagrams)) {
    free_slots_.reserve(slots_.size());
    for (std::size_t i = slots_.size(); i-- > 0;) free_slots_.push_back(static_cast<std::uint32_t>(i));
}

std::uint32_t IpReassembler::find(const FragmentKey& key) const {
    // Walk the age list: only datagrams in flight, newest first, where a
    // fragment train's next piece usually is.
    for (std::uint32_t i = newest_; i != kNil; i = slots_[i].older) {
        if (slots_[i].key == key) return i;
    }
    return kNil;
}

std::uint32_t IpReassembler::open(const FragmentKey& key, std::int64_t now_us) {
    if (free_slots_.empty()) {
        counters_.count(ReassemblyEvent::frag_evicted);
        drop(oldest_);
    }
    const std::uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    Datagram& d = slots_[slot];
    d.used = true;
    d.have_first = d.have_last = false;
    d.next_header = 0;
    d.piece_count = 0;
    d.total = 0;
    d.first_seen_us = now_us;
    d.key = key;
    d.older = newest_;
    d.newer = kNil;
    if (newest_ != kNil) slots_[newest_].newer = slot;
    newest_ = slot;
    if (oldest_ == kNil) oldest_ = slot;
    ++in_flight_;
    return slot;
}

void IpReassembler::drop(std::uint32_t slot) {
    Datagram& d = slots_[slot];
    for (std::size_t i = 0; i < d.piece_count; ++i) d.pieces[i].bytes.release(pool_);
    d.carriers.release(pool_);
    d.carrier_frames = 0;
    d.piece_count = 0;
    d.used = false;
    if (d.older != kNil) slots_[d.older].newer = d.newer;
    else oldest_ = d.newer;
    if (d.newer != kNil) slots_[d.newer].older = d.older;
    else newest_ = d.older;
    d.older = d.newer = kNil;
    free_slots_.push_back(slot);
    --in_flight_;
}

void IpReassembler::clear() {
    while (oldest_ != kNil) {
        counters_.count(ReassemblyEvent::frag_timeout);
        drop(oldest_);
    }
}

bool IpReassembler::shed_carriers() {
    int steps = 64;  // bounded: memory pressure must not make one packet walk the table
    for (std::uint32_t i = oldest_; i != kNil && steps-- > 0; i = slots_[i].newer) {
        Datagram& d = slots_[i];
        if (d.carriers.empty()) continue;
        for (std::uint32_t n = 0; n < d.carrier_frames; ++n) counters_.count(ReassemblyEvent::frag_carrier_dropped);
        d.carriers.release(pool_);
        d.carrier_frames = 0;
        return true;
    }
    return false;
}

bool IpReassembler::evict_oldest() {
    if (oldest_ == kNil) return false;
    counters_.count(ReassemblyEvent::frag_evicted);
    drop(oldest_);
    return true;
}

bool IpReassembler::check_overlap(const Datagram& d, bool ipv6, const Fragment& fragment,
                                  bool& duplicate) const {
    const std::uint32_t begin = fragment.offset;
    const auto end = static_cast<std::uint32_t>(begin + fragment.bytes.size());
    // A last fragment fixes the length: nothing may end after it, and a
    // second last fragment must agree.
    if (!fragment.more && d.have_last && end != d.total) return false;
    if (d.have_last && end > d.total) return false;
    duplicate = false;
    for (std::size_t i = 0; i < d.piece_count; ++i) {
        const Piece& p = d.pieces[i];
        if (!fragment.more && p.offset + p.length > end) return false;
        if (p.offset >= end || begin >= p.offset + p.length) continue;
        const std::uint32_t from = std::max(begin, p.offset);
        const std::uint32_t to = std::min(end, p.offset + p.length);
        const bool same = p.bytes.equals(pool_, from - p.offset,
                                         fragment.bytes.subspan(from - begin, to - from));
        if (!same) return false;
        if (p.offset <= begin && end <= p.offset + p.length) {
            if (ipv6 && (p.offset != begin || p.offset + p.length != end)) return false;
            duplicate = true;  // wholly inside a piece we hold, same bytes
            return true;
        }
        if (ipv6) return false;  // RFC 5722: any overlap that is not a mere repeat
    }
    return true;
}

bool IpReassembler::complete(const Datagram& d) const {
    if (!d.have_first || !d.have_last) return false;
    std::uint32_t covered = 0;
    for (std::size_t i = 0; i < d.piece_count; ++i) {
        const Piece& p = d.pieces[i];
        if (p.offset > covered) return false;
        covered = std::max(covered, p.offset + p.length);
    }
    return covered >= d.total;
}

FragmentVerdict IpReassembler::add(const FragmentKey& key, const Fragment& fragment, std::int64_t now_us,
                                   std::span<std::uint8_t> scratch, std::span<const std::uint8_t>& payload,
                                   std::uint8_t& next_header, MalformedKind& why, Carriers* carriers) {
    expire(now_us);
    const std::size_t length = fragment.bytes.size();
    // Every fragment but the last carries a multiple of 8 bytes (offsets are
    // in 8-byte units), and none is empty.
    if (fragment.more && (length == 0 || length % 8 != 0)) {
        why = MalformedKind::frag_bad_length;
        return FragmentVerdict::malformed;
    }
    if (fragment.offset + length > kMaxDatagram) {
        why = MalformedKind::frag_too_large;
        return FragmentVerdict::malformed;
    }
    const bool ipv6 = key.src.family == 6;
    std::uint32_t slot = find(key);
    if (slot == kNil) slot = open(key, now_us);
    Datagram& d = slots_[slot];

    bool duplicate = false;
    if (!check_overlap(d, ipv6, fragment, duplicate)) {
        drop(slot);
        why = MalformedKind::frag_overlap;
        return FragmentVerdict::malformed;
    }
    if (duplicate) {
        counters_.count(ReassemblyEvent::frag_duplicate);
        return FragmentVerdict::held;
    }
    if (d.piece_count == kMaxPieces) {
        counters_.count(ReassemblyEvent::frag_too_many);
        drop(slot);
        return FragmentVerdict::held;
    }
    // Room in the pool: the oldest other datagrams give way first.
    ByteChain bytes;
    while (!bytes.append(pool_, fragment.bytes)) {
        if (shed_carriers()) continue;
        if (oldest_ == slot || oldest_ == kNil) {
            counters_.count(ReassemblyEvent::frag_evicted);
            drop(slot);
            return FragmentVerdict::held;
        }
        evict_oldest();
    }
    std::size_t at = d.piece_count;
    while (at > 0 && d.pieces[at - 1].offset > fragment.offset) {
        d.pieces[at] = d.pieces[at - 1];
        --at;
    }
    d.pieces[at] = Piece{fragment.offset, static_cast<std::uint32_t>(length), bytes};
    ++d.piece_count;
    if (fragment.offset == 0) {
        d.have_first = true;
        d.next_header = fragment.next_header;
    }
    if (!fragment.more) {
        d.have_last = true;
        d.total = static_cast<std::uint32_t>(fragment.offset + length);
    }
    if (!complete(d)) {
        // This fragment's frame, for the evidence: from free blocks only
        // (never evicting a datagram for it), within kMaxCarrierBytes.
        if (carriers != nullptr && carriers->frame != nullptr) {
            const PacketView& frame = *carriers->frame;
            const std::size_t size = carrier_frame_size(frame);
            if (d.carriers.size + size > kMaxCarrierBytes || d.carriers.blocks_needed(size) > pool_.free_blocks()) {
                counters_.count(ReassemblyEvent::frag_carrier_dropped);
            } else {
                const CarrierFrameHeader header = carrier_header_of(frame);
                d.carriers.append(pool_, {reinterpret_cast<const std::uint8_t*>(&header), sizeof header});
                d.carriers.append(pool_, frame.bytes);
                ++d.carrier_frames;
            }
        }
        return FragmentVerdict::held;
    }

    if (carriers != nullptr) {
        const std::span<std::uint8_t> out = carriers->scratch.first(d.carriers.size);
        d.carriers.copy_out(pool_, 0, out);
        carriers->out = out;
    }
    for (std::size_t i = 0; i < d.piece_count; ++i) {
        const Piece& p = d.pieces[i];
        p.bytes.copy_out(pool_, 0, scratch.subspan(p.offset, p.length));
    }
    payload = scratch.first(d.total);
    next_header = d.next_header;
    counters_.count(ReassemblyEvent::frag_reassembled);
    drop(slot);
    return FragmentVerdict::complete;
}

}  // namespace dnswatch
