// next_in_order: the rule that lets shards and the publisher restore
// capture order across workers without ever waiting on an idle one.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "pipeline/byte_ring.h"
#include "pipeline/ordered_merge.h"

namespace dnswatch {
namespace {

TEST(OrderedMerge, TakesTheSmallestHeadWhenEveryEmptyInputIsPastIt) {
    std::map<std::size_t, std::optional<std::uint64_t>> heads = {{0, 5}, {1, std::nullopt}, {2, 7}};
    std::map<std::size_t, std::uint64_t> marks = {{0, 4}, {1, 5}, {2, 6}};
    auto head = [&](std::size_t i) { return heads[i]; };
    auto mark = [&](std::size_t i) { return marks[i]; };
    MergeChoice choice = next_in_order(3, head, mark);
    ASSERT_TRUE(choice.input);
    EXPECT_EQ(*choice.input, 0u);
    EXPECT_EQ(choice.low, 4u);

    marks[1] = 4;  // input 1 might still bring key 5
    choice = next_in_order(3, head, mark);
    EXPECT_FALSE(choice.input);
    EXPECT_EQ(choice.low, 4u);
}

TEST(OrderedMerge, EverythingDoneAndEmptyIsInfinity) {
    auto head = [](std::size_t) -> std::optional<std::uint64_t> { return std::nullopt; };
    auto mark = [](std::size_t) { return kKeyInfinity; };
    const MergeChoice choice = next_in_order(4, head, mark);
    EXPECT_FALSE(choice.input);
    EXPECT_EQ(choice.low, kKeyInfinity);
}

TEST(OrderedMerge, TiesGoToTheLowerInput) {
    auto head = [](std::size_t i) -> std::optional<std::uint64_t> { return i == 0 ? 9 : 9; };
    auto mark = [](std::size_t) { return std::uint64_t{0}; };
    EXPECT_EQ(*next_in_order(2, head, mark).input, 0u);
}

// Producers own disjoint, random subsets of the keys 1..N, write them in
// order into small rings (waiting when full, as replays do), and keep their
// watermarks as the rule says. The consumer must see 1..N exactly in order.
TEST(OrderedMerge, ProducersOnThreadsMergeIntoOneOrderedStream) {
    constexpr std::size_t kProducers = 4;
    constexpr std::uint64_t kKeys = 300'000;
    std::vector<std::vector<std::uint64_t>> owned(kProducers);
    std::mt19937_64 random(11);
    for (std::uint64_t key = 1; key <= kKeys; ++key) owned[random() % kProducers].push_back(key);

    std::vector<std::unique_ptr<ByteRing>> rings;
    std::vector<std::unique_ptr<Watermark>> marks;
    for (std::size_t p = 0; p < kProducers; ++p) {
        rings.push_back(std::make_unique<ByteRing>(4096));  // small: producers wait often
        marks.push_back(std::make_unique<Watermark>());
    }
    std::vector<std::thread> threads;
    for (std::size_t p = 0; p < kProducers; ++p) {
        threads.emplace_back([&, p] {
            ByteRing& ring = *rings[p];
            std::atomic<std::uint64_t>& mark = marks[p]->value;
            const std::vector<std::uint64_t>& keys = owned[p];
            for (std::size_t i = 0; i < keys.size(); ++i) {
                std::span<std::uint8_t> room = ring.reserve(sizeof(std::uint64_t));
                if (room.data() == nullptr) {
                    ring.publish();
                    mark.store(keys[i] - 1, std::memory_order_release);
                    while ((room = ring.reserve(sizeof(std::uint64_t))).data() == nullptr) std::this_thread::yield();
                }
                std::memcpy(room.data(), &keys[i], sizeof keys[i]);
                ring.commit(sizeof keys[i]);
                if (i % 8 == 7 || i + 1 == keys.size()) {
                    ring.publish();
                    // This producer knows its next key, so everything below it is out.
                    const std::uint64_t next = i + 1 < keys.size() ? keys[i + 1] - 1 : kKeyInfinity;
                    mark.store(next, std::memory_order_release);
                }
            }
        });
    }
    auto head = [&](std::size_t i) -> std::optional<std::uint64_t> {
        const auto record = rings[i]->peek();
        if (record.data() == nullptr) return std::nullopt;
        std::uint64_t key;
        std::memcpy(&key, record.data(), sizeof key);
        return key;
    };
    auto mark = [&](std::size_t i) { return marks[i]->value.load(std::memory_order_acquire); };
    std::uint64_t expected = 1;
    std::uint64_t out_of_order = 0;
    for (;;) {
        const MergeChoice choice = next_in_order(kProducers, head, mark);
        if (!choice.input) {
            for (auto& ring : rings) ring->release();
            if (choice.low == kKeyInfinity) break;
            std::this_thread::yield();
            continue;
        }
        const std::uint64_t key = *head(*choice.input);
        out_of_order += key != expected;
        expected = key + 1;
        rings[*choice.input]->advance();
        rings[*choice.input]->release();
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(out_of_order, 0u);
    EXPECT_EQ(expected, kKeys + 1);
}

}  // namespace
}  // namespace dnswatch
