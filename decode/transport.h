// Link, tunnel, IP, UDP and TCP layers: from a captured frame to the DNS
// messages it carries, with IP fragments and TCP streams reassembled.
#pragma once

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "capture/packet.h"
#include "decode/decode_counters.h"
#include "decode/dns_datagram.h"

namespace dnswatch {

class BlockPool;
class DnstapDecoder;
class IpReassembler;
class TcpReassembler;

struct TransportOptions {
    std::vector<std::uint16_t> dns_ports{53};     // UDP and TCP; 853 is never decoded
    std::vector<std::uint16_t> gtpu_ports{2152};  // UDP ports of GTP-U (either end), after the DNS ports
    std::size_t max_fragment_datagrams = 256;   // IP datagrams in reassembly at once
    std::size_t max_tcp_flows = 4096;           // TCP flows tracked at once
    std::size_t tcp_flow_bytes = 65537;         // held per flow direction: one whole message
    std::size_t total_bytes = 32u << 20;        // memory for all held bytes, allocated up front
    std::int64_t timeout_ms = 30000;            // fragments and idle flows, in packet time
};

enum class TransportResult : std::uint8_t {
    dns,        // the frame completed at least one DNS message
    held,       // taken into reassembly (counted in counters.held)
    skipped,    // well formed, not DNS we decode (counted in counters.skipped)
    malformed,  // counted in counters.malformed
};

// A set of ports, asked about for every UDP datagram and TCP segment. Bit
// p % 64 of a word is set for every port p of the set: most ports asked
// about (a client's ephemeral one) are told apart there, in a register,
// rather than by a load from a random word of the 8 KiB bitset, which
// missed the L1 cache for about one query in two (~1% of replay).
class PortSet {
public:
    void add(std::uint16_t port) {
        ports_.set(port);
        residues_ |= std::uint64_t{1} << (port % 64);
    }
    bool contains(std::uint16_t port) const {
        return ((residues_ >> (port % 64)) & 1) != 0 && ports_.test(port);
    }

private:
    std::bitset<65536> ports_;
    std::uint64_t residues_ = 0;
};

// Peels link (Ethernet with 802.1Q/QinQ, Linux SLL and SLL2, raw IPv4/IPv6,
// BSD loopback), MPLS, tunnels (GTP-U, GRE with PPP inside or not, VXLAN,
// Geneve, IP in IP), IPv4 / IPv6 (walking extension headers, reassembling
// fragments), UDP and TCP (reassembling RFC 7766 streams). A datagram or
// flow is DNS when either port is one of the DNS ports. State is bounded by
// the options; time is packet time.
//
// A UDP datagram on a DNS port costs no lookup and no copy: its message is
// handed out in place.
//
// A frame of link type kLinkTypeDnstap is one dnstap message: its DNS
// message goes to the same sink with the addressing dnstap gives, and the
// sink sees the frame with the message's own time (decode/dnstap_message.h
// says why dnstap enters here). DNS ports do not apply to it.
class TransportDecoder {
public:
    explicit TransportDecoder(const TransportOptions& options = {});
    ~TransportDecoder();
    TransportDecoder(const TransportDecoder&) = delete;
    TransportDecoder& operator=(const TransportDecoder&) = delete;

    // Hands every DNS message the frame completes to `sink` (0..N of them:
    // a TCP segment may end several, a fragment completes a datagram later).
    TransportResult decode(const PacketView& packet, DnsMessageSink& sink);

    // Ends everything in progress (end of input); what is dropped is counted.
    void flush();

    const DecodeCounters& counters() const { return counters_; }
    DecodeCounters& counters() { return counters_; }
    std::size_t fragment_datagrams_in_flight() const;
    std::size_t tcp_flows() const;
    std::size_t free_bytes() const;  // of the reassembly memory

private:
    struct Layers;  // the per-frame walk, in transport.cc
    TransportResult decode_dnstap(const PacketView& packet, DnsMessageSink& sink);
    std::span<std::uint8_t> scratch(int depth) {
        return {datagram_scratch_[depth].get(), 65535};
    }
    std::span<std::uint8_t> carrier_scratch(int depth);
    friend struct Layers;

    DecodeCounters counters_;
    PortSet dns_ports_;
    std::unique_ptr<BlockPool> pool_;
    std::unique_ptr<IpReassembler> ip_;
    std::unique_ptr<TcpReassembler> tcp_;
    std::unique_ptr<DnstapDecoder> dnstap_;  // made at the first dnstap frame
    std::int64_t now_us_ = 0;  // the latest packet time seen: captures may step back
    // One buffer per level of nesting, for datagrams reassembled from
    // fragments: a tunnel inside a reassembled datagram may carry fragments too.
    static constexpr int kMaxReassemblyDepth = 2;
    std::unique_ptr<std::uint8_t[]> datagram_scratch_[kMaxReassemblyDepth];
    // And for the frames of their fragments (IpReassembler::kMaxCarrierBytes each).
    std::unique_ptr<std::uint8_t[]> carrier_scratch_[kMaxReassemblyDepth];
    // The frames of the other fragments of the datagram the frame being
    // walked completed (decode/carrier_frames.h), in carrier_scratch_.
    std::span<const std::uint8_t> fragment_carriers_;
    PortSet gtpu_ports_;  // asked only about UDP that is not DNS
    Tunnel tunnel_;       // the innermost tunnel of the frame being walked
};

}  // namespace dnswatch
