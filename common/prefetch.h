// Asks for the cache line at `p` ahead of a load that will need it. Never
// faults, whatever `p` is.
//
// Why not __builtin_prefetch alone: GCC 12.2 at -O2 deletes it whenever it
// sits under a condition (an early return, an `if`): its dead code
// elimination counts a prefetch as free of side effects, so the branch that
// guards it, and with it the prefetch, goes. Every baseline prefetch of the
// packet path was guarded and none was in the binary (objdump showed no
// prefetcht0 in them), so the lookups at 1 M delegations waited for both
// their cache misses. An asm volatile statement is never deleted.
#pragma once

namespace dnswatch {

inline void prefetch_line(const void* p) {
#if defined(__x86_64__) || defined(__i386__)
    asm volatile("prefetcht0 (%0)" : : "r"(p));
#elif defined(__aarch64__)
    asm volatile("prfm pldl1keep, [%0]" : : "r"(p));
#else
    __builtin_prefetch(p);
#endif
}

}  // namespace dnswatch
