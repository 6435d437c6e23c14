// The `dnswatch` command. Everything lives here rather than in main.cc so
// that tests run the real command in-process.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace dnswatch {

// Exit codes of DESIGN.md: 0 success, 2 bad usage or config, 1 I/O failure.
inline constexpr int kExitOk = 0;
inline constexpr int kExitIoError = 1;
inline constexpr int kExitUsage = 2;

struct CliStreams {
    std::FILE* out = stdout;  // alerts by default, effective config
    std::FILE* err = stderr;  // progress, summary, errors
};

int run_cli(const std::vector<std::string>& args, const CliStreams& streams = {});

int replay_command(const std::vector<std::string>& args, const CliStreams& streams);
int check_config_command(const std::vector<std::string>& args, const CliStreams& streams);
int tlog_command(const std::vector<std::string>& args, const CliStreams& streams);
int tail_command(const std::vector<std::string>& args, const CliStreams& streams);
int relay_command(const std::vector<std::string>& args, const CliStreams& streams);
int keygen_command(const std::vector<std::string>& args, const CliStreams& streams);

}  // namespace dnswatch
