// The `dnswatch` command. Everything lives here rather than in main.cc so
// that tests run the real command in-process.
#pragma once

#include <array>
#include <cstdio>
#include <string>
#include <vector>

namespace dnswatch {

// Exit codes of docs/design.md: 0 success, 2 bad usage or config, 1 I/O
// failure; 3 and 4 tell `run`'s start-up failures that restarting will not
// mend (the unit's RestartPreventExitStatus=). Listed once here for --help
// and the man page; tests/packaging/check_package.sh checks the unit's
// RestartPreventExitStatus= against --help.
inline constexpr int kExitOk = 0;
inline constexpr int kExitIoError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitCaptureOpen = 3;
inline constexpr int kExitBind = 4;

struct ExitStatus {
    int code;
    const char* meaning;
};
inline constexpr std::array<ExitStatus, 5> kExitStatuses{{
    {kExitOk, "success"},
    {kExitIoError, "an I/O failure: a capture or file that cannot be read or written, a peer that does not answer"},
    {kExitUsage, "bad usage, or a config or zone file that does not load (printed as file:line:col: message)"},
    {kExitCaptureOpen, "run: the capture cannot be opened (no such interface, no permission, a DPDK port missing)"},
    {kExitBind, "run: an address to listen on cannot be bound (in use, not local): ZeroMQ, catch-up, metrics, NOTIFY"},
}};

struct CliStreams {
    std::FILE* out = stdout;  // alerts by default, effective config
    std::FILE* err = stderr;  // progress, summary, errors, the operational log
};

int run_cli(const std::vector<std::string>& args, const CliStreams& streams = {});

}  // namespace dnswatch
