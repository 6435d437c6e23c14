// Reads every DNS payload of a capture through our own capture and transport
// layers (which have tests of their own), for decoder tests on real packets.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "capture/pcap_file_source.h"
#include "decode/transport.h"

namespace dnswatch::test {

struct CapturedDns {
    std::uint64_t frame = 0;
    DnsDatagram datagram;                 // its `dns` span points into `payload` below
    std::vector<std::uint8_t> payload;
};

inline std::vector<CapturedDns> read_dns_payloads(const std::string& path) {
    std::vector<CapturedDns> out;
    PcapFileSource source(path);
    PacketBatch batch;
    DecodeCounters counters;
    while (source.next_batch(batch)) {
        for (const PacketView& packet : batch) {
            DnsDatagram datagram;
            if (decode_transport(packet, datagram, counters) != TransportResult::dns) continue;
            CapturedDns entry;
            entry.frame = packet.frame_number;
            entry.payload.assign(datagram.dns.begin(), datagram.dns.end());
            entry.datagram = datagram;
            out.push_back(std::move(entry));
        }
    }
    for (auto& entry : out) entry.datagram.dns = entry.payload;
    return out;
}

}  // namespace dnswatch::test
