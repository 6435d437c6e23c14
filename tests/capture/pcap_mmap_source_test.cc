// PcapMmapSource must hand out exactly what libpcap (PcapFileSource) does:
// every packet of every classic pcap in the shared corpus, the samples and
// the scenarios, byte for byte, with the same lengths, times, link types and
// frame numbers; and a file cut short ends where libpcap's ends.
#include "capture/pcap_mmap_source.h"

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
            if (it->is_regular_file() && PcapMmapSource::handles(it->path().string())) {
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

TEST(PcapMmapSource, ReadsEveryClassicCaptureAsLibpcapDoes) {
    const std::vector<std::string> paths = classic_captures();
    ASSERT_GT(paths.size(), 20u);
    std::size_t total = 0;
    for (const std::string& path : paths) {
        PcapFileSource libpcap(path);
        PcapMmapSource mapped(path);
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

TEST(PcapMmapSource, AFileCutShortEndsWhereLibpcapsEnds) {
    const std::string sample = std::string(DNSWATCH_SOURCE_DIR) + "/samples/hijack.pcap";
    std::ifstream in(sample, std::ios::binary);
    std::vector<char> bytes(std::istreambuf_iterator<char>(in), {});
    const std::string cut = (fs::temp_directory_path() / ("dnswatch_mmap_cut_" + std::to_string(::getpid()) + ".pcap"))
                                .string();
    {
        std::ofstream out(cut, std::ios::binary);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size() - 10));
    }
    PcapFileSource libpcap(cut);
    PcapMmapSource mapped(cut);
    EXPECT_TRUE(read_all(mapped) == read_all(libpcap));
    EXPECT_TRUE(mapped.truncated());
    EXPECT_TRUE(libpcap.truncated());
    fs::remove(cut);
}

TEST(PcapMmapSource, LeavesPcapngToLibpcap) {
    std::vector<std::string> pcapng;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(fs::path(DNSWATCH_CORPUS_DIR) / "pcap", ec);
         it != fs::recursive_directory_iterator(); ++it) {
        if (it->path().extension() == ".pcapng") pcapng.push_back(it->path().string());
    }
    if (pcapng.empty()) GTEST_SKIP() << "no pcapng file in the corpus";
    EXPECT_FALSE(PcapMmapSource::handles(pcapng.front()));
    CaptureFile file(pcapng.front());  // through libpcap
    PacketBatch batch;
    EXPECT_TRUE(file.next_batch(batch));
}

}  // namespace
}  // namespace dnswatch
