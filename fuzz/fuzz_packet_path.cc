// libFuzzer target: the whole packet path, from the link layer to alert JSON.
//
// Input format (fuzz/make-seeds writes its seeds this way):
//   byte 0    link type: kLinkTypes[byte % size]
//   then      frames, each a 2-byte big-endian length and that many bytes
//             (fewer when the input ends first)
// Several frames per input let TCP and IP-fragment reassembly keep state
// from one frame to the next, and let an alert open and then revert.
//
// The frames go through one PacketProcessor, reset between inputs, that watches victim.test (baseline:
// the sample's zone files), com and arpa (no baseline: every answer there is
// an unexpected RRset), so that the detector and the alert lifecycle run on
// ordinary traffic too. Alerts are serialised with to_json_line and read back.
#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "capture/packet.h"
#include "decode/ldns_glue.h"
#include "decode/transport.h"
#include "detect/alert_sink.h"
#include "baseline/baseline.h"
#include "detect/packet_processor.h"
#include "baseline/watch_set.h"
#include "fuzz/fuzz_check.h"
#include "publish/alert_json.h"

namespace dnswatch {
namespace {

// The link types decode/transport peels, and one it does not (PPP), then
// dnstap (each frame one dnstap protobuf: fuzz/make-dnstap-seeds).
// fuzz/make-seeds maps capture link types to indexes in this list.
constexpr std::array<int, 12> kLinkTypes = {1, 113, 276, 0, 108, 12, 14, 101, 228, 229, 9, kLinkTypeDnstap};

struct Model {
    WatchSet watch;
    Baseline baseline;
};

const Model& model() {
    static const std::unique_ptr<Model> instance = [] {
        auto m = std::make_unique<Model>();
        m->watch.add("victim.test");
        m->watch.add("com");
        m->watch.add("arpa");
        const std::string samples = std::string(DNSWATCH_SOURCE_DIR) + "/samples/";
        m->baseline.add_zone_records(read_zone_file(samples + "victim.test.zone", "victim.test."), m->watch);
        m->baseline.add_zone_records(read_zone_file(samples + "test.zone", std::nullopt), m->watch);
        return m;
    }();
    return *instance;
}

// What a JSON-lines or ZeroMQ sink does with an alert, checked on the way.
class JsonCheckingSink : public AlertSink {
public:
    void publish(const Alert& alert) override {
        const std::string line = to_json_line(alert);
        FUZZ_CHECK(!line.empty() && line.find('\n') == std::string::npos);
        FUZZ_CHECK(line == to_json_line_through_a_document(alert));  // the direct writer changes no byte
        const Alert back = alert_from_json(nlohmann::json::parse(line));
        FUZZ_CHECK(back.id == alert.id && back.seq == alert.seq && back.name == alert.name);
        FUZZ_CHECK(back.observed == alert.observed && back.baseline == alert.baseline);
    }
};

}  // namespace
}  // namespace dnswatch

namespace dnswatch {
namespace {

// One processor for every input: building one (its query table, reassembly
// pool and detector) cost more than judging a short input, 127 inputs a
// second in all. reset() between inputs ends what is in reassembly and
// forgets what was judged, so that no input depends on the ones before it.
// Its reassembly memory is small, so that running out of it is reachable.
PacketProcessor& processor() {
    static JsonCheckingSink sink;
    static const std::unique_ptr<PacketProcessor> instance = [] {
        TransportOptions transport;
        transport.max_fragment_datagrams = 8;
        transport.max_tcp_flows = 8;
        transport.total_bytes = 256u << 10;
        auto p = std::make_unique<PacketProcessor>(model().watch, model().baseline, "fuzz-sensor", sink, transport);
        p->detector().configure_query_tracking(64, TxidBurstOptions{});
        return p;
    }();
    return *instance;
}

// Packet times only ever move forward from one input to the next: the
// reassembly tables take a time that steps back as a capture's reordering,
// and a reused processor must see every input as a fresh capture would.
std::int64_t next_input_start_us = 1'773'478'800'000'000;  // 2026-03-14

}  // namespace
}  // namespace dnswatch

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace dnswatch;
    if (size == 0) return 0;
    PacketProcessor& path = processor();
    path.reset();

    const int link_type = kLinkTypes[data[0] % kLinkTypes.size()];
    const std::int64_t start_us = next_input_start_us;
    std::size_t pos = 1;
    std::uint64_t frame_number = 0;
    while (size - pos >= 2) {
        const std::size_t length = std::min<std::size_t>((std::size_t{data[pos]} << 8) | data[pos + 1], size - pos - 2);
        pos += 2;
        PacketView packet;
        packet.bytes = std::span<const std::uint8_t>(data + pos, length);
        packet.wire_length = static_cast<std::uint32_t>(length);
        packet.link_type = link_type;
        packet.frame_number = ++frame_number;
        packet.time_us = start_us + static_cast<std::int64_t>(frame_number) * 1'000'000;
        path.process(packet, "fuzz");
        pos += length;
    }
    path.finish();  // flows and datagrams still held are ended too
    next_input_start_us = start_us + static_cast<std::int64_t>(frame_number + 1) * 1'000'000;
    const PacketCounters& counters = path.counters();
    FUZZ_CHECK(counters.packets == frame_number);
    FUZZ_CHECK(counters.watched_responses <= counters.responses);
    return 0;
}
