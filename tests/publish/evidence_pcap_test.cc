#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <vector>

#include "capture/pcap_file_source.h"
#include "publish/evidence_pcap.h"
#include "tests/publish/sample_alert.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;

TEST(PcapEvidenceWriter, KeepsTheOpeningPacketExactlyAsCaptured) {
    const fs::path dir = fs::temp_directory_path() / ("dnswatch-evidence-" + std::to_string(::getpid())) / "sub";
    PcapFileSource source(std::string(DNSWATCH_SOURCE_DIR) + "/samples/hijack.pcap");
    PacketBatch batch;
    ASSERT_TRUE(source.next_batch(batch));
    const PacketView& packet = batch[13];  // the parent's rogue referral
    const std::vector<std::uint8_t> bytes(packet.bytes.begin(), packet.bytes.end());

    PcapEvidenceWriter writer(dir.string());
    Alert alert = testing::sample_alert();
    alert.id = "0123456789abcdef";
    const std::string path = writer.record(alert, packet);
    EXPECT_EQ(path, (dir / "0123456789abcdef.pcap").string());
    EXPECT_EQ(writer.written(), 1u);

    PcapFileSource evidence(path);
    PacketBatch read;
    ASSERT_TRUE(evidence.next_batch(read));
    ASSERT_EQ(read.size(), 1u);
    EXPECT_EQ(evidence.link_type(), source.link_type());
    EXPECT_EQ(read[0].time_us, packet.time_us);
    EXPECT_EQ(read[0].wire_length, packet.wire_length);
    EXPECT_EQ(std::vector<std::uint8_t>(read[0].bytes.begin(), read[0].bytes.end()), bytes);

    // A folder it cannot write is counted, not thrown.
    fs::permissions(dir, fs::perms::owner_read | fs::perms::owner_exec);
    alert.id = "fedcba9876543210";
    if (::geteuid() != 0) {  // root writes anyway
        EXPECT_EQ(writer.record(alert, packet), "");
        EXPECT_EQ(writer.failed(), 1u);
    }
    fs::permissions(dir, fs::perms::owner_all);
    fs::remove_all(dir.parent_path());
}

}  // namespace
}  // namespace dnswatch
