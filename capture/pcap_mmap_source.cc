#include "capture/pcap_mmap_source.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace dnswatch {
namespace {

constexpr std::uint32_t kMagicMicro = 0xA1B2C3D4;
constexpr std::uint32_t kMagicNano = 0xA1B23C4D;

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

bool PcapMmapSource::handles(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    std::uint8_t header[4];
    const bool ok = ::read(fd, header, sizeof header) == static_cast<ssize_t>(sizeof header) &&
                    known_magic(magic_of(header));
    ::close(fd);
    return ok;
}

PcapMmapSource::PcapMmapSource(const std::string& path) : path_(path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error(path + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || st.st_size < 24) {
        ::close(fd);
        throw std::runtime_error(path + ": not a pcap file (too short)");
    }
    size_ = static_cast<std::size_t>(st.st_size);
    void* mapped = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (mapped == MAP_FAILED) throw std::runtime_error(path + ": cannot map: " + std::strerror(errno));
    data_ = static_cast<const std::uint8_t*>(mapped);
    ::madvise(mapped, size_, MADV_SEQUENTIAL);  // read once, front to back: read ahead, drop behind

    const std::uint32_t magic = magic_of(data_);
    if (!known_magic(magic)) {
        ::munmap(mapped, size_);
        throw std::runtime_error(path + ": not a classic pcap file");
    }
    swapped_ = magic != kMagicMicro && magic != kMagicNano;
    const std::uint32_t native = swapped_ ? __builtin_bswap32(magic) : magic;
    nanoseconds_ = native == kMagicNano;
    snaplen_ = read32(16);
    // The file holds a LINKTYPE_ value; the packet path speaks DLT_, as
    // libpcap hands them out. They differ for raw IP only (among those the
    // decoder reads). The upper bits carry FCS flags.
    link_type_ = static_cast<int>(read32(20) & 0x0FFFFFFF);
    if (link_type_ == 101) link_type_ = 12;  // LINKTYPE_RAW -> DLT_RAW
}

PcapMmapSource::~PcapMmapSource() {
    if (data_ != nullptr) ::munmap(const_cast<std::uint8_t*>(data_), size_);
}

std::uint32_t PcapMmapSource::read32(std::size_t offset) const {
    std::uint32_t value;
    std::memcpy(&value, data_ + offset, sizeof value);
    return swapped_ ? __builtin_bswap32(value) : value;
}

bool PcapMmapSource::next_batch(PacketBatch& batch) {
    batch.clear();
    while (!batch.full() && offset_ < size_) {
        if (size_ - offset_ < 16) {
            truncated_ = true;
            read_error_ = "truncated dump file; " + std::to_string(size_ - offset_) + " bytes left of a 16-byte record header";
            offset_ = size_;
            break;
        }
        const std::uint32_t seconds = read32(offset_);
        const std::uint32_t fraction = read32(offset_ + 4);
        const std::uint32_t captured = read32(offset_ + 8);
        const std::uint32_t wire = read32(offset_ + 12);
        if (captured > size_ - offset_ - 16) {  // a record cut short: the end, as libpcap reads it
            truncated_ = true;
            read_error_ = "truncated dump file; tried to read " + std::to_string(captured) + " captured bytes, only got " +
                          std::to_string(size_ - offset_ - 16);
            offset_ = size_;
            break;
        }
        PacketView packet;
        // A record may claim more than the snap length (as PcapFileSource,
        // keep at most 256 KiB of it).
        packet.bytes = {data_ + offset_ + 16, std::min<std::size_t>(captured, 262144)};
        packet.wire_length = wire;
        packet.time_us = static_cast<std::int64_t>(seconds) * 1'000'000 +
                         (nanoseconds_ ? fraction / 1000 : fraction);
        packet.link_type = link_type_;
        packet.frame_number = ++packets_read_;
        batch.push(packet);
        offset_ += 16 + static_cast<std::size_t>(captured);
    }
    return !batch.empty();
}

}  // namespace dnswatch
