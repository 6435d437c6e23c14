// Memory for reassembly: one arena of fixed-size blocks, allocated once, from
// which IP fragments and TCP stream bytes borrow chains of blocks. The arena
// is the memory cap: when it is empty, the caller evicts its oldest state or
// drops the bytes. Nothing here allocates after construction, so holding and
// releasing bytes costs no heap allocation per packet (CONVENTIONS 6).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

namespace dnswatch {

class BlockPool {
public:
    static constexpr std::uint32_t kNone = 0xffffffffu;
    static constexpr std::size_t kBlockSize = 1024;

    // At least one block, so that a tiny budget still reassembles something.
    explicit BlockPool(std::size_t total_bytes)
        : count_(static_cast<std::uint32_t>(std::max<std::size_t>(1, total_bytes / kBlockSize))),
          // Not value-initialised: pages the pool never touches cost nothing.
          arena_(new std::uint8_t[std::size_t{count_} * kBlockSize]),
          next_(count_) {
        free_.reserve(count_);
        for (std::uint32_t i = count_; i-- > 0;) free_.push_back(i);
    }

    std::uint32_t take() {
        if (free_.empty()) return kNone;
        const std::uint32_t block = free_.back();
        free_.pop_back();
        next_[block] = kNone;
        return block;
    }
    void give(std::uint32_t block) { free_.push_back(block); }

    std::uint8_t* data(std::uint32_t block) { return arena_.get() + std::size_t{block} * kBlockSize; }
    const std::uint8_t* data(std::uint32_t block) const {
        return arena_.get() + std::size_t{block} * kBlockSize;
    }
    std::uint32_t& next(std::uint32_t block) { return next_[block]; }
    std::uint32_t next(std::uint32_t block) const { return next_[block]; }

    std::size_t free_blocks() const { return free_.size(); }
    std::size_t total_blocks() const { return count_; }

private:
    std::uint32_t count_;
    std::unique_ptr<std::uint8_t[]> arena_;
    std::vector<std::uint32_t> next_;  // chain links, one per block
    std::vector<std::uint32_t> free_;  // a stack: recently freed blocks are warm in cache
};

// A run of bytes held in a chain of pool blocks; appending fills the last
// block first. A plain value: its owner gives the blocks back with release().
struct ByteChain {
    std::uint32_t head = BlockPool::kNone;
    std::uint32_t tail = BlockPool::kNone;
    std::uint32_t size = 0;

    bool empty() const { return size == 0; }

    // How many more blocks appending n bytes would take.
    std::size_t blocks_needed(std::size_t n) const {
        const std::size_t used = size % BlockPool::kBlockSize;
        const std::size_t room = used == 0 ? 0 : BlockPool::kBlockSize - used;  // full or empty: none
        return n <= room ? 0 : (n - room + BlockPool::kBlockSize - 1) / BlockPool::kBlockSize;
    }

    // All or nothing: false (and nothing appended) when the pool runs out.
    bool append(BlockPool& pool, std::span<const std::uint8_t> bytes) {
        if (blocks_needed(bytes.size()) > pool.free_blocks()) return false;
        while (!bytes.empty()) {
            std::size_t used = size % BlockPool::kBlockSize;
            if (used == 0 && (size != 0 || tail == BlockPool::kNone)) {
                const std::uint32_t block = pool.take();
                if (tail == BlockPool::kNone)
                    head = block;
                else
                    pool.next(tail) = block;
                tail = block;
                used = 0;
            }
            const std::size_t n = std::min(bytes.size(), BlockPool::kBlockSize - used);
            std::memcpy(pool.data(tail) + used, bytes.data(), n);
            size += static_cast<std::uint32_t>(n);
            bytes = bytes.subspan(n);
        }
        return true;
    }

    // Copies bytes [from, from + out.size()) of the chain into `out`.
    void copy_out(const BlockPool& pool, std::size_t from, std::span<std::uint8_t> out) const {
        std::uint32_t block = head;
        while (from >= BlockPool::kBlockSize) {
            block = pool.next(block);
            from -= BlockPool::kBlockSize;
        }
        std::size_t done = 0;
        while (done < out.size()) {
            const std::size_t n = std::min(out.size() - done, BlockPool::kBlockSize - from);
            std::memcpy(out.data() + done, pool.data(block) + from, n);
            done += n;
            from = 0;
            block = pool.next(block);
        }
    }

    // True when bytes [from, from + bytes.size()) of the chain equal `bytes`.
    bool equals(const BlockPool& pool, std::size_t from, std::span<const std::uint8_t> bytes) const {
        std::uint32_t block = head;
        while (from >= BlockPool::kBlockSize) {
            block = pool.next(block);
            from -= BlockPool::kBlockSize;
        }
        std::size_t done = 0;
        while (done < bytes.size()) {
            const std::size_t n = std::min(bytes.size() - done, BlockPool::kBlockSize - from);
            if (std::memcmp(bytes.data() + done, pool.data(block) + from, n) != 0) return false;
            done += n;
            from = 0;
            block = pool.next(block);
        }
        return true;
    }

    void release(BlockPool& pool) {
        for (std::uint32_t block = head; block != BlockPool::kNone;) {
            const std::uint32_t after = pool.next(block);
            pool.give(block);
            block = after;
        }
        *this = ByteChain{};
    }
};

}  // namespace dnswatch
