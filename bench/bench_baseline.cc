// The baseline at registry scale (CONVENTIONS 14: ours against a reference
// in the same run). A TLD "bench." shaped as bench/replay/make_tld.py makes
// it: every delegation dN has two NS (one in bailiwick, with glue A and
// AAAA), every fifth a DS: 3.2 RRsets a delegation.
//
//  - BM_Lookup: what the detector asks of the baseline for one judged
//    record, names spread over every delegation: find(owner, hash, type),
//    then whether the pool holds the observed rdata (it does: the
//    common case). Against BM_RandomRead, one random 8-byte read from an
//    array as large as the baseline's tables, each read's position given by
//    the one before (a pointer chase, as a lookup's index slot leads to its
//    node): the latency of the one cache miss a lookup cannot avoid. The
//    ratio lookup / random read is how many such misses a lookup costs.
//  - BM_ApplyChanges: a new version with 1,000 changed delegations (an IXFR,
//    a reload's diff) made from the baseline, O(k) by design.
//  - counters: table bytes per RRset, and beyond the rdata.
//
// Sizes: 1 M and 10 M RRsets (Arg), built once each, outside the timed
// loops; DNSWATCH_BENCH_RRSETS=N replaces them with one size (the smoke test
// uses a small one, a 10 M-delegation TLD is 32000000).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "baseline/baseline.h"
#include "baseline/baseline_input.h"
#include "baseline/watch_set.h"
#include "decode/dns_name.h"

namespace dnswatch::bench {
namespace {

constexpr std::uint16_t kA = 1, kNs = 2, kDs = 43, kAaaa = 28;
constexpr double kRRsetsPerDelegation = 3.2;

DnsName name(const std::string& text) { return *DnsName::from_text(text); }

std::vector<std::uint8_t> wire(const DnsName& n) { return {n.bytes().begin(), n.bytes().end()}; }

// One judged record the detector might look up: owner, type, and the rdata
// an honest answer carries.
struct Query {
    DnsName owner;
    std::uint32_t hash;
    std::uint16_t type;
    std::vector<std::uint8_t> rdata;
};

struct Registry {
    explicit Registry(std::size_t rrsets) {
        delegations = static_cast<std::size_t>(static_cast<double>(rrsets) / kRRsetsPerDelegation);
        watch.add("bench");
        BaselineInput input(watch);
        const SourceId source = zone_file_source("bench");
        const DnsName hosting = name("ns.dns-hosting.example");
        for (std::size_t n = 0; n < delegations; ++n) {
            for (const Query& q : records_of(n, hosting)) {
                input.add(q.owner, q.type, 86400, q.rdata, source);
            }
        }
        baseline = std::make_unique<Baseline>(input.build());
        rdata_bytes = baseline->rdata_bytes();
        // Questions spread uniformly over every delegation, in random order.
        std::mt19937_64 random(42);
        std::uniform_int_distribution<std::size_t> pick(0, delegations - 1);
        for (int i = 0; i < 1 << 16; ++i) {
            std::vector<Query> records = records_of(pick(random), hosting);
            queries.push_back(std::move(records[random() % records.size()]));
        }
    }

    // The records of delegation n: NS ×2 (one rdata a record), glue A and
    // AAAA, and every fifth a DS.
    static std::vector<Query> records_of(std::size_t n, const DnsName& hosting) {
        const DnsName owner = name("d" + std::to_string(n) + ".bench");
        const DnsName glue = name("ns1.d" + std::to_string(n) + ".bench");
        std::vector<Query> out;
        out.push_back({owner, hash_name(owner), kNs, wire(glue)});
        out.push_back({owner, hash_name(owner), kNs, wire(hosting)});
        out.push_back({glue, hash_name(glue), kA,
                       {10, static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 8),
                        static_cast<std::uint8_t>(n)}});
        std::vector<std::uint8_t> v6 = {0x20, 0x01, 0x0d, 0xb8};
        v6.resize(16);
        v6[12] = static_cast<std::uint8_t>(n >> 24);
        v6[13] = static_cast<std::uint8_t>(n >> 16);
        v6[14] = static_cast<std::uint8_t>(n >> 8);
        v6[15] = static_cast<std::uint8_t>(n);
        out.push_back({glue, hash_name(glue), kAaaa, v6});
        if (n % 5 == 0) {
            std::vector<std::uint8_t> ds = {static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n), 13, 2};
            for (int i = 0; i < 32; ++i) ds.push_back(static_cast<std::uint8_t>(n * 2654435761u >> (i % 4 * 8)));
            out.push_back({owner, hash_name(owner), kDs, ds});
        }
        return out;
    }

    WatchSet watch;
    std::unique_ptr<Baseline> baseline;
    std::size_t delegations = 0;
    std::size_t rdata_bytes = 0;
    std::vector<Query> queries;
};

std::size_t configured_rrsets(std::size_t arg) {
    const char* configured = std::getenv("DNSWATCH_BENCH_RRSETS");
    return configured != nullptr ? static_cast<std::size_t>(std::atoll(configured)) : arg;
}

// Built once a size, shared by the benchmarks of that size.
const Registry& registry(std::size_t arg) {
    static std::map<std::size_t, std::unique_ptr<Registry>> built;
    const std::size_t rrsets = configured_rrsets(arg);
    auto& slot = built[rrsets];
    if (!slot) {
        built.clear();  // one size in memory at a time: 10 M RRsets is a few hundred MB
        auto& fresh = built[rrsets];
        fresh = std::make_unique<Registry>(rrsets);
        return *fresh;
    }
    return *slot;
}

void size_counters(benchmark::State& state, const Registry& r) {
    const double rrsets = static_cast<double>(r.baseline->rrset_count());
    const double bytes = static_cast<double>(r.baseline->memory_bytes());
    state.counters["rrsets"] = rrsets;
    state.counters["B_per_rrset"] = bytes / rrsets;
    state.counters["B_per_rrset_beyond_rdata"] = (bytes - static_cast<double>(r.rdata_bytes)) / rrsets;
}

void BM_Lookup(benchmark::State& state) {
    const Registry& r = registry(static_cast<std::size_t>(state.range(0)));
    const Baseline& baseline = *r.baseline;
    std::size_t i = 0, found = 0;
    for (auto _ : state) {
        const Query& q = r.queries[i++ & (r.queries.size() - 1)];
        const RRsetPool pool = baseline.find(q.owner, q.hash, q.type);
        found += pool && pool.contains(q.rdata) ? 1 : 0;
    }
    if (found != static_cast<std::size_t>(state.iterations())) state.SkipWithError("a lookup missed its RRset");
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    size_counters(state, r);
}

// The reference: dependent random reads over memory the size of the
// baseline's tables (one random cycle through it, Sattolo's shuffle), so
// that each read waits for the one before, as a lookup's steps do.
void BM_RandomRead(benchmark::State& state) {
    const Registry& r = registry(static_cast<std::size_t>(state.range(0)));
    std::vector<std::uint64_t> memory(r.baseline->memory_bytes() / sizeof(std::uint64_t));
    for (std::size_t k = 0; k < memory.size(); ++k) memory[k] = k;
    std::mt19937_64 random(7);
    for (std::size_t k = memory.size() - 1; k > 0; --k) std::swap(memory[k], memory[random() % k]);
    std::uint64_t at = 0;
    for (auto _ : state) at = memory[at];
    benchmark::DoNotOptimize(at);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// A new version with 1,000 delegations' NS changed (moved to another host),
// as an IXFR or a reload's diff hands them to SharedBaseline.
void BM_ApplyChanges(benchmark::State& state) {
    const Registry& r = registry(static_cast<std::size_t>(state.range(0)));
    std::vector<RRsetChange> changes;
    std::mt19937_64 random(9);
    const DnsName moved = name("ns.other-hosting.example");
    for (int k = 0; k < 1000; ++k) {
        const DnsName owner = name("d" + std::to_string(random() % r.delegations) + ".bench");
        changes.push_back({owner, kNs, zone_file_source("bench"), 86400, {wire(moved)}});
    }
    for (auto _ : state) benchmark::DoNotOptimize(r.baseline->with_changes(changes));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * changes.size()));
    size_counters(state, r);
}

// Size by size, so that each baseline is built once.
BENCHMARK(BM_Lookup)->Arg(1'000'000);
BENCHMARK(BM_RandomRead)->Arg(1'000'000);
BENCHMARK(BM_ApplyChanges)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Lookup)->Arg(10'000'000);
BENCHMARK(BM_RandomRead)->Arg(10'000'000);
BENCHMARK(BM_ApplyChanges)->Arg(10'000'000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace dnswatch::bench

BENCHMARK_MAIN();
