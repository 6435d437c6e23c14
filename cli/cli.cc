#include "cli/cli.h"

#include <exception>

#include "cli/run.h"

namespace dnswatch {
namespace {

constexpr const char* kUsage =
    "usage: dnswatch COMMAND [OPTIONS]\n"
    "\n"
    "Passive DNS hijack sensor: compares the DNS answers it sees with a\n"
    "baseline of what each watched zone should hold, and alerts on every\n"
    "divergence.\n"
    "\n"
    "commands:\n"
    "  replay --config FILE [--alerts FILE|-] PCAP...\n"
    "                       read captures offline and write alerts as JSON lines\n"
    "  run --config FILE [--alerts FILE|-]\n"
    "                       the live sensor: libpcap, DPDK, or captures replayed\n"
    "                       through the same multi-core pipeline\n"
    "  check-config --config FILE | --reference\n"
    "                       validate a config and print the effective config,\n"
    "                       or print every config key (docs/config.md)\n"
    "  tail --endpoint URL [--topic PREFIX] [--since SEQ]\n"
    "                       print a running sensor's alerts, catching up from SEQ\n"
    "  relay --to URL --from URL...\n"
    "                       fan several sensors into one feed (XSUB/XPUB proxy)\n"
    "  keygen --out FILE    make a CURVE key pair for the ZeroMQ endpoints\n"
    "  tlog head|verify|prove|keygen|serve ...\n"
    "                       audit a transparency log: its signed checkpoint,\n"
    "                       a full verification, inclusion and consistency proofs\n"
    "\n"
    "Run 'dnswatch COMMAND --help' for a command's options.\n";

}  // namespace

int run_cli(const std::vector<std::string>& args, const CliStreams& streams) {
    if (args.empty()) {
        std::fputs(kUsage, streams.err);
        return kExitUsage;
    }
    const std::string& command = args[0];
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    try {
        if (command == "replay") return replay_command(rest, streams);
        if (command == "run") return run_command(rest, streams);
        if (command == "check-config") return check_config_command(rest, streams);
        if (command == "tlog") return tlog_command(rest, streams);
        if (command == "tail") return tail_command(rest, streams);
        if (command == "relay") return relay_command(rest, streams);
        if (command == "keygen") return keygen_command(rest, streams);
        if (command == "--help" || command == "-h" || command == "help") {
            std::fputs(kUsage, streams.out);
            return kExitOk;
        }
    } catch (const std::exception& e) {
        std::fprintf(streams.err, "dnswatch %s: %s\n", command.c_str(), e.what());
        return kExitIoError;
    }
    std::fprintf(streams.err, "dnswatch: unknown command '%s'\n\n%s", command.c_str(), kUsage);
    return kExitUsage;
}

}  // namespace dnswatch
