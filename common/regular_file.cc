#include "common/regular_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dnswatch {
namespace {

std::string kind_problem(mode_t mode) {
    if (S_ISREG(mode)) return {};
    if (S_ISDIR(mode)) return "is a directory";
    const char* kind = S_ISFIFO(mode)  ? "a FIFO"
                       : S_ISCHR(mode) ? "a character device"
                       : S_ISBLK(mode) ? "a block device"
                       : S_ISSOCK(mode) ? "a socket"
                                        : "not a file";
    return std::string("not a regular file (") + kind + ")";
}

class Descriptor {
public:
    explicit Descriptor(int fd) : fd_(fd) {}
    ~Descriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

}  // namespace

std::string regular_file_problem(const std::string& path) {
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0) return std::strerror(errno);
    return kind_problem(status.st_mode);
}

void require_regular_file(const std::string& path) {
    if (const std::string problem = regular_file_problem(path); !problem.empty()) {
        throw FileRefused(path + ": " + problem);
    }
}

std::string read_regular_file(const std::string& path, std::size_t max_bytes) {
    // O_NONBLOCK: open(2) of a FIFO returns at once instead of waiting for a
    // writer; on a regular file it changes nothing.
    const Descriptor file(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (file.get() < 0) throw FileRefused(path + ": " + std::strerror(errno));
    struct stat status {};
    if (::fstat(file.get(), &status) != 0) throw FileRefused(path + ": " + std::strerror(errno));
    if (const std::string problem = kind_problem(status.st_mode); !problem.empty()) {
        throw FileRefused(path + ": " + problem);
    }
    const auto size = static_cast<std::size_t>(status.st_size);
    if (size > max_bytes) {
        throw FileRefused(path + ": " + std::to_string(size) + " bytes, more than the " + std::to_string(max_bytes) +
                          " this file may hold");
    }
    std::string text;
    text.resize(size);
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::read(file.get(), text.data() + done, size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw FileRefused(path + ": " + std::strerror(errno));
        if (n == 0) break;  // shrank while read: what is there is the file
        done += static_cast<std::size_t>(n);
    }
    text.resize(done);
    return text;
}

}  // namespace dnswatch
