// Writes the packets that opened each alert to DIR/<alert id>.pcap: the
// query the sensor saw and the response, each as every frame that carried
// it (all the TCP segments of a reassembled one), in capture order, in a
// nanosecond pcap with the capture's own times; or the dnstap message to
// DIR/<alert id>.fstrm (a Frame Streams file). Each file's size and SHA-256
// go into the alert.
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

    using EvidenceRecorder::record;
    EvidenceFile record(const Alert& alert, const EvidencePackets& packets) override;

    const std::string& dir() const { return dir_; }
    std::uint64_t written() const { return written_.load(); }
    std::uint64_t failed() const { return failed_.load(); }

private:
    std::string dir_;
    std::atomic<std::uint64_t> written_{0};
    std::atomic<std::uint64_t> failed_{0};
};

// The size and SHA-256 (hex) of the file at `path`; path "" when it cannot be read.
EvidenceFile describe_evidence(const std::string& path);

}  // namespace dnswatch
