// Keeps the packets that opened an alert, so that an analyst can open them
// in Wireshark: the query the sensor saw (when it saw it) and the response.
// detect/ only asks; publish/ decides where they go.
#pragma once

#include <cstdint>
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

class EvidenceRecorder {
public:
    virtual ~EvidenceRecorder() = default;
    // Records `response` (and before it `query`, the frame of the query it
    // answers, when not null) as the evidence of `alert`, whose id is set.
    // Never throws: it runs on the packet path.
    virtual EvidenceFile record(const Alert& alert, const PacketView& response, const PacketView* query) = 0;
};

}  // namespace dnswatch
