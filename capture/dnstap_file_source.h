// Reads a dnstap file — Frame Streams, as `dnstap -w`, `fstrm_capture` and
// the name servers' own file writers make them — and hands its data frames
// out in batches, as frames of link type kLinkTypeDnstap, so that `dnswatch
// replay` (and `run` with capture.source pcap_file) reads them where it
// reads captures (CaptureFile picks this reader by the file's first bytes).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "capture/frame_streams.h"
#include "capture/packet.h"

namespace dnswatch {

class DnstapFileSource {
public:
    // The longest data frame read; a longer one ends the file as broken.
    static constexpr std::size_t kMaxFrameBytes = 1u << 20;

    // Throws std::runtime_error "PATH: reason" when the file cannot be opened.
    explicit DnstapFileSource(const std::string& path);
    ~DnstapFileSource();
    DnstapFileSource(const DnstapFileSource&) = delete;
    DnstapFileSource& operator=(const DnstapFileSource&) = delete;

    // True when `path` begins as a Frame Streams file does: the control
    // frame escape (four zero bytes), whatever follows.
    static bool handles(const std::string& path);

    // Same contract as PcapFileSource::next_batch: the views stay valid
    // until the next call. Frames carry no time of their own here (0):
    // decode/ takes the time the dnstap message holds.
    bool next_batch(PacketBatch& batch);

    std::uint64_t packets_read() const { return frames_read_; }
    std::uint64_t bytes_read() const { return consumed_; }
    std::uint64_t file_size() const { return size_; }
    // The file ended inside a frame, or broke the protocol (read_error() says how).
    bool truncated() const { return truncated_; }
    const std::string& read_error() const { return read_error_; }

private:
    bool refill();

    std::string path_;
    int fd_ = -1;
    std::uint64_t size_ = 0;
    std::uint64_t consumed_ = 0;  // file bytes parsed
    FrameStreamReader reader_{kMaxFrameBytes};
    // File bytes [consumed_, consumed_ + end_ - begin_) sit at buffer_[begin_, end_).
    std::unique_ptr<std::uint8_t[]> buffer_;
    std::size_t capacity_ = 0;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    bool eof_ = false;
    bool done_ = false;
    std::uint64_t frames_read_ = 0;
    bool truncated_ = false;
    std::string read_error_;
};

}  // namespace dnswatch
