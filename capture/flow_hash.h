// Which worker a frame goes to when one reader feeds several (pcap_file with
// more than one worker): a hash of its flow that is the same in both
// directions (a query and its response, both halves of a TCP stream land on
// one worker's reassembler) and the same for every fragment of an IP
// datagram, including the first one, which alone carries the ports.
#pragma once

#include <cstdint>

#include "capture/packet.h"

namespace dnswatch {

// Symmetric flow hash of a frame:
//  - TCP and UDP, not fragmented: the addresses and ports, either order;
//  - any IP fragment: the addresses and the fragment id, either order;
//  - other IP: the addresses, either order;
//  - anything it cannot parse (unknown link type, truncated): 0.
// Reads the link layer (Ethernet with VLAN/QinQ and MPLS, Linux SLL/SLL2,
// raw IP, BSD loopback) and the outermost IP header; tunnels hash by their
// outer addresses, which is consistent if not well spread.
std::uint32_t flow_hash(const PacketView& packet);

}  // namespace dnswatch
