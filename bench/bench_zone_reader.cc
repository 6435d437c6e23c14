// Our zone-file reader against ldns's (CONVENTIONS 14) on a registry-shaped
// zone generated at start-up, the shape of bench/replay/make_tld.py: a TLD
// "bench." whose every delegation dN has two NS (one in bailiwick, with glue
// A and AAAA) and every fifth a DS. One iteration reads the whole file, so
// items_per_second is records per second and the ratio of the two is what
// matters.
//
//   DNSWATCH_BENCH_DELEGATIONS=25000 bench_zone_reader [benchmark flags]
//
// scripts/bench runs it with repetitions and prints the ratios of the medians.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "baseline/zone_reader.h"
#include "decode/ldns_glue.h"

namespace dnswatch::bench {
namespace {

// make_tld.py's write_zone(), without the hijacked delegations.
void write_registry_zone(const std::string& path, int delegations) {
    std::ofstream out(path);
    out << "$ORIGIN bench.\n$TTL 86400\n"
        << "@ IN SOA a.nic.bench. hostmaster.nic.bench. 2026120701 1800 900 604800 3600\n"
        << "@ IN NS a.nic.bench.\na.nic IN A 127.0.0.10\n";
    char line[512];
    for (int n = 0; n < delegations; ++n) {
        std::snprintf(line, sizeof line,
                      "d%d IN NS ns1.d%d\nd%d IN NS ns.dns-hosting.example.\nns1.d%d IN A 10.%d.%d.%d\n"
                      "ns1.d%d IN AAAA 2001:db8:%x::%x\n",
                      n, n, n, n, n >> 16 & 255, n >> 8 & 255, n & 255, n, n >> 16, n & 0xFFFF);
        out << line;
        if (n % 5 == 0) {
            char digest[9];
            std::snprintf(digest, sizeof digest, "%08X", static_cast<unsigned>((n * 2654435761ull) & 0xFFFFFFFFu));
            std::string digests;
            for (int i = 0; i < 8; ++i) digests += digest;
            out << "d" << n << " IN DS " << n % 65536 << " 13 2 " << digests << "\n";
        }
    }
}

// The zone, written once; removed at exit.
struct RegistryZone {
    RegistryZone() {
        const char* configured = std::getenv("DNSWATCH_BENCH_DELEGATIONS");
        delegations = configured != nullptr ? std::atoi(configured) : 25000;
        path = (std::filesystem::temp_directory_path() / ("dnswatch-bench-" + std::to_string(::getpid()) + ".zone"))
                   .string();
        write_registry_zone(path, delegations);
        records = read_zone_records(path, {}).size();
    }
    ~RegistryZone() { std::filesystem::remove(path); }
    std::string path;
    int delegations = 0;
    std::size_t records = 0;
};

const RegistryZone& zone() {
    static const RegistryZone instance;
    return instance;
}

void set_counters(benchmark::State& state) {
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * zone().records));
    state.counters["records"] = static_cast<double>(zone().records);
}

// Each benchmark names the zone before its timed loop: the first to do so
// writes it.
void BM_ReadZone_dnswatch(benchmark::State& state) {
    const std::string& path = zone().path;
    for (auto _ : state) {
        std::size_t bytes = 0;
        read_zone(path, {}, [&](const ZoneFileRecord& record) { bytes += record.rdata.size(); });
        benchmark::DoNotOptimize(bytes);
    }
    set_counters(state);
}
BENCHMARK(BM_ReadZone_dnswatch)->Unit(benchmark::kMillisecond);

// As callers that want a list get it: one ZoneRecord (and its rdata vector) a record.
void BM_ReadZoneRecords_dnswatch(benchmark::State& state) {
    const std::string& path = zone().path;
    for (auto _ : state) benchmark::DoNotOptimize(read_zone_records(path, {}));
    set_counters(state);
}
BENCHMARK(BM_ReadZoneRecords_dnswatch)->Unit(benchmark::kMillisecond);

// One pass of ldns (the origin given; without one read_zone_file reads the
// file a second time to probe for relative names).
void BM_ReadZone_ldns(benchmark::State& state) {
    const std::string& path = zone().path;
    for (auto _ : state) benchmark::DoNotOptimize(read_zone_file(path, std::string("bench.")));
    set_counters(state);
}
BENCHMARK(BM_ReadZone_ldns)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dnswatch::bench

BENCHMARK_MAIN();
