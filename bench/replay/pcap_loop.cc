// The two references scripts/bench-replay measures `dnswatch replay` against,
// on the same capture file, in the same run (CONVENTIONS 14):
//   bench_pcap_loop bare FILE   libpcap reading every packet and touching it
//                               (its first and last byte): the ceiling for
//                               anything built on libpcap
//   bench_pcap_loop ldns FILE   the same, plus ldns_wire2pkt on every DNS
//                               message (UDP payloads, and TCP segments that
//                               hold a whole length-prefixed message): what a
//                               sensor built on ldns would cost
// Prints one line: "<mode>: N packets, M DNS messages, R packets/s (S s)".
#include <pcap/pcap.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include <ldns/ldns.h>

namespace {

struct Totals {
    std::uint64_t packets = 0;
    std::uint64_t messages = 0;
    std::uint64_t parsed = 0;
    std::uint64_t touched = 0;  // keeps the compiler from skipping the reads
};

// The DNS payload of an Ethernet / IPv4-or-IPv6 / UDP-or-TCP frame on port
// 53, or nullptr. Enough for the capture the benchmark generates.
const std::uint8_t* dns_payload(const std::uint8_t* frame, std::size_t length, std::size_t& size) {
    if (length < 14) return nullptr;
    std::size_t offset = 14;
    std::uint16_t type = static_cast<std::uint16_t>(frame[12] << 8 | frame[13]);
    if (type == 0x8100 && length >= 18) {
        type = static_cast<std::uint16_t>(frame[16] << 8 | frame[17]);
        offset = 18;
    }
    std::uint8_t protocol = 0;
    std::size_t l4 = 0;
    std::size_t ip_end = length;
    if (type == 0x0800 && length >= offset + 20) {
        const std::uint8_t* ip = frame + offset;
        if ((ip[6] & 0x3F) != 0 || ip[7] != 0) return nullptr;  // a fragment
        protocol = ip[9];
        l4 = offset + static_cast<std::size_t>(ip[0] & 0x0F) * 4;
        ip_end = std::min(length, offset + (static_cast<std::size_t>(ip[2]) << 8 | ip[3]));
    } else if (type == 0x86DD && length >= offset + 40) {
        protocol = frame[offset + 6];
        l4 = offset + 40;
        ip_end = std::min(length, offset + 40 + (static_cast<std::size_t>(frame[offset + 4]) << 8 | frame[offset + 5]));
    } else {
        return nullptr;
    }
    if (protocol == 17 && ip_end >= l4 + 8) {
        const std::uint16_t sport = static_cast<std::uint16_t>(frame[l4] << 8 | frame[l4 + 1]);
        const std::uint16_t dport = static_cast<std::uint16_t>(frame[l4 + 2] << 8 | frame[l4 + 3]);
        if (sport != 53 && dport != 53) return nullptr;
        size = ip_end - l4 - 8;
        return frame + l4 + 8;
    }
    if (protocol == 6 && ip_end >= l4 + 20) {
        const std::uint16_t sport = static_cast<std::uint16_t>(frame[l4] << 8 | frame[l4 + 1]);
        const std::uint16_t dport = static_cast<std::uint16_t>(frame[l4 + 2] << 8 | frame[l4 + 3]);
        if (sport != 53 && dport != 53) return nullptr;
        const std::size_t data = l4 + static_cast<std::size_t>(frame[l4 + 12] >> 4) * 4;
        if (ip_end < data + 2) return nullptr;
        const std::size_t declared = static_cast<std::size_t>(frame[data]) << 8 | frame[data + 1];
        if (ip_end - data - 2 < declared || declared == 0) return nullptr;  // not one whole message
        size = declared;
        return frame + data + 2;
    }
    return nullptr;
}

void on_packet_bare(u_char* user, const pcap_pkthdr* header, const u_char* bytes) {
    auto* totals = reinterpret_cast<Totals*>(user);
    ++totals->packets;
    if (header->caplen > 0) totals->touched += bytes[0] + bytes[header->caplen - 1];
}

void on_packet_ldns(u_char* user, const pcap_pkthdr* header, const u_char* bytes) {
    auto* totals = reinterpret_cast<Totals*>(user);
    ++totals->packets;
    std::size_t size = 0;
    const std::uint8_t* dns = dns_payload(bytes, header->caplen, size);
    if (dns == nullptr) return;
    ++totals->messages;
    ldns_pkt* packet = nullptr;
    if (ldns_wire2pkt(&packet, dns, size) == LDNS_STATUS_OK) {
        ++totals->parsed;
        totals->touched += ldns_pkt_ancount(packet);
        ldns_pkt_free(packet);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3 || (std::strcmp(argv[1], "bare") != 0 && std::strcmp(argv[1], "ldns") != 0)) {
        std::fprintf(stderr, "usage: bench_pcap_loop bare|ldns FILE\n");
        return 2;
    }
    const bool ldns = std::strcmp(argv[1], "ldns") == 0;
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    const auto start = std::chrono::steady_clock::now();
    pcap_t* pcap = pcap_open_offline(argv[2], errbuf);
    if (pcap == nullptr) {
        std::fprintf(stderr, "bench_pcap_loop: %s\n", errbuf);
        return 1;
    }
    Totals totals;
    const int rc = pcap_loop(pcap, -1, ldns ? on_packet_ldns : on_packet_bare, reinterpret_cast<u_char*>(&totals));
    pcap_close(pcap);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (rc == PCAP_ERROR) {
        std::fprintf(stderr, "bench_pcap_loop: read error\n");
        return 1;
    }
    std::printf("%s: %llu packets, %llu DNS messages, %.0f packets/s (%.3f s) [%llu]\n", argv[1],
                static_cast<unsigned long long>(totals.packets), static_cast<unsigned long long>(totals.messages),
                seconds > 0 ? static_cast<double>(totals.packets) / seconds : 0.0, seconds,
                static_cast<unsigned long long>(totals.touched % 10));
    return 0;
}
