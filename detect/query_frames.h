// The frames of the latest queries about watched zones, so that an alert's
// evidence holds the query as well as the response that answers it. A
// direct-mapped table of fixed slots keyed by (client, server, ports, DNS
// id), allocated once when evidence is kept at all: remembering a query is
// one copy into a slot, never an allocation, and a flood of queries only
// overwrites older slots. A query that came in several TCP segments keeps
// the frames of the others (decode/carrier_frames.h) in its slot after its
// own, when they fit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "capture/packet.h"
#include "decode/dns_datagram.h"
#include "decode/dns_message.h"

namespace dnswatch {

struct QueryFrameCounters {
    std::uint64_t remembered = 0;  // query frames copied into a slot
    std::uint64_t truncated = 0;   // of those, cut at kMaxFrame bytes (the pcap says the wire length)
    std::uint64_t found = 0;       // evidence that got its query
    std::uint64_t missing = 0;     // evidence whose query was not seen, or overwritten since
    std::uint64_t carriers_omitted = 0;  // TCP queries kept without their other segments' frames: past kMaxFrame
};

class QueryFrames {
public:
    static constexpr std::size_t kSlots = 1024;
    static constexpr std::size_t kMaxFrame = 1536;  // an Ethernet frame, what a UDP query fits in

    // Allocates the table (about 1.6 MiB); before that nothing is kept.
    void enable();
    bool enabled() const { return !slots_.empty(); }

    void remember(const DnsDatagram& query, const DnsMessageView& message, const PacketView& packet,
                  std::span<const std::uint8_t> carriers = {});
    // The frame of the query `response` answers, in `out`, and the frames of
    // its other segments in `carriers` (both valid until the next
    // remember()); false when it is not here.
    bool find(const DnsDatagram& response, const DnsMessageView& message, PacketView& out,
              std::span<const std::uint8_t>& carriers);

    const QueryFrameCounters& counters() const { return counters_; }

private:
    struct Slot {
        std::uint64_t key = 0;
        std::int64_t time_us = 0;
        std::uint64_t frame_number = 0;
        std::uint32_t wire_length = 0;
        std::uint32_t length = 0;
        std::uint32_t carriers_length = 0;  // after the frame's bytes
        std::uint16_t time_ns = 0;
        int link_type = 0;
        bool used = false;
    };
    static std::uint64_t key_of(const IpAddress& client, std::uint16_t client_port, const IpAddress& server,
                                std::uint16_t server_port, std::uint16_t id);

    std::vector<Slot> slots_;
    std::vector<std::uint8_t> bytes_;  // kSlots * kMaxFrame
    QueryFrameCounters counters_;
};

}  // namespace dnswatch
