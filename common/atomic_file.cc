#include "common/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace dnswatch {

// Every byte, or false with errno set: a short write (a disk filling up) is
// followed by another, which says why it stopped.
bool write_all(int fd, std::string_view text) {
    while (!text.empty()) {
        const ssize_t n = ::write(fd, text.data(), text.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (n == 0) {
            errno = ENOSPC;
            return false;
        }
        text.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}


void write_file_atomically(const std::string& path, std::string_view text, bool sync) {
    const std::string temporary = path + ".tmp";
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error(temporary + ": " + std::strerror(errno));
    const bool written = write_all(fd, text) && (!sync || ::fsync(fd) == 0);
    const int write_error = errno;
    const bool closed = ::close(fd) == 0;  // NFS and some file systems report a failed write here
    const int close_error = errno;
    if (!written || !closed) {
        ::unlink(temporary.c_str());  // no half-written file left to fill the disk
        throw std::runtime_error(temporary + ": " + std::strerror(!written ? write_error : close_error));
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        const int rename_error = errno;
        ::unlink(temporary.c_str());
        throw std::runtime_error(path + ": " + std::strerror(rename_error));
    }
}

void sync_directory(const std::string& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

}  // namespace dnswatch
