// Structured logs: both formats byte for byte, levels, and the per-event
// token bucket with its suppressed count, on a clock the test moves.
#include "log/log.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace dnswatch::log {
namespace {

using namespace std::chrono_literals;
using TimePoint = std::chrono::system_clock::time_point;

// 2026-03-14T09:02:00.123Z
const TimePoint kStart = TimePoint(std::chrono::milliseconds(1773478920123));

// A Logger writing to a temporary file, read back line by line.
class Captured {
public:
    explicit Captured(Level level = Level::info, Format format = Format::keyvalue, RateLimit limit = {})
        : file_(std::tmpfile()), logger_(file_, level, format, limit, [this] { return now; }) {}
    ~Captured() { std::fclose(file_); }

    Logger& logger() { return logger_; }
    std::vector<std::string> lines() {
        std::fflush(file_);
        std::rewind(file_);
        std::vector<std::string> out;
        char buffer[4096];
        while (std::fgets(buffer, sizeof buffer, file_) != nullptr) {
            std::string line(buffer);
            if (!line.empty() && line.back() == '\n') line.pop_back();
            out.push_back(line);
        }
        std::fseek(file_, 0, SEEK_END);
        return out;
    }

    TimePoint now = kStart;

private:
    std::FILE* file_;
    Logger logger_;
};

TEST(LogTest, KeyValueLinesQuoteOnlyWhatNeedsIt) {
    Captured captured;
    captured.logger().warn("capture_truncated", {{"file", "/tmp/a b.pcap"},
                                                 {"packets_read", 31u},
                                                 {"delta", -2},
                                                 {"ratio", 0.5},
                                                 {"ok", false},
                                                 {"msg", "say \"hi\"\\\nbye"},
                                                 {"empty", ""}});
    EXPECT_EQ(captured.lines(),
              std::vector<std::string>{"ts=2026-03-14T09:02:00.123Z level=warn event=capture_truncated "
                                       "file=\"/tmp/a b.pcap\" packets_read=31 delta=-2 ratio=0.5 ok=false "
                                       "msg=\"say \\\"hi\\\"\\\\\\nbye\" empty=\"\""});
}

TEST(LogTest, JsonLinesAreJsonWithTypedValues) {
    Captured captured(Level::info, Format::json);
    captured.logger().error("alerts_write_failed", {{"error", "No space left\non device"},
                                                    {"count", std::uint64_t{18446744073709551615u}},
                                                    {"ratio", 0.25},
                                                    {"ok", true},
                                                    {"control", std::string_view("\x01", 1)}});
    const auto lines = captured.lines();
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0],
              "{\"ts\":\"2026-03-14T09:02:00.123Z\",\"level\":\"error\",\"event\":\"alerts_write_failed\","
              "\"error\":\"No space left\\non device\",\"count\":18446744073709551615,\"ratio\":0.25,\"ok\":true,"
              "\"control\":\"\\u0001\"}");
    const auto parsed = nlohmann::json::parse(lines[0]);
    EXPECT_EQ(parsed["error"], "No space left\non device");
    EXPECT_EQ(parsed["count"].get<std::uint64_t>(), 18446744073709551615u);
    EXPECT_EQ(parsed["control"], "\x01");
}

TEST(LogTest, LevelsBelowTheConfiguredOneAreNotWritten) {
    Captured captured(Level::warn);
    EXPECT_TRUE(captured.logger().error("e"));
    EXPECT_TRUE(captured.logger().warn("w"));
    EXPECT_FALSE(captured.logger().info("i"));
    EXPECT_FALSE(captured.logger().debug("d"));
    captured.logger().set_level(Level::debug);
    EXPECT_TRUE(captured.logger().debug("d"));
    const auto lines = captured.lines();
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_NE(lines[0].find("level=error event=e"), std::string::npos);
    EXPECT_NE(lines[2].find("level=debug event=d"), std::string::npos);
    EXPECT_EQ(captured.logger().suppressed_total(), 0u);  // level filtering is not suppression
}

TEST(LogTest, ParsesLevelsAndFormats) {
    EXPECT_EQ(parse_level("debug"), Level::debug);
    EXPECT_EQ(parse_level("warn"), Level::warn);
    EXPECT_FALSE(parse_level("warning"));
    EXPECT_EQ(parse_format("json"), Format::json);
    EXPECT_FALSE(parse_format("logfmt"));
}

TEST(LogTest, RepeatedEventsAreRateLimitedPerEventAndTheGapIsReported) {
    Captured captured(Level::info, Format::keyvalue, RateLimit{.burst = 3, .interval = 10s});
    Logger& logger = captured.logger();
    int written = 0;
    for (int i = 0; i < 10; ++i) written += logger.warn("peer_gone", {{"i", i}});
    EXPECT_EQ(written, 3);  // the burst
    EXPECT_EQ(logger.suppressed_total(), 7u);
    // Another event has its own bucket.
    EXPECT_TRUE(logger.info("reload", {{"result", "ok"}}));
    // 5 s later: half a token, still nothing.
    captured.now += 5s;
    EXPECT_FALSE(logger.warn("peer_gone", {{"i", 10}}));
    // 10 s after the burst: one token; the line says how many were held back.
    captured.now += 5s;
    EXPECT_TRUE(logger.warn("peer_gone", {{"i", 11}}));
    EXPECT_FALSE(logger.warn("peer_gone", {{"i", 12}}));
    const auto lines = captured.lines();
    ASSERT_EQ(lines.size(), 5u);
    EXPECT_EQ(lines[4], "ts=2026-03-14T09:02:10.123Z level=warn event=peer_gone i=11 suppressed=8");
    EXPECT_EQ(logger.suppressed_total(), 9u);
    // A long quiet spell refills the burst, no more.
    captured.now += 1h;
    written = 0;
    for (int i = 0; i < 10; ++i) written += logger.warn("peer_gone");
    EXPECT_EQ(written, 3);
}

TEST(LogTest, AClockSteppingBackRefillsNothing) {
    Captured captured(Level::info, Format::keyvalue, RateLimit{.burst = 1, .interval = 10s});
    EXPECT_TRUE(captured.logger().warn("x"));
    captured.now -= 1h;
    EXPECT_FALSE(captured.logger().warn("x"));
    captured.now += 1h;
    EXPECT_FALSE(captured.logger().warn("x"));
    captured.now += 10s;
    EXPECT_TRUE(captured.logger().warn("x"));
}

}  // namespace
}  // namespace dnswatch::log

namespace dnswatch::log {
namespace {

std::string made_up_reason() { return std::string(64, 'r'); }  // longer than any small-string buffer

TEST(LogTest, TemporaryStringsOutliveTheBracedList) {
    Captured captured;
    captured.logger().warn("x", {{"reason", made_up_reason()}, {"n", 1}});
    EXPECT_EQ(captured.lines(), std::vector<std::string>{"ts=2026-03-14T09:02:00.123Z level=warn event=x reason=" +
                                                         made_up_reason() + " n=1"});
}

}  // namespace
}  // namespace dnswatch::log
