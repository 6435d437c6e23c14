// The packet path of one worker: frame -> DNS payload -> question filter ->
// records -> detector. Rejects unwatched traffic after reading the question.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "capture/packet.h"
#include "decode/decode_counters.h"
#include "decode/dns_message.h"
#include "detect/detector.h"

namespace dnswatch {

struct PacketCounters {
    std::uint64_t packets = 0;
    std::uint64_t dns_messages = 0;       // DNS payloads found (malformed ones included)
    std::uint64_t queries = 0;
    std::uint64_t responses = 0;
    std::uint64_t watched_responses = 0;  // question in a watched zone
    std::uint64_t watched_malformed = 0;  // of those, records that did not decode
};

class PacketProcessor {
public:
    PacketProcessor(const WatchSet& watch, const Baseline& baseline, std::string sensor_id, AlertSink& sink);

    void process(const PacketBatch& batch, std::string_view source);
    void process(const PacketView& packet, std::string_view source);

    const PacketCounters& counters() const { return counters_; }
    const DecodeCounters& decode_counters() const { return decode_counters_; }
    const DetectorCounters& detector_counters() const { return detector_.counters(); }

private:
    const WatchSet& watch_;
    DnsDecoder decoder_;
    Detector detector_;
    PacketCounters counters_;
    DecodeCounters decode_counters_;
};

}  // namespace dnswatch
