// The hot path allocates nothing per packet (CONVENTIONS 6, DESIGN
// "Performance stance"). This binary counts every heap allocation: global
// operator new is replaced, and malloc too (a glibc malloc replacement that
// forwards to __libc_malloc; under AddressSanitizer, whose allocator must stay
// in charge, the sanitizer's allocation hook instead). After one warm-up pass
// has grown the reused buffers, a second pass must allocate nothing.
#include <gtest/gtest.h>

#include <dirent.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "capture/pcap_file_source.h"
#include "decode/dns_message.h"
#include "decode/ldns_glue.h"
#include "decode/rdata.h"
#include "detect/alert_sink.h"
#include "baseline/baseline.h"
#include "detect/packet_processor.h"
#include "baseline/watch_set.h"
#include "tests/support/pcap_reader.h"

#if defined(__SANITIZE_ADDRESS__)
#define DNSWATCH_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DNSWATCH_ASAN 1
#endif
#endif

#ifdef DNSWATCH_ASAN
// From <sanitizer/allocator_interface.h>, which clang ships and GCC does not;
// both runtimes define it.
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*, std::size_t),
                                                         void (*free_hook)(const volatile void*));
#endif

namespace {

std::atomic<bool> counting{false};
std::atomic<std::size_t> news{0};     // operator new calls
std::atomic<std::size_t> mallocs{0};  // malloc-level allocations (new, ldns, libc...)

void count_new() {
    if (counting.load(std::memory_order_relaxed)) news.fetch_add(1, std::memory_order_relaxed);
}
void count_malloc() {
    if (counting.load(std::memory_order_relaxed)) mallocs.fetch_add(1, std::memory_order_relaxed);
}

void* allocate(std::size_t size) {
    count_new();
    if (void* p = std::malloc(size != 0 ? size : 1)) return p;
    throw std::bad_alloc();
}
void* allocate_aligned(std::size_t size, std::align_val_t alignment) {
    count_new();
    const auto align = static_cast<std::size_t>(alignment);
    if (void* p = std::aligned_alloc(align, (size + align - 1) / align * align)) return p;
    throw std::bad_alloc();
}

// Counts allocations while alive.
class AllocationCount {
public:
    AllocationCount() {
        news = 0;
        mallocs = 0;
        counting = true;
    }
    ~AllocationCount() { counting = false; }
    // Stops counting first, so that the test's own reporting is not counted.
    std::pair<std::size_t, std::size_t> stop() {
        counting = false;
        return {news.load(), mallocs.load()};
    }
};

}  // namespace

void* operator new(std::size_t size) { return allocate(size); }
void* operator new[](std::size_t size) { return allocate(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    count_new();
    return std::malloc(size != 0 ? size : 1);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    count_new();
    return std::malloc(size != 0 ? size : 1);
}
void* operator new(std::size_t size, std::align_val_t alignment) { return allocate_aligned(size, alignment); }
void* operator new[](std::size_t size, std::align_val_t alignment) { return allocate_aligned(size, alignment); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

#ifdef DNSWATCH_ASAN
namespace {
void on_malloc(const volatile void*, std::size_t) { count_malloc(); }
void on_free(const volatile void*) {}
[[maybe_unused]] const int hooks_installed = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
}  // namespace
#else
// glibc lets a program replace malloc; forwarding to its own entry points
// keeps one allocator, so memory from either side may be freed by the other.
extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* p, std::size_t size);
void* __libc_memalign(std::size_t alignment, std::size_t size);
void* __libc_valloc(std::size_t size);
void* __libc_pvalloc(std::size_t size);
void __libc_free(void* p);

void* malloc(std::size_t size) noexcept {
    count_malloc();
    return __libc_malloc(size);
}
void* calloc(std::size_t count, std::size_t size) noexcept {
    count_malloc();
    return __libc_calloc(count, size);
}
void* realloc(void* p, std::size_t size) noexcept {
    count_malloc();
    return __libc_realloc(p, size);
}
void* memalign(std::size_t alignment, std::size_t size) noexcept {
    count_malloc();
    return __libc_memalign(alignment, size);
}
void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
    count_malloc();
    return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t size) noexcept {
    count_malloc();
    void* p = __libc_memalign(alignment, size);
    if (p == nullptr) return ENOMEM;
    *out = p;
    return 0;
}
void* valloc(std::size_t size) noexcept {
    count_malloc();
    return __libc_valloc(size);
}
void* pvalloc(std::size_t size) noexcept {
    count_malloc();
    return __libc_pvalloc(size);
}
void free(void* p) noexcept { __libc_free(p); }
}
#endif

namespace dnswatch {
namespace {

const std::string kSource = DNSWATCH_SOURCE_DIR;
const std::string kCorpus = DNSWATCH_CORPUS_DIR;

std::vector<std::string> corpus_captures() {
    std::vector<std::string> files;
    std::vector<std::string> dirs = {kCorpus + "/pcap"};
    while (!dirs.empty()) {
        const std::string dir = dirs.back();
        dirs.pop_back();
        DIR* handle = opendir(dir.c_str());
        if (handle == nullptr) continue;
        while (const dirent* entry = readdir(handle)) {
            const std::string name = entry->d_name;
            if (name == "." || name == "..") continue;
            const std::string path = dir + "/" + name;
            if (entry->d_type == DT_DIR) {
                dirs.push_back(path);
            } else if (name.ends_with(".pcap") || name.ends_with(".pcapng")) {
                files.push_back(path);
            }
        }
        closedir(handle);
    }
    return files;
}

void* volatile escape;  // keeps the compiler from eliding the allocations below

TEST(NoAllocation, TheCounterSeesOperatorNewAndMalloc) {
    AllocationCount count;
    auto* boxed = new int(7);
    escape = boxed;
    delete boxed;
    void* raw = std::malloc(16);
    escape = raw;
    std::free(raw);
    const auto [new_calls, malloc_calls] = count.stop();
    EXPECT_EQ(new_calls, 1u);
    EXPECT_GE(malloc_calls, 2u);  // the malloc under operator new, then ours
}

TEST(NoAllocation, DecodingAndCanonicalRdataOfTheCorpusOnceWarm) {
    std::vector<std::vector<std::uint8_t>> messages;
    for (const std::string& file : corpus_captures()) {
        try {
            for (auto& captured : test::read_dns_payloads(file)) messages.push_back(std::move(captured.payload));
        } catch (const std::exception&) {
            // libpcap cannot read a few (see SOURCES.md)
        }
    }
    ASSERT_GT(messages.size(), 3000u);

    DnsDecoder decoder;
    DnsMessageView view;
    std::vector<std::uint8_t> canonical;
    std::size_t decoded = 0, records = 0;
    auto pass = [&] {
        decoded = records = 0;
        for (const auto& message : messages) {
            if (decoder.decode(message, view) != MalformedKind::none) continue;
            ++decoded;
            canonical.clear();  // reused: keeps its capacity
            for (const RecordView& record : view.records) {
                append_canonical_rdata(view.wire, record.type, record.rdata_offset, record.rdata_length, canonical);
                ++records;
            }
        }
    };
    pass();  // warm-up: the record table and the buffer grow to the largest message

    AllocationCount count;
    pass();
    const auto [new_calls, malloc_calls] = count.stop();
    EXPECT_EQ(new_calls, 0u) << "operator new calls in a pass over " << decoded << " messages";
    EXPECT_EQ(malloc_calls, 0u) << "malloc calls in a pass over " << decoded << " messages";
    EXPECT_GT(decoded, 3000u);
    EXPECT_GT(records, 3000u);
}

class CountingSink : public AlertSink {
public:
    void publish(const Alert&) override { ++alerts; }
    std::size_t alerts = 0;
};

TEST(NoAllocation, PacketPathOnWatchedBaselineTrafficOnceWarm) {
    // hijack.pcap frames 1-12 (before the hijack) and 25-32 (after it):
    // responses about the watched zone that agree with the baseline.
    std::vector<std::vector<std::uint8_t>> frames;
    std::vector<PacketView> packets;
    PcapFileSource source(kSource + "/samples/hijack.pcap");
    PacketBatch batch;
    while (source.next_batch(batch)) {
        for (const PacketView& packet : batch) {
            if (packet.frame_number > 12 && packet.frame_number < 25) continue;
            frames.emplace_back(packet.bytes.begin(), packet.bytes.end());
            packets.push_back(packet);
        }
    }
    for (std::size_t i = 0; i < packets.size(); ++i) packets[i].bytes = frames[i];
    ASSERT_EQ(packets.size(), 20u);

    WatchSet watch;
    watch.add("victim.test");
    Baseline baseline;
    baseline.add_zone_records(read_zone_file(kSource + "/samples/victim.test.zone", "victim.test."), watch);
    baseline.add_zone_records(read_zone_file(kSource + "/samples/test.zone", std::nullopt), watch);
    CountingSink sink;
    PacketProcessor processor(watch, baseline, "no-alloc-test", sink);

    for (const PacketView& packet : packets) processor.process(packet, "hijack.pcap");  // warm-up
    const std::uint64_t watched_after_warm_up = processor.counters().watched_responses;

    AllocationCount count;
    for (const PacketView& packet : packets) processor.process(packet, "hijack.pcap");
    const auto [new_calls, malloc_calls] = count.stop();

    EXPECT_EQ(sink.alerts, 0u) << "baseline traffic must not diverge";
    EXPECT_GE(watched_after_warm_up, 10u);
    EXPECT_EQ(processor.counters().watched_responses, 2 * watched_after_warm_up);
    EXPECT_GT(processor.detector_counters().observations, 0u);
    EXPECT_EQ(new_calls, 0u) << "operator new calls on the packet path";
    EXPECT_EQ(malloc_calls, 0u) << "malloc calls on the packet path";
}

TEST(NoAllocation, SignatureChecksOfSignedTrafficOnceWarmComeFromTheCache) {
    // forged-signatures frames 1-8: a referral from the signed parent and
    // signed answers (DNSKEY, www A, mail A) from the true server, checked
    // against the baseline's DNSKEYs. ldns verifies each RRSIG once (it
    // allocates); afterwards the cache answers and nothing is allocated.
    const std::string dir = kSource + "/scenarios/forged-signatures";
    std::vector<std::vector<std::uint8_t>> frames;
    std::vector<PacketView> packets;
    PcapFileSource source(dir + "/capture.pcap");
    PacketBatch batch;
    while (source.next_batch(batch)) {
        for (const PacketView& packet : batch) {
            if (packet.frame_number > 8) continue;
            frames.emplace_back(packet.bytes.begin(), packet.bytes.end());
            packets.push_back(packet);
        }
    }
    for (std::size_t i = 0; i < packets.size(); ++i) packets[i].bytes = frames[i];
    ASSERT_EQ(packets.size(), 8u);

    WatchSet watch;
    watch.add("victim.test");
    Baseline baseline;
    baseline.add_zone_records(read_zone_file(dir + "/victim.test.signed.zone", std::nullopt), watch);
    baseline.add_zone_records(read_zone_file(dir + "/test.signed.zone", std::nullopt), watch);
    CountingSink sink;
    PacketProcessor processor(watch, baseline, "no-alloc-test", sink);

    for (const PacketView& packet : packets) processor.process(packet, "capture.pcap");  // warm-up
    const DnssecCounters warm = processor.detector().dnssec_counters();

    AllocationCount count;
    for (const PacketView& packet : packets) processor.process(packet, "capture.pcap");
    const auto [new_calls, malloc_calls] = count.stop();

    const DnssecCounters& after = processor.detector().dnssec_counters();
    EXPECT_EQ(sink.alerts, 0u) << "true signatures over baseline data";
    EXPECT_GT(warm.verifications, 0u);
    EXPECT_EQ(after.verifications, warm.verifications) << "unchanged data is verified once";
    EXPECT_EQ(after.cache_hits, warm.cache_hits + after.signatures - warm.signatures);
    EXPECT_EQ(after.bogus_rrsets, 0u);
    EXPECT_EQ(processor.detector().query_counters().matched, 8u);  // 4 queries, each answered, twice
    EXPECT_EQ(new_calls, 0u) << "operator new calls on the packet path";
    EXPECT_EQ(malloc_calls, 0u) << "malloc calls on the packet path";
}

}  // namespace
}  // namespace dnswatch
