// Reads a classic pcap file through a window of the file that pread(2)
// refills in large chunks: packets are handed out as views into the window,
// with no stdio buffer and no per-record read. libpcap's offline reader
// copies every record twice (kernel to stdio buffer, stdio buffer to its
// own), which at 2 million packets a second is a third of the work of the
// whole sensor (scripts/bench-replay).
//
// It used to map the whole file. The page faults, the first touch of every
// cache line in the packet path and the unmapping of the whole file at the
// end cost more than the kernel's copy into a window small enough to stay
// in the L2 cache (replay went from 0.45 to 0.47-0.48 of the bare libpcap
// loop's packet rate).
//
// pcapng, or anything this reader does not recognise, is left to libpcap
// (open_capture() returns a PcapFileSource then).
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <span>
#include <string>
#include <utility>

#include "capture/dnstap_file_source.h"
#include "capture/packet.h"
#include "capture/pcap_file_source.h"
#include "common/regular_file.h"

namespace dnswatch {

class PcapWindowSource {
public:
    // Throws std::runtime_error naming the file when it cannot be opened or
    // is not a classic pcap file.
    explicit PcapWindowSource(const std::string& path);
    ~PcapWindowSource();
    PcapWindowSource(const PcapWindowSource&) = delete;
    PcapWindowSource& operator=(const PcapWindowSource&) = delete;

    // True when `path` starts with a classic pcap magic number.
    static bool handles(const std::string& path);

    // Same contract as PcapFileSource::next_batch: the views stay valid
    // until the next call (the window moves on).
    bool next_batch(PacketBatch& batch);

    int link_type() const { return link_type_; }
    const std::string& path() const { return path_; }
    std::uint64_t packets_read() const { return packets_read_; }
    std::uint64_t bytes_read() const { return offset_; }
    std::uint64_t file_size() const { return size_; }
    bool truncated() const { return truncated_; }
    const std::string& read_error() const { return read_error_; }

private:
    std::uint32_t read32(const std::uint8_t* at) const;
    // Makes `bytes` bytes of the file from offset_ readable at window_ +
    // begin_; false when the file ends first (or a read fails: read_error_).
    // Moves bytes within the window only when `may_move` (no view handed out
    // in this batch points into it yet).
    bool ensure(std::size_t bytes, bool may_move);
    void fail(std::string reason);

    std::string path_;
    int fd_ = -1;
    std::size_t size_ = 0;     // of the file when it was opened
    std::size_t offset_ = 24;  // file offset of the next record (past the file header at first)
    // The window: file bytes [offset_, offset_ + end_ - begin_) sit at window_[begin_, end_).
    std::unique_ptr<std::uint8_t[]> window_;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    std::size_t read_at_ = 24;  // file offset of window_[end_]
    bool swapped_ = false;      // written on a machine of the other byte order
    bool nanoseconds_ = false;
    std::uint32_t snaplen_ = 0;
    int link_type_ = 0;
    std::uint64_t packets_read_ = 0;
    bool truncated_ = false;
    std::string read_error_;
};

// A capture file, read through the window when it is classic pcap, as
// Frame Streams when it is a dnstap file, through libpcap otherwise
// (pcapng). Views stay valid until the next call. Replay and the live
// pipeline's file input both read through it.
class CaptureFile {
    // Calls `f` with whichever reader the file has (defined first: the
    // members below deduce their types from it).
    template <typename F>
    decltype(auto) visit(F&& f) {
        if (windowed_) return f(*windowed_);
        if (dnstap_) return f(*dnstap_);
        return f(*libpcap_);
    }
    template <typename F>
    decltype(auto) visit(F&& f) const {
        if (windowed_) return f(std::as_const(*windowed_));
        if (dnstap_) return f(std::as_const(*dnstap_));
        return f(std::as_const(*libpcap_));
    }

public:
    // Throws std::runtime_error "PATH: reason". "-" is standard input (a
    // stream, read once by libpcap); any other path must be a regular file:
    // a FIFO would be opened twice (once to sniff its format) and wait for
    // ever, a device such as /dev/zero would never end.
    explicit CaptureFile(const std::string& path) {
        if (path != "-") {
            if (const std::string problem = regular_file_problem(path); !problem.empty()) {
                throw std::runtime_error(path + ": " + problem +
                                         (problem.find("FIFO") != std::string::npos
                                              ? "; to read a stream, give '-' and pipe it to standard input"
                                              : ""));
            }
        }
        if (PcapWindowSource::handles(path)) {
            windowed_ = std::make_unique<PcapWindowSource>(path);
        } else if (DnstapFileSource::handles(path)) {
            dnstap_ = std::make_unique<DnstapFileSource>(path);
        } else {
            libpcap_ = std::make_unique<PcapFileSource>(path);
        }
    }
    bool next_batch(PacketBatch& batch) { return visit([&](auto& s) { return s.next_batch(batch); }); }
    bool truncated() const { return visit([](const auto& s) { return s.truncated(); }); }
    const std::string& read_error() const {
        return visit([](const auto& s) -> const std::string& { return s.read_error(); });
    }
    std::uint64_t packets_read() const { return visit([](const auto& s) { return s.packets_read(); }); }
    // For progress bars: libpcap's answer costs an lseek, ask once per update.
    std::uint64_t bytes_read() const { return visit([](const auto& s) { return s.bytes_read(); }); }
    std::uint64_t file_size() const { return visit([](const auto& s) { return s.file_size(); }); }
    // Records with a time outside 1970..9999 (only pcapng can write one),
    // handed out with time 0.
    std::uint64_t bad_timestamps() const { return libpcap_ ? libpcap_->bad_timestamps() : 0; }

private:
    std::unique_ptr<PcapWindowSource> windowed_;
    std::unique_ptr<DnstapFileSource> dnstap_;
    std::unique_ptr<PcapFileSource> libpcap_;
};

}  // namespace dnswatch
