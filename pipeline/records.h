// The records that cross the byte rings between pipeline stages: a fixed
// header copied with memcpy (the ring gives no alignment guarantee beyond 8
// bytes and no type), followed by the bytes it describes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

#include "capture/packet.h"
#include "decode/dns_datagram.h"

namespace dnswatch {

// Reader -> worker (pcap_file with several workers): one captured frame.
struct PacketRecordHeader {
    std::uint64_t key = 0;           // position in the whole replay, for ordered merging
    std::int64_t time_us = 0;
    std::uint64_t frame_number = 0;  // position in its own file, as replay numbers it
    std::uint32_t wire_length = 0;
    std::int32_t link_type = 0;
    std::uint32_t captured = 0;      // bytes that follow
    std::uint16_t source = 0;
    std::uint16_t time_ns = 0;       // nanoseconds past time_us
};

// Worker -> shard: one DNS response about a watched zone, with the frame
// that completed it (the alert's evidence) and the addressing the detector
// reports.
struct MessageRecordHeader {
    std::uint64_t key = 0;           // ordering key: the completing frame's
    std::int64_t time_us = 0;
    std::uint64_t frame_number = 0;
    std::uint32_t wire_length = 0;
    std::int32_t link_type = 0;
    std::uint32_t frame_size = 0;    // frame bytes that follow the header
    std::uint32_t dns_size = 0;
    // The other frames that carried a reassembled message (decode/
    // carrier_frames.h), after the frame and the message's bytes: empty
    // for a message in one frame.
    std::uint32_t carriers_size = 0;
    std::uint16_t time_ns = 0;       // nanoseconds past time_us
    // Where the message starts inside the frame, or -1 when it was
    // reassembled and its bytes follow the frame's.
    std::int32_t dns_in_frame = -1;
    std::uint16_t source = 0;
    std::uint16_t src_port = 0;
    std::uint16_t dst_port = 0;
    std::uint8_t ip_protocol = 0;
    std::uint8_t reassembled = 0;
    Responder responder = Responder::from_flags;  // dnstap's vantage
    std::uint8_t tunnelled = 0;  // whether `tunnel` holds the tunnel it came through
    IpAddress src;
    IpAddress dst;
    Tunnel tunnel;
};

static_assert(std::is_trivially_copyable_v<PacketRecordHeader>);
static_assert(std::is_trivially_copyable_v<MessageRecordHeader>);

template <typename Header>
Header read_header(std::span<const std::uint8_t> record) {
    Header header;
    std::memcpy(&header, record.data(), sizeof header);
    return header;
}

}  // namespace dnswatch
