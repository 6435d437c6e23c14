// dnstap against the packet path on the same DNS messages (CONVENTIONS 14):
// every message of the shared corpus, once as an Ethernet/IPv4/UDP frame as
// a capture hands it over, once as a dnstap message in a Frame Streams
// stream as a resolver sends it. One iteration takes every message through
// what `run` does before detection (frame parsing, then TransportDecoder,
// then the DNS decoder on what it hands out), so items_per_second is
// messages per second and the ratio of the two is what matters.
//
//   bench_dnstap [benchmark flags] [CAPTURE|FOLDER...]   (default: the corpus)
#include <benchmark/benchmark.h>
#include <arpa/inet.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bench/dns_corpus.h"
#include "capture/frame_streams.h"
#include "decode/dns_message.h"
#include "decode/dnstap_message.h"
#include "decode/transport.h"

namespace dnswatch::bench {
namespace {

// Only what a UDP datagram holds.
constexpr std::size_t kMaxUdpPayload = 65535 - 28;

IpAddress v4(std::uint32_t host_order) {
    IpAddress a;
    a.family = 4;
    const std::uint32_t n = htonl(host_order);
    std::memcpy(a.bytes.data(), &n, 4);
    return a;
}

struct Inputs {
    std::vector<std::vector<std::uint8_t>> packets;  // Ethernet frames
    std::vector<std::uint8_t> stream;                // Frame Streams: START, data frames, STOP
    std::size_t messages = 0;
    std::size_t bytes = 0;
};

std::vector<std::uint8_t> udp_frame(std::span<const std::uint8_t> payload, std::uint32_t src, std::uint32_t dst,
                                    bool response) {
    std::vector<std::uint8_t> frame(14 + 20 + 8);
    frame[12] = 0x08;
    std::uint8_t* ip = frame.data() + 14;
    const std::size_t ip_length = 20 + 8 + payload.size();
    ip[0] = 0x45;
    ip[2] = static_cast<std::uint8_t>(ip_length >> 8);
    ip[3] = static_cast<std::uint8_t>(ip_length);
    ip[8] = 64;
    ip[9] = 17;
    const std::uint32_t s = htonl(src), d = htonl(dst);
    std::memcpy(ip + 12, &s, 4);
    std::memcpy(ip + 16, &d, 4);
    std::uint8_t* udp = ip + 20;
    const std::uint16_t sport = response ? 53 : 40000, dport = response ? 40000 : 53;
    udp[0] = static_cast<std::uint8_t>(sport >> 8);
    udp[1] = static_cast<std::uint8_t>(sport);
    udp[2] = static_cast<std::uint8_t>(dport >> 8);
    udp[3] = static_cast<std::uint8_t>(dport);
    udp[4] = static_cast<std::uint8_t>((8 + payload.size()) >> 8);
    udp[5] = static_cast<std::uint8_t>(8 + payload.size());
    frame.insert(frame.end(), payload.begin(), payload.end());
    return frame;
}

Inputs& inputs() {
    static Inputs in = [] {
        DnsCorpus corpus;
        corpus.add(DNSWATCH_CORPUS_DIR "/pcap");
        Inputs built;
        FrameStreamWriter stream;
        stream.start();
        for (const auto& message : corpus.messages()) {
            if (message.size() < 12 || message.size() > kMaxUdpPayload) continue;
            const bool response = (message[2] & 0x80) != 0;
            const std::uint32_t client = 0x7f000001, server = 0x7f000035;
            built.packets.push_back(udp_frame(message, response ? server : client, response ? client : server, response));
            DnstapMessage tap;
            tap.type = response ? DnstapType::client_response : DnstapType::client_query;
            tap.transport = DnstapTransport::udp;
            tap.time_us = 1'773'478'920'000'000;
            tap.datagram.src = v4(response ? server : client);
            tap.datagram.dst = v4(response ? client : server);
            tap.datagram.src_port = response ? 53 : 40000;
            tap.datagram.dst_port = response ? 40000 : 53;
            tap.datagram.dns = message;
            stream.data(encode_dnstap(tap));
            ++built.messages;
            built.bytes += message.size();
        }
        stream.stop();
        built.stream = stream.bytes();
        return built;
    }();
    return in;
}

// Decodes what TransportDecoder hands out, as the shards do.
struct DecodingSink : DnsMessageSink {
    DnsDecoder decoder;
    DnsMessageView view;
    std::size_t messages = 0;
    void on_dns(const DnsDatagram& datagram, const PacketView&) override {
        benchmark::DoNotOptimize(decoder.decode(datagram.dns, view));
        ++messages;
    }
};

void set_counters(benchmark::State& state, std::size_t handed_out) {
    const Inputs& in = inputs();
    if (handed_out != in.messages * state.iterations()) state.SkipWithError("messages lost on the way");
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * in.messages));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in.bytes));
}

void BM_Messages_packet_path(benchmark::State& state) {
    const Inputs& in = inputs();
    TransportDecoder transport;
    DecodingSink sink;
    for (auto _ : state) {
        for (const auto& frame : in.packets) {
            PacketView packet;
            packet.bytes = frame;
            packet.wire_length = static_cast<std::uint32_t>(frame.size());
            packet.link_type = 1;  // Ethernet
            benchmark::DoNotOptimize(transport.decode(packet, sink));
        }
    }
    set_counters(state, sink.messages);
}
BENCHMARK(BM_Messages_packet_path);

// Frame Streams parsing (as the listener and the file reader do it), the
// protobuf, then the same DNS decoder.
void BM_Messages_dnstap_path(benchmark::State& state) {
    const Inputs& in = inputs();
    TransportDecoder transport;
    DecodingSink sink;
    for (auto _ : state) {
        FrameStreamReader reader(DnstapDecoder::kMaxFrameBytes);
        std::span<const std::uint8_t> rest = in.stream;
        for (;;) {
            const FrameStreamReader::Step step = reader.next(rest);
            rest = rest.subspan(step.consumed);
            if (step.status == FrameStreamReader::Status::data_frame) {
                PacketView packet;
                packet.bytes = step.frame;
                packet.wire_length = static_cast<std::uint32_t>(step.frame.size());
                packet.link_type = kLinkTypeDnstap;
                benchmark::DoNotOptimize(transport.decode(packet, sink));
            } else if (step.status != FrameStreamReader::Status::control) {
                break;
            }
        }
    }
    set_counters(state, sink.messages);
}
BENCHMARK(BM_Messages_dnstap_path);

}  // namespace
}  // namespace dnswatch::bench

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    const auto& in = dnswatch::bench::inputs();
    std::fprintf(stderr, "bench_dnstap: %zu messages of the corpus, as packets and as dnstap\n", in.messages);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
