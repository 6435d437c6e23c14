// Durations and sizes as the config spells them (config/units.h).
#include "config/units.h"

#include <gtest/gtest.h>

namespace dnswatch {
namespace {

TEST(UnitsTest, Durations) {
    EXPECT_EQ(parse_duration_ms("30s", 1000).value, 30'000);
    EXPECT_EQ(parse_duration_ms("15m", 1000).value, 900'000);
    EXPECT_EQ(parse_duration_ms("48h", 1000).value, 172'800'000);
    EXPECT_EQ(parse_duration_ms("7d", 1000).value, 604'800'000);
    EXPECT_EQ(parse_duration_ms("1w", 1000).value, 604'800'000);
    EXPECT_EQ(parse_duration_ms("1h30m", 1000).value, 5'400'000);
    EXPECT_EQ(parse_duration_ms("250ms", 1000).value, 250);
    EXPECT_EQ(parse_duration_ms("12", 1000).value, 12'000);
    EXPECT_EQ(parse_duration_ms("12", 1).value, 12);
    EXPECT_FALSE(parse_duration_ms("0", 1000).error);
    for (const char* bad : {"", "s", "-1s", "1.5h", "30 s", "30sec", "1h30", "h1", "30S"}) {
        EXPECT_EQ(parse_duration_ms(bad, 1000).error, UnitError::malformed) << bad;
    }
    EXPECT_EQ(parse_duration_ms("9999999999999999999", 1).error, UnitError::overflow);
    EXPECT_EQ(parse_duration_ms("9223372036854775807", 1000).error, UnitError::overflow);
    EXPECT_EQ(parse_duration_ms("999999999999999d", 1000).error, UnitError::overflow);
}

TEST(UnitsTest, Sizes) {
    EXPECT_EQ(parse_size_bytes("64KiB").value, 65536);
    EXPECT_EQ(parse_size_bytes("64MiB").value, 64 << 20);
    EXPECT_EQ(parse_size_bytes("1GiB").value, 1 << 30);
    EXPECT_EQ(parse_size_bytes("2TiB").value, std::int64_t{2} << 40);
    EXPECT_EQ(parse_size_bytes("10MB").value, 10'000'000);
    EXPECT_EQ(parse_size_bytes("3kB").value, 3000);
    EXPECT_EQ(parse_size_bytes("1500").value, 1500);
    EXPECT_EQ(parse_size_bytes("1500B").value, 1500);
    for (const char* bad : {"", "MiB", "1.5MiB", "64 MiB", "64mib", "64K", "-1", "1GiB2"}) {
        EXPECT_EQ(parse_size_bytes(bad).error, UnitError::malformed) << bad;
    }
    EXPECT_EQ(parse_size_bytes("99999999999TiB").error, UnitError::overflow);
}

TEST(UnitsTest, FormattingIsExactAndParsesBack) {
    EXPECT_EQ(format_duration_ms(0), "0s");
    EXPECT_EQ(format_duration_ms(1500), "1500ms");
    EXPECT_EQ(format_duration_ms(60'000), "1m");
    EXPECT_EQ(format_duration_ms(5'400'000), "1h30m");
    EXPECT_EQ(format_duration_ms(90'061'000), "1d1h1m1s");
    EXPECT_EQ(format_size_bytes(33554432), "32MiB");
    EXPECT_EQ(format_size_bytes(65537), "65537");
    EXPECT_EQ(format_size_bytes(std::int64_t{16} << 30), "16GiB");
    for (std::int64_t ms : {0LL, 1LL, 999LL, 1000LL, 61'000LL, 86'400'000LL, 90'061'000LL, 3'600'001LL}) {
        EXPECT_EQ(parse_duration_ms(format_duration_ms(ms), 1000).value, ms) << ms;
    }
    for (std::int64_t bytes : {1LL, 1024LL, 65537LL, 1LL << 20, 3LL << 40}) {
        EXPECT_EQ(parse_size_bytes(format_size_bytes(bytes)).value, bytes) << bytes;
    }
}

}  // namespace
}  // namespace dnswatch
