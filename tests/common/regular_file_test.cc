// Files the sensor needs whole are refused at once when they are a FIFO, a
// device or a folder, with a reason naming what the path is; the state and
// key files read at start go through the same check.
#include "common/regular_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>

#include "common/json_lines.h"
#include "publish/zmq_security.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;

class RegularFileTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("dnswatch-regular-" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        fifo_ = (dir_ / "fifo").string();
        ASSERT_EQ(::mkfifo(fifo_.c_str(), 0600), 0);
    }
    void TearDown() override { fs::remove_all(dir_); }

    // Runs `f` on another thread and fails (rather than hanging the suite)
    // when it has not returned within 5 s: what a FIFO used to do.
    template <typename F>
    void returns_promptly(F f) {
        auto done = std::async(std::launch::async, f);
        ASSERT_EQ(done.wait_for(std::chrono::seconds(5)), std::future_status::ready) << "blocked";
        done.get();
    }

    fs::path dir_;
    std::string fifo_;
};

TEST_F(RegularFileTest, SaysWhatAPathIsWhenItIsNotARegularFile) {
    const std::string file = (dir_ / "file").string();
    std::ofstream(file) << "text";
    EXPECT_EQ(regular_file_problem(file), "");
    EXPECT_EQ(regular_file_problem(fifo_), "not a regular file (a FIFO)");
    EXPECT_EQ(regular_file_problem("/dev/zero"), "not a regular file (a character device)");
    EXPECT_EQ(regular_file_problem(dir_.string()), "is a directory");
    EXPECT_EQ(regular_file_problem((dir_ / "absent").string()), "No such file or directory");
    const std::string link = (dir_ / "link").string();
    fs::create_symlink(file, link);
    EXPECT_EQ(regular_file_problem(link), "") << "links are followed";
}

TEST_F(RegularFileTest, ReadsARegularFileAndRefusesTheRestWithoutBlocking) {
    const std::string file = (dir_ / "file").string();
    std::ofstream(file) << "four";
    EXPECT_EQ(read_regular_file(file, 4), "four");
    EXPECT_THROW(read_regular_file(file, 3), FileRefused);
    returns_promptly([&] {
        try {
            read_regular_file(fifo_, 1 << 20);
            ADD_FAILURE() << "a FIFO was read";
        } catch (const FileRefused& e) {
            EXPECT_EQ(std::string(e.what()), fifo_ + ": not a regular file (a FIFO)");
        }
    });
    returns_promptly([&] {
        try {
            read_regular_file("/dev/zero", 1 << 20);
            ADD_FAILURE() << "/dev/zero was read";
        } catch (const FileRefused& e) {
            EXPECT_EQ(std::string(e.what()), "/dev/zero: not a regular file (a character device)");
        }
    });
}

TEST_F(RegularFileTest, StateAndKeyFilesThatAreFifosAreRefusedAtOnce) {
    returns_promptly([&] {
        EXPECT_THROW(read_json_lines(fifo_, "an open alert", [](const nlohmann::json&) {}), FileRefused);
    });
    bool called = false;
    read_json_lines((dir_ / "absent.jsonl").string(), "an open alert", [&](const nlohmann::json&) { called = true; });
    EXPECT_FALSE(called) << "an absent state file has no lines, as before";
    returns_promptly([&] {
        try {
            CurveKeyPair::load(fifo_);
            ADD_FAILURE() << "a FIFO was read as a key file";
        } catch (const std::runtime_error& e) {
            EXPECT_EQ(std::string(e.what()), fifo_ + ": not a regular file (a FIFO)");
        }
    });
}

}  // namespace
}  // namespace dnswatch
