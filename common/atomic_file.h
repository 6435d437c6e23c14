// Small state files (open alerts, learned RRsets, checkpoints, transferred
// zones) are replaced whole: written to a temporary file and renamed over
// the old one, so that a crash leaves either the old or the new content,
// never half of one.
#pragma once

#include <string>
#include <string_view>

namespace dnswatch {

// Writes `text` to `path` via `path.tmp` and rename(2); with `sync`, the data
// is on disk before the rename. Throws std::runtime_error "PATH: reason".
void write_file_atomically(const std::string& path, std::string_view text, bool sync = true);

// Writes every byte of `bytes` to `fd`, again after EINTR and after a short
// write; false with errno set when it stops (ENOSPC when write(2) takes nothing).
bool write_all(int fd, std::string_view bytes);

// fsync(2) on a directory, so that a rename in it is durable too. Best effort.
void sync_directory(const std::string& dir);

}  // namespace dnswatch
