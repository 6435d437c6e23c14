// Files the sensor needs whole (a config, a key, a capture, a feed, a
// state file) must be regular files: open(2) of a FIFO waits for a writer
// for ever, and /dev/zero or /dev/urandom never end, so reading one "to the
// end" spins until memory runs out. These refuse anything else before a
// byte is read, with a reason that names what the path is.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace dnswatch {

// "PATH: reason", thrown by the functions below.
struct FileRefused : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// "" when `path` (symbolic links followed) is a regular file; otherwise why
// not: "not a regular file (a FIFO)", "... (a character device)", "is a
// directory", or strerror's text when it cannot be looked at. Never opens
// the path, so it cannot block.
std::string regular_file_problem(const std::string& path);

// Throws FileRefused "PATH: <regular_file_problem>" unless a regular file.
void require_regular_file(const std::string& path);

// Reads the whole regular file `path`, of at most `max_bytes`. It is opened
// without blocking and checked on the open descriptor (fstat), so that a
// FIFO put in its place after a check cannot hang the read either. Throws
// FileRefused "PATH: reason" (missing, unreadable, not a regular file,
// larger than max_bytes).
std::string read_regular_file(const std::string& path, std::size_t max_bytes);

}  // namespace dnswatch
