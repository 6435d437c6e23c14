// The value type capture/ hands to decode/: one captured frame, as bytes the
// source owns until the next batch is requested.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace dnswatch {

// The link type of a frame that is one dnstap message (a Frame Streams data
// frame: a serialized dnstap.Dnstap protobuf) rather than link-layer bytes.
// dnstap has no LINKTYPE_ of its own; this value lies outside the 16 bits
// pcap link types use, so it can never be read from a capture file.
// capture/ moves these frames; decode/ peels the protobuf as it peels
// Ethernet (decode/dnstap_message.h).
inline constexpr int kLinkTypeDnstap = 0x10000 + 0x7461;  // "ta", for dnstap

struct PacketView {
    std::span<const std::uint8_t> bytes;  // captured bytes (may be shorter than wire_length)
    std::uint32_t wire_length = 0;        // length of the frame on the wire
    // Nanoseconds past time_us (0..999) when the source has them: the
    // evidence pcap keeps the capture's own time to the nanosecond, while
    // detection and alerts stay in microseconds. Two bytes in what was
    // padding, so a PacketView is no bigger for it.
    std::uint16_t time_ns = 0;
    std::int64_t time_us = 0;             // packet timestamp, microseconds since the Unix epoch (UTC)
    int link_type = 0;                    // libpcap DLT_* value of the source
    std::uint64_t frame_number = 0;       // 1-based position in its source
};

static_assert(sizeof(PacketView) == 48, "time_ns lives in padding: the packet path copies no more");

// The view of a packet whose fields travel in a record header under the
// same names (a ring's packet record, a routed message, a carrier frame),
// with its captured bytes.
template <typename Header>
PacketView packet_view_of(const Header& header, std::span<const std::uint8_t> bytes) {
    PacketView packet;
    packet.bytes = bytes;
    packet.wire_length = header.wire_length;
    packet.time_us = header.time_us;
    packet.time_ns = header.time_ns;
    packet.link_type = header.link_type;
    packet.frame_number = header.frame_number;
    return packet;
}

// The other way: a packet's fields into such a header (its bytes go after).
template <typename Header>
void copy_packet_fields(const PacketView& packet, Header& header) {
    header.wire_length = packet.wire_length;
    header.time_us = packet.time_us;
    header.time_ns = packet.time_ns;
    header.link_type = packet.link_type;
    header.frame_number = packet.frame_number;
}

// The nanoseconds since the Unix epoch of a packet time.
inline std::int64_t packet_time_ns(const PacketView& packet) {
    return packet.time_us * 1000 + packet.time_ns;
}

// A burst of packets, processed to completion before the next is read
// (CONVENTIONS 7). Capacity is fixed so that a batch never allocates.
class PacketBatch {
public:
    static constexpr std::size_t kCapacity = 64;

    void clear() { size_ = 0; }
    bool full() const { return size_ == kCapacity; }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    void push(const PacketView& packet) { packets_[size_++] = packet; }
    // The next packet, for the source to fill every field of in place.
    PacketView& push_back() { return packets_[size_++]; }
    const PacketView& operator[](std::size_t i) const { return packets_[i]; }
    const PacketView* begin() const { return packets_.data(); }
    const PacketView* end() const { return packets_.data() + size_; }

private:
    std::array<PacketView, kCapacity> packets_{};
    std::size_t size_ = 0;
};

}  // namespace dnswatch
