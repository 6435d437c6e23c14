// Reads a pcap or pcapng file through libpcap and hands out batches.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <pcap/pcap.h>

#include "capture/packet.h"

namespace dnswatch {

// Microseconds since the epoch of a record's time, or nullopt when it lies
// outside 1970..9999 or its fraction is not below a second (a crafted
// pcapng: the product would overflow).
std::optional<std::int64_t> packet_time_us(std::int64_t seconds, std::int64_t microseconds);

class PcapFileSource {
public:
    // Throws std::runtime_error naming the file when libpcap cannot open it
    // (missing, unreadable, not a capture). An empty file is such an error:
    // libpcap cannot read its header.
    explicit PcapFileSource(const std::string& path);

    // Fills `batch` with up to PacketBatch::kCapacity packets. The views stay
    // valid until the next call. Returns false when the file is exhausted and
    // the batch is empty. A truncated last record ends the file and is
    // reported by truncated().
    bool next_batch(PacketBatch& batch);

    int link_type() const { return link_type_; }
    const std::string& path() const { return path_; }
    std::uint64_t packets_read() const { return packets_read_; }
    // Bytes of the file consumed so far and its total size, for progress bars.
    std::uint64_t bytes_read() const;
    std::uint64_t file_size() const { return file_size_; }
    // True when the file ended in the middle of a record (counted, not fatal).
    bool truncated() const { return truncated_; }
    const std::string& read_error() const { return read_error_; }
    // Records whose time could not be represented (see packet_time_us);
    // they are handed out with time 0.
    std::uint64_t bad_timestamps() const { return bad_timestamps_; }

private:
    struct PcapCloser {
        void operator()(pcap_t* p) const { pcap_close(p); }
    };
    std::string path_;
    std::unique_ptr<pcap_t, PcapCloser> handle_;
    int link_type_ = 0;
    std::uint64_t packets_read_ = 0;
    std::uint64_t bad_timestamps_ = 0;
    std::uint64_t file_size_ = 0;
    bool truncated_ = false;
    bool finished_ = false;
    std::string read_error_;
    // One slot per batch entry, sized for the snap length once; libpcap's
    // buffer is reused by the next read, so packets are copied here. Left
    // uninitialised (not a zero-filled vector): opening a file then costs
    // nothing for the up to 16 MiB that short captures never touch.
    std::unique_ptr<std::uint8_t[]> arena_;
    std::size_t slot_size_ = 0;
};

}  // namespace dnswatch
