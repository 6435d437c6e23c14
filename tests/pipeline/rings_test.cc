// The SPSC rings: layout edge cases on one thread, then a producer and a
// consumer on two threads moving millions of records whose contents are
// checked, so that a publication-order bug shows as a wrong byte.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "pipeline/byte_ring.h"
#include "pipeline/spsc_ring.h"

namespace dnswatch {
namespace {

std::vector<std::uint8_t> pattern(std::size_t size, std::uint64_t seed) {
    std::vector<std::uint8_t> bytes(size);
    for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(seed * 31 + i * 7);
    return bytes;
}

TEST(ByteRing, RecordsComeOutInOrderAfterPublish) {
    ByteRing ring(4096);
    ASSERT_TRUE(ring.try_write(pattern(10, 1)));
    ASSERT_TRUE(ring.try_write(pattern(0, 2)));
    ASSERT_TRUE(ring.try_write(pattern(100, 3)));
    EXPECT_EQ(ring.peek().data(), nullptr) << "nothing is visible before publish()";
    ring.publish();
    for (const auto& [size, seed] : std::vector<std::pair<std::size_t, int>>{{10, 1}, {0, 2}, {100, 3}}) {
        const auto record = ring.peek();
        ASSERT_NE(record.data(), nullptr);
        EXPECT_EQ(std::vector<std::uint8_t>(record.begin(), record.end()), pattern(size, seed));
        ring.advance();
    }
    EXPECT_EQ(ring.peek().data(), nullptr);
    EXPECT_TRUE(ring.empty());
}

TEST(ByteRing, FullUntilTheConsumerReleases) {
    ByteRing ring(4096);
    int written = 0;
    while (ring.try_write(pattern(100, static_cast<std::uint64_t>(written)))) ++written;
    ring.publish();
    EXPECT_EQ(written, 4096 / 112);  // 8-byte header + 100 bytes padded to 104
    // Reading alone frees nothing: the views must stay valid until release().
    ring.peek();
    ring.advance();
    EXPECT_FALSE(ring.try_write(pattern(100, 99)));
    ring.release();
    EXPECT_TRUE(ring.try_write(pattern(100, 99)));
}

TEST(ByteRing, ARecordNeverWrapsAroundTheEnd) {
    ByteRing ring(4096);
    // Leave 80 bytes before the end, then ask for more: it must start at 0.
    ASSERT_TRUE(ring.try_write(pattern(2000, 1)));
    ASSERT_TRUE(ring.try_write(pattern(2000, 1)));
    ring.publish();
    for (int i = 0; i < 2; ++i) {
        ring.peek();
        ring.advance();
    }
    ring.release();
    ASSERT_TRUE(ring.try_write(pattern(200, 2)));
    ring.publish();
    const auto record = ring.peek();
    ASSERT_EQ(record.size(), 200u);
    EXPECT_EQ(std::vector<std::uint8_t>(record.begin(), record.end()), pattern(200, 2));
    ring.advance();
    EXPECT_TRUE(ring.empty());
}

TEST(ByteRing, RefusesRecordsLargerThanHalfTheRing) {
    ByteRing ring(4096);
    EXPECT_EQ(ring.reserve(ring.max_record() + 1).data(), nullptr);
    EXPECT_NE(ring.reserve(ring.max_record()).data(), nullptr);
}

TEST(ByteRing, TwoThreadsMoveEveryRecordIntact) {
    ByteRing ring(1 << 16);
    constexpr std::uint64_t kRecords = 2'000'000;
    std::thread producer([&] {
        std::mt19937_64 random(7);
        for (std::uint64_t n = 0; n < kRecords; ++n) {
            const std::size_t size = 8 + random() % 1500;
            std::span<std::uint8_t> room;
            while ((room = ring.reserve(size)).data() == nullptr) {
                ring.publish();
                std::this_thread::yield();
            }
            std::memcpy(room.data(), &n, 8);
            for (std::size_t i = 8; i < size; ++i) room[i] = static_cast<std::uint8_t>(n + i);
            ring.commit(size);
            if (n % 16 == 0) ring.publish();
        }
        ring.publish();
    });
    std::uint64_t expected = 0;
    std::uint64_t bad = 0;
    while (expected < kRecords) {
        const auto record = ring.peek();
        if (record.data() == nullptr) {
            ring.release();
            std::this_thread::yield();
            continue;
        }
        std::uint64_t n = 0;
        std::memcpy(&n, record.data(), 8);
        if (n != expected) ++bad;
        for (std::size_t i = 8; i < record.size(); ++i) bad += record[i] != static_cast<std::uint8_t>(n + i);
        ring.advance();
        if (++expected % 8 == 0) ring.release();
    }
    producer.join();
    EXPECT_EQ(bad, 0u);
}

TEST(SpscRing, TwoThreadsMoveEveryObjectInOrder) {
    SpscRing<std::string> ring(64);
    constexpr int kItems = 200'000;
    std::thread producer([&] {
        for (int i = 0; i < kItems; ++i) {
            std::string item = "item " + std::to_string(i);
            while (!ring.try_push(std::move(item))) std::this_thread::yield();
        }
    });
    int bad = 0;
    for (int i = 0; i < kItems;) {
        std::string* item = ring.front();
        if (item == nullptr) {
            std::this_thread::yield();
            continue;
        }
        bad += *item != "item " + std::to_string(i);
        ring.pop();
        ++i;
    }
    producer.join();
    EXPECT_EQ(bad, 0);
}

TEST(SpscRing, AFullRingRefusesWithoutTakingTheValue) {
    SpscRing<std::string> ring(2);
    EXPECT_TRUE(ring.try_push("a"));
    EXPECT_TRUE(ring.try_push("b"));
    std::string c = "c";
    EXPECT_FALSE(ring.try_push(std::move(c)));
    EXPECT_EQ(c, "c");
    EXPECT_EQ(ring.size_approx(), 2u);
}

}  // namespace
}  // namespace dnswatch
