// Issue 16, part 4, with a real TCP answer: NSD in a network namespace whose
// loopback has an MTU of 1280 answers `dig +tcp` with a TXT RRset of about
// 4.5 KB, which crosses the wire in several segments; tcpdump captures it
// with nanosecond times. The watched zone's baseline differs in one TXT
// record, so the answer opens an alert. Replayed by `dnswatch replay` and by
// `dnswatch run` through the sharded pipeline (workers hand the segments'
// frames to a shard through a ring), the alert's evidence pcap must be a
// nanosecond pcap holding every frame that carried the query and the answer,
// byte for byte, each with the capture's own time to the nanosecond; and
// tshark, reading the evidence alone, must reassemble the whole answer.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "capture/pcap_file_source.h"
#include "tests/support/background_process.h"
#include "tests/support/network_namespace.h"
#include "tests/support/nsd_server.h"
#include "tests/support/pcap_reader.h"
#include "tests/support/run_command.h"
#include "tests/support/scratch_dir.h"

namespace dnswatch::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kTxtRecords = 40;

// The zone as NSD serves it, or as the sensor's baseline has it: the last
// TXT record is the one that differs.
std::string zone_text(const std::string& last) {
    std::ostringstream out;
    out << "$ORIGIN big.test.\n$TTL 3600\n@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
           "@ NS ns1\nns1 A 127.0.0.1\n";
    for (int i = 0; i + 1 < kTxtRecords; ++i) {
        out << "txt TXT \"record-" << i << " " << std::string(100, static_cast<char>('a' + i % 26)) << "\"\n";
    }
    out << "txt TXT \"" << last << "\"\n";
    return out.str();
}

struct Frame {
    std::vector<std::uint8_t> bytes;
    std::int64_t time_us = 0;
    std::uint16_t time_ns = 0;
    std::uint32_t wire_length = 0;
};

std::vector<Frame> frames_of(const fs::path& pcap) {
    std::vector<Frame> out;
    PcapFileSource source(pcap.string());
    PacketBatch batch;
    while (source.next_batch(batch)) {
        for (const PacketView& p : batch) {
            out.push_back({{p.bytes.begin(), p.bytes.end()}, p.time_us, p.time_ns, p.wire_length});
        }
    }
    return out;
}

// TCP payload bytes of an Ethernet + IPv4 frame to or from `port` (lo gives
// Ethernet headers); 0 for anything else.
std::size_t tcp_payload(const Frame& f, int port) {
    const auto& b = f.bytes;
    if (b.size() < 14 + 20 || b[12] != 0x08 || b[13] != 0x00 || b[14 + 9] != 6) return 0;
    const std::size_t ihl = (b[14] & 0x0fu) * 4u;
    const std::size_t total = std::size_t{b[16]} << 8 | b[17];
    const std::size_t tcp = 14 + ihl;
    if (b.size() < tcp + 20) return 0;
    const int sport = b[tcp] << 8 | b[tcp + 1], dport = b[tcp + 2] << 8 | b[tcp + 3];
    if (sport != port && dport != port) return 0;
    const std::size_t header = ihl + (b[tcp + 12] >> 4) * 4u;
    return total > header ? total - header : 0;
}
bool from_server(const Frame& f, int port) {
    const std::size_t tcp = 14 + (f.bytes[14] & 0x0fu) * 4u;
    return (f.bytes[tcp] << 8 | f.bytes[tcp + 1]) == port;
}

bool in_ci() {
    const char* ci = std::getenv("CI");
    return ci != nullptr && std::string(ci) == "true";
}

std::vector<json> alerts_of(const std::string& text) {
    std::vector<json> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) continue;
        json record = json::parse(line);
        if (record.value("schema", "") == "dnswatch.alert/1") out.push_back(std::move(record));
    }
    return out;
}

TEST(TcpEvidence, EverySegmentOfARealTcpAnswerWithTheCapturesNanoseconds) {
    std::string missing;
    for (const char* program : {"nsd", "dig", "tcpdump", "ip"}) {
        if (!have_program(program)) missing += std::string(missing.empty() ? "" : ", ") + program;
    }
    const char* why_not = ::geteuid() != 0 ? "needs root: a network namespace and a capture on its loopback"
                          : !missing.empty() ? "not installed: "
                                             : nullptr;
    if (why_not != nullptr) {
        if (in_ci()) FAIL() << why_not << missing;
        GTEST_SKIP() << why_not << missing;
    }
    const fs::path dir = scratch_dir("tcp-evidence");
    // Removed last, after the servers and the namespace that use it.
    struct RemovedAtEnd {
        fs::path path;
        ~RemovedAtEnd() {
            std::error_code ignored;
            fs::remove_all(path, ignored);
        }
    } removed_at_end{dir};
    std::ofstream(dir / "served.zone") << zone_text("record-39 as served");
    std::ofstream(dir / "baseline.zone") << zone_text("record-39 as in the baseline");

    NetworkNamespace ns("tcpev", 1280, dir);
    ASSERT_TRUE(ns.ok()) << ns.why();
    const int port = 20000 + ::getpid() % 20000;  // the namespace is ours alone

    const fs::path pcap = dir / "capture.pcap";
    BackgroundProcess tcpdump(ns.wrap({"tcpdump", "-i", "lo", "-U", "--immediate-mode", "-n", "-s", "0",
                                       "--time-stamp-precision=nano", "-w", pcap.string()}),
                              dir / "tcpdump.out", dir / "tcpdump.err");
    ASSERT_TRUE(tcpdump.started());
    ASSERT_TRUE(wait_until([&] { return slurp(dir / "tcpdump.err").find("listening on") != std::string::npos; },
                           std::chrono::seconds(10)))
        << slurp(dir / "tcpdump.err");

    NsdServer nsd(dir / "nsd", {{"big.test", dir / "served.zone"}}, port, &ns);
    ASSERT_TRUE(nsd.ok()) << nsd.why();
    const CommandResult dig = nsd.dig({"@127.0.0.1", "+tcp", "txt.big.test", "TXT", "+time=3", "+tries=1"});
    ASSERT_EQ(dig.exit_code, 0) << dig.err;
    ASSERT_NE(dig.out.find("ANSWER: " + std::to_string(kTxtRecords)), std::string::npos) << dig.out;

    // Until the capture holds the answer; then tcpdump flushes and closes it.
    const TransportOptions options = test_transport_options({static_cast<std::uint16_t>(port)});
    auto has_answer = [&] {
        try {
            for (const CapturedDns& m : read_dns_payloads(pcap.string(), options)) {
                if (m.datagram.ip_protocol == 6 && m.payload.size() > 4000) return true;
            }
        } catch (const std::exception&) {
        }
        return false;
    };
    ASSERT_TRUE(wait_until(has_answer, std::chrono::seconds(10)));
    tcpdump.stop(SIGINT);

    // What carried the exchange: every TCP frame with data, both ways.
    const std::vector<Frame> captured = frames_of(pcap);
    std::vector<Frame> carried;
    std::size_t answer_segments = 0, sub_microsecond = 0;
    for (const Frame& f : captured) {
        if (tcp_payload(f, port) == 0) continue;
        carried.push_back(f);
        answer_segments += from_server(f, port);
        sub_microsecond += f.time_ns != 0;
    }
    ASSERT_GE(answer_segments, 3u) << "the answer should need several segments at MTU 1280";
    ASSERT_GT(sub_microsecond, 0u) << "tcpdump wrote no nanoseconds: the test would prove nothing";

    std::ofstream(dir / "dnswatch.yaml") << "sensor:\n  id: tcp-evidence\n"
                                            "watch:\n  zones:\n    - name: big.test\n      zone_file: baseline.zone\n"
                                            "decode:\n  dns_ports: ["
                                         << port << "]\nstate:\n  dir: state\n  fsync: false\n";
    std::ofstream(dir / "run.yaml") << "sensor:\n  id: tcp-evidence\n"
                                       "watch:\n  zones:\n    - name: big.test\n      zone_file: baseline.zone\n"
                                       "decode:\n  dns_ports: ["
                                    << port
                                    << "]\nstate:\n  dir: run-state\n  fsync: false\n"
                                       "capture:\n  source: pcap_file\n  files: ["
                                    << pcap.string() << "]\npipeline:\n  workers: 2\n  shards: 1\n";

    const CommandResult replayed =
        run_command({DNSWATCH_BINARY, "replay", "--config", (dir / "dnswatch.yaml").string(), pcap.string()}, dir);
    ASSERT_EQ(replayed.exit_code, 0) << replayed.err;
    const CommandResult ran = run_command({DNSWATCH_BINARY, "run", "--config", (dir / "run.yaml").string()}, dir);
    ASSERT_EQ(ran.exit_code, 0) << ran.err;

    std::string evidence_bytes;
    for (const auto& [name, result, state] :
         {std::tuple{"replay", &replayed, "state"}, std::tuple{"run", &ran, "run-state"}}) {
        SCOPED_TRACE(name);
        std::vector<json> txt;
        for (json& alert : alerts_of(result->out)) {
            if (alert["rrtype"] == "TXT") txt.push_back(std::move(alert));
        }
        ASSERT_EQ(txt.size(), 1u) << result->out;
        const json& alert = txt[0];
        const fs::path evidence = dir / state / "evidence" / (alert["id"].get<std::string>() + ".pcap");
        ASSERT_TRUE(fs::exists(evidence)) << alert.dump();
        EXPECT_EQ(alert["evidence"]["pcap_bytes"].get<std::uint64_t>(), fs::file_size(evidence));

        // A nanosecond pcap (its magic as this little-endian host writes it).
        const std::string bytes = slurp(evidence);
        ASSERT_GE(bytes.size(), 24u);
        std::uint32_t magic = 0;
        std::memcpy(&magic, bytes.data(), sizeof magic);
        EXPECT_EQ(magic, 0xa1b23c4du);

        // Every frame that carried the query and the answer, as captured.
        const std::vector<Frame> kept = frames_of(evidence);
        ASSERT_EQ(kept.size(), carried.size());
        for (std::size_t i = 0; i < kept.size(); ++i) {
            SCOPED_TRACE(i);
            EXPECT_EQ(kept[i].bytes, carried[i].bytes);
            EXPECT_EQ(kept[i].wire_length, carried[i].wire_length);
            EXPECT_EQ(kept[i].time_us, carried[i].time_us);
            EXPECT_EQ(kept[i].time_ns, carried[i].time_ns);
        }
        if (evidence_bytes.empty()) {
            evidence_bytes = bytes;
        } else {
            EXPECT_EQ(bytes, evidence_bytes) << "run and replay keep the same evidence";
        }

        // tshark, from the evidence alone, reassembles the whole answer.
        if (have_program("tshark")) {
            const CommandResult t = run_command({"/usr/bin/tshark", "-r", evidence.string(), "-d",
                                                 "tcp.port==" + std::to_string(port) + ",dns", "-Y",
                                                 "dns.flags.response == 1", "-T", "fields", "-e", "dns.count.answers",
                                                 "-e", "frame.time_epoch"},
                                                dir);
            EXPECT_EQ(t.exit_code, 0) << t.err;
            EXPECT_EQ(t.out.substr(0, t.out.find('\t')), std::to_string(kTxtRecords)) << t.out << t.err;
        }
    }
}

}  // namespace
}  // namespace dnswatch::test
