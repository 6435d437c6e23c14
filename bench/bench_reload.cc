// A reload at TLD scale (issue 13): a zone file of a TLD's delegations,
// reloaded 20 times with 1,000 delegations changed each time (700 glue
// addresses, 150 delegations moved to another NS host, 150 DS digests), as
// `dnswatch run` reloads on SIGHUP (baseline/reloader.h: only the changed
// parts of the file are read, their changes applied in O(changes)), while a
// worker thread judges lookups against the baseline as the packet path
// does (a BaselineFollower taking each new snapshot between batches of 64).
//
// Reports, best and median over the reloads: the reload's time (SIGHUP to
// published); the packet path's longest gap between two batches and longest
// single lookup, during the reloads and (the reference, same run) over as
// long a time without any; RSS after the load and after each reload (the
// replaced snapshots reclaimed); and, as the reference in the same run, a
// full reload of the same file (what every reload cost before).
//
// usage: bench_reload ZONE_FILE [--changes N] [--reloads N] [--no-full] [--dir DIR]
// ZONE_FILE: a TLD `bench.` as bench/replay/make_tld.py makes it (e.g.
// /work/benchdata/tld/zones/bench.zone, 1 M delegations); it is copied to
// DIR (default: a new folder under /tmp) and edited there.
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "baseline/reloader.h"
#include "baseline/sources.h"
#include "common/background_priority.h"
#include "config/config.h"
#include "log/log.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double rss_mib() {
    std::ifstream statm("/proc/self/statm");
    std::size_t size = 0, resident = 0;
    statm >> size >> resident;
    return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

// CPU time of the calling thread: what a reload costs whatever else the
// machine runs (the wall time is also printed).
double thread_cpu_ms() {
    timespec now{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values.empty() ? 0 : values[values.size() / 2];
}

// Where each delegation's editable bytes lie in the file's text: its glue
// address's first octet, a letter of its hosting NS, its DS digest's first
// digit. Edits keep every line's length, so the offsets stay valid.
struct Edits {
    std::vector<std::size_t> glue, hosting, digest;  // by delegation number; 0: none

    explicit Edits(const std::string& text) {
        for (std::size_t at = 0; at < text.size();) {
            std::size_t end = text.find('\n', at);
            if (end == std::string::npos) end = text.size();
            const std::string_view line(text.data() + at, end - at);
            std::size_t n = 0;
            auto number_after = [&](std::size_t from) {
                n = 0;
                while (from < line.size() && line[from] >= '0' && line[from] <= '9') n = n * 10 + (line[from++] - '0');
                return n;
            };
            if (line.rfind("ns1.d", 0) == 0 && line.find(" A 10.") != std::string_view::npos) {
                put(glue, number_after(5), at + line.find(" A 10.") + 3);
            } else if (line.rfind('d', 0) == 0 && line.find("ns.dns-hosting.example.") != std::string_view::npos) {
                put(hosting, number_after(1), at + line.find("ns.dns-hosting.example.") + 3);
            } else if (line.rfind('d', 0) == 0 && line.find(" DS ") != std::string_view::npos) {
                put(digest, number_after(1), at + line.size() - 1);
            }
            at = end + 1;
        }
    }
    static void put(std::vector<std::size_t>& where, std::size_t n, std::size_t offset) {
        if (where.size() <= n) where.resize(n + 1, 0);
        where[n] = offset;
    }
};

// The packet path's view: lookups in batches, a snapshot taken between them.
class Worker {
public:
    explicit Worker(const SharedBaseline& shared, std::size_t delegations) : shared_(shared) {
        std::mt19937_64 random(7);
        for (int i = 0; i < 1 << 16; ++i) {
            const std::size_t n = random() % delegations;
            const bool glue = (random() & 1) != 0;
            const DnsName owner = *DnsName::from_text((glue ? "ns1.d" : "d") + std::to_string(n) + ".bench");
            queries_.push_back({owner, hash_name(owner), static_cast<std::uint16_t>(glue ? 1 : 2)});
        }
        thread_ = std::thread([this] { run(); });
    }
    ~Worker() {
        stop_ = true;
        thread_.join();
    }
    // Longest gap between two batches and longest lookup (µs) since the last call.
    std::pair<double, double> take() {
        measuring_ = false;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        const std::pair<double, double> result{max_gap_ns_.load() / 1000.0, max_lookup_ns_.load() / 1000.0};
        max_gap_ns_ = 0;
        max_lookup_ns_ = 0;
        measuring_ = true;
        return result;
    }
    std::uint64_t lookups() const { return lookups_.load(); }

private:
    struct Query {
        DnsName owner;
        std::uint32_t hash;
        std::uint16_t type;
    };
    void run() {
        BaselineFollower follower(shared_);
        std::size_t i = 0, found = 0;
        auto last = Clock::now();
        while (!stop_) {
            follower.refresh();
            const Baseline& baseline = follower.snapshot().baseline;
            std::int64_t longest = 0;
            for (int k = 0; k < 64; ++k) {
                const Query& q = queries_[i++ & (queries_.size() - 1)];
                const auto before = Clock::now();
                found += baseline.find(q.owner, q.hash, q.type).has_rdata() ? 1 : 0;
                longest = std::max<std::int64_t>(longest, (Clock::now() - before).count());
            }
            const auto now = Clock::now();
            if (measuring_) {
                max_gap_ns_ = std::max<std::int64_t>(max_gap_ns_.load(), (now - last).count());
                max_lookup_ns_ = std::max<std::int64_t>(max_lookup_ns_.load(), longest);
            }
            last = now;
            lookups_ += 64;
        }
        if (found == 0) std::fprintf(stderr, "bench_reload: no lookup found its RRset\n");
    }

    const SharedBaseline& shared_;
    std::vector<Query> queries_;
    std::thread thread_;
    std::atomic<bool> stop_{false}, measuring_{true};
    std::atomic<std::int64_t> max_gap_ns_{0}, max_lookup_ns_{0};
    std::atomic<std::uint64_t> lookups_{0};
};

void write_replacing(const fs::path& path, const std::string& text) {
    const fs::path temporary = path.string() + ".new";
    {
        std::ofstream out(temporary, std::ios::binary);
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
    }
    fs::rename(temporary, path);
}

int run(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_reload ZONE_FILE [--changes N] [--reloads N] [--no-full] [--dir DIR]\n");
        return 2;
    }
    std::size_t changes = 1000, reloads = 20;
    bool full = true;
    fs::path dir;
    for (int i = 2; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--changes" && i + 1 < argc) changes = std::strtoull(argv[++i], nullptr, 10);
        else if (arg == "--reloads" && i + 1 < argc) reloads = std::strtoull(argv[++i], nullptr, 10);
        else if (arg == "--dir" && i + 1 < argc) dir = argv[++i];
        else if (arg == "--no-full") full = false;
        else return std::fprintf(stderr, "bench_reload: unknown argument %s\n", arg.c_str()), 2;
    }
    const bool own_dir = dir.empty();
    if (own_dir) dir = fs::temp_directory_path() / ("bench-reload-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::string text;
    {
        std::ifstream in(argv[1], std::ios::binary);
        text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    const Edits where(text);
    std::vector<std::size_t> editable;
    for (std::size_t n = 0; n < where.glue.size(); ++n) {
        if (where.glue[n] != 0 && n < where.hosting.size() && where.hosting[n] != 0) editable.push_back(n);
    }
    if (editable.size() < changes) return std::fprintf(stderr, "bench_reload: too few delegations\n"), 1;
    const fs::path zone = dir / "bench.zone";
    write_replacing(zone, text);
    const fs::path config_path = dir / "bench.yaml";
    std::ofstream(config_path) << "sensor: {id: bench}\nwatch:\n  zones:\n    - name: bench\n      zone_file: bench.zone\n";
    const Config config = load_config(config_path.string());
    log::Logger logger(stderr);  // the reloader's own lines: mode, parts read, duration

    const auto load_start = Clock::now();
    std::unique_ptr<BaselineModel> model = build_baseline_model(config);
    const double load_s = std::chrono::duration<double>(Clock::now() - load_start).count();
    std::size_t change_records = 0;
    model->shared.set_change_listener([&](std::vector<BaselineChange> c) { change_records += c.size(); });
    Reloader reloader(config_path.string(), config, model->shared, logger, &model->zone_files);
    const std::size_t rrsets = model->shared.snapshot()->baseline.rrset_count();
    std::printf("zone: %s, %zu delegations, %zu RRsets, %.1f MB; load %.2f s; part index %.1f MiB (%.1f B per RRset)\n",
                argv[1], editable.size(), rrsets, static_cast<double>(text.size()) / 1e6, load_s,
                static_cast<double>(model->zone_files.memory_bytes()) / (1 << 20),
                static_cast<double>(model->zone_files.memory_bytes()) / static_cast<double>(rrsets));

    Worker worker(model->shared, editable.size());
    // Reloads run as `dnswatch run` runs them: on its control thread, at
    // background priority once the packet path's threads are started.
    if (const std::string refused = run_at_background_priority(); !refused.empty()) {
        std::fprintf(stderr, "bench_reload: %s\n", refused.c_str());
    }
    auto settle = [&] {
        // The replaced snapshots freed (by the reclaimer, never the worker).
        for (int i = 0; i < 100 && model->shared.retired() != 0; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    };
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    settle();
    const double rss_loaded = rss_mib();
    std::mt19937_64 random(13);
    std::vector<double> reload_ms, reload_cpu_ms, gap_us, lookup_us, quiet_gap_us, quiet_lookup_us, rss;
    bool records_right = true;
    for (std::size_t r = 0; r < reloads; ++r) {
        // 1,000 delegations changed: 70% glue, 15% NS host, 15% DS where it has one.
        std::shuffle(editable.begin(), editable.end(), random);
        for (std::size_t k = 0; k < changes; ++k) {
            const std::size_t n = editable[k];
            if (k % 20 < 14 || n >= where.digest.size() || where.digest[n] == 0) {
                char& octet = text[where.glue[n] + 1];  // "10." -> "11." ... "19.", "10."
                octet = octet == '9' ? '0' : static_cast<char>(octet + 1);
            } else if (k % 20 < 17) {
                char& letter = text[where.hosting[n]];  // "ns.dns-hosting" -> "ns.ens-hosting" ...
                letter = letter == 'z' ? 'a' : static_cast<char>(letter + 1);
            } else {
                char& digit = text[where.digest[n]];  // the next hex digit
                digit = digit == '9' ? 'A' : (digit == 'F' || digit == 'f') ? '0' : static_cast<char>(digit + 1);
            }
        }
        write_replacing(zone, text);
        // The packet path with no reload, as long as a reload takes: the reference.
        worker.take();
        std::this_thread::sleep_for(std::chrono::milliseconds(reload_ms.empty() ? 100 : static_cast<int>(median(reload_ms)) + 1));
        const auto [quiet_gap, quiet_lookup] = worker.take();
        const std::size_t records_before = change_records;
        const auto started = Clock::now();
        const double cpu_started = thread_cpu_ms();
        if (!reloader.reload("bench")) return std::fprintf(stderr, "bench_reload: reload refused\n"), 1;
        reload_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - started).count());
        reload_cpu_ms.push_back(thread_cpu_ms() - cpu_started);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        const auto [gap, lookup] = worker.take();
        records_right = records_right && change_records - records_before == changes;
        if (change_records - records_before != changes) {
            std::fprintf(stderr, "bench_reload: reload %zu gave %zu change records for %zu changes\n", r + 1,
                         change_records - records_before, changes);
        }
        settle();
        gap_us.push_back(gap);
        lookup_us.push_back(lookup);
        quiet_gap_us.push_back(quiet_gap);
        quiet_lookup_us.push_back(quiet_lookup);
        rss.push_back(rss_mib());
        std::printf("reload %2zu: %7.1f ms (%6.1f ms CPU); packet path: longest gap %7.1f us (%7.1f us without a reload), longest "
                    "lookup %6.1f us (%6.1f); RSS %.0f MiB\n",
                    r + 1, reload_ms.back(), reload_cpu_ms.back(), gap, quiet_gap, lookup, quiet_lookup, rss.back());
        std::fflush(stdout);
    }
    std::printf("\nreload of %zu changes at %zu RRsets, %zu reloads: best %.1f ms, median %.1f ms, worst %.1f ms "
                "(CPU of the reloading thread: best %.1f ms, median %.1f ms)\n",
                changes, rrsets, reloads, *std::min_element(reload_ms.begin(), reload_ms.end()), median(reload_ms),
                *std::max_element(reload_ms.begin(), reload_ms.end()),
                *std::min_element(reload_cpu_ms.begin(), reload_cpu_ms.end()), median(reload_cpu_ms));
    std::printf("packet path during reloads: longest gap between batches best %.1f us, median %.1f us, worst %.1f us; "
                "longest lookup worst %.1f us\n",
                *std::min_element(gap_us.begin(), gap_us.end()), median(gap_us),
                *std::max_element(gap_us.begin(), gap_us.end()), *std::max_element(lookup_us.begin(), lookup_us.end()));
    std::printf("packet path without reloads (reference): longest gap best %.1f us, median %.1f us, worst %.1f us; "
                "longest lookup worst %.1f us\n",
                *std::min_element(quiet_gap_us.begin(), quiet_gap_us.end()), median(quiet_gap_us),
                *std::max_element(quiet_gap_us.begin(), quiet_gap_us.end()),
                *std::max_element(quiet_lookup_us.begin(), quiet_lookup_us.end()));
    std::printf("RSS: %.0f MiB loaded, %.0f MiB after reload 1, %.0f MiB after reload %zu (max %.0f)\n", rss_loaded,
                rss.front(), rss.back(), reloads, *std::max_element(rss.begin(), rss.end()));
    std::printf("change records: %s\n", records_right ? "one per changed RRset, every reload" : "WRONG");
    if (full) {
        // The reference: the same reload read whole (a reloader without the part index).
        Reloader whole(config_path.string(), config, model->shared, logger);
        std::shuffle(editable.begin(), editable.end(), random);
        for (std::size_t k = 0; k < changes; ++k) {
            char& octet = text[where.glue[editable[k]] + 1];
            octet = octet == '9' ? '0' : static_cast<char>(octet + 1);
        }
        write_replacing(zone, text);
        worker.take();
        const auto started = Clock::now();
        const double cpu_started = thread_cpu_ms();
        whole.reload("bench");
        const double full_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
        const double full_cpu_ms = thread_cpu_ms() - cpu_started;
        const auto [gap, lookup] = worker.take();
        std::printf("full reload (reference, same file, same run): %.0f ms (%.0f ms CPU) = %.0f x the median above "
                    "(%.0f x in CPU); packet path longest gap %.1f us, longest lookup %.1f us\n",
                    full_ms, full_cpu_ms, full_ms / median(reload_ms), full_cpu_ms / median(reload_cpu_ms), gap, lookup);
    }
    std::printf("worker lookups: %llu\n", static_cast<unsigned long long>(worker.lookups()));
    if (own_dir) fs::remove_all(dir);
    return records_right ? 0 : 1;
}

}  // namespace
}  // namespace dnswatch

int main(int argc, char** argv) { return dnswatch::run(argc, argv); }
