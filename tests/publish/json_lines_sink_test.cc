#include "publish/json_lines_sink.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "publish/alert_json.h"
#include "tests/publish/sample_alert.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;

class JsonLinesSinkTest : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = fs::temp_directory_path() /
               ("dnswatch-jsonl-" + std::string(info->name()) + "-" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    static std::vector<std::string> lines_of(const fs::path& path) {
        std::ifstream in(path);
        std::vector<std::string> lines;
        for (std::string line; std::getline(in, line);) lines.push_back(line);
        return lines;
    }

    fs::path dir_;
};

TEST_F(JsonLinesSinkTest, WritesOneFlushedLinePerAlert) {
    const fs::path path = dir_ / "alerts.jsonl";
    JsonLinesSink sink(path.string());
    sink.publish(testing::sample_alert("victim.test"));
    Alert second = testing::sample_alert("mail.victim.test");
    second.seq = 43;
    sink.publish(second);

    // Read while the sink is still open: each line must already be on disk.
    const std::vector<std::string> lines = lines_of(path);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0], to_json_line(testing::sample_alert("victim.test")));
    EXPECT_EQ(nlohmann::json::parse(lines[1])["name"], "mail.victim.test");
    EXPECT_EQ(nlohmann::json::parse(lines[1])["seq"], 43);
    EXPECT_FALSE(sink.failed());
    EXPECT_EQ(sink.error(), "");
    EXPECT_EQ(sink.lines_written(), 2u);
}

TEST_F(JsonLinesSinkTest, AppendKeepsEarlierLinesTruncateDoesNot) {
    const fs::path path = dir_ / "alerts.jsonl";
    std::ofstream(path) << "earlier\n";
    {
        JsonLinesSink sink(path.string());
        sink.publish(testing::sample_alert());
    }
    EXPECT_EQ(lines_of(path).size(), 2u);
    EXPECT_EQ(lines_of(path)[0], "earlier");
    {
        JsonLinesSink sink(path.string(), JsonLinesSink::FileMode::truncate);
        sink.publish(testing::sample_alert());
    }
    EXPECT_EQ(lines_of(path).size(), 1u);
}

TEST_F(JsonLinesSinkTest, StreamIsWrittenButNotClosed) {
    std::FILE* stream = std::tmpfile();
    ASSERT_NE(stream, nullptr);
    {
        JsonLinesSink sink(stream);
        sink.publish(testing::sample_alert());
    }
    EXPECT_EQ(std::fputs("still open\n", stream) >= 0, true);
    std::rewind(stream);
    char buffer[4096] = {};
    ASSERT_NE(std::fgets(buffer, sizeof buffer, stream), nullptr);
    EXPECT_EQ(std::string(buffer), to_json_line(testing::sample_alert()) + "\n");
    std::fclose(stream);
}

TEST_F(JsonLinesSinkTest, OpenFailureNamesPathAndReason) {
    const std::string path = (dir_ / "no-such-dir" / "alerts.jsonl").string();
    try {
        JsonLinesSink sink(path);
        FAIL() << "expected std::runtime_error";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), "cannot open alert file '" + path + "': No such file or directory");
    }
}

TEST_F(JsonLinesSinkTest, WriteErrorsAreRecordedNotThrown) {
    if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
    JsonLinesSink sink(std::string("/dev/full"));
    EXPECT_NO_THROW(sink.publish(testing::sample_alert()));
    EXPECT_NO_THROW(sink.publish(testing::sample_alert()));
    EXPECT_TRUE(sink.failed());
    EXPECT_EQ(sink.lines_written(), 0u);
    EXPECT_EQ(sink.write_errors(), 2u);
    EXPECT_EQ(sink.error(), "cannot flush alerts to /dev/full: No space left on device");
}

}  // namespace
}  // namespace dnswatch
