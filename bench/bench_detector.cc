// The detector under a flood of forged servers (issue 15; CONVENTIONS 14:
// against a reference in the same run). Every packet is an answer for
// www.victim.test. A with rdata outside the baseline from a server never
// seen before, so each one opens an alert of its own; each alert record is
// serialised to its JSON line, as every sink does first.
//
//  - past_bound:0 (the reference): the detector starts empty and its
//    bound is never reached.
//  - past_bound:1: the detector starts with 100,000 open alerts at its
//    bound of 100,000, so every packet also evicts the alert seen least
//    recently. Before the eviction was O(1) this ran at 70-135 packets/s
//    (each eviction scanned every open alert).
//  - json:1 serialises every alert record to its JSON line, as every sink
//    does first; json:0 measures the detector alone. Building the line as
//    an nlohmann document held past_bound:1/json:1 at ~54,000/s (a third of
//    the time in glibc's unlink_chunk); publish/json_line_writer.h writes it
//    directly.
//
// Each runs a fixed 100,000 packets (memory stays bounded either way); the
// ratio past_bound:1 / past_bound:0 is the cost of the bound, packets/s the
// absolute rate on this machine (the target: >= 100,000 past the bound).
#include <benchmark/benchmark.h>

#include <arpa/inet.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "baseline/baseline.h"
#include "baseline/watch_set.h"
#include "decode/dns_message.h"
#include "decode/ldns_glue.h"
#include "detect/detector.h"
#include "publish/alert_json.h"
#include "tests/support/message_builder.h"

namespace dnswatch::bench {
namespace {

constexpr std::size_t kBound = 100000;
constexpr std::int64_t kPackets = 100000;

// With `json`, serialises each record as every sink does first, and keeps
// only its size; without, counts it (the detector's own cost alone).
class SizingSink : public AlertSink {
public:
    explicit SizingSink(bool json) : json_(json) {}
    void publish(const Alert& alert) override { bytes += json_ ? to_json_line(alert).size() : alert.name.size(); }
    std::uint64_t bytes = 0;

private:
    bool json_;
};

struct Zone {
    Zone() {
        watch.add("victim.test");
        char path[] = "/tmp/dnswatch-bench-detector-XXXXXX";
        const int fd = ::mkstemp(path);
        if (fd < 0) std::abort();
        ::close(fd);
        std::ofstream(path) << "$ORIGIN victim.test.\n$TTL 3600\n"
                               "@ SOA ns1 hostmaster 1 3600 900 604800 300\n@ NS ns1\n@ NS ns2\n"
                               "ns1 A 192.0.2.1\nns2 A 192.0.2.2\nwww A 192.0.2.10\n";
        baseline.add_zone_records(read_zone_file(path, std::nullopt), watch);
        std::remove(path);
        test::MessageSpec spec;
        spec.question = "www.victim.test. IN A";
        spec.answer = {"www.victim.test. 300 IN A 203.0.113.66"};
        wire = test::build_message(spec);
    }
    WatchSet watch;
    Baseline baseline;
    std::vector<std::uint8_t> wire;
};

const Zone& zone() {
    static const Zone z;
    return z;
}

// The forged answer from server number `n` (an IPv4 address of its own).
void deliver(Detector& detector, DnsDecoder& decoder, std::uint32_t n, std::int64_t time_us) {
    DnsMessageView view;
    if (decoder.decode(zone().wire, view) != MalformedKind::none) std::abort();
    PacketView packet;
    packet.time_us = time_us;
    packet.frame_number = n;
    DnsDatagram datagram;
    datagram.src.family = datagram.dst.family = 4;
    const std::uint32_t address = htonl(0x0A000000u + n);  // 10.0.0.0 and up
    std::memcpy(datagram.src.bytes.data(), &address, 4);
    inet_pton(AF_INET, "198.51.100.7", datagram.dst.bytes.data());
    datagram.src_port = 53;
    datagram.dns = zone().wire;
    detector.observe(view, MessageContext{&packet, &datagram, "bench.pcap"});
}

void BM_ForgedServers(benchmark::State& state) {
    const bool past_bound = state.range(0) != 0;
    SizingSink sink(state.range(1) != 0);
    // The reference never reaches its bound: twice what it will hold.
    Detector detector(zone().watch, zone().baseline, "bench", sink, past_bound ? kBound : 2 * kBound);
    DnsDecoder decoder;
    std::uint32_t server = 0;
    std::int64_t time_us = 1'000'000;
    if (past_bound) {
        for (; server < kBound; ++server) deliver(detector, decoder, server, ++time_us);
        if (detector.open_alerts() != kBound) state.SkipWithError("the detector did not fill up to its bound");
    }
    const std::uint64_t evicted_before = detector.counters().alerts_evicted;
    for (auto _ : state) deliver(detector, decoder, server++, ++time_us);
    state.SetItemsProcessed(state.iterations());
    state.counters["evicted"] = static_cast<double>(detector.counters().alerts_evicted - evicted_before);
    state.counters["open_alerts"] = static_cast<double>(detector.open_alerts());
    benchmark::DoNotOptimize(sink.bytes);
}
BENCHMARK(BM_ForgedServers)
    ->ArgNames({"past_bound", "json"})
    ->ArgsProduct({{0, 1}, {0, 1}})
    ->Iterations(kPackets)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace dnswatch::bench

BENCHMARK_MAIN();
