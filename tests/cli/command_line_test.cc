// The command line as users and scripts meet it (CLI11): --version,
// --opt=value, repeated options, and the man page and bash completion that
// the binary writes from the same declarations as --help.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "cli/cli.h"
#include "tests/cli/run_support.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;
const fs::path kSamples = fs::path(DNSWATCH_SOURCE_DIR) / "samples";

class CommandLineTest : public ::testing::Test {
protected:
    void SetUp() override { dir_ = test::scratch_dir("command-line"); }
    void TearDown() override { fs::remove_all(dir_); }
    test::CommandResult dnswatch(std::vector<std::string> args) {
        args.insert(args.begin(), DNSWATCH_BINARY);
        return test::run_command(args, dir_);
    }
    fs::path dir_;
};

TEST_F(CommandLineTest, VersionIsPrinted) {
    const auto r = dnswatch({"--version"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, std::string("dnswatch ") + DNSWATCH_VERSION + "\n");
}

TEST_F(CommandLineTest, OptionsTakeTheirValueAfterAnEqualsSignToo) {
    const auto spaced = dnswatch({"replay", "--config", (kSamples / "dnswatch.yaml").string(),
                                  (kSamples / "hijack.pcap").string()});
    const auto joined = dnswatch({"replay", "--config=" + (kSamples / "dnswatch.yaml").string(),
                                  (kSamples / "hijack.pcap").string()});
    ASSERT_EQ(joined.exit_code, 0) << joined.err;
    EXPECT_EQ(joined.out, spaced.out);
    // relay --from=URL is an option like any other, and it repeats: what is
    // missing here is --to, nothing else.
    const auto relay = dnswatch({"relay", "--from=tcp://127.0.0.1:1", "--from=tcp://127.0.0.1:2"});
    EXPECT_EQ(relay.exit_code, kExitUsage);
    EXPECT_NE(relay.err.find("--to is required"), std::string::npos) << relay.err;
    EXPECT_EQ(relay.err.find("unknown option"), std::string::npos) << relay.err;
}

TEST_F(CommandLineTest, TheManPageAndTheHelpComeFromTheSameDeclarations) {
    const auto help = dnswatch({"--help"});
    const auto man = dnswatch({"man"});
    ASSERT_EQ(man.exit_code, 0);
    EXPECT_NE(man.out.find(".TH DNSWATCH 1"), std::string::npos);
    for (const char* command : {"replay", "run", "check\\-config", "tail", "relay", "keygen", "tlog"}) {
        EXPECT_NE(man.out.find(std::string(".SS \"dnswatch ") + command), std::string::npos) << command;
    }
    for (const ExitStatus& status : kExitStatuses) {
        EXPECT_NE(help.out.find("  " + std::to_string(status.code) + "  " + status.meaning), std::string::npos)
            << status.code;
        EXPECT_NE(man.out.find(".B " + std::to_string(status.code) + "\n"), std::string::npos) << status.code;
    }
    // Every option of run's --help is in the man page.
    const auto run_help = dnswatch({"run", "--help"});
    for (const char* option : {"--config", "--alerts"}) {
        EXPECT_NE(run_help.out.find(option), std::string::npos) << option;
        EXPECT_NE(man.out.find(std::string("\\fB\\-\\-") + (option + 2)), std::string::npos) << option;
    }
}

// Options that came with JetStream (tail --nats) and the tiles server (tlog
// serve, verify --url): in --help and the man page like every other, and
// their combinations checked before anything runs.
TEST_F(CommandLineTest, NatsTailAndTlogTilesOptionsAreDeclaredLikeEveryOther) {
    const auto man = dnswatch({"man"});
    const auto tail_help = dnswatch({"tail", "--help"});
    for (const char* option : {"--nats", "--durable", "--stream", "--subject", "--creds", "--ca", "--idle-exit",
                               "--changes"}) {
        EXPECT_NE(tail_help.out.find(option), std::string::npos) << option;
        std::string in_roff = "\\fB";  // every '-' escaped: --idle-exit is \-\-idle\-exit
        for (const char* c = option; *c != '\0'; ++c) in_roff += *c == '-' ? std::string("\\-") : std::string(1, *c);
        EXPECT_NE(man.out.find(in_roff), std::string::npos) << option;
    }
    EXPECT_NE(dnswatch({"tlog", "serve", "--help"}).out.find("--listen"), std::string::npos);
    EXPECT_NE(dnswatch({"tlog", "verify", "--help"}).out.find("--url"), std::string::npos);
    EXPECT_NE(man.out.find(".SS \"dnswatch tlog serve"), std::string::npos);

    EXPECT_EQ(dnswatch({"tail"}).exit_code, kExitUsage);  // neither --endpoint nor --nats
    EXPECT_EQ(dnswatch({"tail", "--endpoint", "tcp://127.0.0.1:1", "--nats", "nats://127.0.0.1:1"}).exit_code,
              kExitUsage);
    EXPECT_EQ(dnswatch({"tail", "--endpoint", "tcp://127.0.0.1:1", "--durable", "soc"}).exit_code, kExitUsage);
    const auto no_durable = dnswatch({"tail", "--nats", "nats://127.0.0.1:1"});
    EXPECT_EQ(no_durable.exit_code, kExitUsage);
    EXPECT_NE(no_durable.err.find("--durable"), std::string::npos) << no_durable.err;
    EXPECT_EQ(dnswatch({"tlog", "verify"}).exit_code, kExitUsage);  // neither --dir nor --url
    EXPECT_EQ(dnswatch({"tlog", "verify", "--dir", "x", "--url", "http://127.0.0.1:1", "--key", "k"}).exit_code,
              kExitUsage);
}

TEST_F(CommandLineTest, BashCompletionIsAValidScriptThatKnowsEveryCommand) {
    const auto completion = dnswatch({"completion", "bash"});
    ASSERT_EQ(completion.exit_code, 0);
    test::write_file(dir_ / "dnswatch.bash", completion.out);
    const auto syntax = test::run_command({"/bin/bash", "-n", (dir_ / "dnswatch.bash").string()}, dir_);
    EXPECT_EQ(syntax.exit_code, 0) << syntax.err;
    for (const char* word : {"replay", "check-config", "tail", "relay", "tlog", "--since", "--endpoint"}) {
        EXPECT_NE(completion.out.find(word), std::string::npos) << word;
    }
}

}  // namespace
}  // namespace dnswatch
