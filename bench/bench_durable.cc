// The durable alert rate (issue 15): alerts numbered, stored in the alert
// store, appended to the transparency log and passed on, with one group
// commit per batch (the publisher thread flushes the path after each batch
// it takes from the rings: pipeline/publisher.h). Against the same path
// without fsync, in the same run (CONVENTIONS 14): the ratio is what making
// every batch durable costs.
//
//   BM_DurableAlerts/fsync:F/batch:B   one iteration = B alerts staged, then
//                                      one commit (store fsync, log fsync,
//                                      one signed checkpoint)
//
// batch:1 is the path before group commit (a commit per alert). The store
// and the log live in DNSWATCH_BENCH_DIR (default: the current directory,
// which must be on the disk whose fsync is measured; not a tmpfs).
// scripts/bench-durable runs it with repetitions and prints best and median.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "detect/alert.h"
#include "detect/alert_sink.h"
#include "publish/alert_store.h"
#include "publish/signed_note.h"
#include "publish/transparency_log.h"

namespace dnswatch::bench {
namespace {

namespace fs = std::filesystem;

// Counts what comes out of the durable path, as JSON lines and ZeroMQ would take it.
class CountingSink : public AlertSink {
public:
    void publish(const Alert&) override { ++count; }
    std::uint64_t count = 0;
};

Alert typical_alert(std::uint64_t n) {
    Alert alert;
    alert.id = std::to_string(1000000 + n);
    alert.sensor = "bench-sensor";
    alert.kind = "rrset_divergence";
    alert.severity = Severity::high;
    alert.state = n % 4 == 3 ? AlertState::reverted : AlertState::open;
    alert.zone = "victim.test";
    alert.name = "www" + std::to_string(n % 1000) + ".victim.test";
    alert.rrtype = "A";
    alert.baseline = {"192.0.2.10", "192.0.2.11"};
    alert.observed = {"203.0.113.66"};
    alert.first_seen_us = 1795965925123456 + static_cast<std::int64_t>(n);
    alert.last_seen_us = alert.first_seen_us + 2500001;
    alert.signals = {"rdata_outside_baseline", "unknown_server"};
    alert.vantage = {"authoritative", "127.0.0.11", "127.0.0.1"};
    alert.evidence = {"eth0", n, 0xbeef, alert.name, "A", "answer"};
    alert.restart.key = std::string("\3www\6victim\4test\0\0\1\x7f\0\0\x0b", 22);
    alert.restart.signals = 5;
    alert.restart.observed_forms = {std::string("\xcb\x00\x71\x42", 4)};
    return alert;
}

void BM_DurableAlerts(benchmark::State& state) {
    const bool fsync = state.range(0) != 0;
    const auto batch = static_cast<std::size_t>(state.range(1));
    const char* where = std::getenv("DNSWATCH_BENCH_DIR");
    const fs::path dir = fs::path(where != nullptr ? where : ".") /
                         ("bench-durable-" + std::to_string(::getpid()) + "-" + std::to_string(state.range(0)) + "-" +
                          std::to_string(batch));
    fs::remove_all(dir);
    {
        NoteSigner signer = NoteSigner::generate("bench.test/log");
        AlertStore store((dir / "state").string(), fsync);
        TransparencyLog log((dir / "tlog").string(), signer, fsync);
        CountingSink out;
        DurableAlertSink durable(store, &log, out, /*max_batch=*/1 << 20);
        // Made before the clock runs: making them is the detector's work.
        std::vector<Alert> alerts;
        for (std::uint64_t i = 0; i < 1024; ++i) alerts.push_back(typical_alert(i));
        std::uint64_t n = 0;
        for (auto _ : state) {
            for (std::size_t i = 0; i < batch; ++i) durable.publish(alerts[n++ % alerts.size()]);
            durable.flush();  // the group commit
        }
        if (out.count != n) state.SkipWithError("an alert did not come out");
        if (store.health().write_failures > 0) state.SkipWithError(store.health().last_error.c_str());
        state.SetItemsProcessed(static_cast<std::int64_t>(n));
        state.counters["alerts_per_s"] = benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate);
    }
    fs::remove_all(dir);
}
BENCHMARK(BM_DurableAlerts)
    ->ArgNames({"fsync", "batch"})
    ->Args({1, 1})
    ->Args({1, 64})
    ->Args({1, 256})
    ->Args({1, 1024})
    ->Args({0, 1})
    ->Args({0, 64})
    ->Args({0, 256})
    ->Args({0, 1024})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace dnswatch::bench

BENCHMARK_MAIN();
