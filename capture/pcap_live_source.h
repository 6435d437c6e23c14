// capture.source: pcap_live. Live capture through libpcap, one or more
// interfaces, shared among the pipeline's workers:
//  - as many workers as interfaces, or fewer: each worker polls whole
//    interfaces (interface i goes to worker i mod workers);
//  - more workers than interfaces: an interface gets several handles joined
//    in one PACKET_FANOUT group (Linux), hashed by flow in both directions,
//    with PACKET_FANOUT_FLAG_DEFRAG so that every fragment of a datagram
//    reaches one handle.
// Packets are handed out in place, from libpcap's ring: no copy.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "capture/packet_input.h"

namespace dnswatch {

struct PcapLiveOptions {
    std::vector<std::string> interfaces;
    std::string filter;                // BPF; "" = default_capture_filter(dns_ports, gtpu_ports)
    std::vector<std::uint16_t> dns_ports{53};
    std::vector<std::uint16_t> gtpu_ports{2152};
    int snaplen = 65535;
    int buffer_bytes = 32 << 20;       // kernel ring per handle
    int timeout_ms = 0;                // 0: immediate mode; else the packet buffer timeout
    bool promiscuous = false;
};

// The default filter: DNS ports over UDP and TCP, the GTP-U ports over UDP
// (a mobile core's user plane: DNS inside it cannot be told apart in BPF),
// and every IP fragment (a fragment past the first carries no port, yet may
// end a DNS message).
std::string default_capture_filter(const std::vector<std::uint16_t>& dns_ports,
                                   const std::vector<std::uint16_t>& gtpu_ports = {});

// Opens, configures and activates every handle (needs CAP_NET_RAW; call
// before dropping privileges) and returns one input per worker; sources
// indexes are interface positions in `options.interfaces`. Throws
// std::runtime_error naming the interface and libpcap's reason.
std::vector<std::unique_ptr<PacketInput>> open_pcap_live(const PcapLiveOptions& options, std::size_t workers);

}  // namespace dnswatch
