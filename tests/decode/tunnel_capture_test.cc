// Differential test of issue 20: the GTP-U and GRE/PPP captures of
// tests/decode/tunnel-captures (recorded on a link OsmoGGSN carried, made
// from real dig <-> NSD traffic, and Zeek's and Arkime's, found; SOURCES.md
// there) decoded by TransportDecoder and by tshark, run on each capture now.
// Both must see the same port-53 DNS messages in the same frames (id, QR
// bit, the innermost addresses and ports), through the same tunnel (GTP-U
// TEID, PPTP call id, GRE key), and peel as many GTP-U T-PDUs and
// PPP-carried IP packets.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/decode/reassembly_support.h"
#include "tests/support/run_command.h"
#include "tests/support/scratch_dir.h"

namespace dnswatch::test {
namespace {

namespace fs = std::filesystem;

const std::string kCaptures = "tests/decode/tunnel-captures/";
const char* const kTshark = "/usr/bin/tshark";  // scripts/setup installs it

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> parts;
    std::string part;
    std::istringstream in(text);
    while (std::getline(in, part, separator)) parts.push_back(part);
    if (!text.empty() && text.back() == separator) parts.emplace_back();
    return parts;
}

std::string last_of(const std::string& list) {
    const auto parts = split(list, ',');
    return parts.empty() ? std::string() : parts.back();
}

std::uint32_t number(const std::string& text) { return static_cast<std::uint32_t>(std::stoul(text, nullptr, 0)); }

// One DNS message as either side saw it, printable for failure messages.
std::string describe(std::uint64_t frame, std::uint32_t id, bool response, const std::string& src, std::uint32_t sport,
                     const std::string& dst, std::uint32_t dport, const std::string& tunnel) {
    std::ostringstream out;
    out << "frame " << frame << " id " << id << (response ? " R " : " Q ") << src << ":" << sport << " > " << dst
        << ":" << dport << " via " << tunnel;
    return out.str();
}

std::string tunnel_text(const std::string& kind, std::uint32_t id) {
    return kind.empty() ? std::string("-") : kind + " " + std::to_string(id);
}

struct Capture {
    std::string file;
    std::size_t min_messages;  // so that a capture that lost its DNS cannot pass unnoticed
};

void PrintTo(const Capture& capture, std::ostream* out) { *out << capture.file; }

// The captures, and at least how many DNS messages each holds.
const std::vector<Capture> kAll = {
    {"osmo-ggsn/gn-link.pcap", 30},   // recorded: OsmoGGSN and sgsnemu, IPv4 and IPv6 bearers, UDP and TCP
    {"dns-exchange.pcap", 30},        // recorded: the traffic the made captures wrap, untunnelled
    {"gtpu-dns.pcap", 30},            // made: UDP and TCP, IPv4 and IPv6 inside and outside, every header form
    {"gre-ppp-dns.pcap", 30},         // made: enhanced GRE and GRE 0x880B, PPP with and without compression
    {"gtpu-forged-answer.pcap", 22},  // made: a scenario's hijack on an S1-U link
    {"zeek/gre-pptp.pcap", 2},        // found: PPTP over IPv4 inside IPv6 on a VLAN
    {"zeek/gtp3_false_gtp.pcap", 1},  // found: DNS from port 2152, not GTP
    {"zeek/gtp7_ipv6.pcap", 0},       // found: IPv6 in GTP-U, LLMNR (port 5355) and ICMPv6
    {"zeek/gtp_ext_header.pcap", 0},  // found: GTP-U extension headers and an outer fragment
    {"zeek/gtp10_not_0xff.pcap", 0},  // found: GTP-U signalling only
    {"arkime/ipv6-gtp6.pcap", 1},     // found: GTP-U over IPv6 on a VLAN, a DNS answer to an IPv6 UE
    {"arkime/gtp-iphone.pcap", 6},    // found: an iPhone's bearer on a Gn link, IPv4 outer
};

// What tshark says of one capture, from one run over every frame.
struct TsharkView {
    std::multiset<std::string> dns;  // port-53 DNS messages, as describe() prints them
    std::uint64_t tpdus = 0;         // GTP-U headers whose message is a T-PDU
    std::uint64_t ppp_ip = 0;        // PPP headers carrying IPv4 or IPv6
};

const std::vector<std::string> kFields = {
    "frame.number", "dns.id",    "dns.flags.response", "_ws.col.Source",  "_ws.col.Destination",
    "udp.srcport",  "udp.dstport", "tcp.srcport",      "tcp.dstport",     "gtp.teid",
    "gre.key.call_id", "gre.key", "frame.protocols",   "gtp.message",     "ppp.protocol",
    "udp.port",     "tcp.port"};

TsharkView tshark(const std::string& capture, const fs::path& scratch) {
    // Fields that occur more than once (outer and inner layers) come joined by commas.
    std::vector<std::string> argv = {kTshark, "-n", "-r", capture, "-T", "fields", "-E", "occurrence=a",
                                     "-E", "aggregator=,", "-E", "separator=/t"};
    for (const std::string& f : kFields) argv.insert(argv.end(), {"-e", f});
    const CommandResult result = run_command(argv, scratch);
    EXPECT_EQ(result.exit_code, 0) << "tshark " << capture << ": " << result.err;
    TsharkView view;
    for (const std::string& line : split(result.out, '\n')) {
        if (line.empty()) continue;
        const std::vector<std::string> row = split(line, '\t');
        EXPECT_EQ(row.size(), kFields.size()) << line;
        if (row.size() != kFields.size()) continue;
        for (const std::string& type : split(row[13], ',')) view.tpdus += number(type) == 0xff;
        for (const std::string& protocol : split(row[14], ',')) {
            view.ppp_ip += number(protocol) == 0x21 || number(protocol) == 0x57;
        }
        // DNS on port 53 (as the filter "dns && (udp.port == 53 || tcp.port == 53)"
        // has it: any layer's port); a TCP segment may end several messages.
        const auto ports = split(row[15] + "," + row[16], ',');
        if (row[1].empty() || std::find(ports.begin(), ports.end(), "53") == ports.end()) continue;
        const bool tcp = !row[7].empty();
        const std::uint32_t sport = number(last_of(tcp ? row[7] : row[5]));
        const std::uint32_t dport = number(last_of(tcp ? row[8] : row[6]));
        // The innermost tunnel: these captures nest none.
        std::string tunnel = "-";
        if (row[12].find(":gtp:") != std::string::npos) {
            tunnel = tunnel_text("gtp_u", number(last_of(row[9])));
        } else if (row[12].find(":gre:ppp:") != std::string::npos) {
            const std::string& id = !row[10].empty() ? row[10] : row[11];  // PPTP call id, or GRE key
            tunnel = tunnel_text("gre_ppp", id.empty() ? 0 : number(last_of(id)));
        }
        const auto ids = split(row[1], ',');
        const auto flags = split(row[2], ',');
        EXPECT_EQ(ids.size(), flags.size()) << line;
        for (std::size_t i = 0; i < ids.size() && i < flags.size(); ++i) {
            view.dns.insert(describe(std::stoull(row[0]), number(ids[i]), flags[i] == "1" || flags[i] == "True",
                                     row[3], sport, row[4], dport, tunnel));
        }
    }
    return view;
}

class TunnelCaptureTest : public ::testing::TestWithParam<Capture> {
protected:
    void SetUp() override { dir_ = scratch_dir("tshark"); }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path dir_;
};

TEST_P(TunnelCaptureTest, SameMessagesAndTunnelsAsTshark) {
    ASSERT_TRUE(fs::exists(kTshark)) << "tshark is missing: scripts/setup installs it";
    const Capture& capture = GetParam();
    const std::string path = source_file(kCaptures + capture.file);
    const TsharkView theirs = tshark(path, dir_);
    std::multiset<std::string> ours;
    const DecodeRun run = decode_frames(read_capture(path));
    for (const Message& m : run.messages) {
        const std::string tunnel = m.tunnel ? tunnel_text(std::string(name_of(m.tunnel->kind)), m.tunnel->id) : "-";
        ours.insert(describe(m.frame, m.id(), m.response(), m.datagram.src.to_string(), m.datagram.src_port,
                             m.datagram.dst.to_string(), m.datagram.dst_port, tunnel));
    }
    EXPECT_GE(theirs.dns.size(), capture.min_messages);
    EXPECT_EQ(ours.size(), theirs.dns.size());
    std::vector<std::string> only_ours, only_theirs;
    std::set_difference(ours.begin(), ours.end(), theirs.dns.begin(), theirs.dns.end(), std::back_inserter(only_ours));
    std::set_difference(theirs.dns.begin(), theirs.dns.end(), ours.begin(), ours.end(), std::back_inserter(only_theirs));
    for (const std::string& m : only_ours) ADD_FAILURE() << "only dnswatch: " << m;
    for (const std::string& m : only_theirs) ADD_FAILURE() << "only tshark: " << m;
    // As many packets out of each tunnel.
    EXPECT_EQ(run.counters.of(TunnelKind::gtp_u), theirs.tpdus);
    EXPECT_EQ(run.counters.of(TunnelKind::gre_ppp), theirs.ppp_ip);
    std::printf("%s: tshark %zu DNS messages, %llu T-PDUs, %llu PPP/IP; dnswatch %zu, %llu, %llu\n",
                capture.file.c_str(), theirs.dns.size(), static_cast<unsigned long long>(theirs.tpdus),
                static_cast<unsigned long long>(theirs.ppp_ip), ours.size(),
                static_cast<unsigned long long>(run.counters.of(TunnelKind::gtp_u)),
                static_cast<unsigned long long>(run.counters.of(TunnelKind::gre_ppp)));
}

std::string test_name(const ::testing::TestParamInfo<Capture>& info) {
    std::string name;
    for (const char c : info.param.file.substr(0, info.param.file.rfind('.'))) name += std::isalnum(c) ? c : '_';
    return name;
}

INSTANTIATE_TEST_SUITE_P(Captures, TunnelCaptureTest, ::testing::ValuesIn(kAll), test_name);

}  // namespace
}  // namespace dnswatch::test
