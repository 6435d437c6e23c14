// An allocator for the few very large arrays of the baseline (a TLD's table
// is hundreds of MB): above 2 MiB a block is mapped on its own and marked
// for transparent huge pages (MADV_HUGEPAGE). Filling such an array then
// faults in 2 MiB at a time instead of 4 KiB, which on a virtual machine
// is most of what loading a large zone costs in the kernel, and the TLB
// covers the table with 512 times fewer entries when it is looked up. Freed
// blocks go straight back to the system (munmap), so that memory returns to
// its level after a reload. Smaller blocks are ordinary malloc ones.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>

namespace dnswatch {

template <typename T>
struct LargePageAllocator {
    using value_type = T;
    static constexpr std::size_t kMappedFrom = std::size_t{2} << 20;

    LargePageAllocator() = default;
    template <typename U>
    LargePageAllocator(const LargePageAllocator<U>&) noexcept {}

    T* allocate(std::size_t n) {
        const std::size_t bytes = n * sizeof(T);
        if (bytes < kMappedFrom) {
            void* p = std::malloc(bytes);
            if (p == nullptr) throw std::bad_alloc();
            return static_cast<T*>(p);
        }
        void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::bad_alloc();
        ::madvise(p, bytes, MADV_HUGEPAGE);  // advice: where THP is off, ordinary pages
        return static_cast<T*>(p);
    }
    void deallocate(T* p, std::size_t n) noexcept {
        const std::size_t bytes = n * sizeof(T);
        if (bytes < kMappedFrom) {
            std::free(p);
        } else {
            ::munmap(p, bytes);
        }
    }
    template <typename U>
    bool operator==(const LargePageAllocator<U>&) const noexcept {
        return true;
    }
};

}  // namespace dnswatch
