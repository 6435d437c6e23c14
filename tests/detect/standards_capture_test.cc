// Answers the standards allow are not divergence (docs/alerts.md): real
// captures of dnsdist answering QTYPE=ANY with RFC 8482's synthesised HINFO
// and of NSD serving a wildcard zone queried below existing nodes
// (tests/detect/standards/README.md), replayed through `dnswatch replay`.
// Each capture ends with real changes, which must still alert.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <tuple>

#include <nlohmann/json.hpp>

#include "tests/support/run_command.h"
#include "tests/support/scratch_dir.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;
const fs::path kHere = fs::path(DNSWATCH_SOURCE_DIR) / "tests/detect/standards";

// (kind, name, rrtype, server) of every alert the capture raises.
using Opened = std::tuple<std::string, std::string, std::string, std::string>;

std::set<Opened> replay(const std::string& name) {
    const test::CommandResult result = test::run_command(
        {DNSWATCH_BINARY, "replay", "--config", (kHere / (name + ".yaml")).string(), (kHere / (name + ".pcap")).string()},
        test::scratch_dir("standards"));  // its own stdout.txt: both tests run at once under ctest -j
    EXPECT_EQ(result.exit_code, 0) << result.err;
    std::set<Opened> opened;
    std::istringstream lines(result.out);
    for (std::string line; std::getline(lines, line);) {
        const auto alert = nlohmann::json::parse(line);
        opened.emplace(alert.at("kind"), alert.at("name"), alert.at("rrtype"), alert.at("vantage").at("server"));
    }
    return opened;
}

TEST(StandardAnswers, DnsdistsRfc8482AnyAnswerIsNoDivergenceButAChangeStillIs) {
    // Before the change: HINFO "RFC8482" "" from dnsdist for www and host,
    // NSD's own minimal ANY answer (one RRset of the baseline), www A: none
    // alerts. After it, dnsdist's HINFO still does not; www A does, from
    // dnsdist's answer to A and from NSD's answer to ANY.
    EXPECT_EQ(replay("any"), (std::set<Opened>{{"rrset_divergence", "www.std.test", "A", "127.0.0.32"},
                                               {"rrset_divergence", "www.std.test", "A", "127.0.0.31"}}));
}

TEST(StandardAnswers, WildcardsCoverOnlyWhatRfc4592Says) {
    // foo is synthesised from *.std.test; x.host (below a node with data)
    // and x.b (below an empty non-terminal) are NXDOMAIN, b and host NODATA:
    // none alerts. Then the zone serves x.host and x.b with the wildcard's
    // own address, which no wildcard covers, and changes the wildcard.
    EXPECT_EQ(replay("wildcard"), (std::set<Opened>{{"unexpected_rrset", "x.host.std.test", "A", "127.0.0.31"},
                                                    {"unexpected_rrset", "x.b.std.test", "A", "127.0.0.31"},
                                                    {"rrset_divergence", "foo.std.test", "A", "127.0.0.31"}}));
}

}  // namespace
}  // namespace dnswatch
