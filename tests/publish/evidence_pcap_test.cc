#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <vector>

#include "capture/pcap_file_source.h"
#include "publish/evidence_pcap.h"
#include "tests/publish/sample_alert.h"
#include "tests/support/run_command.h"

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

}  // namespace
}  // namespace dnswatch
