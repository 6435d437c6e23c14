// The DNS messages of a set of captures, loaded once for benchmarks. Reads
// pcap/pcapng with libpcap and peels link / IPv4 / IPv6 / UDP (and whole
// messages inside single TCP segments) itself, so that the benchmark does
// not move when decode/transport changes; no reassembly, fragments skipped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace dnswatch::bench {

class DnsCorpus {
public:
    // Adds every DNS message (UDP or TCP, port 53) of a capture, or of every
    // .pcap/.pcapng below a folder. Returns the number of messages added;
    // captures libpcap cannot open are counted in unreadable().
    std::size_t add(const std::string& path);

    // Views of every message, contiguous in memory; valid until the next add().
    std::span<const std::span<const std::uint8_t>> messages();
    std::size_t unreadable() const { return unreadable_; }
    std::size_t captures() const { return captures_; }

    // Keeps only the messages `keep` returns true for.
    template <typename Predicate>
    void filter(Predicate keep) {
        std::vector<std::uint8_t> bytes;
        std::vector<std::pair<std::size_t, std::size_t>> extents;
        for (const auto& message : messages()) {
            if (!keep(message)) continue;
            extents.emplace_back(bytes.size(), message.size());
            bytes.insert(bytes.end(), message.begin(), message.end());
        }
        bytes_ = std::move(bytes);
        extents_ = std::move(extents);
        views_.clear();
    }

private:
    void add_capture(const std::string& file);
    void add_message(std::span<const std::uint8_t> message);

    std::vector<std::uint8_t> bytes_;                           // every message, back to back
    std::vector<std::pair<std::size_t, std::size_t>> extents_;  // offset, length in bytes_
    std::vector<std::span<const std::uint8_t>> views_;
    std::size_t unreadable_ = 0;
    std::size_t captures_ = 0;
};

}  // namespace dnswatch::bench
