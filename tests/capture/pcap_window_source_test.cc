// PcapWindowSource must hand out exactly what libpcap (PcapFileSource) does:
// every packet of every classic pcap in the shared corpus, the samples and
// the scenarios, byte for byte, with the same lengths, times, link types and
// frame numbers; and a file cut short ends where libpcap's ends.
#include "capture/pcap_window_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace dnswatch {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> classic_captures() {
    std::vector<std::string> paths;
    for (const fs::path& root : {fs::path(DNSWATCH_CORPUS_DIR) / "pcap", fs::path(DNSWATCH_SOURCE_DIR) / "samples",
                                fs::path(DNSWATCH_SOURCE_DIR) / "scenarios"}) {
        std::error_code ec;
        for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::recursive_directory_iterator(); ++it) {
            if (it->is_regular_file() && PcapWindowSource::handles(it->path().string())) {
                paths.push_back(it->path().string());
            }
        }
    }
    return paths;
}

struct Packet {
    std::vector<std::uint8_t> bytes;
    std::uint32_t wire_length;
    std::int64_t time_us;
    int link_type;
    std::uint64_t frame_number;
    bool operator==(const Packet&) const = default;
};

template <typename Source>
std::vector<Packet> read_all(Source& source) {
    std::vector<Packet> packets;
    PacketBatch batch;
    while (source.next_batch(batch)) {
        for (const PacketView& p : batch) {
            packets.push_back({{p.bytes.begin(), p.bytes.end()}, p.wire_length, p.time_us, p.link_type, p.frame_number});
        }
    }
    return packets;
}

TEST(PcapWindowSource, ReadsEveryClassicCaptureAsLibpcapDoes) {
    const std::vector<std::string> paths = classic_captures();
    ASSERT_GT(paths.size(), 20u);
    std::size_t total = 0;
    for (const std::string& path : paths) {
        PcapFileSource libpcap(path);
        PcapWindowSource mapped(path);
        const std::vector<Packet> expected = read_all(libpcap);
        const std::vector<Packet> got = read_all(mapped);
        EXPECT_EQ(got.size(), expected.size()) << path;
        EXPECT_TRUE(got == expected) << path;
        EXPECT_EQ(mapped.truncated(), libpcap.truncated()) << path;
        EXPECT_EQ(mapped.link_type(), libpcap.link_type()) << path;
        total += got.size();
    }
    EXPECT_GT(total, 1000u);
}

TEST(PcapWindowSource, AFileCutShortEndsWhereLibpcapsEnds) {
    const std::string sample = std::string(DNSWATCH_SOURCE_DIR) + "/samples/hijack.pcap";
    std::ifstream in(sample, std::ios::binary);
    std::vector<char> bytes(std::istreambuf_iterator<char>(in), {});
    const std::string cut = (fs::temp_directory_path() / ("dnswatch_window_cut_" + std::to_string(::getpid()) + ".pcap"))
                                .string();
    {
        std::ofstream out(cut, std::ios::binary);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size() - 10));
    }
    PcapFileSource libpcap(cut);
    PcapWindowSource mapped(cut);
    EXPECT_TRUE(read_all(mapped) == read_all(libpcap));
    EXPECT_TRUE(mapped.truncated());
    EXPECT_TRUE(libpcap.truncated());
    fs::remove(cut);
}

// A capture of records of every size around the reader's window and read
// chunks: small ones that straddle the chunk boundaries, records larger
// than a chunk, and records over 256 KiB, of which the first 256 KiB are
// handed out and the rest skipped, as the reader always did.
struct SyntheticRecord {
    std::size_t captured;
    std::uint32_t wire;
};

std::vector<std::uint8_t> record_bytes(std::size_t index, std::size_t size) {
    std::vector<std::uint8_t> bytes(size);
    for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(i * 31 + index * 7);
    return bytes;
}

std::string write_synthetic(const std::vector<SyntheticRecord>& records, const std::string& name) {
    auto put32 = [](std::string& out, std::uint32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); };
    std::string file;
    put32(file, 0xA1B2C3D4);
    put32(file, 0x00040002);  // version 2.4
    put32(file, 0);           // thiszone
    put32(file, 0);           // sigfigs
    put32(file, 262144);      // snaplen
    put32(file, 1);           // Ethernet
    for (std::size_t i = 0; i < records.size(); ++i) {
        put32(file, static_cast<std::uint32_t>(1700000000 + i));
        put32(file, static_cast<std::uint32_t>(i * 1000 % 1000000));
        put32(file, static_cast<std::uint32_t>(records[i].captured));
        put32(file, records[i].wire);
        const std::vector<std::uint8_t> bytes = record_bytes(i, records[i].captured);
        file.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    }
    const std::string path = (fs::temp_directory_path() / (name + std::to_string(::getpid()) + ".pcap")).string();
    std::ofstream(path, std::ios::binary).write(file.data(), static_cast<std::streamsize>(file.size()));
    return path;
}

std::vector<SyntheticRecord> synthetic_records() {
    std::vector<SyntheticRecord> records;
    for (std::size_t size : {60u, 5000u, 136072u, 200000u, 262144u, 300000u, 70u, 600000u, 80u, 1u, 0u}) {
        records.push_back({size, static_cast<std::uint32_t>(size + 4)});
    }
    for (std::size_t i = 0; i < 4000; ++i) records.push_back({60 + i % 1400, static_cast<std::uint32_t>(1500)});
    records.push_back({262145, 262145});
    for (std::size_t i = 0; i < 100; ++i) records.push_back({90, 90});
    return records;
}

void expect_records(const std::vector<Packet>& got, const std::vector<SyntheticRecord>& records, std::size_t count) {
    ASSERT_EQ(got.size(), count);
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t kept = std::min<std::size_t>(records[i].captured, 262144);
        std::vector<std::uint8_t> expected = record_bytes(i, records[i].captured);
        expected.resize(kept);
        EXPECT_TRUE(got[i].bytes == expected) << "record " << i;
        EXPECT_EQ(got[i].wire_length, records[i].wire) << "record " << i;
        EXPECT_EQ(got[i].time_us, static_cast<std::int64_t>(1700000000 + i) * 1000000 + static_cast<std::int64_t>(i * 1000 % 1000000));
        EXPECT_EQ(got[i].frame_number, i + 1);
    }
}

TEST(PcapWindowSource, RecordsOfEverySizeAroundItsWindow) {
    const std::vector<SyntheticRecord> records = synthetic_records();
    const std::string path = write_synthetic(records, "dnswatch_window_");
    PcapWindowSource reader(path);
    const std::vector<Packet> got = read_all(reader);
    expect_records(got, records, records.size());
    EXPECT_FALSE(reader.truncated());
    EXPECT_EQ(reader.bytes_read(), reader.file_size());
    fs::remove(path);
}

TEST(PcapWindowSource, AFileCutInsideAnOversizedRecord) {
    std::vector<SyntheticRecord> records = synthetic_records();
    const std::string whole = write_synthetic(records, "dnswatch_window_whole_");
    // Cut 1000 bytes into the 600000-byte record (the 8th).
    std::size_t cut_at = 24;
    for (std::size_t i = 0; i < 7; ++i) cut_at += 16 + records[i].captured;
    cut_at += 16 + 1000;
    std::ifstream in(whole, std::ios::binary);
    std::vector<char> bytes(std::istreambuf_iterator<char>(in), {});
    const std::string cut = whole + ".cut";
    std::ofstream(cut, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(cut_at));
    PcapWindowSource reader(cut);
    const std::vector<Packet> got = read_all(reader);
    expect_records(got, records, 7);
    EXPECT_TRUE(reader.truncated());
    EXPECT_NE(reader.read_error().find("truncated dump file"), std::string::npos) << reader.read_error();
    fs::remove(whole);
    fs::remove(cut);
}

TEST(PcapWindowSource, LeavesPcapngToLibpcap) {
    std::vector<std::string> pcapng;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(fs::path(DNSWATCH_CORPUS_DIR) / "pcap", ec);
         it != fs::recursive_directory_iterator(); ++it) {
        if (it->path().extension() == ".pcapng") pcapng.push_back(it->path().string());
    }
    if (pcapng.empty()) GTEST_SKIP() << "no pcapng file in the corpus";
    EXPECT_FALSE(PcapWindowSource::handles(pcapng.front()));
    CaptureFile file(pcapng.front());  // through libpcap
    PacketBatch batch;
    EXPECT_TRUE(file.next_batch(batch));
}

}  // namespace
}  // namespace dnswatch
