// Reads every DNS message of a capture through our own capture and transport
// layers (which have tests of their own), for decoder tests on real packets:
// UDP payloads, TCP-carried messages and datagrams reassembled from fragments.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "capture/pcap_file_source.h"
#include "decode/transport.h"

namespace dnswatch::test {

struct CapturedDns {
    std::uint64_t frame = 0;              // the frame that completed the message
    DnsDatagram datagram;                 // its `dns` span points into `payload` below
    std::vector<std::uint8_t> payload;
};

// Copies each message out of the decoder's buffers as it is handed over.
class CollectingSink : public DnsMessageSink {
public:
    std::vector<CapturedDns> messages;

    void on_dns(const DnsDatagram& datagram, const PacketView& packet) override {
        CapturedDns entry;
        entry.frame = packet.frame_number;
        entry.payload.assign(datagram.dns.begin(), datagram.dns.end());
        entry.datagram = datagram;
        entry.datagram.dns = {};
        messages.push_back(std::move(entry));
    }
    // Points every datagram at its own copy (after the vector stops moving).
    std::vector<CapturedDns> take() {
        for (auto& entry : messages) entry.datagram.dns = entry.payload;
        return std::move(messages);
    }
};

// Small reassembly memory: tests build many decoders.
inline TransportOptions test_transport_options(std::vector<std::uint16_t> dns_ports = {53}) {
    TransportOptions options;
    options.dns_ports = std::move(dns_ports);
    options.total_bytes = 4u << 20;
    options.max_tcp_flows = 1024;
    return options;
}

inline std::vector<CapturedDns> read_dns_payloads(const std::string& path,
                                                  const TransportOptions& options = test_transport_options(),
                                                  DecodeCounters* counters = nullptr) {
    TransportDecoder decoder(options);
    CollectingSink sink;
    PcapFileSource source(path);
    PacketBatch batch;
    while (source.next_batch(batch)) {
        for (const PacketView& packet : batch) decoder.decode(packet, sink);
    }
    decoder.flush();
    if (counters != nullptr) *counters = decoder.counters();
    return sink.take();
}

}  // namespace dnswatch::test
