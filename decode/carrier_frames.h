// The captured frames that carried a reassembled DNS message, other than the
// frame that completed it: what an analyst needs to see a TCP answer as it
// crossed the wire, segment by segment, in the alert's evidence.
//
// They travel as one run of bytes, each frame a fixed header and its
// captured bytes, so that the reassembler can keep them in its block pool,
// the pipeline can copy them into a ring record with one memcpy, and the
// detector can keep the query's in a fixed slot: no allocation anywhere.
// Only messages that span frames have any; a message in one frame (every
// UDP answer) has none and pays nothing for them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

#include "capture/packet.h"

namespace dnswatch {

struct CarrierFrameHeader {
    std::int64_t time_us = 0;
    std::uint64_t frame_number = 0;
    std::uint32_t wire_length = 0;
    std::uint32_t captured = 0;  // bytes that follow
    std::int32_t link_type = 0;
    std::uint16_t time_ns = 0;
    std::uint16_t unused = 0;
};
static_assert(std::is_trivially_copyable_v<CarrierFrameHeader>);

// Bytes one frame takes in a run.
inline std::size_t carrier_frame_size(const PacketView& frame) {
    return sizeof(CarrierFrameHeader) + frame.bytes.size();
}

inline CarrierFrameHeader carrier_header_of(const PacketView& frame) {
    CarrierFrameHeader header;
    copy_packet_fields(frame, header);
    header.captured = static_cast<std::uint32_t>(frame.bytes.size());
    return header;
}

// Writes `frame` at the start of `out` (carrier_frame_size(frame) bytes).
inline void write_carrier_frame(std::span<std::uint8_t> out, const PacketView& frame) {
    const CarrierFrameHeader header = carrier_header_of(frame);
    std::memcpy(out.data(), &header, sizeof header);
    if (!frame.bytes.empty()) std::memcpy(out.data() + sizeof header, frame.bytes.data(), frame.bytes.size());
}

// Calls `f(const PacketView&)` for each frame of a run, in the order they
// were added; stops at a frame the run does not hold whole (never written
// so, but a run is bytes).
template <typename F>
void for_each_carrier_frame(std::span<const std::uint8_t> run, F&& f) {
    while (run.size() >= sizeof(CarrierFrameHeader)) {
        CarrierFrameHeader header;
        std::memcpy(&header, run.data(), sizeof header);
        if (header.captured > run.size() - sizeof header) return;
        const PacketView frame = packet_view_of(header, run.subspan(sizeof header, header.captured));
        f(frame);
        run = run.subspan(sizeof header + header.captured);
    }
}

inline std::size_t carrier_frame_count(std::span<const std::uint8_t> run) {
    std::size_t n = 0;
    for_each_carrier_frame(run, [&n](const PacketView&) { ++n; });
    return n;
}

}  // namespace dnswatch
