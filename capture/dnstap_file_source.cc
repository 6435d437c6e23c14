#include "capture/dnstap_file_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace dnswatch {
namespace {

// Reads in chunks this large; the buffer also holds the longest frame.
constexpr std::size_t kChunkBytes = 1u << 20;

}  // namespace

DnstapFileSource::DnstapFileSource(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error(path + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd_, &st) == 0) size_ = static_cast<std::uint64_t>(st.st_size);
    capacity_ = kMaxFrameBytes + 8 + kChunkBytes;
    buffer_ = std::make_unique<std::uint8_t[]>(capacity_);
}

DnstapFileSource::~DnstapFileSource() {
    if (fd_ >= 0) ::close(fd_);
}

bool DnstapFileSource::handles(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    std::uint8_t head[4] = {1, 1, 1, 1};
    const bool escape = ::read(fd, head, sizeof head) == sizeof head && head[0] == 0 && head[1] == 0 &&
                        head[2] == 0 && head[3] == 0;
    ::close(fd);
    return escape;
}

// Moves what is left to the front (no view into the buffer is live: the
// caller asked for the next batch) and reads what fits behind it.
bool DnstapFileSource::refill() {
    if (eof_) return false;
    if (begin_ > 0) {
        std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    while (end_ < capacity_) {
        const ssize_t n = ::read(fd_, buffer_.get() + end_, capacity_ - end_);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            read_error_ = std::strerror(errno);
            eof_ = true;
            return false;
        }
        if (n == 0) {
            eof_ = true;
            break;
        }
        end_ += static_cast<std::size_t>(n);
        if (end_ - begin_ >= kChunkBytes) break;
    }
    return true;
}

bool DnstapFileSource::next_batch(PacketBatch& batch) {
    batch.clear();
    if (done_) return false;
    refill();
    while (!batch.full()) {
        const FrameStreamReader::Step step =
            reader_.next({buffer_.get() + begin_, end_ - begin_});
        begin_ += step.consumed;
        consumed_ += step.consumed;
        if (step.status == FrameStreamReader::Status::data_frame) {
            PacketView& packet = batch.push_back();
            packet.bytes = step.frame;
            packet.wire_length = static_cast<std::uint32_t>(step.frame.size());
            packet.time_us = 0;
            packet.link_type = kLinkTypeDnstap;
            packet.frame_number = ++frames_read_;
            continue;
        }
        if (step.status == FrameStreamReader::Status::control) continue;
        if (step.status == FrameStreamReader::Status::finished) {
            done_ = true;
            break;
        }
        if (step.status == FrameStreamReader::Status::error) {
            truncated_ = true;
            read_error_ = std::string("Frame Streams: ") + to_string(reader_.error());
            done_ = true;
            break;
        }
        // need_more: the batch's frames point into the buffer, so it can
        // only be refilled in place once they are handed out.
        if (!batch.empty() || eof_) {
            if (batch.empty() && eof_) {
                // A file written by a writer that was killed has no STOP;
                // anything after the last whole frame is a cut frame.
                if (end_ > begin_) {
                    truncated_ = true;
                    if (read_error_.empty()) read_error_ = "the file ends inside a frame";
                }
                done_ = true;
            }
            break;
        }
        if (!refill() && end_ == begin_) {
            done_ = true;
            break;
        }
    }
    return !batch.empty();
}

}  // namespace dnswatch
