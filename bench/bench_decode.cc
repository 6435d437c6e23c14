// Our DNS decoder against ldns on the same real messages (CONVENTIONS 14):
// every DNS message of the shared corpus that both decoders accept, loaded
// once; one iteration is one pass over all of them, so items_per_second is
// messages per second and the ratio of the two is what matters.
// bench_transport.cc adds the packet path in front of it (TransportDecoder
// over the benchmark mix), to compare with another build's.
//
//   bench_decode [benchmark flags] [CAPTURE|FOLDER...]   (default: the corpus)
//
// scripts/bench builds it optimised, runs it with repetitions and prints the
// ratios of the medians.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bench/dns_corpus.h"
#include "decode/dns_message.h"
#include "decode/rdata.h"

// Last: ldns/common.h defines bool and false as macros when it thinks it is
// in C, which breaks <optional>'s operator<=> if that comes after it.
#include <ldns/ldns.h>

namespace dnswatch::bench {
namespace {

DnsCorpus& corpus() {
    static DnsCorpus instance;
    return instance;
}

void set_counters(benchmark::State& state) {
    const auto messages = corpus().messages();
    std::size_t bytes = 0;
    for (const auto& message : messages) bytes += message.size();
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * messages.size()));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

// Header, question, every record as a view with its owner name validated.
void BM_Decode_dnswatch(benchmark::State& state) {
    const auto messages = corpus().messages();
    DnsDecoder decoder;
    DnsMessageView view;
    for (auto _ : state) {
        for (const auto& message : messages) {
            benchmark::DoNotOptimize(decoder.decode(message, view));
            benchmark::DoNotOptimize(view.records.data());
        }
    }
    set_counters(state);
}
BENCHMARK(BM_Decode_dnswatch);

// As above, plus the canonical rdata of every record: the rdata parsing
// ldns_wire2pkt always does, so that this comparison is the fair one.
void BM_Decode_dnswatch_canonical(benchmark::State& state) {
    const auto messages = corpus().messages();
    DnsDecoder decoder;
    DnsMessageView view;
    std::vector<std::uint8_t> canonical;
    canonical.reserve(65536);
    for (auto _ : state) {
        for (const auto& message : messages) {
            benchmark::DoNotOptimize(decoder.decode(message, view));
            canonical.clear();
            for (const RecordView& record : view.records) {
                benchmark::DoNotOptimize(append_canonical_rdata(view.wire, record.type, record.rdata_offset,
                                                                record.rdata_length, canonical));
            }
            benchmark::DoNotOptimize(canonical.data());
        }
    }
    set_counters(state);
}
BENCHMARK(BM_Decode_dnswatch_canonical);

void BM_Decode_ldns(benchmark::State& state) {
    const auto messages = corpus().messages();
    for (auto _ : state) {
        for (const auto& message : messages) {
            ldns_pkt* packet = nullptr;
            benchmark::DoNotOptimize(ldns_wire2pkt(&packet, message.data(), message.size()));
            ldns_pkt_free(packet);
        }
    }
    set_counters(state);
}
BENCHMARK(BM_Decode_ldns);

bool ldns_accepts(std::span<const std::uint8_t> message) {
    ldns_pkt* packet = nullptr;
    const ldns_status status = ldns_wire2pkt(&packet, message.data(), message.size());
    ldns_pkt_free(packet);
    return status == LDNS_STATUS_OK;
}

}  // namespace
}  // namespace dnswatch::bench

int main(int argc, char** argv) {
    using namespace dnswatch;
    benchmark::Initialize(&argc, argv);
    // What Initialize left are ours: captures or folders.
    std::vector<std::string> paths(argv + 1, argv + argc);
    if (paths.empty()) paths.emplace_back(std::string(DNSWATCH_CORPUS_DIR) + "/pcap");

    bench::DnsCorpus& corpus = bench::corpus();
    std::size_t found = 0;
    for (const std::string& path : paths) found += corpus.add(path);
    DnsDecoder decoder;
    DnsMessageView view;
    corpus.filter([&](std::span<const std::uint8_t> message) {
        return decoder.decode(message, view) == MalformedKind::none && bench::ldns_accepts(message);
    });
    std::size_t bytes = 0;
    for (const auto& message : corpus.messages()) bytes += message.size();
    std::fprintf(stderr, "bench_decode: %zu captures (%zu unreadable), %zu DNS messages, %zu accepted by both (%zu bytes)\n",
                 corpus.captures(), corpus.unreadable(), found, corpus.messages().size(), bytes);
    if (corpus.messages().empty()) {
        std::fprintf(stderr, "bench_decode: no messages to decode\n");
        return 1;
    }
    benchmark::AddCustomContext("messages", std::to_string(corpus.messages().size()));
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
