#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "capture/pcap_file_source.h"
#include "capture/pcap_window_source.h"
#include "decode/carrier_frames.h"
#include "publish/evidence_pcap.h"
#include "tests/publish/sample_alert.h"
#include "tests/support/run_command.h"
#include "tests/support/scratch_dir.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;

TEST(PcapEvidenceWriter, KeepsTheQueryAndTheOpeningPacketExactlyAsCapturedWithSizeAndDigest) {
    const fs::path dir = fs::temp_directory_path() / ("dnswatch-evidence-" + std::to_string(::getpid())) / "sub";
    PcapFileSource source(std::string(DNSWATCH_SOURCE_DIR) + "/samples/hijack.pcap");
    PacketBatch batch;
    ASSERT_TRUE(source.next_batch(batch));
    const PacketView& query = batch[12];   // the client's query ...
    const PacketView& packet = batch[13];  // ... and the parent's rogue referral answering it
    const std::vector<std::uint8_t> bytes(packet.bytes.begin(), packet.bytes.end());
    const std::vector<std::uint8_t> query_bytes(query.bytes.begin(), query.bytes.end());

    PcapEvidenceWriter writer(dir.string());
    Alert alert = testing::sample_alert();
    alert.id = "0123456789abcdef";
    const EvidenceFile file = writer.record(alert, packet, &query);
    const std::string path = file.path;
    EXPECT_EQ(path, (dir / "0123456789abcdef.pcap").string());
    EXPECT_EQ(writer.written(), 1u);
    EXPECT_EQ(file.bytes, fs::file_size(path));
    // SHA-256 of the file, as sha256sum prints it.
    const test::CommandResult sum = test::run_command({"/usr/bin/sha256sum", path}, dir.parent_path());
    EXPECT_EQ(sum.out.substr(0, 64), file.sha256);

    PcapFileSource evidence(path);
    PacketBatch read;
    ASSERT_TRUE(evidence.next_batch(read));
    ASSERT_EQ(read.size(), 2u);
    EXPECT_EQ(evidence.link_type(), source.link_type());
    EXPECT_EQ(read[0].time_us, query.time_us);
    EXPECT_EQ(std::vector<std::uint8_t>(read[0].bytes.begin(), read[0].bytes.end()), query_bytes);
    EXPECT_EQ(read[1].time_us, packet.time_us);
    EXPECT_EQ(read[1].wire_length, packet.wire_length);
    EXPECT_EQ(std::vector<std::uint8_t>(read[1].bytes.begin(), read[1].bytes.end()), bytes);

    // Without the query (not seen), the response alone.
    alert.id = "00000000000000ff";
    PcapFileSource alone(writer.record(alert, packet, nullptr).path);
    ASSERT_TRUE(alone.next_batch(read));
    EXPECT_EQ(read.size(), 1u);

    // A folder it cannot write is counted, not thrown.
    fs::permissions(dir, fs::perms::owner_read | fs::perms::owner_exec);
    alert.id = "fedcba9876543210";
    if (::geteuid() != 0) {  // root writes anyway
        EXPECT_EQ(writer.record(alert, packet, nullptr).path, "");
        EXPECT_EQ(writer.failed(), 1u);
    }
    fs::permissions(dir, fs::perms::owner_all);
    fs::remove_all(dir.parent_path());
}

struct KeptFrame {
    std::vector<std::uint8_t> bytes;
    PacketView view;  // bytes point into `bytes` once the vector stops moving
};

std::vector<KeptFrame> frames_of(const std::string& path) {
    std::vector<KeptFrame> out;
    PcapFileSource source(path);
    PacketBatch batch;
    while (source.next_batch(batch)) {
        for (const PacketView& p : batch) out.push_back({{p.bytes.begin(), p.bytes.end()}, p});
    }
    for (KeptFrame& f : out) f.view.bytes = f.bytes;
    return out;
}

std::vector<std::uint8_t> carrier_run(const std::vector<const PacketView*>& frames) {
    std::vector<std::uint8_t> run;
    for (const PacketView* f : frames) {
        const std::size_t at = run.size();
        run.resize(at + carrier_frame_size(*f));
        write_carrier_frame(std::span<std::uint8_t>(run).subspan(at), *f);
    }
    return run;
}

TEST(PcapEvidenceWriter, EveryTcpSegmentOfQueryAndAnswerInCaptureOrderToTheNanosecond) {
    // A real TCP exchange (dnso1tcp.pcap: the query's length prefix in a
    // segment of its own), its frames given nanosecond times.
    std::vector<KeptFrame> frames = frames_of(std::string(DNSWATCH_SOURCE_DIR) + "/tests/corpus/pcap/dnscap/dnso1tcp.pcap");
    ASSERT_GE(frames.size(), 10u);
    for (std::size_t i = 0; i < frames.size(); ++i) frames[i].view.time_ns = static_cast<std::uint16_t>(100 + i * 37 % 900);
    // Frames 4 and 6: the length and the query; 8 and 9 stand for the
    // answer's first segments, 10 for the one that completed it.
    const PacketView& query_length = frames[3].view;
    const PacketView& query = frames[5].view;
    const std::vector<std::uint8_t> query_carriers = carrier_run({&query_length});
    const std::vector<std::uint8_t> answer_carriers = carrier_run({&frames[8].view, &frames[7].view});  // any order
    const PacketView& answer = frames[9].view;

    const fs::path dir = test::scratch_dir("evidence-tcp");
    PcapEvidenceWriter writer(dir.string());
    Alert alert = testing::sample_alert();
    alert.id = "00000000000000a1";
    const EvidenceFile file = writer.record(alert, EvidencePackets{&answer, answer_carriers, &query, query_carriers});
    ASSERT_NE(file.path, "");
    EXPECT_EQ(file.bytes, fs::file_size(file.path));

    // The nanosecond pcap magic, as written on this (little-endian) host.
    std::ifstream in(file.path, std::ios::binary);
    std::uint32_t magic = 0;
    in.read(reinterpret_cast<char*>(&magic), sizeof magic);
    EXPECT_EQ(magic, 0xa1b23c4du);

    const std::vector<const PacketView*> expected = {&query_length, &query, &frames[7].view, &frames[8].view, &answer};
    auto check = [&](const std::vector<PacketView>& read) {
        ASSERT_EQ(read.size(), expected.size());
        for (std::size_t i = 0; i < read.size(); ++i) {
            SCOPED_TRACE(i);
            EXPECT_EQ(read[i].time_us, expected[i]->time_us);
            EXPECT_EQ(read[i].time_ns, expected[i]->time_ns);
            EXPECT_EQ(read[i].wire_length, expected[i]->wire_length);
            EXPECT_TRUE(std::equal(read[i].bytes.begin(), read[i].bytes.end(), expected[i]->bytes.begin(),
                                   expected[i]->bytes.end()));
        }
    };
    // Read back by both our readers: libpcap's, and the classic pcap window.
    std::vector<std::vector<std::uint8_t>> keep;
    auto collect = [&](auto& source) {
        std::vector<PacketView> read;
        PacketBatch batch;
        while (source.next_batch(batch)) {
            for (const PacketView& p : batch) {
                keep.emplace_back(p.bytes.begin(), p.bytes.end());
                read.push_back(p);
                read.back().bytes = keep.back();
            }
        }
        return read;
    };
    PcapFileSource by_libpcap(file.path);
    check(collect(by_libpcap));
    PcapWindowSource by_window(file.path);
    check(collect(by_window));
    fs::remove_all(dir);
}

}  // namespace
}  // namespace dnswatch
