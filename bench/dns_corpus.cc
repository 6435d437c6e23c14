#include "bench/dns_corpus.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>

#include <pcap/pcap.h>

namespace dnswatch::bench {
namespace {

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }

constexpr std::size_t kNoNetwork = SIZE_MAX;

// Offset of the IP header for the link types libpcap reports, or kNoNetwork.
std::size_t network_offset(int link_type, std::span<const std::uint8_t> f) {
    auto after_ethertype = [&](std::size_t type_at) -> std::size_t {
        for (int tags = 0; tags <= 4; ++tags) {
            if (f.size() < type_at + 2) return kNoNetwork;
            const std::uint16_t type = be16(&f[type_at]);
            if (type == 0x0800 || type == 0x86dd) return type_at + 2;
            if (type != 0x8100 && type != 0x88a8 && type != 0x9100) return kNoNetwork;
            type_at += 4;  // VLAN tag: TCI, then the next EtherType
        }
        return kNoNetwork;
    };
    switch (link_type) {
        case 1: return after_ethertype(12);                // Ethernet
        case 113: return after_ethertype(14);              // Linux SLL
        case 276: return f.size() >= 20 ? 20 : kNoNetwork;  // Linux SLL2
        case 0: case 108: return f.size() >= 4 ? 4 : kNoNetwork;  // BSD loopback
        case 12: case 14: case 101: case 228: case 229: return 0;  // raw IP
        default: return kNoNetwork;
    }
}

bool is_ipv6_extension(std::uint8_t next) {
    return next == 0 || next == 43 || next == 60 || next == 51 || next == 135 || next == 139 || next == 140;
}

}  // namespace

std::size_t DnsCorpus::add(const std::string& path) {
    const std::size_t before = extents_.size();
    if (std::filesystem::is_directory(path)) {
        std::vector<std::string> files;
        for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
            const std::string name = entry.path().string();
            if (entry.is_regular_file() && (name.ends_with(".pcap") || name.ends_with(".pcapng"))) {
                files.push_back(name);
            }
        }
        std::sort(files.begin(), files.end());
        for (const std::string& file : files) add_capture(file);
    } else {
        add_capture(path);
    }
    views_.clear();
    return extents_.size() - before;
}

std::span<const std::span<const std::uint8_t>> DnsCorpus::messages() {
    if (views_.size() != extents_.size()) {
        views_.clear();
        for (const auto& [offset, length] : extents_) views_.emplace_back(bytes_.data() + offset, length);
    }
    return views_;
}

void DnsCorpus::add_message(std::span<const std::uint8_t> message) {
    extents_.emplace_back(bytes_.size(), message.size());
    bytes_.insert(bytes_.end(), message.begin(), message.end());
}

void DnsCorpus::add_capture(const std::string& file) {
    char error[PCAP_ERRBUF_SIZE];
    std::unique_ptr<pcap_t, decltype(&pcap_close)> handle(pcap_open_offline(file.c_str(), error), pcap_close);
    if (!handle) {
        ++unreadable_;
        return;
    }
    ++captures_;
    const int link_type = pcap_datalink(handle.get());
    pcap_pkthdr* header = nullptr;
    const std::uint8_t* data = nullptr;
    while (pcap_next_ex(handle.get(), &header, &data) == 1) {
        std::span<const std::uint8_t> f(data, header->caplen);
        std::size_t pos = network_offset(link_type, f);
        if (pos == kNoNetwork || pos >= f.size()) continue;
        std::size_t end = f.size();
        std::uint8_t protocol = 0;
        if ((f[pos] >> 4) == 4) {
            if (end - pos < 20) continue;
            const std::size_t header_length = (f[pos] & 0xFu) * 4u;
            if ((be16(&f[pos + 6]) & 0x3FFF) != 0 || header_length < 20) continue;  // fragment
            end = std::min(end, pos + std::max<std::size_t>(be16(&f[pos + 2]), header_length));
            protocol = f[pos + 9];
            pos += header_length;
        } else if ((f[pos] >> 4) == 6) {
            if (end - pos < 40) continue;
            end = std::min(end, pos + 40 + be16(&f[pos + 4]));
            protocol = f[pos + 6];
            pos += 40;
            while (is_ipv6_extension(protocol) && pos + 8 <= end) {
                const std::size_t length = protocol == 51 ? (f[pos + 1] + 2u) * 4u : (f[pos + 1] + 1u) * 8u;
                protocol = f[pos];
                pos += length;
            }
            if (is_ipv6_extension(protocol) || protocol == 44) continue;  // cut short, or a fragment
        } else {
            continue;
        }
        if (pos > end) continue;
        const auto segment = f.subspan(pos, end - pos);
        if (protocol == 17 && segment.size() >= 8) {
            if (be16(&segment[0]) != 53 && be16(&segment[2]) != 53) continue;
            const std::size_t length = std::clamp<std::size_t>(be16(&segment[4]), 8, segment.size());
            add_message(segment.subspan(8, length - 8));
        } else if (protocol == 6 && segment.size() >= 20) {
            if (be16(&segment[0]) != 53 && be16(&segment[2]) != 53) continue;
            std::size_t at = (segment[12] >> 4) * 4u;
            // Whole length-prefixed messages within this one segment.
            while (at + 2 <= segment.size()) {
                const std::size_t length = be16(&segment[at]);
                if (length == 0 || length > segment.size() - at - 2) break;
                add_message(segment.subspan(at + 2, length));
                at += 2 + length;
            }
        }
    }
}

}  // namespace dnswatch::bench
