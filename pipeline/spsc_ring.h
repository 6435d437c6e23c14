// A single-producer / single-consumer ring of fixed-size slots, lock-free,
// allocated once. Used for alerts (shards -> publisher), where each slot is
// an object that keeps its string buffers across uses: moving an alert in
// and out reuses them rather than allocating per alert.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

namespace dnswatch {

template <typename T>
class SpscRing {
public:
    // `capacity` is rounded up to a power of two (at least 2).
    explicit SpscRing(std::size_t capacity)
        : capacity_(std::bit_ceil(capacity < 2 ? std::size_t{2} : capacity)),
          mask_(capacity_ - 1),
          slots_(std::make_unique<T[]>(capacity_)) {}
    SpscRing(const SpscRing&) = delete;
    SpscRing& operator=(const SpscRing&) = delete;

    std::size_t capacity() const { return capacity_; }

    // Producer: false (and `value` untouched) when the ring is full.
    bool try_push(T&& value) {
        if (write_ - read_cache_ == capacity_) {
            read_cache_ = read_.value.load(std::memory_order_acquire);
            if (write_ - read_cache_ == capacity_) return false;
        }
        slots_[write_ & mask_] = std::move(value);
        ++write_;
        write_pos_.value.store(write_, std::memory_order_release);
        return true;
    }

    // Consumer: the oldest element, or nullptr when empty. Stays valid until pop().
    T* front() {
        if (cursor_ == write_cache_) {
            write_cache_ = write_pos_.value.load(std::memory_order_acquire);
            if (cursor_ == write_cache_) return nullptr;
        }
        return &slots_[cursor_ & mask_];
    }
    void pop() {
        ++cursor_;
        read_.value.store(cursor_, std::memory_order_release);
    }

    // Approximate number of elements, from any thread (for stats).
    std::size_t size_approx() const {
        const std::uint64_t w = write_pos_.value.load(std::memory_order_relaxed);
        const std::uint64_t r = read_.value.load(std::memory_order_relaxed);
        return w >= r ? static_cast<std::size_t>(w - r) : 0;
    }

private:
    struct alignas(64) Position {
        std::atomic<std::uint64_t> value{0};
    };

    std::size_t capacity_;
    std::size_t mask_;
    std::unique_ptr<T[]> slots_;
    Position write_pos_;
    Position read_;
    alignas(64) std::uint64_t write_ = 0;  // producer-private
    std::uint64_t read_cache_ = 0;
    alignas(64) std::uint64_t cursor_ = 0;  // consumer-private
    std::uint64_t write_cache_ = 0;
};

}  // namespace dnswatch
