#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "publish/merkle.h"
#include "publish/transparency_log.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;

class TransparencyLogTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("dnswatch-tlog-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    void flip_byte(const std::string& file, std::uint64_t offset) {
        std::fstream f(dir_ / file, std::ios::in | std::ios::out | std::ios::binary);
        f.seekg(static_cast<std::streamoff>(offset));
        char c = 0;
        f.get(c);
        f.seekp(static_cast<std::streamoff>(offset));
        f.put(static_cast<char>(c ^ 0x01));
    }

    fs::path dir_;
    NoteSigner signer_ = NoteSigner::generate("dnswatch.test/sensor-1");
};

TEST_F(TransparencyLogTest, AppendsCheckpointsAndVerifies) {
    {
        TransparencyLog log(dir_.string(), signer_);
        EXPECT_EQ(log.append(R"({"seq":1})"), 0u);
        EXPECT_EQ(log.append(R"({"seq":2})"), 1u);
        const std::string note = log.write_checkpoint();
        const auto checkpoint = parse_checkpoint(*open_note(note, signer_.verifier()));
        ASSERT_TRUE(checkpoint);
        EXPECT_EQ(checkpoint->origin, "dnswatch.test/sensor-1");
        EXPECT_EQ(checkpoint->size, 2u);
        EXPECT_EQ(checkpoint->root, log.root());
    }
    const auto verified = verify_log(dir_.string(), signer_.verifier());
    EXPECT_TRUE(verified.ok) << verified.message;
    EXPECT_EQ(verified.entries, 2u);
    // Reopened, it goes on where it stopped.
    TransparencyLog log(dir_.string(), signer_);
    EXPECT_EQ(log.size(), 2u);
    EXPECT_EQ(log.append(R"({"seq":3})"), 2u);
    log.write_checkpoint();
    EXPECT_TRUE(verify_log(dir_.string(), signer_.verifier()).ok);
    // The root is the RFC 9162 root of exactly these entries.
    const auto contents = read_log_entries(dir_.string());
    ASSERT_EQ(contents.leaves.size(), 3u);
    EXPECT_EQ(contents.leaves[2], merkle::leaf_hash({reinterpret_cast<const std::uint8_t*>(R"({"seq":3})"), 9}));
    EXPECT_EQ(merkle::root(contents.leaves), log.root());
}

TEST_F(TransparencyLogTest, AFlippedByteAnywhereFailsVerification) {
    {
        TransparencyLog log(dir_.string(), signer_);
        for (int i = 0; i < 5; ++i) log.append("entry " + std::to_string(i));
        log.write_checkpoint();
    }
    const auto size = fs::file_size(dir_ / "entries");
    for (std::uint64_t offset = 0; offset < size; ++offset) {
        flip_byte("entries", offset);
        const auto verified = verify_log(dir_.string(), signer_.verifier());
        EXPECT_FALSE(verified.ok) << "byte " << offset << ": " << verified.message;
        flip_byte("entries", offset);
    }
    EXPECT_TRUE(verify_log(dir_.string(), signer_.verifier()).ok);
    // The writer refuses to go on from entries that do not match.
    flip_byte("entries", 6);
    EXPECT_THROW(TransparencyLog(dir_.string(), signer_), TransparencyLogError);
    flip_byte("entries", 6);
    // A tampered checkpoint fails too.
    flip_byte("checkpoint", 3);
    EXPECT_FALSE(verify_log(dir_.string(), signer_.verifier()).ok);
}

TEST_F(TransparencyLogTest, AnotherKeyDoesNotVerify) {
    {
        TransparencyLog log(dir_.string(), signer_);
        log.append("x");
        log.write_checkpoint();
    }
    const auto other = NoteSigner::generate("dnswatch.test/sensor-1");
    const auto verified = verify_log(dir_.string(), other.verifier());
    EXPECT_FALSE(verified.ok);
    EXPECT_NE(verified.message.find("signature does not verify"), std::string::npos);
    EXPECT_THROW(TransparencyLog(dir_.string(), other), TransparencyLogError);
}

TEST_F(TransparencyLogTest, ATornLastRecordIsCutOffOnReopen) {
    {
        TransparencyLog log(dir_.string(), signer_);
        log.append("kept");
        log.write_checkpoint();
        log.append("also kept, not yet checkpointed");
    }
    {
        std::ofstream torn(dir_ / "entries", std::ios::binary | std::ios::app);
        torn.write("\x00\x00\x00\x40partial", 11);  // claims 64 bytes, holds 7
    }
    auto verified = verify_log(dir_.string(), signer_.verifier());
    EXPECT_TRUE(verified.ok) << verified.message;
    EXPECT_NE(verified.message.find("torn"), std::string::npos);
    TransparencyLog log(dir_.string(), signer_);
    EXPECT_EQ(log.size(), 2u);
    EXPECT_EQ(log.append("next"), 2u);
    log.write_checkpoint();
    verified = verify_log(dir_.string(), signer_.verifier());
    EXPECT_TRUE(verified.ok) << verified.message;
    EXPECT_EQ(verified.entries, 3u);
    EXPECT_EQ(verified.message.find("torn"), std::string::npos);
}

TEST_F(TransparencyLogTest, CheckpointsParseStrictly) {
    merkle::Hash root{};
    root[0] = 7;
    const auto parsed = parse_checkpoint(checkpoint_text("o", 12, root) + "extension line\n");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->size, 12u);
    EXPECT_EQ(parsed->root, root);
    EXPECT_FALSE(parse_checkpoint("o\n012\n" + base64_encode(root.data(), 32) + "\n"));
    EXPECT_FALSE(parse_checkpoint("o\n12\nnot base64\n"));
    EXPECT_FALSE(parse_checkpoint("o\n12\n"));
}

// Every file of the log, read whole, joined.
std::string all_bytes_in(const fs::path& dir) {
    std::string all;
    for (const auto& file : fs::directory_iterator(dir)) {
        std::ifstream in(file.path(), std::ios::binary);
        all += std::string(std::istreambuf_iterator<char>(in), {});
    }
    return all;
}

TEST_F(TransparencyLogTest, PruningDropsContentsKeepsHashesAndStillVerifies) {
    std::vector<merkle::Hash> leaves_before;
    merkle::Hash root_at_6{};
    {
        TransparencyLog log(dir_.string(), signer_);
        for (int i = 0; i < 10; ++i) log.append(R"({"seq":)" + std::to_string(i + 1) + R"(,"secret":"record-)" +
                                               std::to_string(i) + R"("})");
        const auto at_10 = read_log_entries(dir_.string());
        root_at_6 = merkle::root(std::span(at_10.leaves).first(6));
        log.write_checkpoint();
        leaves_before = read_log_entries(dir_.string()).leaves;
        // The oldest six have expired; the seventh ends the prune.
        const auto pruned = log.prune([](std::string_view entry) {
            const auto at = entry.find("record-");
            return entry[at + 7] < '6';
        });
        EXPECT_EQ(pruned.entries, 6u);
        EXPECT_GT(pruned.bytes, 6u * 30);
        EXPECT_EQ(log.first_kept(), 6u);
        EXPECT_EQ(log.prune([](std::string_view) { return false; }).entries, 0u);
        EXPECT_EQ(log.append(R"({"secret":"record-after"})"), 10u);  // appends go on into the new file
        log.write_checkpoint();
    }
    // The contents are gone from disk, every hash is not.
    EXPECT_FALSE(fs::exists(dir_ / "entries"));
    EXPECT_TRUE(fs::exists(dir_ / "entries-from-6"));
    const std::string on_disk = all_bytes_in(dir_);
    for (int i = 0; i < 6; ++i) EXPECT_EQ(on_disk.find("record-" + std::to_string(i)), std::string::npos) << i;
    for (int i = 6; i < 10; ++i) EXPECT_NE(on_disk.find("record-" + std::to_string(i)), std::string::npos) << i;
    EXPECT_EQ(fs::file_size(dir_ / "hashes"), 11u * 32);

    const auto contents = read_log_entries(dir_.string());
    ASSERT_EQ(contents.leaves.size(), 11u);
    EXPECT_TRUE(std::equal(leaves_before.begin(), leaves_before.end(), contents.leaves.begin()));
    EXPECT_EQ(contents.first_kept, 6u);
    auto verified = verify_log(dir_.string(), signer_.verifier());
    EXPECT_TRUE(verified.ok) << verified.message;
    EXPECT_NE(verified.message.find("entries 0..5 are pruned"), std::string::npos) << verified.message;
    // Consistency across the pruned range: from the tree of 6 (all pruned) to 11.
    const auto proof = merkle::consistency_proof(contents.leaves, 6);
    EXPECT_TRUE(merkle::verify_consistency(6, 11, proof, root_at_6, merkle::root(contents.leaves)));

    // The writer reopens a pruned log and goes on.
    {
        TransparencyLog log(dir_.string(), signer_);
        EXPECT_EQ(log.size(), 11u);
        EXPECT_EQ(log.first_kept(), 6u);
        log.append("twelfth");
        log.write_checkpoint();
    }
    EXPECT_TRUE(verify_log(dir_.string(), signer_.verifier()).ok);
    // A pruned entry's kept hash is what the tree is checked by: a flipped bit fails it.
    flip_byte("hashes", 2 * 32 + 5);
    verified = verify_log(dir_.string(), signer_.verifier());
    EXPECT_FALSE(verified.ok);
    flip_byte("hashes", 2 * 32 + 5);
    // So does a kept entry that no longer matches its hash.
    flip_byte("entries-from-6", 12);
    verified = verify_log(dir_.string(), signer_.verifier());
    EXPECT_FALSE(verified.ok);
    EXPECT_NE(verified.message.find("does not hash to its stored leaf hash"), std::string::npos) << verified.message;
}

TEST_F(TransparencyLogTest, ALogWithoutAHashesFileGetsOne) {
    {
        TransparencyLog log(dir_.string(), signer_);
        for (int i = 0; i < 4; ++i) log.append("old " + std::to_string(i));
        log.write_checkpoint();
    }
    fs::remove(dir_ / "hashes");  // as dnswatch wrote logs before retention
    EXPECT_TRUE(verify_log(dir_.string(), signer_.verifier()).ok);
    TransparencyLog log(dir_.string(), signer_);
    EXPECT_EQ(fs::file_size(dir_ / "hashes"), 4u * 32);
    EXPECT_EQ(log.size(), 4u);
}

TEST_F(TransparencyLogTest, HashesWithoutContentsFailVerification) {
    {
        TransparencyLog log(dir_.string(), signer_);
        for (int i = 0; i < 4; ++i) log.append("entry " + std::to_string(i));
        log.write_checkpoint();
    }
    fs::resize_file(dir_ / "entries", fs::file_size(dir_ / "entries") - 11);  // the last record cut off whole
    const auto verified = verify_log(dir_.string(), signer_.verifier());
    EXPECT_FALSE(verified.ok);
    EXPECT_NE(verified.message.find("no contents"), std::string::npos) << verified.message;
    EXPECT_THROW(TransparencyLog(dir_.string(), signer_), TransparencyLogError);
}

// An auditor keeps a checkpoint; later the log is checked against it.
TEST_F(TransparencyLogTest, AgainstAnAuditorsCheckpointGrowthPassesRollbackAndForkFail) {
    std::string kept;
    {
        TransparencyLog log(dir_.string(), signer_);
        for (int i = 0; i < 5; ++i) log.append("entry " + std::to_string(i));
        kept = log.write_checkpoint();
        fs::copy(dir_, dir_.string() + "-at-5", fs::copy_options::recursive);
        for (int i = 5; i < 13; ++i) log.append("entry " + std::to_string(i));
        log.write_checkpoint();
    }
    const auto grown = verify_log_against(dir_.string(), signer_.verifier(), kept);
    EXPECT_TRUE(grown.ok) << grown.message;
    EXPECT_NE(grown.message.find("consistency proof"), std::string::npos) << grown.message;
    std::string newer;
    {
        std::ifstream in(dir_ / "checkpoint", std::ios::binary);
        newer.assign(std::istreambuf_iterator<char>(in), {});
    }
    EXPECT_TRUE(verify_log_against(dir_.string(), signer_.verifier(), newer).ok);

    // Rolled back to the older genuine copy: it verifies alone, not against
    // what the auditor saw since.
    const std::string old_dir = dir_.string() + "-at-5";
    EXPECT_TRUE(verify_log(old_dir, signer_.verifier()).ok);
    const auto rolled_back = verify_log_against(old_dir, signer_.verifier(), newer);
    EXPECT_FALSE(rolled_back.ok);
    EXPECT_NE(rolled_back.message.find("rolled back"), std::string::npos) << rolled_back.message;

    // A fork: the old copy grown with other entries, signed with the same
    // key (a compromised sensor showing each auditor its own history).
    {
        TransparencyLog fork(old_dir, signer_);
        for (int i = 5; i < 13; ++i) fork.append("other entry " + std::to_string(i));
        fork.write_checkpoint();
    }
    EXPECT_TRUE(verify_log(old_dir, signer_.verifier()).ok);
    const auto forked = verify_log_against(old_dir, signer_.verifier(), newer);
    EXPECT_FALSE(forked.ok);
    EXPECT_NE(forked.message.find("forked"), std::string::npos) << forked.message;
    // Against the checkpoint both share, the fork is consistent: it is only
    // caught by one taken after the fork.
    EXPECT_TRUE(verify_log_against(old_dir, signer_.verifier(), kept).ok);

    // A checkpoint not signed by the log's key proves nothing.
    const NoteSigner other = NoteSigner::generate("dnswatch.test/sensor-1");
    const auto unsigned_note = verify_log_against(dir_.string(), signer_.verifier(),
                                                  other.sign(checkpoint_text("dnswatch.test/sensor-1", 1, {})));
    EXPECT_FALSE(unsigned_note.ok);
    fs::remove_all(old_dir);
}

TEST_F(TransparencyLogTest, AgainstAnAuditorsCheckpointAnUnsignedTailFails) {
    std::string kept;
    {
        TransparencyLog log(dir_.string(), signer_);
        for (int i = 0; i < 3; ++i) log.append("entry " + std::to_string(i));
        kept = log.write_checkpoint();
        log.append("appended, never signed");
    }
    EXPECT_TRUE(verify_log(dir_.string(), signer_.verifier()).ok);  // "not yet checkpointed"
    const auto result = verify_log_against(dir_.string(), signer_.verifier(), kept);
    EXPECT_FALSE(result.ok);
    EXPECT_NE(result.message.find("signed by nothing"), std::string::npos) << result.message;
}

TEST_F(TransparencyLogTest, StagedEntriesAreWrittenAndSignedByOneCommit) {
    TransparencyLog log(dir_.string(), signer_);
    EXPECT_EQ(log.stage("a"), 0u);
    EXPECT_EQ(log.stage("b"), 1u);
    EXPECT_EQ(log.health().held_entries, 2u);
    EXPECT_FALSE(fs::exists(dir_ / "entries") && fs::file_size(dir_ / "entries") > 0);
    ASSERT_TRUE(log.commit());
    EXPECT_EQ(log.health().held_entries, 0u);
    EXPECT_EQ(log.checkpoint_size(), 2u);
    const auto verified = verify_log(dir_.string(), signer_.verifier());
    EXPECT_TRUE(verified.ok) << verified.message;
    EXPECT_EQ(verified.checkpoint_size, 2u);
}

}  // namespace
}  // namespace dnswatch
