// Reads a classic pcap file by mapping it into memory: packets are handed
// out as views into the mapping, with no read(2), no stdio buffer and no
// copy. libpcap's offline reader copies every record twice (kernel to stdio
// buffer, stdio buffer to its own), which at 2 million packets a second is
// a third of the work of the whole sensor (scripts/bench-replay).
//
// pcapng, or anything this reader does not recognise, is left to libpcap
// (open_capture() returns a PcapFileSource then).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "capture/packet.h"
#include "capture/pcap_file_source.h"

namespace dnswatch {

class PcapMmapSource {
public:
    // Throws std::runtime_error naming the file when it cannot be mapped or
    // is not a classic pcap file.
    explicit PcapMmapSource(const std::string& path);
    ~PcapMmapSource();
    PcapMmapSource(const PcapMmapSource&) = delete;
    PcapMmapSource& operator=(const PcapMmapSource&) = delete;

    // True when `path` starts with a classic pcap magic number.
    static bool handles(const std::string& path);

    // Same contract as PcapFileSource::next_batch; the views stay valid for
    // the source's whole life.
    bool next_batch(PacketBatch& batch);

    int link_type() const { return link_type_; }
    const std::string& path() const { return path_; }
    std::uint64_t packets_read() const { return packets_read_; }
    std::uint64_t bytes_read() const { return offset_; }
    std::uint64_t file_size() const { return size_; }
    bool truncated() const { return truncated_; }
    const std::string& read_error() const { return read_error_; }

private:
    std::uint32_t read32(std::size_t offset) const;

    std::string path_;
    const std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t offset_ = 24;  // past the file header
    bool swapped_ = false;     // written on a machine of the other byte order
    bool nanoseconds_ = false;
    std::uint32_t snaplen_ = 0;
    int link_type_ = 0;
    std::uint64_t packets_read_ = 0;
    bool truncated_ = false;
    std::string read_error_;
};

// A capture file, read through the mapping when it is classic pcap, through
// libpcap otherwise (pcapng). Views stay valid until the next call. Replay
// and the live pipeline's file input both read through it.
class CaptureFile {
public:
    // Throws std::runtime_error "PATH: reason".
    explicit CaptureFile(const std::string& path) {
        if (PcapMmapSource::handles(path)) {
            mapped_ = std::make_unique<PcapMmapSource>(path);
        } else {
            libpcap_ = std::make_unique<PcapFileSource>(path);
        }
    }
    bool next_batch(PacketBatch& batch) { return mapped_ ? mapped_->next_batch(batch) : libpcap_->next_batch(batch); }
    bool truncated() const { return mapped_ ? mapped_->truncated() : libpcap_->truncated(); }
    const std::string& read_error() const { return mapped_ ? mapped_->read_error() : libpcap_->read_error(); }
    std::uint64_t packets_read() const { return mapped_ ? mapped_->packets_read() : libpcap_->packets_read(); }
    // For progress bars: libpcap's answer costs an lseek, ask once per update.
    std::uint64_t bytes_read() const { return mapped_ ? mapped_->bytes_read() : libpcap_->bytes_read(); }
    std::uint64_t file_size() const { return mapped_ ? mapped_->file_size() : libpcap_->file_size(); }

private:
    std::unique_ptr<PcapMmapSource> mapped_;
    std::unique_ptr<PcapFileSource> libpcap_;
};

}  // namespace dnswatch
