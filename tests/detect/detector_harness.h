// What the detector tests share: a sink that keeps what the detector emits,
// delivery of one built response to a detector as if captured, and a
// fixture holding a detector over zone files written for the test.
#pragma once

#include <arpa/inet.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "baseline/baseline.h"
#include "baseline/watch_set.h"
#include "decode/dns_message.h"
#include "decode/ldns_glue.h"
#include "detect/alert_sink.h"
#include "detect/detector.h"
#include "tests/support/message_builder.h"
#include "tests/support/scratch_dir.h"

namespace dnswatch::test {

class RecordingSink : public AlertSink {
public:
    void publish(const Alert& alert) override { alerts.push_back(alert); }
    std::vector<Alert> alerts;
};

// Builds `spec` into `wire` (kept by the caller: the view points into it)
// and hands it to `detector` as a response from `server`:53 to
// 198.51.100.7, captured at `time_us` as frame `frame`.
inline void deliver_response(Detector& detector, DnsDecoder& decoder, std::vector<std::uint8_t>& wire,
                             const MessageSpec& spec, const char* server, std::int64_t time_us, std::uint64_t frame) {
    wire = build_message(spec);
    DnsMessageView view;
    ASSERT_EQ(decoder.decode(wire, view), MalformedKind::none);
    PacketView packet;
    packet.time_us = time_us;
    packet.frame_number = frame;
    DnsDatagram datagram;
    datagram.src.family = 4;
    datagram.dst.family = 4;
    inet_pton(AF_INET, server, datagram.src.bytes.data());
    inet_pton(AF_INET, "198.51.100.7", datagram.dst.bytes.data());
    datagram.src_port = 53;
    datagram.dns = wire;
    detector.observe(view, MessageContext{&packet, &datagram, "unit.pcap"});
}

// A detector watching victim.test, its baseline read from zone files the
// test writes into a scratch folder (removed afterwards).
class DetectorFixture : public ::testing::Test {
protected:
    struct ZoneText {
        const char* file;                   // in the scratch folder
        std::string text;
        std::optional<std::string> origin;  // for a file without $ORIGIN
    };

    void start_detector(const char* scratch, std::initializer_list<ZoneText> zone_files) {
        dir_ = scratch_dir(scratch);
        watch_.add("victim.test");
        for (const ZoneText& zone : zone_files) {
            std::ofstream(dir_ / zone.file) << zone.text;
            baseline_.add_zone_records(read_zone_file((dir_ / zone.file).string(), zone.origin), watch_);
        }
        detector_ = std::make_unique<Detector>(watch_, baseline_, "test-sensor", sink_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::filesystem::path dir_;
    WatchSet watch_;
    Baseline baseline_;
    RecordingSink sink_;
    std::unique_ptr<Detector> detector_;
    DnsDecoder decoder_;
    std::vector<std::uint8_t> wire_;
    std::uint64_t frame_ = 0;
};

}  // namespace dnswatch::test
