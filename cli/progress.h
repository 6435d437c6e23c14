// A progress bar on a terminal: redrawn in place at most ten times a second,
// erased when done so that the summary line stands alone.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>

namespace dnswatch {

class ProgressBar {
public:
    // Draws only when `out` is a terminal (or when forced, for tests).
    ProgressBar(std::FILE* out, std::uint64_t total_bytes, bool force = false);
    ~ProgressBar();

    void update(std::uint64_t done_bytes, std::uint64_t packets, std::uint64_t alerts);
    void finish();
    bool enabled() const { return enabled_; }

private:
    void draw(std::uint64_t done_bytes, std::uint64_t packets, std::uint64_t alerts);

    std::FILE* out_;
    std::uint64_t total_bytes_;
    bool enabled_;
    bool drawn_ = false;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace dnswatch
