#include "publish/evidence_pcap.h"

#include <filesystem>
#include <memory>
#include <stdexcept>

#include <pcap/pcap.h>

#include "capture/frame_streams.h"

namespace dnswatch {

PcapEvidenceWriter::PcapEvidenceWriter(std::string dir) : dir_(std::move(dir)) {
    std::error_code error;
    std::filesystem::create_directories(dir_, error);
    if (error) throw std::runtime_error(dir_ + ": " + error.message());
}

std::string PcapEvidenceWriter::record(const Alert& alert, const PacketView& packet) {
    // A dnstap message is kept as it came, in a Frame Streams file that
    // `dnstap -r` and `dnstap-ldns -r` read: no pcap link type holds it, and
    // made-up IP headers would be evidence of nothing.
    if (packet.link_type == kLinkTypeDnstap) {
        const std::string path = dir_ + "/" + alert.id + ".fstrm";
        const bool ok = write_frame_stream_file(path, packet.bytes);
        ++(ok ? written_ : failed_);
        return ok ? path : std::string();
    }
    const std::string path = dir_ + "/" + alert.id + ".pcap";
    std::unique_ptr<pcap_t, decltype(&pcap_close)> dead(pcap_open_dead(packet.link_type, 262144), pcap_close);
    pcap_dumper_t* dumper = dead ? pcap_dump_open(dead.get(), path.c_str()) : nullptr;
    if (dumper == nullptr) {
        ++failed_;
        return {};
    }
    pcap_pkthdr header{};
    header.ts.tv_sec = static_cast<time_t>(packet.time_us / 1000000);
    header.ts.tv_usec = static_cast<suseconds_t>(packet.time_us % 1000000);
    header.caplen = static_cast<bpf_u_int32>(packet.bytes.size());
    header.len = packet.wire_length;
    pcap_dump(reinterpret_cast<u_char*>(dumper), &header, packet.bytes.data());
    const bool ok = pcap_dump_flush(dumper) == 0;
    pcap_dump_close(dumper);
    ++(ok ? written_ : failed_);
    return ok ? path : std::string();
}

}  // namespace dnswatch
