#include "publish/evidence_pcap.h"

#include <sodium.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <vector>

#include <pcap/pcap.h>

#include "capture/frame_streams.h"
#include "decode/carrier_frames.h"
#include "common/hex.h"

namespace dnswatch {

PcapEvidenceWriter::PcapEvidenceWriter(std::string dir) : dir_(std::move(dir)) {
    std::error_code error;
    std::filesystem::create_directories(dir_, error);
    if (error) throw std::runtime_error(dir_ + ": " + error.message());
}

EvidenceFile describe_evidence(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return {};
    std::string digest(crypto_hash_sha256_BYTES, '\0');
    crypto_hash_sha256(reinterpret_cast<unsigned char*>(digest.data()),
                       reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    return {path, bytes.size(), to_hex(digest)};
}

EvidenceFile PcapEvidenceWriter::record(const Alert& alert, const EvidencePackets& packets) {
    const PacketView& response = *packets.response;
    // A dnstap message is kept as it came, in a Frame Streams file that
    // `dnstap -r` and `dnstap-ldns -r` read: no pcap link type holds it, and
    // made-up IP headers would be evidence of nothing.
    if (response.link_type == kLinkTypeDnstap) {
        const std::string path = dir_ + "/" + alert.id + ".fstrm";
        const bool ok = write_frame_stream_file(path, response.bytes);
        ++(ok ? written_ : failed_);
        return ok ? describe_evidence(path) : EvidenceFile{};
    }
    const std::string path = dir_ + "/" + alert.id + ".pcap";
    // Nanosecond pcap: what an analyst lines up against other captures; the
    // time is as precise as the capture gave it.
    std::unique_ptr<pcap_t, decltype(&pcap_close)> dead(
        pcap_open_dead_with_tstamp_precision(response.link_type, 262144, PCAP_TSTAMP_PRECISION_NANO), pcap_close);
    pcap_dumper_t* dumper = dead ? pcap_dump_open(dead.get(), path.c_str()) : nullptr;
    if (dumper == nullptr) {
        ++failed_;
        return {};
    }
    // Every frame, in the order they were captured (a TCP query's segments,
    // the answer's): an analyst reads the exchange as it crossed the wire.
    // Only frames of the response's link type: one pcap file has one.
    std::vector<PacketView> frames;
    auto add = [&](const PacketView& frame) {
        if (frame.link_type == response.link_type) frames.push_back(frame);
    };
    for_each_carrier_frame(packets.query_carriers, add);
    if (packets.query != nullptr) add(*packets.query);
    for_each_carrier_frame(packets.response_carriers, add);
    add(response);
    std::stable_sort(frames.begin(), frames.end(), [](const PacketView& a, const PacketView& b) {
        return packet_time_ns(a) < packet_time_ns(b);
    });
    for (const PacketView& frame : frames) {
        pcap_pkthdr header{};
        header.ts.tv_sec = static_cast<time_t>(frame.time_us / 1000000);
        // Nanoseconds here (the dumper's precision): the capture's own.
        header.ts.tv_usec = static_cast<suseconds_t>(frame.time_us % 1000000 * 1000 + frame.time_ns);
        header.caplen = static_cast<bpf_u_int32>(frame.bytes.size());
        header.len = frame.wire_length;
        pcap_dump(reinterpret_cast<u_char*>(dumper), &header, frame.bytes.data());
    }
    const bool ok = pcap_dump_flush(dumper) == 0;
    pcap_dump_close(dumper);
    ++(ok ? written_ : failed_);
    return ok ? describe_evidence(path) : EvidenceFile{};
}

}  // namespace dnswatch
