#include "capture/pcap_window_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace dnswatch {
namespace {

constexpr std::uint32_t kMagicMicro = 0xA1B2C3D4;
constexpr std::uint32_t kMagicNano = 0xA1B23C4D;
constexpr std::size_t kMaxKept = 262144;  // bytes of a record handed out (as libpcap)
// The window holds the largest record kept whole; it is read 128 KiB at a
// time. Windows of 288 KiB to 1 MiB, chunks of 64 to 512 KiB measured the
// same; 32 KiB chunks lost 4% to system calls.
constexpr std::size_t kWindowBytes = 512u << 10;
constexpr std::size_t kReadChunk = 128u << 10;
static_assert(kWindowBytes >= 16 + kMaxKept + kReadChunk);

std::uint32_t magic_of(const std::uint8_t* bytes) {
    std::uint32_t magic;
    std::memcpy(&magic, bytes, sizeof magic);
    return magic;
}

bool known_magic(std::uint32_t magic) {
    return magic == kMagicMicro || magic == kMagicNano || __builtin_bswap32(magic) == kMagicMicro ||
           __builtin_bswap32(magic) == kMagicNano;
}

}  // namespace

bool PcapWindowSource::handles(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    std::uint8_t header[4];
    const bool ok = ::read(fd, header, sizeof header) == static_cast<ssize_t>(sizeof header) &&
                    known_magic(magic_of(header));
    ::close(fd);
    return ok;
}

PcapWindowSource::PcapWindowSource(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error(path + ": " + std::strerror(errno));
    struct stat st {};
    std::uint8_t header[24];
    if (::fstat(fd_, &st) != 0 || st.st_size < 24 || ::pread(fd_, header, sizeof header, 0) != 24) {
        ::close(fd_);
        throw std::runtime_error(path + ": not a pcap file (too short)");
    }
    size_ = static_cast<std::size_t>(st.st_size);
    const std::uint32_t magic = magic_of(header);
    if (!known_magic(magic)) {
        ::close(fd_);
        throw std::runtime_error(path + ": not a classic pcap file");
    }
    ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);  // read once, front to back: read ahead
    window_.reset(new std::uint8_t[kWindowBytes]);  // left uninitialised: pread fills what is used

    swapped_ = magic != kMagicMicro && magic != kMagicNano;
    const std::uint32_t native = swapped_ ? __builtin_bswap32(magic) : magic;
    nanoseconds_ = native == kMagicNano;
    snaplen_ = read32(header + 16);
    // The file holds a LINKTYPE_ value; the packet path speaks DLT_, as
    // libpcap hands them out. They differ for raw IP only (among those the
    // decoder reads). The upper bits carry FCS flags.
    link_type_ = static_cast<int>(read32(header + 20) & 0x0FFFFFFF);
    if (link_type_ == 101) link_type_ = 12;  // LINKTYPE_RAW -> DLT_RAW
}

PcapWindowSource::~PcapWindowSource() {
    if (fd_ >= 0) ::close(fd_);
}

std::uint32_t PcapWindowSource::read32(const std::uint8_t* at) const {
    std::uint32_t value;
    std::memcpy(&value, at, sizeof value);
    return swapped_ ? __builtin_bswap32(value) : value;
}

void PcapWindowSource::fail(std::string reason) {
    truncated_ = true;
    read_error_ = std::move(reason);
    offset_ = size_;
}

bool PcapWindowSource::ensure(std::size_t bytes, bool may_move) {
    if (end_ - begin_ >= bytes) return true;
    const std::size_t want = std::max(kReadChunk, bytes - (end_ - begin_));
    if (kWindowBytes - end_ < want) {
        // The tail of the window has no room left: move the record in
        // progress (at most one) to the front. Views into the window of
        // this batch would move with it, so only between batches.
        if (!may_move) return false;
        const std::size_t held = end_ - begin_;
        if (begin_ != 0) std::memmove(window_.get(), window_.get() + begin_, held);
        begin_ = 0;
        end_ = held;
    }
    const std::size_t limit = std::min(kWindowBytes, end_ + want);
    while (end_ - begin_ < bytes) {
        const ssize_t n = ::pread(fd_, window_.get() + end_, limit - end_, static_cast<off_t>(read_at_));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            read_error_ = std::string("read error: ") + std::strerror(errno);
            return false;
        }
        if (n == 0) return false;
        end_ += static_cast<std::size_t>(n);
        read_at_ += static_cast<std::size_t>(n);
    }
    return true;
}

bool PcapWindowSource::next_batch(PacketBatch& batch) {
    batch.clear();
    while (!batch.full() && offset_ < size_) {
        const std::size_t left = size_ - offset_;
        if (left < 16) {
            fail("truncated dump file; " + std::to_string(left) + " bytes left of a 16-byte record header");
            break;
        }
        if (end_ - begin_ < 16 && !ensure(16, batch.empty())) {
            if (batch.empty()) fail(read_error_.empty() ? "truncated dump file; the file shrank while read" : read_error_);
            break;
        }
        const std::uint32_t captured = read32(window_.get() + begin_ + 8);
        if (captured > left - 16) {  // a record cut short: the end, as libpcap reads it
            fail("truncated dump file; tried to read " + std::to_string(captured) + " captured bytes, only got " +
                 std::to_string(left - 16));
            break;
        }
        // A record may claim more than the snap length (as PcapFileSource,
        // keep at most 256 KiB of it; the rest is skipped unread).
        const std::size_t kept = std::min<std::size_t>(captured, kMaxKept);
        if (end_ - begin_ < 16 + kept && !ensure(16 + kept, batch.empty())) {
            if (batch.empty()) fail(read_error_.empty() ? "truncated dump file; the file shrank while read" : read_error_);
            break;
        }
        const std::uint8_t* const record = window_.get() + begin_;
        const std::uint32_t fraction = read32(record + 4);
        PacketView& packet = batch.push_back();
        packet.bytes = {record + 16, kept};
        packet.wire_length = read32(record + 12);
        packet.time_us = static_cast<std::int64_t>(read32(record)) * 1'000'000 +
                         (nanoseconds_ ? fraction / 1000 : fraction);
        packet.time_ns = nanoseconds_ ? static_cast<std::uint16_t>(fraction % 1000) : 0;
        packet.link_type = link_type_;
        packet.frame_number = ++packets_read_;
        const std::size_t length = 16 + static_cast<std::size_t>(captured);
        if (length <= end_ - begin_) {
            begin_ += length;
        } else {
            read_at_ += length - (end_ - begin_);
            begin_ = end_;
        }
        offset_ += length;
    }
    return !batch.empty();
}

}  // namespace dnswatch
