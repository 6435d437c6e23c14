// Keeps the packets that opened an alert, so that an analyst can open them
// in Wireshark: the query the sensor saw (when it saw it) and the response.
// detect/ only asks; publish/ decides where they go.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "capture/packet.h"
#include "detect/alert.h"

namespace dnswatch {

// What was kept: where, how many bytes, and their SHA-256 (hex), which the
// alert carries so that a copy fetched later can be checked.
struct EvidenceFile {
    std::string path;     // "" when nothing could be kept
    std::uint64_t bytes = 0;
    std::string sha256;
};

// The frames that make an alert's evidence: the response that opened it and
// the query it answers (null when not seen), each with the frames of its
// other TCP segments when it was reassembled from several
// (DnsMessageSink::on_reassembled_dns, decode/carrier_frames.h; empty otherwise).
struct EvidencePackets {
    const PacketView* response = nullptr;
    std::span<const std::uint8_t> response_carriers;
    const PacketView* query = nullptr;
    std::span<const std::uint8_t> query_carriers;
};

class EvidenceRecorder {
public:
    virtual ~EvidenceRecorder() = default;
    // Records `packets` as the evidence of `alert`, whose id is set.
    // Never throws: it runs on the packet path.
    virtual EvidenceFile record(const Alert& alert, const EvidencePackets& packets) = 0;
    // A response (and the query it answers, when not null) that each came in one frame.
    EvidenceFile record(const Alert& alert, const PacketView& response, const PacketView* query) {
        return record(alert, EvidencePackets{&response, {}, query, {}});
    }
};

}  // namespace dnswatch
