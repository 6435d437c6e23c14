// PcapFileSource against real captures from the shared corpus: formats,
// timestamps, batching, and files that are empty, missing or cut short.
#include "capture/pcap_file_source.h"

#include <sys/stat.h>

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "capture/pcap_window_source.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;

std::string corpus(const std::string& relative) {
    return std::string(DNSWATCH_CORPUS_DIR) + "/" + relative;
}

std::vector<char> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

// A scratch file removed at the end of the test.
class TempFile {
public:
    explicit TempFile(const std::string& tag)
        : path_((fs::temp_directory_path() /
                 ("dnswatch_" + tag + "_" + std::to_string(::getpid()) + ".pcap"))
                    .string()) {}
    ~TempFile() {
        std::error_code ignored;
        fs::remove(path_, ignored);
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;

    void write(const char* data, std::size_t size) const {
        std::ofstream out(path_, std::ios::binary | std::ios::trunc);
        out.write(data, static_cast<std::streamsize>(size));
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

struct Frame {
    std::vector<std::uint8_t> bytes;
    std::uint32_t wire_length;
    std::int64_t time_us;
    std::uint64_t frame_number;
};

// Reads a whole capture through PcapFileSource, copying every packet out.
std::vector<Frame> read_all(PcapFileSource& source) {
    std::vector<Frame> frames;
    PacketBatch batch;
    while (source.next_batch(batch)) {
        for (const PacketView& p : batch) {
            frames.push_back(Frame{std::vector<std::uint8_t>(p.bytes.begin(), p.bytes.end()),
                                   p.wire_length, p.time_us, p.frame_number});
        }
    }
    return frames;
}

// The same capture read with libpcap directly: the reference.
std::vector<Frame> read_with_libpcap(const std::string& path) {
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    pcap_t* handle =
        pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, errbuf);
    EXPECT_NE(handle, nullptr) << errbuf;
    std::vector<Frame> frames;
    if (handle == nullptr) return frames;
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    while (pcap_next_ex(handle, &header, &data) == 1) {
        frames.push_back(Frame{std::vector<std::uint8_t>(data, data + header->caplen), header->len,
                               std::int64_t{header->ts.tv_sec} * 1'000'000 + header->ts.tv_usec,
                               frames.size() + 1});
    }
    pcap_close(handle);
    return frames;
}

TEST(PcapFileSource, ReadsEthernetCaptureWithTimestampsAndLengths) {
    PcapFileSource source(corpus("pcap/tcpdump/dns_udp.pcap"));
    EXPECT_EQ(source.link_type(), DLT_EN10MB);
    EXPECT_EQ(source.file_size(), 420u);
    const std::vector<Frame> frames = read_all(source);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(source.packets_read(), 2u);
    EXPECT_FALSE(source.truncated());
    EXPECT_TRUE(source.read_error().empty());
    // tcpdump -tt: 1591780794.740079 and 1591780794.870361
    EXPECT_EQ(frames[0].time_us, 1591780794740079);
    EXPECT_EQ(frames[1].time_us, 1591780794870361);
    EXPECT_EQ(frames[0].frame_number, 1u);
    EXPECT_EQ(frames[1].frame_number, 2u);
    EXPECT_EQ(frames[0].wire_length, 98u);
    EXPECT_EQ(frames[0].bytes.size(), 98u);
    EXPECT_EQ(frames[1].bytes.size(), 266u);
    // Ethernet destination of the query, then the IPv4 EtherType.
    EXPECT_EQ(frames[0].bytes[12], 0x08);
    EXPECT_EQ(frames[0].bytes[13], 0x00);
    EXPECT_EQ(source.bytes_read(), source.file_size());
}

TEST(PcapFileSource, SnapLengthCutFrameKeepsWireLength) {
    // The response frame of dns_udp_2.pcap was captured with caplen 98 < len 266.
    PcapFileSource source(corpus("pcap/tcpdump/dns_udp_2.pcap"));
    const std::vector<Frame> frames = read_all(source);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[1].bytes.size(), 98u);
    EXPECT_EQ(frames[1].wire_length, 266u);
}

TEST(PcapFileSource, ReportsLinkTypes) {
    struct Case {
        const char* file;
        int link_type;
    };
    const Case cases[] = {
        {"pcap/dnscap/vlan11.pcap", DLT_EN10MB},
        {"pcap/dnscap/sll2.pcap", DLT_LINUX_SLL2},
        {"pcap/tcpdump/dns-badcookie.pcap", DLT_NULL},
        {"pcap/tcpdump/LINKTYPE_IPV4.pcap", 228},
        {"pcap/tcpdump/LINKTYPE_IPV6.pcap", 229},
        // LINKTYPE_RAW (101) in the file; libpcap maps it to DLT_RAW.
        {"pcap/tcpdump/LINKTYPE_RAW_ipv4.pcap", DLT_RAW},
        {"pcap/tcpdump/ppp_ip_udp_dns.pcap", DLT_PPP_SERIAL},
        {"pcap/ndpi/dns-google-nsid.pcapng", DLT_EN10MB},
    };
    for (const Case& c : cases) {
        PcapFileSource source(corpus(c.file));
        EXPECT_EQ(source.link_type(), c.link_type) << c.file;
        PacketBatch batch;
        ASSERT_TRUE(source.next_batch(batch)) << c.file;
        for (const PacketView& p : batch) EXPECT_EQ(p.link_type, c.link_type) << c.file;
    }
}

TEST(PcapFileSource, HugeSnapLengthInHeaderIsClamped) {
    // The fuzzed PPP capture claims a snap length of 2,098,998 bytes.
    PcapFileSource source(corpus("pcap/tcpdump/ppp_ip_udp_dns.pcap"));
    const std::vector<Frame> frames = read_all(source);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].bytes.size(), 353u);
    EXPECT_FALSE(source.truncated());
}

TEST(PcapFileSource, ReadsPcapng) {
    PcapFileSource source(corpus("pcap/ndpi/dns-google-nsid.pcapng"));
    const std::vector<Frame> frames = read_all(source);
    ASSERT_EQ(frames.size(), 14u);
    EXPECT_FALSE(source.truncated());
    // tcpdump -tt: first 1690622872.644843, last 1690735295.654626
    EXPECT_EQ(frames.front().time_us, 1690622872644843);
    EXPECT_EQ(frames.back().time_us, 1690735295654626);
    EXPECT_EQ(frames.back().frame_number, 14u);
    EXPECT_EQ(source.bytes_read(), source.file_size());
}

TEST(PcapFileSource, NanosecondPcapBecomesMicroseconds) {
    // The corpus has no nanosecond capture: rewrite dns_udp.pcap as one
    // (magic a1b23c4d, fraction in ns with 999 extra ns that must be dropped).
    std::vector<char> bytes = read_bytes(corpus("pcap/tcpdump/dns_udp.pcap"));
    ASSERT_EQ(bytes.size(), 420u);
    const std::uint32_t ns_magic = 0xa1b23c4d;
    std::memcpy(bytes.data(), &ns_magic, 4);  // same byte order as the file (LE)
    std::size_t offset = 24;
    while (offset + 16 <= bytes.size()) {
        std::uint32_t fraction = 0, caplen = 0;
        std::memcpy(&fraction, bytes.data() + offset + 4, 4);
        std::memcpy(&caplen, bytes.data() + offset + 8, 4);
        fraction = fraction * 1000 + 999;
        std::memcpy(bytes.data() + offset + 4, &fraction, 4);
        offset += 16 + caplen;
    }
    ASSERT_EQ(offset, bytes.size());
    TempFile file("nanosecond");
    file.write(bytes.data(), bytes.size());

    PcapFileSource source(file.path());
    const std::vector<Frame> frames = read_all(source);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0].time_us, 1591780794740079);
    EXPECT_EQ(frames[1].time_us, 1591780794870361);
}

TEST(PcapFileSource, PacketsOfABatchStayIntactUntilTheNextCall) {
    // libpcap reuses its buffer on every read: a source that only pointed into
    // it would show the last packet 64 times. Compare every view of a batch,
    // after the batch is complete, against an independent libpcap read.
    const std::string path = corpus("pcap/dnscap/dns.pcap");
    const std::vector<Frame> reference = read_with_libpcap(path);
    ASSERT_EQ(reference.size(), 133u);

    PcapFileSource source(path);
    PacketBatch batch;
    std::vector<std::size_t> batch_sizes;
    std::size_t index = 0;
    while (source.next_batch(batch)) {
        batch_sizes.push_back(batch.size());
        for (const PacketView& p : batch) {
            ASSERT_LT(index, reference.size());
            const Frame& want = reference[index++];
            EXPECT_EQ(p.frame_number, want.frame_number);
            EXPECT_EQ(p.time_us, want.time_us);
            EXPECT_EQ(p.wire_length, want.wire_length);
            ASSERT_EQ(p.bytes.size(), want.bytes.size()) << "frame " << p.frame_number;
            EXPECT_TRUE(std::equal(p.bytes.begin(), p.bytes.end(), want.bytes.begin()))
                << "frame " << p.frame_number;
        }
    }
    EXPECT_EQ(index, reference.size());
    EXPECT_EQ(batch_sizes, (std::vector<std::size_t>{64, 64, 5}));
    // Exhausted: stays exhausted.
    EXPECT_FALSE(source.next_batch(batch));
    EXPECT_TRUE(batch.empty());
}

TEST(PcapFileSource, LargeCaptureYieldsFullBatchesInOrder) {
    // 128,960 packets = 2,015 full batches of 64 (see tests/corpus/bench/README.md).
    PcapFileSource source(DNSWATCH_BENCH_CAPTURE);
    EXPECT_EQ(source.file_size(), 25'398'904u);
    PacketBatch batch;
    std::uint64_t packets = 0;
    std::uint64_t batches = 0;
    std::uint64_t partial_batches = 0;
    std::uint64_t previous_frame = 0;
    std::int64_t previous_time = 0;
    std::uint64_t previous_bytes_read = 0;
    bool frames_in_order = true;
    bool times_in_order = true;
    bool progress_monotonic = true;
    while (source.next_batch(batch)) {
        ++batches;
        if (!batch.full()) ++partial_batches;
        for (const PacketView& p : batch) {
            frames_in_order &= p.frame_number == previous_frame + 1;
            times_in_order &= p.time_us >= previous_time;
            previous_frame = p.frame_number;
            previous_time = p.time_us;
            ++packets;
        }
        const std::uint64_t bytes_read = source.bytes_read();
        progress_monotonic &= bytes_read >= previous_bytes_read && bytes_read <= source.file_size();
        previous_bytes_read = bytes_read;
    }
    EXPECT_EQ(packets, 128'960u);
    EXPECT_EQ(source.packets_read(), 128'960u);
    EXPECT_EQ(batches, 2'015u);
    EXPECT_EQ(partial_batches, 0u);
    EXPECT_TRUE(frames_in_order);
    EXPECT_TRUE(times_in_order);
    EXPECT_TRUE(progress_monotonic);
    EXPECT_EQ(source.bytes_read(), source.file_size());
    EXPECT_FALSE(source.truncated());
    // 2024-01-01T00:00:00Z, then 10 us apart.
    EXPECT_EQ(previous_time, 1'704'067'200'000'000 + (128'960 - 1) * 10);
}

void expect_open_throws_naming(const std::string& path) {
    try {
        PcapFileSource source(path);
        ADD_FAILURE() << "no exception for " << path;
    } catch (const std::runtime_error& e) {
        const std::string message = e.what();
        EXPECT_EQ(message.rfind(path + ": ", 0), 0u) << message;
        EXPECT_GT(message.size(), path.size() + 2) << "no reason given: " << message;
    }
}

TEST(PcapFileSource, NonexistentFileThrowsWithPath) {
    expect_open_throws_naming(corpus("pcap/does-not-exist.pcap"));
}

TEST(PcapFileSource, EmptyFileThrowsWithPath) {
    TempFile file("empty");
    file.write("", 0);
    expect_open_throws_naming(file.path());
}

TEST(PcapFileSource, NotACaptureThrowsWithPath) {
    expect_open_throws_naming(corpus("SOURCES.md"));
    // Compressed captures are not read (libpcap does not gunzip).
    expect_open_throws_naming(corpus("pcap/packetq/sample.pcap.gz"));
}

TEST(PcapFileSource, FileCutShortReturnsCompletePacketsAndReportsTruncation) {
    // dns_udp.pcap: 24-byte file header, record 1 = 16 + 98 bytes ending at
    // 138, record 2 = 16 + 266 bytes ending at 420. Cut the file at every
    // length from the end of the file header to the full size.
    const std::vector<char> bytes = read_bytes(corpus("pcap/tcpdump/dns_udp.pcap"));
    ASSERT_EQ(bytes.size(), 420u);
    const std::vector<Frame> whole = read_with_libpcap(corpus("pcap/tcpdump/dns_udp.pcap"));
    ASSERT_EQ(whole.size(), 2u);
    TempFile file("cut");
    for (std::size_t size = 24; size <= bytes.size(); ++size) {
        file.write(bytes.data(), size);
        PcapFileSource source(file.path());
        const std::vector<Frame> frames = read_all(source);
        const std::size_t complete = size >= 420 ? 2 : size >= 138 ? 1 : 0;
        const bool at_boundary = size == 24 || size == 138 || size == 420;
        ASSERT_EQ(frames.size(), complete) << "cut at " << size;
        EXPECT_EQ(source.truncated(), !at_boundary) << "cut at " << size;
        EXPECT_EQ(source.read_error().empty(), at_boundary) << "cut at " << size;
        for (std::size_t i = 0; i < frames.size(); ++i) EXPECT_EQ(frames[i].bytes, whole[i].bytes);
    }
}

TEST(PcapFileSource, LastRecordCutByAFewBytes) {
    const std::vector<char> bytes = read_bytes(corpus("pcap/dnscap/dns.pcap"));
    TempFile file("lastcut");
    file.write(bytes.data(), bytes.size() - 5);
    PcapFileSource source(file.path());
    const std::vector<Frame> frames = read_all(source);
    EXPECT_EQ(frames.size(), 132u);
    EXPECT_EQ(source.packets_read(), 132u);
    EXPECT_TRUE(source.truncated());
    EXPECT_NE(source.read_error().find("truncated"), std::string::npos) << source.read_error();
}

// A pcapng file: section header, one Ethernet interface whose timestamps
// count whole seconds (if_tsresol 10^0), and one enhanced packet block per
// timestamp, each holding a 14-byte Ethernet header.
std::string pcapng_with_times(const std::vector<std::uint64_t>& seconds) {
    std::string bytes;
    const auto u32 = [&](std::uint32_t v) { bytes.append(reinterpret_cast<const char*>(&v), 4); };
    const auto u16 = [&](std::uint16_t v) { bytes.append(reinterpret_cast<const char*>(&v), 2); };
    u32(0x0A0D0D0A), u32(28), u32(0x1A2B3C4D), u16(1), u16(0), u32(0xFFFFFFFF), u32(0xFFFFFFFF), u32(28);
    // IDB: linktype 1, snaplen 65535, if_tsresol (code 9, length 1, value 0, padded), opt_endofopt.
    u32(1), u32(32), u16(1), u16(0), u32(65535), u16(9), u16(1), u32(0), u32(0), u32(32);
    for (const std::uint64_t t : seconds) {
        u32(6), u32(48), u32(0), u32(static_cast<std::uint32_t>(t >> 32)), u32(static_cast<std::uint32_t>(t));
        u32(14), u32(14);
        bytes.append(16, '\0');  // the frame, padded to 4 bytes
        u32(48);
    }
    return bytes;
}

TEST(PcapFileSource, PcapngTimesBeyondTheCalendarAreCountedNotOverflowed) {
    // 2^63 - 1 seconds: libpcap hands it over as tv_sec, and tv_sec * 10^6
    // overflowed int64 (UBSan: signed integer overflow) before.
    TempFile file("pcapng-times");
    const std::string bytes = pcapng_with_times({0x7FFFFFFFFFFFFFFFull, 1'773'478'800, 253'402'300'800});
    file.write(bytes.data(), bytes.size());
    PcapFileSource source(file.path());
    const std::vector<Frame> frames = read_all(source);
    ASSERT_EQ(frames.size(), 3u);
    EXPECT_EQ(frames[0].time_us, 0);
    EXPECT_EQ(frames[1].time_us, 1'773'478'800'000'000);
    EXPECT_EQ(frames[2].time_us, 0);  // 10000-01-01: past what RFC 3339 writes
    EXPECT_EQ(source.bad_timestamps(), 2u);
    EXPECT_FALSE(source.truncated());
}

TEST(PcapFileSource, PacketTimeRefusesWhatWouldOverflow) {
    EXPECT_EQ(packet_time_us(0, 0), 0);
    EXPECT_EQ(packet_time_us(253'402'300'799, 999'999), 253'402'300'799'999'999);
    EXPECT_EQ(packet_time_us(253'402'300'800, 0), std::nullopt);
    EXPECT_EQ(packet_time_us(INT64_MAX, 0), std::nullopt);
    EXPECT_EQ(packet_time_us(-1, 0), std::nullopt);
    EXPECT_EQ(packet_time_us(1, 1'000'000), std::nullopt);
    EXPECT_EQ(packet_time_us(1, -1), std::nullopt);
}

TEST(CaptureFile, RefusesFifosAndDevicesBeforeOpeningThem) {
    const fs::path fifo = fs::temp_directory_path() / ("dnswatch_fifo_" + std::to_string(::getpid()));
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    // No writer ever comes: before, this waited for one for ever.
    try {
        CaptureFile capture(fifo.string());
        ADD_FAILURE() << "a FIFO was accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), fifo.string() + ": not a regular file (a FIFO); to read a stream, give '-' "
                                                          "and pipe it to standard input");
    }
    fs::remove(fifo);
    try {
        CaptureFile capture("/dev/zero");
        ADD_FAILURE() << "/dev/zero was accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), "/dev/zero: not a regular file (a character device)");
    }
    EXPECT_THROW(CaptureFile(fs::temp_directory_path().string()), std::runtime_error);
}

}  // namespace
}  // namespace dnswatch
