// Named counters for everything decode/ skips. Bad input is counted, never
// thrown or logged per packet (CONVENTIONS 5). Each kind is declared once, in
// the X-macro below, which gives the enum and its printable name together.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dnswatch {

// Packets that are well formed but not DNS we read (not malformed).
#define DNSWATCH_SKIP_KINDS(X)                                                   \
    X(unsupported_link_type) /* link type we do not decode */                    \
    X(not_ip)                /* link payload is not IPv4/IPv6 (ARP, LLDP...) */   \
    X(not_udp)               /* IP payload is not UDP (ICMP, TCP for now...) */   \
    X(not_dns_port)          /* UDP, but neither port is a DNS port */            \
    X(ip_fragment)           /* IP fragment: reassembly is not done yet */        \
    X(tcp_dns)               /* DNS over TCP: stream reassembly is not done yet */

// Malformed input: counted and skipped.
#define DNSWATCH_MALFORMED_KINDS(X)                                               \
    X(link_truncated)        /* frame shorter than its link-layer header */       \
    X(ip_truncated)          /* shorter than the IP header or its total length */ \
    X(ip_bad_header)         /* bad version / header length / total length */     \
    X(ip6_bad_ext_header)    /* IPv6 extension header chain runs off the end */   \
    X(udp_truncated)         /* shorter than the UDP header or its length */      \
    X(udp_bad_length)        /* UDP length field smaller than 8 */                \
    X(dns_truncated_header)  /* fewer than 12 bytes of DNS */                     \
    X(dns_count_exceeds_bytes) /* header counts claim more RRs than bytes allow */ \
    X(dns_truncated)         /* a question or record runs off the end */          \
    X(dns_bad_label_type)    /* label type 0x40 / 0x80 (extended, obsolete) */    \
    X(dns_name_too_long)     /* name longer than 255 bytes in wire form */        \
    X(dns_forward_pointer)   /* compression pointer not strictly backwards */     \
    X(dns_pointer_loop)      /* more compression hops than the cap */             \
    X(dns_bad_rdata)         /* rdata does not match its type's layout */         \
    X(dns_too_large)         /* message longer than 65535 bytes */

enum class SkipKind : std::uint8_t {
#define DNSWATCH_ENUM(name) name,
    DNSWATCH_SKIP_KINDS(DNSWATCH_ENUM)
#undef DNSWATCH_ENUM
};

enum class MalformedKind : std::uint8_t {
    none = 0,
#define DNSWATCH_ENUM(name) name,
    DNSWATCH_MALFORMED_KINDS(DNSWATCH_ENUM)
#undef DNSWATCH_ENUM
};

inline constexpr std::array<std::string_view, 6> kSkipKindNames = {
#define DNSWATCH_NAME(name) #name,
    DNSWATCH_SKIP_KINDS(DNSWATCH_NAME)
#undef DNSWATCH_NAME
};

inline constexpr std::array<std::string_view, 16> kMalformedKindNames = {
    "none",
#define DNSWATCH_NAME(name) #name,
    DNSWATCH_MALFORMED_KINDS(DNSWATCH_NAME)
#undef DNSWATCH_NAME
};

inline constexpr std::string_view name_of(SkipKind kind) {
    return kSkipKindNames[static_cast<std::size_t>(kind)];
}
inline constexpr std::string_view name_of(MalformedKind kind) {
    return kMalformedKindNames[static_cast<std::size_t>(kind)];
}

struct DecodeCounters {
    std::array<std::uint64_t, kSkipKindNames.size()> skipped{};
    std::array<std::uint64_t, kMalformedKindNames.size()> malformed{};  // [0] unused

    void count(SkipKind kind) { ++skipped[static_cast<std::size_t>(kind)]; }
    void count(MalformedKind kind) { ++malformed[static_cast<std::size_t>(kind)]; }
    std::uint64_t of(SkipKind kind) const { return skipped[static_cast<std::size_t>(kind)]; }
    std::uint64_t of(MalformedKind kind) const { return malformed[static_cast<std::size_t>(kind)]; }
    std::uint64_t malformed_total() const {
        std::uint64_t total = 0;
        for (std::size_t i = 1; i < malformed.size(); ++i) total += malformed[i];
        return total;
    }
};

}  // namespace dnswatch
