// `dnswatch tlog` as an auditor uses it: keygen, head, verify, prove.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "publish/merkle.h"
#include "publish/signed_note.h"
#include "publish/transparency_log.h"
#include "tests/support/run_command.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;

class TlogCommandTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("dnswatch-tlog-cli-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    test::CommandResult tlog(std::vector<std::string> args) {
        args.insert(args.begin(), {DNSWATCH_BINARY, "tlog"});
        return test::run_command(args, dir_);
    }

    // A log of `n` entries written with a key made by `dnswatch tlog keygen`.
    std::string make_log(int n) {
        const auto key = tlog({"keygen", "--name", "dnswatch.test/log", "--key", (dir_ / "log.key").string()});
        EXPECT_EQ(key.exit_code, 0) << key.err;
        EXPECT_EQ(fs::status(dir_ / "log.key").permissions() & fs::perms::others_read, fs::perms::none);
        std::ifstream in(dir_ / "log.key");
        std::string secret;
        std::getline(in, secret);
        TransparencyLog log((dir_ / "log").string(), *NoteSigner::parse(secret));
        for (int i = 0; i < n; ++i) log.append("{\"seq\":" + std::to_string(i + 1) + "}");
        log.write_checkpoint();
        return (dir_ / "log").string();
    }

    fs::path dir_;
};

TEST_F(TlogCommandTest, HeadPrintsTheSignedCheckpoint) {
    const auto log = make_log(3);
    const auto head = tlog({"head", "--dir", log});
    ASSERT_EQ(head.exit_code, 0) << head.err;
    EXPECT_EQ(head.out.rfind("dnswatch.test/log\n3\n", 0), 0u) << head.out;
    EXPECT_NE(head.out.find("\n\n\xE2\x80\x94 dnswatch.test/log "), std::string::npos);
}

TEST_F(TlogCommandTest, VerifyPassesThenFailsOnAFlippedByte) {
    const auto log = make_log(4);
    const auto ok = tlog({"verify", "--dir", log, "--key", (dir_ / "log.key.pub").string()});
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
    EXPECT_NE(ok.out.find("OK: verified 4 entries"), std::string::npos) << ok.out;
    {
        std::fstream f(fs::path(log) / "entries", std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(9);
        f.put('X');
    }
    const auto bad = tlog({"verify", "--dir", log, "--key", (dir_ / "log.key.pub").string()});
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.err.find("FAILED"), std::string::npos) << bad.err;
}

TEST_F(TlogCommandTest, ProofsVerifyIndependentlyAgainstTheCheckpointRoot) {
    const auto log = make_log(11);
    const auto contents = read_log_entries(log);
    const auto root = merkle::root(contents.leaves);
    auto from_hex = [](const std::string& hex) {
        merkle::Hash h{};
        for (std::size_t i = 0; i < 32; ++i) h[i] = static_cast<std::uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
        return h;
    };
    for (std::uint64_t i = 0; i < 11; ++i) {
        const auto result = tlog({"prove", "--dir", log, "--index", std::to_string(i)});
        ASSERT_EQ(result.exit_code, 0) << result.err;
        const auto proof = nlohmann::json::parse(result.out);
        EXPECT_EQ(proof["root"], merkle::to_hex(root));
        std::vector<merkle::Hash> path;
        for (const auto& h : proof["inclusion_path"]) path.push_back(from_hex(h.get<std::string>()));
        EXPECT_TRUE(merkle::verify_inclusion(i, 11, contents.leaves[i], path, root)) << i;
    }
    const auto consistency = nlohmann::json::parse(tlog({"prove", "--dir", log, "--from", "6"}).out);
    std::vector<merkle::Hash> path;
    for (const auto& h : consistency["consistency_path"]) path.push_back(from_hex(h.get<std::string>()));
    EXPECT_TRUE(merkle::verify_consistency(6, 11, path, merkle::root(std::span(contents.leaves).first(6)), root));
    EXPECT_EQ(tlog({"prove", "--dir", log, "--index", "11"}).exit_code, 2);
    EXPECT_EQ(tlog({"prove", "--dir", log}).exit_code, 2);
}

TEST_F(TlogCommandTest, UsageMistakesExitTwo) {
    EXPECT_EQ(tlog({}).exit_code, 2);
    EXPECT_EQ(tlog({"frobnicate", "--dir", "x"}).exit_code, 2);
    EXPECT_EQ(tlog({"verify"}).exit_code, 2);
    EXPECT_EQ(tlog({"--help"}).exit_code, 0);
    EXPECT_EQ(tlog({"verify", "--dir", (dir_ / "none").string()}).exit_code, 1);  // no key, no log
}

}  // namespace
}  // namespace dnswatch
