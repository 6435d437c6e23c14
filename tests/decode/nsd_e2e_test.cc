// End to end against a real NSD: a DNSSEC-signed zone with large keys, so
// that its DNSKEY answers need more than one packet. Inside a network
// namespace whose loopback has an MTU of 1280, `dig +bufsize=4096` gets the
// answer in IP fragments (IPv4 and IPv6) and `dig +tcp` in several TCP
// segments; tcpdump captures it all, and TransportDecoder + DnsDecoder must
// find the whole DNSKEY RRset and its RRSIG in each.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "decode/dns_message.h"
#include "decode/transport.h"
#include "tests/support/background_process.h"
#include "tests/support/network_namespace.h"
#include "tests/support/nsd_server.h"
#include "tests/support/pcap_reader.h"
#include "tests/support/run_command.h"

namespace dnswatch::test {
namespace {

namespace fs = std::filesystem;

constexpr const char* kZone = "big.test";

class NsdEndToEnd : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("dnswatch-nsd-e2e-" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    CommandResult in_dir(const std::string& command) {
        return run_command({"/bin/sh", "-c", "cd '" + dir_.string() + "' && " + command}, dir_);
    }

    // Three RSA keys (two of 4096 bits) sign the zone: the DNSKEY answer
    // with its RRSIGs is about 3 KB.
    fs::path signed_zone() {
        std::ofstream(dir_ / "big.test.zone") << "$ORIGIN big.test.\n$TTL 3600\n"
                                                 "@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
                                                 "@ NS ns1\nns1 A 127.0.0.1\nwww A 192.0.2.80\n";
        std::string keys;
        for (const char* flags : {"-b 4096 -k", "-b 4096", "-b 2048"}) {
            const CommandResult key = in_dir(std::string("ldns-keygen -a RSASHA256 ") + flags + " " + kZone);
            EXPECT_EQ(key.exit_code, 0) << key.err;
            keys += " " + key.out.substr(0, key.out.find('\n'));
        }
        const CommandResult sign = in_dir(std::string("ldns-signzone -o ") + kZone + " big.test.zone" + keys);
        EXPECT_EQ(sign.exit_code, 0) << sign.err;
        return dir_ / "big.test.zone.signed";
    }

    fs::path dir_;
};

struct DnskeyAnswer {
    std::uint8_t protocol = 0;
    std::uint8_t family = 0;
    bool reassembled = false;
    std::size_t dnskeys = 0;
    std::size_t rrsigs = 0;  // covering DNSKEY
    std::size_t size = 0;
};

std::vector<DnskeyAnswer> dnskey_answers(const std::vector<CapturedDns>& messages) {
    std::vector<DnskeyAnswer> out;
    DnsDecoder decoder;
    for (const CapturedDns& m : messages) {
        DnsMessageView view;
        if (decoder.decode(m.datagram.dns, view) != MalformedKind::none) continue;
        if (!view.header.qr() || view.qtype != rrtype::DNSKEY) continue;
        DnskeyAnswer a{m.datagram.ip_protocol, m.datagram.src.family, m.datagram.reassembled, 0, 0, m.payload.size()};
        for (const RecordView& r : view.section(Section::answer)) {
            a.dnskeys += r.type == rrtype::DNSKEY;
            const auto rdata = view.rdata(r);
            a.rrsigs += r.type == rrtype::RRSIG && rdata.size() >= 2 && rdata[0] == 0 && rdata[1] == rrtype::DNSKEY;
        }
        out.push_back(a);
    }
    return out;
}

std::vector<CapturedDns> read_capture(const fs::path& pcap, const TransportOptions& options,
                                      DecodeCounters* counters = nullptr) {
    try {
        return read_dns_payloads(pcap.string(), options, counters);
    } catch (const std::exception&) {
        return {};  // not written yet
    }
}

// CI runs as root with every tool installed (scripts/setup): there, a
// missing piece is a failure, not a reason to skip.
bool in_ci() {
    const char* ci = std::getenv("CI");
    return ci != nullptr && std::string(ci) == "true";
}

TEST_F(NsdEndToEnd, FragmentedAndTcpDnssecAnswers) {
    const char* why_not = nullptr;
    if (::geteuid() != 0) why_not = "needs root: a network namespace and a capture on its loopback";
    std::string missing;
    for (const char* program : {"nsd", "dig", "tcpdump", "ldns-keygen", "ldns-signzone", "ip"}) {
        if (!have_program(program)) missing += std::string(missing.empty() ? "" : ", ") + program;
    }
    if (why_not == nullptr && !missing.empty()) why_not = "not installed: ";
    if (why_not != nullptr) {
        if (in_ci()) FAIL() << why_not << missing;
        GTEST_SKIP() << why_not << missing;
    }
    const fs::path zone_file = signed_zone();
    ASSERT_TRUE(fs::exists(zone_file));

    // Root is here, so a namespace must work: failing to make one is a failure.
    NetworkNamespace ns("e2e", 1280, dir_);
    ASSERT_TRUE(ns.ok()) << ns.why();
    // The namespace is ours alone: any port is free in it; vary it per run.
    const int port = 20000 + ::getpid() % 20000;

    const fs::path pcap = dir_ / "capture.pcap";
    BackgroundProcess tcpdump(ns.wrap({"tcpdump", "-i", "lo", "-U", "--immediate-mode", "-n", "-s", "0", "-w",
                                       pcap.string()}),
                              dir_ / "tcpdump.out", dir_ / "tcpdump.err");
    ASSERT_TRUE(tcpdump.started());
    ASSERT_TRUE(wait_until([&] { return slurp(dir_ / "tcpdump.err").find("listening on") != std::string::npos; },
                           std::chrono::seconds(10)))
        << slurp(dir_ / "tcpdump.err");

    // NSD answers UDP up to 1232 bytes by default; allow what dig asks for.
    NsdServer nsd(dir_ / "nsd", {{kZone, zone_file}}, port, &ns,
                  "    ipv4-edns-size: 4096\n    ipv6-edns-size: 4096\n");
    ASSERT_TRUE(nsd.ok()) << nsd.why();

    const std::vector<std::string> dnskey = {kZone, "DNSKEY", "+dnssec", "+time=3", "+tries=1"};
    auto query = [&](std::vector<std::string> extra) {
        std::vector<std::string> args = extra;
        args.insert(args.end(), dnskey.begin(), dnskey.end());
        const CommandResult r = nsd.dig(args);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return r.out;
    };
    const std::string udp4 = query({"@127.0.0.1", "+bufsize=4096", "+ignore"});
    const std::string udp6 = query({"@::1", "+bufsize=4096", "+ignore"});
    const std::string tcp = query({"@127.0.0.1", "+tcp"});
    for (const std::string* out : {&udp4, &udp6, &tcp}) {
        EXPECT_NE(out->find("status: NOERROR"), std::string::npos) << *out;
        EXPECT_EQ(out->find("flags: qr aa tc"), std::string::npos) << *out;  // never truncated
    }
    // What dig saw: three keys and their signatures.
    std::size_t dig_keys = 0;
    for (std::size_t at = 0; (at = tcp.find("\tDNSKEY\t", at)) != std::string::npos; ++at) ++dig_keys;
    EXPECT_EQ(dig_keys, 3u) << tcp;

    // Wait until the capture file holds the three answers, then stop tcpdump
    // (SIGINT: it flushes and closes the file).
    TransportOptions options = test_transport_options({static_cast<std::uint16_t>(port)});
    EXPECT_TRUE(wait_until([&] { return dnskey_answers(read_capture(pcap, options)).size() >= 3; },
                           std::chrono::seconds(10)));
    tcpdump.stop(SIGINT);

    DecodeCounters counters;
    const std::vector<DnskeyAnswer> answers = dnskey_answers(read_capture(pcap, options, &counters));
    ASSERT_EQ(answers.size(), 3u);
    int fragmented4 = 0, fragmented6 = 0, over_tcp = 0;
    for (const DnskeyAnswer& a : answers) {
        SCOPED_TRACE(::testing::Message() << "protocol " << int{a.protocol} << " family " << int{a.family});
        EXPECT_EQ(a.dnskeys, 3u);
        EXPECT_GE(a.rrsigs, 1u);
        EXPECT_GT(a.size, 1280u);  // more than one packet could carry
        EXPECT_TRUE(a.reassembled);
        if (a.protocol == 17 && a.family == 4) ++fragmented4;
        if (a.protocol == 17 && a.family == 6) ++fragmented6;
        if (a.protocol == 6) ++over_tcp;
    }
    EXPECT_EQ(fragmented4, 1);
    EXPECT_EQ(fragmented6, 1);
    EXPECT_EQ(over_tcp, 1);
    EXPECT_GE(counters.of(ReassemblyEvent::frag_reassembled), 2u);
    EXPECT_GE(counters.of(HeldKind::ip_fragment), 2u);
    EXPECT_EQ(counters.malformed_total(), 0u);

    // With room for 1 KiB per flow direction, the TCP answer is dropped and
    // counted; the fragmented ones are not affected.
    options.tcp_flow_bytes = 1024;
    DecodeCounters capped;
    const std::vector<DnskeyAnswer> fewer = dnskey_answers(read_capture(pcap, options, &capped));
    EXPECT_EQ(fewer.size(), 2u);
    EXPECT_EQ(capped.of(ReassemblyEvent::tcp_message_dropped), 1u);
}

}  // namespace
}  // namespace dnswatch::test
