// Writes the packet that opened each alert to DIR/<alert id>.pcap, or the
// dnstap message to DIR/<alert id>.fstrm (a Frame Streams file).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "detect/evidence_recorder.h"

namespace dnswatch {

class PcapEvidenceWriter : public EvidenceRecorder {
public:
    // Creates `dir` if needed; throws std::runtime_error when it cannot.
    explicit PcapEvidenceWriter(std::string dir);

    std::string record(const Alert& alert, const PacketView& packet) override;

    std::uint64_t written() const { return written_.load(); }
    std::uint64_t failed() const { return failed_.load(); }

private:
    std::string dir_;
    std::atomic<std::uint64_t> written_{0};
    std::atomic<std::uint64_t> failed_{0};
};

}  // namespace dnswatch
