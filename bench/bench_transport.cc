// The packet path before the DNS decoder: TransportDecoder (link, IP, UDP,
// TCP with stream reassembly, tunnels) over every frame of the benchmark
// mix (tests/corpus/bench/README.md, made by the build: 128,960 frames of
// untunnelled DNS over UDP and TCP), into a sink that only looks at each
// message. One iteration is one pass with a fresh decoder (made outside the
// timing), so that every pass sees the TCP flows from their start;
// items_per_second is frames per second. Compare builds in the same run (CONVENTIONS 14): a
// ratio, not an absolute time.
#include <benchmark/benchmark.h>
#include <pcap/pcap.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "decode/transport.h"

namespace dnswatch::bench {
namespace {

struct Frames {
    std::vector<std::uint8_t> bytes;
    std::vector<PacketView> views;
};

Frames load_frames(const std::string& path) {
    Frames frames;
    char error[PCAP_ERRBUF_SIZE] = {};
    pcap_t* pcap = pcap_open_offline(path.c_str(), error);
    if (pcap == nullptr) {
        std::fprintf(stderr, "bench_transport: %s: %s\n", path.c_str(), error);
        return frames;
    }
    std::vector<std::pair<std::size_t, std::size_t>> extents;
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    while (pcap_next_ex(pcap, &header, &data) == 1) {
        PacketView view;
        view.wire_length = header->len;
        view.time_us = std::int64_t{header->ts.tv_sec} * 1000000 + header->ts.tv_usec;
        view.link_type = pcap_datalink(pcap);
        view.frame_number = frames.views.size() + 1;
        frames.views.push_back(view);
        extents.emplace_back(frames.bytes.size(), header->caplen);
        frames.bytes.insert(frames.bytes.end(), data, data + header->caplen);
    }
    pcap_close(pcap);
    for (std::size_t i = 0; i < extents.size(); ++i) {
        frames.views[i].bytes = std::span<const std::uint8_t>(frames.bytes.data() + extents[i].first, extents[i].second);
    }
    return frames;
}

const Frames& bench_capture() {
    static const Frames frames = load_frames(DNSWATCH_BENCH_CAPTURE);
    return frames;
}

struct LookingSink : DnsMessageSink {
    std::size_t messages = 0;
    void on_dns(const DnsDatagram& datagram, const PacketView&) override {
        benchmark::DoNotOptimize(datagram.dns.data());
        ++messages;
    }
};

void BM_Transport_untunnelled(benchmark::State& state) {
    const Frames& frames = bench_capture();
    if (frames.views.empty()) {
        state.SkipWithError("no benchmark capture");
        return;
    }
    LookingSink sink;
    for (auto _ : state) {
        state.PauseTiming();
        auto decoder = std::make_unique<TransportDecoder>();
        state.ResumeTiming();
        for (const PacketView& frame : frames.views) benchmark::DoNotOptimize(decoder->decode(frame, sink));
        state.PauseTiming();
        decoder.reset();
        state.ResumeTiming();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * frames.views.size()));
    state.counters["messages_per_pass"] = static_cast<double>(sink.messages) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_Transport_untunnelled)->Unit(benchmark::kMillisecond);

// The UDP frames of the mix alone (those that hand out a message over UDP):
// the common path, which must not pay for what TCP reassembly keeps.
struct ProtocolSink : DnsMessageSink {
    std::uint8_t protocol = 0;
    void on_dns(const DnsDatagram& datagram, const PacketView&) override { protocol = datagram.ip_protocol; }
};

const std::vector<PacketView>& udp_frames() {
    static const std::vector<PacketView> views = [] {
        std::vector<PacketView> out;
        TransportDecoder decoder;
        ProtocolSink sink;
        for (const PacketView& frame : bench_capture().views) {
            sink.protocol = 0;
            decoder.decode(frame, sink);
            if (sink.protocol == 17) out.push_back(frame);
        }
        return out;
    }();
    return views;
}

void BM_Transport_udp(benchmark::State& state) {
    const std::vector<PacketView>& frames = udp_frames();
    if (frames.empty()) {
        state.SkipWithError("no benchmark capture");
        return;
    }
    LookingSink sink;
    TransportDecoder decoder;  // UDP keeps no state: one decoder for every pass
    for (auto _ : state) {
        for (const PacketView& frame : frames) benchmark::DoNotOptimize(decoder.decode(frame, sink));
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * frames.size()));
}
BENCHMARK(BM_Transport_udp)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dnswatch::bench
