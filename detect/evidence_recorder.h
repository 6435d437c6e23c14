// Keeps the packets that opened an alert, so that an analyst can open them
// in Wireshark. detect/ only asks; publish/ decides where they go.
#pragma once

#include <string>

#include "capture/packet.h"
#include "detect/alert.h"

namespace dnswatch {

class EvidenceRecorder {
public:
    virtual ~EvidenceRecorder() = default;
    // Records `packet` as the evidence of `alert` (whose id is set) and
    // returns where it went, or "" when it could not be kept. Never throws:
    // it runs on the packet path.
    virtual std::string record(const Alert& alert, const PacketView& packet) = 0;
};

}  // namespace dnswatch
