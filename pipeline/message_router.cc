#include "pipeline/message_router.h"

#include <algorithm>
#include <cstring>

#include "pipeline/records.h"

namespace dnswatch {

MessageRouter::MessageRouter(const SharedBaseline& baseline, std::vector<ByteRing*> outputs,
                             const TransportOptions& transport, bool lossless,
                             std::atomic<std::uint64_t>& wait_mark, const std::atomic<bool>& abort)
    : follower_(baseline),
      outputs_(std::move(outputs)),
      dirty_(outputs_.size(), 0),
      transport_(transport),
      lossless_(lossless),
      wait_mark_(wait_mark),
      abort_(abort),
      targets_(outputs_.size(), 0) {
    refresh();
}

void MessageRouter::refresh() {
    if (!follower_.refresh()) return;
    watch_ = follower_.snapshot().watch.get();
    shards_ = follower_.snapshot().shards.get();
}

void MessageRouter::on_packet(const PacketView& packet, std::uint16_t source, std::uint64_t key) {
    ++counters_.packets;
    source_ = source;
    key_ = key;
    transport_.decode(packet, *this);
}

void MessageRouter::publish() {
    for (std::size_t s = 0; s < outputs_.size(); ++s) {
        if (!dirty_[s]) continue;
        outputs_[s]->publish();
        dirty_[s] = 0;
    }
}

void MessageRouter::finish() {
    transport_.flush();
    publish();
}

// Records are decoded here rather than on the shard, so that malformed
// answers are counted where replay counts them, and so that the owners tell
// which shards must see the message.
void MessageRouter::on_dns(const DnsDatagram& datagram, const PacketView& packet) {
    DnsMessageView message;
    const WatchedZone* zone =
        filter_watched_response(datagram.dns, *watch_, decoder_, message, counters_, transport_.counters());
    if (zone == nullptr) {
        // A query goes to its zone's shard only: that is where its answer is
        // matched with it (a response's other shards judge owners, not queries).
        if (const WatchedZone* query_zone = watched_query_zone(*watch_, decoder_, message)) {
            send(outputs_.size() == 1 ? 0 : shards_->shard_of(*query_zone, message.qname), datagram, packet);
        }
        return;
    }
    if (outputs_.size() == 1) {
        send(0, datagram, packet);
        return;
    }
    // The question's shard, and the shard of every watched owner: a CNAME
    // chain or glue may reach into a zone (or, in a split zone, a child)
    // another shard owns.
    std::fill(targets_.begin(), targets_.end(), 0);
    targets_[shards_->shard_of(*zone, message.qname)] = 1;
    // An owner repeated as the same compression pointer (an RRset's records,
    // glue's A and AAAA) goes where its first record went: decoded and
    // looked up once. This thread does it for every response, ahead of all
    // the shards: what it saves is what two workers gain over one.
    const std::uint8_t* const wire = message.wire.data();
    const RecordView* previous = nullptr;
    for (const RecordView& record : message.records) {
        if (previous != nullptr && record.owner_hash == previous->owner_hash &&
            (wire[record.owner_offset] & 0xC0) == 0xC0 && wire[record.owner_offset] == wire[previous->owner_offset] &&
            wire[record.owner_offset + 1] == wire[previous->owner_offset + 1]) {
            continue;
        }
        previous = &record;
        const DnsName owner = message.owner(record);
        if (const WatchedZone* owner_zone = watch_->find(owner)) targets_[shards_->shard_of(*owner_zone, owner)] = 1;
    }
    for (std::size_t s = 0; s < targets_.size(); ++s) {
        if (targets_[s]) send(s, datagram, packet);
    }
}

void MessageRouter::on_reassembled_dns(const DnsDatagram& datagram, const PacketView& packet,
                                       std::span<const std::uint8_t> carriers) {
    carriers_ = carriers;
    on_dns(datagram, packet);
    carriers_ = {};
}

void MessageRouter::send(std::size_t shard, const DnsDatagram& datagram, const PacketView& packet) {
    MessageRecordHeader header;
    header.key = key_;
    copy_packet_fields(packet, header);
    header.frame_size = static_cast<std::uint32_t>(packet.bytes.size());
    header.dns_size = static_cast<std::uint32_t>(datagram.dns.size());
    // A plain UDP message lies inside its frame: send the frame only.
    const std::uint8_t* frame_begin = packet.bytes.data();
    const std::uint8_t* dns_begin = datagram.dns.data();
    const bool inside = !datagram.dns.empty() && dns_begin >= frame_begin &&
                        dns_begin + datagram.dns.size() <= frame_begin + packet.bytes.size();
    header.dns_in_frame = inside ? static_cast<std::int32_t>(dns_begin - frame_begin) : -1;
    header.source = source_;
    header.src_port = datagram.src_port;
    header.dst_port = datagram.dst_port;
    header.ip_protocol = datagram.ip_protocol;
    header.reassembled = datagram.reassembled ? 1 : 0;
    header.responder = datagram.responder;
    header.src = datagram.src;
    header.dst = datagram.dst;
    if (datagram.tunnel != nullptr) {
        header.tunnelled = 1;
        header.tunnel = *datagram.tunnel;
    }

    std::size_t size = sizeof header + packet.bytes.size() + (inside ? 0 : datagram.dns.size());
    ByteRing& ring = *outputs_[shard];
    // The frames of a reassembled answer's other segments, for its evidence:
    // left out (and counted) rather than lose the message when the record
    // would not fit.
    std::span<const std::uint8_t> carriers = carriers_;
    if (!carriers.empty() && size + carriers.size() > ring.max_record()) {
        ++router_.carriers_omitted;
        carriers = {};
    }
    header.carriers_size = static_cast<std::uint32_t>(carriers.size());
    size += carriers.size();
    if (size > ring.max_record()) {
        ++router_.oversized;
        return;
    }
    std::span<std::uint8_t> room = ring.reserve(size);
    if (room.data() == nullptr) {
        if (!lossless_) {
            ++router_.message_ring_drops;
            return;
        }
        // Back-pressure (replays only): let the shards see everything so far
        // and tell them nothing below this packet is still to come from us.
        publish();
        wait_mark_.store(key_ > 0 ? key_ - 1 : 0, std::memory_order_release);
        room = reserve_waiting(ring, size, abort_);
        if (room.data() == nullptr) {
            ++router_.message_ring_drops;
            return;
        }
    }
    std::uint8_t* out = room.data();
    std::memcpy(out, &header, sizeof header);
    out += sizeof header;
    if (!packet.bytes.empty()) std::memcpy(out, packet.bytes.data(), packet.bytes.size());
    out += packet.bytes.size();
    if (!inside && !datagram.dns.empty()) std::memcpy(out, datagram.dns.data(), datagram.dns.size());
    out += inside ? 0 : datagram.dns.size();
    if (!carriers.empty()) std::memcpy(out, carriers.data(), carriers.size());
    ring.commit(size);
    dirty_[shard] = 1;
    ++router_.messages_routed;
}

}  // namespace dnswatch
