// Whole pipelines, in-process, against the single-threaded path of
// `dnswatch replay` (PacketProcessor) on the same captures: whatever the
// number of workers and shards, a pcap_file replay must emit the very same
// alert records (ids, states, seqs, every field) in the same order.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "decode/ldns_glue.h"
#include "detect/packet_processor.h"
#include "pipeline/pipeline.h"
#include "baseline/shared_baseline.h"
#include "publish/alert_json.h"
#include "publish/json_lines_sink.h"
#include "tests/support/answer_capture.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;
const fs::path kSource = DNSWATCH_SOURCE_DIR;

// The captures: the bundled sample and every scenario, replayed one after
// the other (their alerts then interact, identically on both paths).
std::vector<std::string> captures() {
    std::vector<std::string> paths = {(kSource / "samples/hijack.pcap").string()};
    std::vector<std::string> scenarios;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(kSource / "scenarios", ec)) {
        if (fs::exists(entry.path() / "capture.pcap")) scenarios.push_back((entry.path() / "capture.pcap").string());
    }
    std::sort(scenarios.begin(), scenarios.end());
    paths.insert(paths.end(), scenarios.begin(), scenarios.end());
    return paths;
}

// victim.test and its parent's records, plus a zone with no baseline at all
// (every RRset of it is unexpected): two zone families, so that two shards
// both have work, and many alerts.
WatchSet model_watch() {
    WatchSet watch;
    watch.add("victim.test");
    watch.add("victim-dns.example");
    watch.add("www.victim.test");  // nested: shares victim.test's shard
    return watch;
}

BaselineSources model_sources() {
    BaselineSources sources(3);
    sources.zone_files[0] = read_zone_file((kSource / "samples/victim.test.zone").string(), "victim.test.");
    sources.other_records = read_zone_file((kSource / "samples/test.zone").string(), std::nullopt);
    return sources;
}

struct Model {
    SharedBaseline shared{model_watch(), model_sources()};
    std::shared_ptr<const BaselineSnapshot> initial = shared.snapshot();
    const WatchSet& watch = *initial->watch;
    const Baseline& baseline = initial->baseline;
};

class CollectingSink : public AlertSink {
public:
    void publish(const Alert& alert) override { lines.push_back(to_json_line(alert)); }
    std::vector<std::string> lines;
};

// Batches go through PacketProcessor's look-ahead; one packet at a time,
// each is judged before the next is decoded.
enum class Feed { batches, one_packet_at_a_time };

std::vector<std::string> reference_alerts(const Model& model, const std::vector<std::string>& paths,
                                          Feed feed = Feed::batches) {
    CollectingSink sink;
    PacketProcessor processor(model.watch, model.baseline, "pipeline-test", sink);
    PacketBatch batch;
    for (const std::string& path : paths) {
        PcapFileSource source(path);
        while (source.next_batch(batch)) {
            if (feed == Feed::batches) {
                processor.process(batch, path);
            } else {
                for (const PacketView& packet : batch) processor.process(packet, path);
            }
        }
    }
    processor.finish();
    return sink.lines;
}

// PacketProcessor judges a batch's messages a few messages after decoding
// them (its look-ahead, for the baseline's cache misses): queries, answers,
// TCP and fragments in between keep their order, so every alert is what
// judging each packet at once gives.
TEST(PacketProcessorLookAhead, EmitsWhatJudgingEachPacketAtOnceEmits) {
    const Model model;
    const std::vector<std::string> paths = captures();
    const std::vector<std::string> at_once = reference_alerts(model, paths, Feed::one_packet_at_a_time);
    ASSERT_GT(at_once.size(), 20u) << "the captures should raise plenty of alerts";
    EXPECT_EQ(reference_alerts(model, paths), at_once);
}

std::vector<std::string> read_lines(const fs::path& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

struct Shape {
    std::size_t workers;
    std::size_t shards;
    std::size_t ring_bytes;  // small rings make every producer wait, often
    int repeat = 1;          // the captures, this many times over: more interleavings
};

void PrintTo(const Shape& shape, std::ostream* out) {
    *out << shape.workers << " workers, " << shape.shards << " shards, " << (shape.ring_bytes >> 10) << " KiB rings, "
         << shape.repeat << "x";
}

class PipelineReplay : public ::testing::TestWithParam<Shape> {};

TEST_P(PipelineReplay, EmitsExactlyWhatReplayEmits) {
    const Shape shape = GetParam();
    Model model;
    std::vector<std::string> paths;
    for (int i = 0; i < shape.repeat; ++i) {
        for (const std::string& path : captures()) paths.push_back(path);
    }
    const std::vector<std::string> expected = reference_alerts(model, paths);
    ASSERT_GT(expected.size(), 20u) << "the captures should raise plenty of alerts";

    const fs::path dir = fs::temp_directory_path() / ("dnswatch-pipeline-" + std::to_string(::getpid()) + "-" +
                                                      std::to_string(shape.workers) + "x" +
                                                      std::to_string(shape.shards) + "-" + std::to_string(shape.repeat));
    fs::remove_all(dir);
    fs::create_directories(dir);
    PipelineTotals totals;
    {
        JsonLinesSink lines((dir / "alerts.jsonl").string(), JsonLinesSink::FileMode::truncate);
        PublisherOptions publisher_options;
        publisher_options.stats_interval = std::chrono::milliseconds(0);
        Publisher publisher(lines, nullptr, publisher_options);
        PipelineOptions options;
        options.workers = shape.workers;
        options.shards = shape.shards;
        options.reader_ring_bytes = shape.ring_bytes;
        options.message_ring_bytes = shape.ring_bytes;
        options.alert_ring = 4;
        options.ordered = true;
        options.lossless = true;
        options.sensor_id = "pipeline-test";
        CaptureSetup capture;
        capture.sources = paths;
        capture.files = open_capture_files(paths);
        Pipeline pipeline(model.shared, options, std::move(capture), publisher);
        EXPECT_EQ(pipeline.inline_mode(), shape.workers == 1 && shape.shards == 1);
        pipeline.start();
        pipeline.join();
        EXPECT_TRUE(pipeline.finished());
        totals = pipeline.totals();
    }
    const std::vector<std::string> got = read_lines(dir / "alerts.jsonl");
    ASSERT_EQ(got.size(), expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], expected[i]) << "alert " << i;
    EXPECT_EQ(totals.capture.ring_dropped + totals.router.message_ring_drops + totals.alert_ring_drops, 0u);
    EXPECT_EQ(totals.shard_decode_mismatch, 0u);
    EXPECT_EQ(totals.publisher.published, expected.size());
    fs::remove_all(dir);
}

// A registry's TLD: one watched zone with hundreds of delegations is split
// over the shards by child zone, so that two shards share its work, and
// still every alert is the one replay emits.
TEST(PipelineSplitZone, ATldSpreadsOverTheShardsAndEmitsWhatReplayEmits) {
    const fs::path dir = fs::temp_directory_path() / ("dnswatch-split-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    WatchSet watch;
    watch.add("bench");
    BaselineSources sources(1);
    std::vector<ZoneRecord>& zone = sources.zone_files[0];
    zone.push_back(record_from_text("bench. 3600 IN SOA a.nic.bench. hostmaster.bench. 1 1800 900 604800 3600"));
    zone.push_back(record_from_text("bench. 3600 IN NS a.nic.bench."));
    constexpr int kDelegations = 300;
    std::vector<test::TimedAnswer> answers;
    for (int n = 0; n < kDelegations; ++n) {
        const std::string child = "d" + std::to_string(n) + ".bench.";
        zone.push_back(record_from_text(child + " 86400 IN NS ns1." + child));
        zone.push_back(record_from_text("ns1." + child + " 86400 IN A 10.0." + std::to_string(n / 250) + "." +
                                        std::to_string(n % 250)));
        // Every delegation asked; every 37th served with another name server for a while.
        const bool hijacked = n % 37 == 0;
        answers.push_back({n, "www." + child + " IN A",
                           {child + " 86400 IN NS " + (hijacked ? "ns1.evil-dns.example." : "ns1." + child)}});
        if (hijacked) answers.push_back({kDelegations + n, "www." + child + " IN A", {child + " 86400 IN NS ns1." + child}});
    }
    test::write_answer_capture(dir / "tld.pcap", 1'790'000'000, answers);
    const std::vector<std::string> paths = {(dir / "tld.pcap").string()};

    SharedBaseline reference_model(WatchSet(watch), sources);
    const auto snapshot = reference_model.snapshot();
    CollectingSink sink;
    {
        PacketProcessor processor(*snapshot->watch, snapshot->baseline, "pipeline-test", sink);
        PacketBatch batch;
        PcapFileSource source(paths[0]);
        while (source.next_batch(batch)) processor.process(batch, paths[0]);
        processor.finish();
    }
    ASSERT_GE(sink.lines.size(), 16u) << "9 hijacked delegations: opened and reverted";

    SharedBaseline shared(WatchSet(watch), sources);
    {
        JsonLinesSink lines((dir / "alerts.jsonl").string(), JsonLinesSink::FileMode::truncate);
        PublisherOptions publisher_options;
        publisher_options.stats_interval = std::chrono::milliseconds(0);
        Publisher publisher(lines, nullptr, publisher_options);
        PipelineOptions options;
        options.workers = 2;
        options.shards = 2;
        options.ordered = true;
        options.lossless = true;
        options.sensor_id = "pipeline-test";
        CaptureSetup capture;
        capture.sources = paths;
        capture.files = open_capture_files(paths);
        Pipeline pipeline(shared, options, std::move(capture), publisher);
        const auto partitioned = shared.snapshot();
        ASSERT_TRUE(partitioned->shards->split(*partitioned->watch->find_zone("bench")));
        pipeline.start();
        pipeline.join();
        const std::vector<std::uint64_t> observations = pipeline.shard_observations();
        ASSERT_EQ(observations.size(), 2u);
        // Children spread by hash: each shard judges a fair part of them.
        EXPECT_GT(observations[0], kDelegations / 4u);
        EXPECT_GT(observations[1], kDelegations / 4u);
    }
    EXPECT_EQ(read_lines(dir / "alerts.jsonl"), sink.lines);
    fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Shapes, PipelineReplay,
                         ::testing::Values(Shape{1, 1, 16u << 20}, Shape{1, 2, 16u << 20}, Shape{3, 1, 16u << 20},
                                           Shape{3, 2, 16u << 20}, Shape{4, 3, 256u << 10}, Shape{2, 2, 256u << 10},
                                           Shape{4, 3, 256u << 10, 60}),
                         [](const ::testing::TestParamInfo<Shape>& param) {
                             return std::to_string(param.param.workers) + "workers_" +
                                    std::to_string(param.param.shards) + "shards_" +
                                    std::to_string(param.param.ring_bytes >> 10) + "KiB_" + std::to_string(param.param.repeat) + "x";
                         });

}  // namespace
}  // namespace dnswatch
