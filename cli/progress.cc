#include "cli/progress.h"

#include <unistd.h>

#include <algorithm>
#include <string>

namespace dnswatch {

ProgressBar::ProgressBar(std::FILE* out, std::uint64_t total_bytes, bool force)
    : out_(out), total_bytes_(total_bytes), enabled_(force || (out != nullptr && isatty(fileno(out)) != 0)),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(std::uint64_t done_bytes, std::uint64_t packets, std::uint64_t alerts) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    draw(done_bytes, packets, alerts);
}

void ProgressBar::draw(std::uint64_t done_bytes, std::uint64_t packets, std::uint64_t alerts) {
    constexpr int kWidth = 30;
    const double fraction =
        total_bytes_ == 0 ? 1.0 : std::min(1.0, static_cast<double>(done_bytes) / static_cast<double>(total_bytes_));
    const int filled = static_cast<int>(fraction * kWidth);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double rate = seconds > 0 ? static_cast<double>(packets) / seconds : 0.0;
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.append(static_cast<std::size_t>(kWidth - filled), '.');
    std::fprintf(out_, "\r[%s] %3.0f%%  %llu packets  %.0f packets/s  %llu alerts ", bar.c_str(), fraction * 100,
                 static_cast<unsigned long long>(packets), rate, static_cast<unsigned long long>(alerts));
    std::fflush(out_);
    drawn_ = true;
}

void ProgressBar::finish() {
    if (!enabled_ || !drawn_) return;
    std::fputs("\r\033[K", out_);  // erase the line
    std::fflush(out_);
    drawn_ = false;
}

}  // namespace dnswatch
