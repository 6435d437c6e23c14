// libFuzzer target: one capture file, read by CaptureFile as replay and the
// live pipeline's file input read theirs: classic pcap through the pread
// window (PcapWindowSource), dnstap through Frame Streams, anything else
// (pcapng) through libpcap (PcapFileSource). Checks: a file that cannot be
// read is refused with "PATH: reason"; every packet handed out lies within
// its batch, is numbered in order, has a time RFC 3339 can write (crafted
// pcapng timestamps overflowed int64 before), and no more bytes than the
// file holds; packets_read() counts them all.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "capture/pcap_window_source.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace dnswatch;
    const std::string path = fuzz::scratch_dir("capture_file") + "/input.cap";
    if (!fuzz::write_file(path, std::span(data, size))) return 0;
    std::unique_ptr<CaptureFile> capture;
    try {
        capture = std::make_unique<CaptureFile>(path);
    } catch (const std::runtime_error& refused) {
        FUZZ_CHECK(std::string(refused.what()).rfind(path + ": ", 0) == 0);
        return 0;
    }
    constexpr std::int64_t kLastMicrosecond = 253'402'300'799'999'999;  // 9999-12-31T23:59:59.999999Z
    PacketBatch batch;
    std::uint64_t packets = 0;
    while (capture->next_batch(batch)) {
        FUZZ_CHECK(!batch.empty());
        for (const PacketView& packet : batch) {
            FUZZ_CHECK(packet.frame_number == ++packets);
            FUZZ_CHECK(packet.bytes.size() <= size);
            FUZZ_CHECK(packet.time_us >= 0 && packet.time_us <= kLastMicrosecond);
            // Touch every byte: a view past its buffer is what ASan finds here.
            std::uint8_t sum = 0;
            for (const std::uint8_t byte : packet.bytes) sum = static_cast<std::uint8_t>(sum + byte);
            (void)sum;
        }
    }
    FUZZ_CHECK(capture->packets_read() == packets);
    FUZZ_CHECK(capture->bytes_read() <= capture->file_size() || capture->file_size() == 0);
    return 0;
}
