#include "capture/pcap_file_source.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace dnswatch {
namespace {

// Slots hold a whole snap length so that a packet is never cut by us; the
// bounds keep a bogus header (snaplen 0, or 2 GB in a fuzzed file) from
// shrinking slots below a normal frame or blowing up the arena.
constexpr std::size_t kMinSlotSize = 65535;
constexpr std::size_t kMaxSlotSize = 262144;

// The last second RFC 3339 can write (9999-12-31T23:59:59Z). pcapng stores
// 64-bit timestamps in units the file chooses (if_tsresol), so a crafted
// file gives libpcap seconds near 2^63, whose microseconds overflow int64.
constexpr std::int64_t kLastSecond = 253'402'300'799;

}  // namespace

std::optional<std::int64_t> packet_time_us(std::int64_t seconds, std::int64_t microseconds) {
    if (seconds < 0 || seconds > kLastSecond || microseconds < 0 || microseconds >= 1'000'000) return std::nullopt;
    return seconds * 1'000'000 + microseconds;
}

PcapFileSource::PcapFileSource(const std::string& path) : path_(path) {
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    // Nanosecond precision: libpcap scales every format (microsecond and
    // nanosecond pcap, pcapng with any if_tsresol) to it, so the evidence
    // keeps what the capture had; detection takes the microseconds.
    handle_.reset(
        pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf));
    if (!handle_) throw std::runtime_error(path + ": " + errbuf);

    link_type_ = pcap_datalink(handle_.get());

    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && st.st_size > 0)
        file_size_ = static_cast<std::uint64_t>(st.st_size);

    const int snapshot = pcap_snapshot(handle_.get());
    slot_size_ = std::clamp(snapshot > 0 ? static_cast<std::size_t>(snapshot) : kMinSlotSize,
                            kMinSlotSize, kMaxSlotSize);
    arena_ = std::make_unique_for_overwrite<std::uint8_t[]>(slot_size_ * PacketBatch::kCapacity);
}

bool PcapFileSource::next_batch(PacketBatch& batch) {
    batch.clear();
    while (!finished_ && !batch.full()) {
        pcap_pkthdr* header = nullptr;
        const std::uint8_t* data = nullptr;
        const int rc = pcap_next_ex(handle_.get(), &header, &data);
        if (rc == 1) {
            // A record can claim more than the file's snap length (pcapng
            // interfaces differ, or the header lies): keep what fits.
            const std::size_t caplen = std::min<std::size_t>(header->caplen, slot_size_);
            std::uint8_t* slot = arena_.get() + batch.size() * slot_size_;
            if (caplen > 0) std::memcpy(slot, data, caplen);
            PacketView view;
            view.bytes = std::span<const std::uint8_t>(slot, caplen);
            view.wire_length = header->len;
            // A time no calendar holds becomes the epoch, counted: the
            // packet itself is still worth decoding.
            const auto nanoseconds = static_cast<std::int64_t>(header->ts.tv_usec);  // tv_usec holds ns here
            const auto time = nanoseconds >= 0 && nanoseconds < 1'000'000'000
                                  ? packet_time_us(static_cast<std::int64_t>(header->ts.tv_sec), nanoseconds / 1000)
                                  : std::nullopt;
            if (!time) ++bad_timestamps_;
            view.time_us = time.value_or(0);
            view.time_ns = time ? static_cast<std::uint16_t>(nanoseconds % 1000) : 0;
            view.link_type = link_type_;
            view.frame_number = ++packets_read_;
            batch.push(view);
        } else if (rc == PCAP_ERROR_BREAK || rc == 0) {
            // End of file (0 only happens on live captures; treat it alike).
            finished_ = true;
        } else {
            // PCAP_ERROR mid-file: a record cut short. Keep what was read.
            truncated_ = true;
            read_error_ = pcap_geterr(handle_.get());
            finished_ = true;
        }
    }
    return !batch.empty();
}

std::uint64_t PcapFileSource::bytes_read() const {
    if (!handle_) return 0;
    std::FILE* file = pcap_file(handle_.get());
    if (file == nullptr) return 0;
    const long position = std::ftell(file);
    return position > 0 ? static_cast<std::uint64_t>(position) : 0;
}

}  // namespace dnswatch
