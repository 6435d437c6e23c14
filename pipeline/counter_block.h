// Counters that one thread writes and any thread may read (stats, the
// shutdown summary), without a lock and without making the writer pay for
// atomics on every increment: the owner counts in a plain struct of its own
// and copies it here now and then (every batch, or when idle); readers get a
// recent copy. Each word is copied atomically, so no value is ever torn.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace dnswatch {

template <typename T>
class alignas(64) CounterBlock {
    static_assert(std::is_trivially_copyable_v<T> && sizeof(T) % sizeof(std::uint64_t) == 0 &&
                      alignof(T) == alignof(std::uint64_t),
                  "a counter block holds a struct of 64-bit counters only");

public:
    // Writer: makes `value` the copy readers see.
    void publish(const T& value) {
        const auto* from = reinterpret_cast<const std::uint64_t*>(&value);
        for (std::size_t i = 0; i < kWords; ++i) {
            std::atomic_ref<std::uint64_t>(words_[i]).store(from[i], std::memory_order_relaxed);
        }
    }

    // Any thread: the last published copy.
    T read() const {
        std::uint64_t copy[kWords];
        for (std::size_t i = 0; i < kWords; ++i) {
            copy[i] = std::atomic_ref<std::uint64_t>(const_cast<std::uint64_t&>(words_[i]))
                          .load(std::memory_order_relaxed);
        }
        T value;
        std::memcpy(&value, copy, sizeof value);
        return value;
    }

private:
    static constexpr std::size_t kWords = sizeof(T) / sizeof(std::uint64_t);
    alignas(std::atomic_ref<std::uint64_t>::required_alignment) std::uint64_t words_[kWords] = {};
};

// Adds `from` into `to` counter by counter: for the structs of 64-bit
// counters CounterBlock carries, so that a field added to one is never
// forgotten in the totals.
template <typename T>
void add_counters(T& to, const T& from) {
    static_assert(std::is_trivially_copyable_v<T> && sizeof(T) % sizeof(std::uint64_t) == 0,
                  "counters are a struct of 64-bit counters only");
    constexpr std::size_t kWords = sizeof(T) / sizeof(std::uint64_t);
    std::uint64_t sum[kWords];
    std::uint64_t add[kWords];
    std::memcpy(sum, &to, sizeof to);
    std::memcpy(add, &from, sizeof from);
    for (std::size_t i = 0; i < kWords; ++i) sum[i] += add[i];
    std::memcpy(&to, sum, sizeof to);
}

}  // namespace dnswatch
