// Merging several inputs, each already in key order, into one stream in key
// order, without ever waiting for an input that has nothing to say: each
// input also exports a watermark, "every item of mine with key <= W is
// visible to you", which lets the consumer go past it while it is empty.
//
// This is what makes a pcap_file replay through N workers and S shards
// deterministic: keys are the reader's frame positions, so every shard sees
// its messages, and the publisher its alerts, in capture order, exactly as
// `dnswatch replay` does on one thread.
//
// Deadlock freedom, with bounded rings and producers that wait for room:
// a producer that waits publishes "key of the item it is stuck on, minus
// one" as its watermark first. A consumer then only ever waits on a producer
// stuck at a smaller key than the one it holds, so a cycle of waits would
// need a key smaller than itself.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>

namespace dnswatch {

inline constexpr std::uint64_t kKeyInfinity = std::numeric_limits<std::uint64_t>::max();

// A watermark on a cache line of its own: its producer stores it often.
struct alignas(64) Watermark {
    std::atomic<std::uint64_t> value{0};
};

struct MergeChoice {
    std::optional<std::size_t> input;  // the input whose head comes next; none: wait
    // Every item with key <= low has been consumed already, or will never come:
    // the consumer's own watermark towards the next stage.
    std::uint64_t low = 0;
};

// `head(i)` gives input i's next key (std::nullopt when it is empty);
// `watermark(i)` its watermark, read with acquire semantics *before* head(i)
// is asked again. Ties go to the lower input index.
template <typename Head, typename Watermark>
MergeChoice next_in_order(std::size_t inputs, Head&& head, Watermark&& watermark) {
    MergeChoice choice;
    std::uint64_t best = kKeyInfinity;       // smallest head key
    std::uint64_t lowest_mark = kKeyInfinity;  // smallest watermark of an empty input
    std::uint64_t low = kKeyInfinity;
    for (std::size_t i = 0; i < inputs; ++i) {
        std::optional<std::uint64_t> key = head(i);
        if (!key) {
            // Empty: its watermark first, then look again, so that an item
            // published just before the watermark moved is not missed.
            const std::uint64_t mark = watermark(i);
            key = head(i);
            if (!key) {
                if (mark < lowest_mark) lowest_mark = mark;
                if (mark < low) low = mark;
                continue;
            }
        }
        const std::uint64_t below = *key > 0 ? *key - 1 : 0;
        if (below < low) low = below;
        if (!choice.input || *key < best) {
            best = *key;
            choice.input = i;
        }
    }
    choice.low = low;
    // The smallest head may go only when no empty input can still bring a
    // key at or below it.
    if (choice.input && lowest_mark < best) choice.input.reset();
    return choice;
}

}  // namespace dnswatch
