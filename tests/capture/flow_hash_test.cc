// flow_hash decides which worker a replayed frame goes to. What matters:
// both directions of a flow, and every fragment of a datagram (the first,
// with ports, and the rest, without), land on the same worker; different
// flows spread.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <cstdint>
#include <set>
#include <vector>

#include "capture/flow_hash.h"

namespace dnswatch {
namespace {

using Bytes = std::vector<std::uint8_t>;

void put16(Bytes& b, std::size_t at, std::uint16_t v) {
    b[at] = static_cast<std::uint8_t>(v >> 8);
    b[at + 1] = static_cast<std::uint8_t>(v);
}

// IPv4 with a UDP (17) or TCP (6) header, optionally a fragment.
Bytes ipv4(const char* src, const char* dst, std::uint8_t protocol, std::uint16_t sport, std::uint16_t dport,
           std::uint16_t id = 1, bool more_fragments = false, std::uint16_t offset8 = 0) {
    Bytes ip(20 + 8, 0);
    ip[0] = 0x45;
    put16(ip, 2, static_cast<std::uint16_t>(ip.size()));
    put16(ip, 4, id);
    put16(ip, 6, static_cast<std::uint16_t>((more_fragments ? 0x2000 : 0) | offset8));
    ip[8] = 64;
    ip[9] = protocol;
    inet_pton(AF_INET, src, &ip[12]);
    inet_pton(AF_INET, dst, &ip[16]);
    if (offset8 == 0) {
        put16(ip, 20, sport);
        put16(ip, 22, dport);
    } else {
        for (std::size_t i = 20; i < ip.size(); ++i) ip[i] = 0xAB;  // payload bytes, not ports
    }
    return ip;
}

Bytes ipv6(const char* src, const char* dst, std::uint16_t sport, std::uint16_t dport, bool fragment = false,
           std::uint32_t id = 0, std::uint16_t offset8 = 0) {
    Bytes ip(40, 0);
    ip[0] = 0x60;
    ip[6] = fragment ? 44 : 17;
    ip[7] = 64;
    inet_pton(AF_INET6, src, &ip[8]);
    inet_pton(AF_INET6, dst, &ip[24]);
    if (fragment) {
        Bytes frag(8, 0);
        frag[0] = 17;
        put16(frag, 2, static_cast<std::uint16_t>(offset8 << 3 | 1));
        frag[4] = static_cast<std::uint8_t>(id >> 24);
        frag[5] = static_cast<std::uint8_t>(id >> 16);
        frag[6] = static_cast<std::uint8_t>(id >> 8);
        frag[7] = static_cast<std::uint8_t>(id);
        ip.insert(ip.end(), frag.begin(), frag.end());
    }
    Bytes udp(8, 0);
    if (offset8 == 0) {
        put16(udp, 0, sport);
        put16(udp, 2, dport);
    }
    ip.insert(ip.end(), udp.begin(), udp.end());
    return ip;
}

Bytes ethernet(const Bytes& ip, int vlans = 0) {
    Bytes frame(12, 0);
    for (int i = 0; i < vlans; ++i) frame.insert(frame.end(), {0x81, 0x00, 0x00, 0x05});
    const std::uint16_t type = (ip[0] >> 4) == 6 ? 0x86DD : 0x0800;
    frame.push_back(static_cast<std::uint8_t>(type >> 8));
    frame.push_back(static_cast<std::uint8_t>(type));
    frame.insert(frame.end(), ip.begin(), ip.end());
    return frame;
}

std::uint32_t hash(const Bytes& bytes, int link_type) {
    PacketView packet;
    packet.bytes = bytes;
    packet.link_type = link_type;
    return flow_hash(packet);
}

TEST(FlowHash, BothDirectionsOfAFlowHashAlike) {
    const auto query = hash(ethernet(ipv4("192.0.2.1", "198.51.100.7", 17, 40000, 53)), 1);
    const auto response = hash(ethernet(ipv4("198.51.100.7", "192.0.2.1", 17, 53, 40000)), 1);
    EXPECT_EQ(query, response);
    EXPECT_NE(query, 0u);
    const auto v6q = hash(ethernet(ipv6("2001:db8::1", "2001:db8::53", 40000, 53)), 1);
    const auto v6r = hash(ethernet(ipv6("2001:db8::53", "2001:db8::1", 53, 40000)), 1);
    EXPECT_EQ(v6q, v6r);
}

TEST(FlowHash, EveryFragmentOfADatagramHashesAlike) {
    const auto first = hash(ethernet(ipv4("192.0.2.1", "198.51.100.7", 17, 53, 40000, 777, true, 0)), 1);
    const auto middle = hash(ethernet(ipv4("192.0.2.1", "198.51.100.7", 17, 0, 0, 777, true, 185)), 1);
    const auto last = hash(ethernet(ipv4("192.0.2.1", "198.51.100.7", 17, 0, 0, 777, false, 370)), 1);
    EXPECT_EQ(first, middle);
    EXPECT_EQ(first, last);
    const auto other_datagram = hash(ethernet(ipv4("192.0.2.1", "198.51.100.7", 17, 0, 0, 778, false, 370)), 1);
    EXPECT_NE(first, other_datagram);

    const auto v6first = hash(ethernet(ipv6("2001:db8::53", "2001:db8::1", 53, 40000, true, 99, 0)), 1);
    const auto v6last = hash(ethernet(ipv6("2001:db8::53", "2001:db8::1", 0, 0, true, 99, 181)), 1);
    EXPECT_EQ(v6first, v6last);
}

TEST(FlowHash, LinkLayersAreSeenThrough) {
    const Bytes ip = ipv4("192.0.2.1", "198.51.100.7", 6, 40000, 53);
    const auto raw = hash(ip, 12);
    EXPECT_EQ(hash(ethernet(ip), 1), raw);
    EXPECT_EQ(hash(ethernet(ip, 2), 1), raw);  // QinQ
    Bytes sll(16, 0);
    sll[14] = 0x08;
    sll.insert(sll.end(), ip.begin(), ip.end());
    EXPECT_EQ(hash(sll, 113), raw);
    Bytes loopback = {2, 0, 0, 0};
    loopback.insert(loopback.end(), ip.begin(), ip.end());
    EXPECT_EQ(hash(loopback, 0), raw);
}

TEST(FlowHash, FlowsSpreadOverWorkers) {
    std::set<std::uint32_t> workers;
    for (std::uint16_t port = 40000; port < 40064; ++port) {
        workers.insert(hash(ethernet(ipv4("127.0.0.1", "127.0.0.11", 17, port, 53)), 1) % 4);
    }
    EXPECT_EQ(workers.size(), 4u);
}

TEST(FlowHash, WhatCannotBeParsedGoesToZero) {
    EXPECT_EQ(hash(Bytes{1, 2, 3}, 1), 0u);
    EXPECT_EQ(hash(ethernet(ipv4("192.0.2.1", "198.51.100.7", 17, 1, 2)), 999), 0u);
    Bytes arp(14, 0);
    arp[12] = 0x08;
    arp[13] = 0x06;
    EXPECT_EQ(hash(arp, 1), 0u);
}

}  // namespace
}  // namespace dnswatch
