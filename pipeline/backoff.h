// How a pipeline thread waits when it has nothing to do (or, with
// back-pressure, no room): spin briefly, then yield, then sleep with a
// growing period. A sensor shares its cores with the name server it
// watches, so idle threads must not burn them; a busy pipeline never
// reaches the sleeping steps.
#pragma once

#include <chrono>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace dnswatch {

class Backoff {
public:
    void reset() { step_ = 0; }

    void pause() {
        if (step_ < kSpins) {
#if defined(__x86_64__) || defined(__i386__)
            _mm_pause();
#endif
        } else if (step_ < kSpins + kYields) {
            std::this_thread::yield();
        } else {
            // 50 us doubling to 1 ms: bounded latency for the first packet
            // after a quiet spell, negligible load while quiet.
            const unsigned shift = step_ - kSpins - kYields;
            std::this_thread::sleep_for(std::chrono::microseconds(50 << (shift < 4 ? shift : 4)));
        }
        if (step_ < kSpins + kYields + 4) ++step_;
    }

private:
    static constexpr unsigned kSpins = 64;
    static constexpr unsigned kYields = 16;
    unsigned step_ = 0;
};

}  // namespace dnswatch
