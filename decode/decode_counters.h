// Named counters for everything decode/ skips, holds or finds malformed. Bad
// input is counted, never thrown or logged per packet (CONVENTIONS 5). Each
// kind is declared once, in the X-macros below, which give the enum, its
// printable name and the array sizes together.
//
// Every frame ends as exactly one of: DNS (it completed at least one message),
// one held kind, one skip kind, one malformed kind. Reassembly events
// (timeouts, evictions, gaps...) are counted apart: they concern state built
// from earlier frames, not the frame at hand. So are the tunnels a frame
// was carried through: one frame may go through several.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dnswatch {

// Packets that are well formed but not DNS we read (not malformed).
#define DNSWATCH_SKIP_KINDS(X)                                                     \
    X(unsupported_link_type) /* link type we do not decode */                      \
    X(not_ip)                /* link payload is not IPv4/IPv6 (ARP, LLDP...) */     \
    X(not_udp_tcp)           /* IP payload is neither UDP nor TCP (ICMP, ESP...) */ \
    X(not_dns_port)          /* UDP/TCP, but neither port is a DNS port */          \
    X(dns_over_tls)          /* port 853 (TLS, DTLS, QUIC): encrypted, never read */ \
    X(tunnel_too_deep)       /* more nested tunnels or reassemblies than we peel */ \
    X(dnstap_no_dns)         /* a dnstap event without the DNS message its type names, or an UPDATE */ \
    X(gtp_u_not_tpdu)        /* on a GTP-U port, no user packet: echo, error indication, end marker, not GTPv1 */ \
    X(ppp_not_ip)            /* PPP in GRE without IP: LCP, IPCP, CCP..., or an acknowledgement alone */

// Frames taken into reassembly that completed no DNS message yet.
#define DNSWATCH_HELD_KINDS(X)                                                     \
    X(ip_fragment)           /* stored until its datagram is complete */           \
    X(tcp_segment)           /* DNS-port TCP: handshake, ACK, FIN, part of a message */

// Malformed input: counted and skipped.
#define DNSWATCH_MALFORMED_KINDS(X)                                                 \
    X(link_truncated)        /* frame shorter than its link-layer header */         \
    X(ip_truncated)          /* shorter than the IP header or its total length */   \
    X(ip_bad_header)         /* bad version / header length / total length */       \
    X(ip6_bad_ext_header)    /* IPv6 extension header chain runs off the end */     \
    X(udp_truncated)         /* shorter than the UDP header or its length */        \
    X(udp_bad_length)        /* UDP length field smaller than 8 */                  \
    X(tcp_truncated)         /* shorter than the TCP header or its data offset */   \
    X(tcp_bad_header)        /* TCP data offset below 5 words */                    \
    X(tunnel_truncated)      /* GTP-U/GRE/PPP/VXLAN/Geneve/MPLS header runs off the end */ \
    X(tunnel_bad_header)     /* a GTP-U extension header of length 0 */            \
    X(frag_bad_length)       /* a non-final fragment not a multiple of 8 bytes */   \
    X(frag_too_large)        /* fragments reach past 65535 bytes */                 \
    X(frag_overlap)          /* IPv6 overlap (RFC 5722), IPv4 conflicting overlap */ \
    X(dns_truncated_header)  /* fewer than 12 bytes of DNS */                       \
    X(dns_count_exceeds_bytes) /* header counts claim more RRs than bytes allow */  \
    X(dns_truncated)         /* a question or record runs off the end */            \
    X(dns_bad_label_type)    /* label type 0x40 / 0x80 (extended, obsolete) */      \
    X(dns_name_too_long)     /* name longer than 255 bytes in wire form */          \
    X(dns_forward_pointer)   /* compression pointer not strictly backwards */       \
    X(dns_pointer_into_header) /* compression pointer into the 12-byte header */    \
    X(dns_pointer_loop)      /* more compression hops than the cap */               \
    X(dns_bad_rdata)         /* rdata does not match its type's layout */           \
    X(dns_too_large)         /* message longer than 65535 bytes */              \
    X(dnstap_undecodable)    /* a frame that is not a dnstap protobuf (or lacks a required field) */ \
    X(dnstap_bad_address)    /* an address neither 4 nor 16 bytes, or not of its socket family */ \
    X(dnstap_too_large)      /* a frame larger than the dnstap decoder takes (1 MiB) */

// Reassembly events: what happened to state built from earlier frames.
#define DNSWATCH_REASSEMBLY_EVENTS(X)                                                \
    X(frag_reassembled)      /* IP datagrams completed from fragments */             \
    X(frag_duplicate)        /* fragments whose bytes were all held already */       \
    X(frag_timeout)          /* datagrams dropped incomplete after the timeout */    \
    X(frag_evicted)          /* datagrams dropped for room (table or memory full) */ \
    X(frag_too_many)         /* datagrams dropped for having too many fragments */   \
    X(frag_carrier_dropped)  /* fragments' frames not kept for evidence */           \
    X(tcp_flow)              /* TCP flows tracked (on a DNS port) */                 \
    X(tcp_midstream)         /* flows first seen without their SYN */                \
    X(tcp_gap)               /* bytes that never came: the stream was resynced */    \
    X(tcp_resync_skipped)    /* segments passed over while finding a message start */ \
    X(tcp_retransmit)        /* segments whose bytes were all seen already */        \
    X(tcp_message_dropped)   /* messages too large for the buffer or memory */       \
    X(tcp_incomplete)        /* flows ended holding part of a message */             \
    X(tcp_flow_timeout)      /* flows ended after the idle timeout */                \
    X(tcp_flow_evicted)      /* flows ended for room (table or memory full) */ \
    X(tcp_carrier_dropped)   /* frames of a spanning message not kept for evidence */

// Encapsulations peeled: packets handed on to the layer a tunnel carries,
// counted per tunnel header (a GTP-U packet inside GRE counts once in each).
// Every kind but MPLS runs between two IP addresses, and the innermost one
// a DNS message came through is named in the vantage of its alerts.
#define DNSWATCH_TUNNEL_KINDS(X)                                                     \
    X(gtp_u)                 /* GTPv1-U T-PDUs (3GPP TS 29.281), decode.gtpu_ports */ \
    X(gre)                   /* GRE (RFC 2784, 2890) carrying IP, Ethernet or MPLS */ \
    X(gre_ppp)               /* PPP in GRE: enhanced GRE (PPTP, RFC 2637), or 0x880B */ \
    X(vxlan)                 /* VXLAN (RFC 7348), UDP port 4789 */                    \
    X(geneve)                /* Geneve (RFC 8926), UDP port 6081 */                   \
    X(ip_in_ip)              /* IPv4 or IPv6 right inside IPv4 or IPv6 */             \
    X(mpls)                  /* MPLS label stacks */

#define DNSWATCH_ENUM(name) name,
#define DNSWATCH_NAME(name) #name,
#define DNSWATCH_ONE(name) +1

enum class SkipKind : std::uint8_t { DNSWATCH_SKIP_KINDS(DNSWATCH_ENUM) };
enum class HeldKind : std::uint8_t { DNSWATCH_HELD_KINDS(DNSWATCH_ENUM) };
enum class MalformedKind : std::uint8_t { none = 0, DNSWATCH_MALFORMED_KINDS(DNSWATCH_ENUM) };
enum class ReassemblyEvent : std::uint8_t { DNSWATCH_REASSEMBLY_EVENTS(DNSWATCH_ENUM) };
enum class TunnelKind : std::uint8_t { DNSWATCH_TUNNEL_KINDS(DNSWATCH_ENUM) };

// Sizes derived from the lists, so that adding a kind cannot leave an array short.
inline constexpr std::size_t kSkipKindCount = 0 DNSWATCH_SKIP_KINDS(DNSWATCH_ONE);
inline constexpr std::size_t kHeldKindCount = 0 DNSWATCH_HELD_KINDS(DNSWATCH_ONE);
inline constexpr std::size_t kMalformedKindCount = 1 DNSWATCH_MALFORMED_KINDS(DNSWATCH_ONE);  // + none
inline constexpr std::size_t kReassemblyEventCount = 0 DNSWATCH_REASSEMBLY_EVENTS(DNSWATCH_ONE);
inline constexpr std::size_t kTunnelKindCount = 0 DNSWATCH_TUNNEL_KINDS(DNSWATCH_ONE);

inline constexpr std::array<std::string_view, kSkipKindCount> kSkipKindNames = {
    DNSWATCH_SKIP_KINDS(DNSWATCH_NAME)};
inline constexpr std::array<std::string_view, kHeldKindCount> kHeldKindNames = {
    DNSWATCH_HELD_KINDS(DNSWATCH_NAME)};
inline constexpr std::array<std::string_view, kMalformedKindCount> kMalformedKindNames = {
    "none", DNSWATCH_MALFORMED_KINDS(DNSWATCH_NAME)};
inline constexpr std::array<std::string_view, kReassemblyEventCount> kReassemblyEventNames = {
    DNSWATCH_REASSEMBLY_EVENTS(DNSWATCH_NAME)};
inline constexpr std::array<std::string_view, kTunnelKindCount> kTunnelKindNames = {
    DNSWATCH_TUNNEL_KINDS(DNSWATCH_NAME)};

#undef DNSWATCH_ENUM
#undef DNSWATCH_NAME
#undef DNSWATCH_ONE

inline constexpr std::string_view name_of(SkipKind kind) {
    return kSkipKindNames[static_cast<std::size_t>(kind)];
}
inline constexpr std::string_view name_of(HeldKind kind) {
    return kHeldKindNames[static_cast<std::size_t>(kind)];
}
inline constexpr std::string_view name_of(MalformedKind kind) {
    return kMalformedKindNames[static_cast<std::size_t>(kind)];
}
inline constexpr std::string_view name_of(ReassemblyEvent event) {
    return kReassemblyEventNames[static_cast<std::size_t>(event)];
}
inline constexpr std::string_view name_of(TunnelKind kind) {
    return kTunnelKindNames[static_cast<std::size_t>(kind)];
}

struct DecodeCounters {
    std::array<std::uint64_t, kSkipKindCount> skipped{};
    std::array<std::uint64_t, kHeldKindCount> held{};
    std::array<std::uint64_t, kMalformedKindCount> malformed{};  // [0] unused
    std::array<std::uint64_t, kReassemblyEventCount> events{};
    std::array<std::uint64_t, kTunnelKindCount> decapsulated{};

    void count(SkipKind kind) { ++skipped[static_cast<std::size_t>(kind)]; }
    void count(HeldKind kind) { ++held[static_cast<std::size_t>(kind)]; }
    void count(MalformedKind kind) { ++malformed[static_cast<std::size_t>(kind)]; }
    void count(ReassemblyEvent event, std::uint64_t n = 1) {
        events[static_cast<std::size_t>(event)] += n;
    }
    void count(TunnelKind kind) { ++decapsulated[static_cast<std::size_t>(kind)]; }
    std::uint64_t of(SkipKind kind) const { return skipped[static_cast<std::size_t>(kind)]; }
    std::uint64_t of(HeldKind kind) const { return held[static_cast<std::size_t>(kind)]; }
    std::uint64_t of(MalformedKind kind) const { return malformed[static_cast<std::size_t>(kind)]; }
    std::uint64_t of(ReassemblyEvent event) const {
        return events[static_cast<std::size_t>(event)];
    }
    std::uint64_t of(TunnelKind kind) const { return decapsulated[static_cast<std::size_t>(kind)]; }
    std::uint64_t skipped_total() const {
        std::uint64_t total = 0;
        for (std::uint64_t n : skipped) total += n;
        return total;
    }
    std::uint64_t held_total() const {
        std::uint64_t total = 0;
        for (std::uint64_t n : held) total += n;
        return total;
    }
    std::uint64_t malformed_total() const {
        std::uint64_t total = 0;
        for (std::size_t i = 1; i < malformed.size(); ++i) total += malformed[i];
        return total;
    }
};

}  // namespace dnswatch
