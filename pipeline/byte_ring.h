// A single-producer / single-consumer ring of variable-length records,
// lock-free, of fixed capacity allocated once (CONVENTIONS 8). Packets and
// DNS messages vary from 60 bytes to 64 KiB: fixed slots would waste most of
// the memory or cut the large ones, so records are laid out back to back.
//
// Layout: each record is an 8-byte header (payload length) followed by the
// payload, padded to 8 bytes. A record never wraps around the end; when it
// does not fit before the end, a wrap marker fills the rest and the record
// starts at offset 0. Positions are free-running 64-bit byte counters, so
// "full" and "empty" need no extra slot.
//
// Both sides batch: the producer commits several records and publishes them
// with one release store; the consumer reads several and releases their
// memory with one store, after it is done with the views into it.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>

#include "pipeline/backoff.h"

namespace dnswatch {

class ByteRing {
public:
    static constexpr std::size_t kHeader = 8;
    static constexpr std::size_t kMinCapacity = 4096;

    // `capacity` is rounded up to a power of two, at least kMinCapacity.
    explicit ByteRing(std::size_t capacity) {
        capacity_ = std::bit_ceil(capacity < kMinCapacity ? kMinCapacity : capacity);
        mask_ = capacity_ - 1;
        buffer_.reset(static_cast<std::uint8_t*>(::operator new(capacity_, std::align_val_t{64})));
    }
    ByteRing(const ByteRing&) = delete;
    ByteRing& operator=(const ByteRing&) = delete;

    std::size_t capacity() const { return capacity_; }
    // Bytes published and not yet released: the ring's depth, for metrics.
    // From any thread; a snapshot, possibly stale by a burst.
    std::size_t depth_bytes() const {
        const std::uint64_t read = read_.value.load(std::memory_order_relaxed);
        const std::uint64_t written = write_pos_.value.load(std::memory_order_relaxed);
        return written >= read ? static_cast<std::size_t>(written - read) : 0;
    }
    // The largest payload reserve() can ever grant: half the ring, so that a
    // record plus the wrap marker before it always fits in an empty ring.
    std::size_t max_record() const { return capacity_ / 2 - kHeader; }

    // ---- producer side ----

    // Room for a payload of `size` bytes, contiguous; empty when the ring is
    // too full now (or `size` exceeds max_record()). Nothing is visible to
    // the consumer until commit() and publish().
    std::span<std::uint8_t> reserve(std::size_t size) {
        if (size > max_record()) return {};
        const std::size_t total = padded(kHeader + size);
        const std::size_t offset = write_ & mask_;
        const std::size_t to_end = capacity_ - offset;
        const std::size_t needed = total <= to_end ? total : to_end + total;
        if (write_ + needed - read_cache_ > capacity_) {
            read_cache_ = read_.value.load(std::memory_order_acquire);
            if (write_ + needed - read_cache_ > capacity_) return {};
        }
        if (total > to_end) {
            store_header(offset, kWrapMarker);
            write_ += to_end;
        }
        reserved_ = write_ & mask_;
        return {buffer_.get() + reserved_ + kHeader, size};
    }

    // Makes the last reserve()d record `size` bytes long (at most what was
    // reserved); it becomes visible at the next publish().
    void commit(std::size_t size) {
        store_header(reserved_, static_cast<std::uint64_t>(size));
        write_ += padded(kHeader + size);
    }

    // Lets the consumer see every record committed so far.
    void publish() { write_pos_.value.store(write_, std::memory_order_release); }

    // Convenience: reserve, copy, commit (not published). False when full.
    bool try_write(std::span<const std::uint8_t> payload) {
        const std::span<std::uint8_t> room = reserve(payload.size());
        if (room.data() == nullptr) return false;
        if (!payload.empty()) std::memcpy(room.data(), payload.data(), payload.size());
        commit(payload.size());
        return true;
    }

    // ---- consumer side ----

    // The next unread record, or an empty span with a null data() when none
    // is published. Its bytes stay valid until release().
    std::span<const std::uint8_t> peek() {
        for (;;) {
            if (cursor_ == write_cache_) {
                write_cache_ = write_pos_.value.load(std::memory_order_acquire);
                if (cursor_ == write_cache_) return {};
            }
            const std::size_t offset = cursor_ & mask_;
            const std::uint64_t length = load_header(offset);
            if (length == kWrapMarker) {
                cursor_ += capacity_ - offset;
                continue;
            }
            return {buffer_.get() + offset + kHeader, static_cast<std::size_t>(length)};
        }
    }

    // Moves past the record peek() returned.
    void advance() {
        const std::size_t offset = cursor_ & mask_;
        cursor_ += padded(kHeader + static_cast<std::size_t>(load_header(offset)));
    }

    // Gives the memory of every record advanced over back to the producer.
    void release() { read_.value.store(cursor_, std::memory_order_release); }

    // True when nothing is published beyond what was read (consumer side).
    bool empty() {
        if (cursor_ != write_cache_) return false;
        write_cache_ = write_pos_.value.load(std::memory_order_acquire);
        return cursor_ == write_cache_;
    }

private:
    static constexpr std::uint64_t kWrapMarker = ~std::uint64_t{0};
    static constexpr std::size_t padded(std::size_t n) { return (n + 7) & ~std::size_t{7}; }

    void store_header(std::size_t offset, std::uint64_t value) {
        std::memcpy(buffer_.get() + offset, &value, sizeof value);
    }
    std::uint64_t load_header(std::size_t offset) const {
        std::uint64_t value;
        std::memcpy(&value, buffer_.get() + offset, sizeof value);
        return value;
    }

    struct AlignedDelete {
        void operator()(std::uint8_t* p) const { ::operator delete(p, std::align_val_t{64}); }
    };
    // Each side's position on a cache line of its own, so that the producer
    // and the consumer do not invalidate each other's line on every record.
    struct alignas(64) Position {
        std::atomic<std::uint64_t> value{0};
    };

    std::unique_ptr<std::uint8_t, AlignedDelete> buffer_;
    std::size_t capacity_ = 0;
    std::size_t mask_ = 0;

    Position write_pos_;  // published by the producer
    Position read_;       // released by the consumer

    // Producer-private.
    alignas(64) std::uint64_t write_ = 0;
    std::uint64_t read_cache_ = 0;
    std::size_t reserved_ = 0;

    // Consumer-private.
    alignas(64) std::uint64_t cursor_ = 0;
    std::uint64_t write_cache_ = 0;
};

// Back-pressure (lossless replays): room for `size` bytes in `ring`,
// waiting (Backoff) while the consumer frees it; empty once `abort` is set.
// The producer must have published what the consumer needs to make room.
inline std::span<std::uint8_t> reserve_waiting(ByteRing& ring, std::size_t size, const std::atomic<bool>& abort) {
    Backoff backoff;
    std::span<std::uint8_t> room;
    while ((room = ring.reserve(size)).data() == nullptr) {
        if (abort.load(std::memory_order_relaxed)) return {};
        backoff.pause();
    }
    return room;
}

}  // namespace dnswatch
