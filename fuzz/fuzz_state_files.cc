// libFuzzer target: the state files a restarted sensor reads from
// state.dir, each as a crash or a hostile hand left it. Byte 0 picks the
// file, the rest is its content:
//   0  open-alerts.jsonl  load_open_alerts, then into a Detector (restart)
//   1  learned.jsonl      load_learned, then into a Learner (restart)
//   2  feed-received.jsonl read_transparency_feed (the announcements kept)
//   3  alerts.jsonl       the durable store: AlertStore opens it (cutting a
//                         torn tail), then scan_alert_store reads it whole
// Checks: a refusal is a std::runtime_error that names the file; what
// loads goes into the component that restart hands it to without fault;
// the store's scan returns seqs in increasing order, within last_seq().
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

#include "baseline/baseline.h"
#include "baseline/learned_file.h"
#include "baseline/learner.h"
#include "baseline/transparency_feed.h"
#include "baseline/watch_set.h"
#include "decode/ldns_glue.h"
#include "detect/alert_sink.h"
#include "detect/detector.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_input.h"
#include "publish/alert_store.h"
#include "publish/open_alert_file.h"

namespace dnswatch {
namespace {

struct Model {
    WatchSet watch;
    Baseline baseline;
};

const Model& model() {
    static const std::unique_ptr<Model> instance = [] {
        auto m = std::make_unique<Model>();
        m->watch.add("victim.test");
        m->watch.add("com");
        const std::string samples = std::string(DNSWATCH_SOURCE_DIR) + "/samples/";
        m->baseline.add_zone_records(read_zone_file(samples + "victim.test.zone", "victim.test."), m->watch);
        return m;
    }();
    return *instance;
}

class NullSink : public AlertSink {
public:
    void publish(const Alert&) override {}
};

bool names(const std::runtime_error& error, const std::string& path) {
    return std::string(error.what()).find(path) != std::string::npos;
}

void open_alerts(const std::string& path) {
    std::vector<OpenAlertState> alerts;
    try {
        alerts = load_open_alerts(path);
    } catch (const std::runtime_error& refused) {
        FUZZ_CHECK(names(refused, path));
        return;
    }
    NullSink sink;
    Detector detector(model().watch, model().baseline, "fuzz-sensor", sink);
    detector.configure_query_tracking(64, TxidBurstOptions{});
    const std::size_t loaded = alerts.size();
    detector.import_open_alerts(std::move(alerts));
    FUZZ_CHECK(detector.open_alerts() <= loaded);
    (void)detector.export_open_alerts();
}

void learned(const std::string& path) {
    std::vector<LearnedRRsetState> states;
    try {
        states = load_learned(path);
    } catch (const std::runtime_error& refused) {
        FUZZ_CHECK(names(refused, path));
        return;
    }
    LearningOptions options;
    options.zones = {"victim.test", "com"};
    options.max_rrsets = 64;
    Learner learner(model().watch, options);
    learner.import_state(std::move(states));
    FUZZ_CHECK(learner.size() <= 64);
    (void)learner.export_state();
}

void received_feed(const std::string& path) {
    try {
        const std::vector<Announcement> announcements = read_transparency_feed(path, model().watch);
        for (const Announcement& announcement : announcements) FUZZ_CHECK(!announcement.records.empty());
    } catch (const FeedError& refused) {
        FUZZ_CHECK(names(refused, path));
    }
}

void store(const std::string& dir) {
    std::uint64_t last = 0;
    try {
        AlertStore opened(dir, false);
        last = opened.last_seq();
    } catch (const std::runtime_error&) {
        return;  // refused at start, with its reason: what restart does
    }
    std::uint64_t previous = 0;
    try {
        scan_alert_store(dir + "/alerts.jsonl", 0, [&](std::uint64_t seq, std::string_view) {
            FUZZ_CHECK(seq > previous);
            FUZZ_CHECK(seq <= last);
            previous = seq;
            return true;
        });
    } catch (const std::runtime_error&) {
    }
}

}  // namespace
}  // namespace dnswatch

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace dnswatch;
    if (size == 0) return 0;
    const std::string dir = fuzz::scratch_dir("state_files");
    const std::span<const std::uint8_t> content(data + 1, size - 1);
    switch (data[0] % 4) {
        case 0:
            if (fuzz::write_file(dir + "/open-alerts.jsonl", content)) open_alerts(dir + "/open-alerts.jsonl");
            break;
        case 1:
            if (fuzz::write_file(dir + "/learned.jsonl", content)) learned(dir + "/learned.jsonl");
            break;
        case 2:
            if (fuzz::write_file(dir + "/feed-received.jsonl", content)) received_feed(dir + "/feed-received.jsonl");
            break;
        default: {
            const std::string store_dir = dir + "/store";
            std::filesystem::remove_all(store_dir);
            std::filesystem::create_directories(store_dir);
            if (fuzz::write_file(store_dir + "/alerts.jsonl", content)) store(store_dir);
            break;
        }
    }
    return 0;
}
