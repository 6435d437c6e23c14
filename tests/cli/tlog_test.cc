// `dnswatch tlog` as an auditor uses it: keygen, head, verify, prove; the
// log served as C2SP tlog-tiles (`tlog serve`, `run` with
// transparency_log.http) to an independent tiles client (tiles_client.py,
// Python's standard library only) and to `tlog verify --url`; and retention
// pruning a live sensor's store, log and evidence.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "publish/merkle.h"
#include "publish/signed_note.h"
#include "publish/transparency_log.h"
#include "tests/cli/run_support.h"
#include "tests/support/http_client.h"
#include "tests/support/run_command.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;

class TlogCommandTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("dnswatch-tlog-cli-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    test::CommandResult tlog(std::vector<std::string> args) {
        args.insert(args.begin(), {DNSWATCH_BINARY, "tlog"});
        return test::run_command(args, dir_);
    }

    // A log of `n` entries written with a key made by `dnswatch tlog keygen`.
    std::string make_log(int n) {
        const auto key = tlog({"keygen", "--name", "dnswatch.test/log", "--key", (dir_ / "log.key").string()});
        EXPECT_EQ(key.exit_code, 0) << key.err;
        EXPECT_EQ(fs::status(dir_ / "log.key").permissions() & fs::perms::others_read, fs::perms::none);
        TransparencyLog log((dir_ / "log").string(), signer());
        for (int i = 0; i < n; ++i) log.append(entry(i));
        log.write_checkpoint();
        return (dir_ / "log").string();
    }
    static std::string entry(int i) { return "{\"seq\":" + std::to_string(i + 1) + "}"; }
    NoteSigner signer() const {
        std::ifstream in(dir_ / "log.key");
        std::string secret;
        std::getline(in, secret);
        return *NoteSigner::parse(secret);
    }
    // The independent tiles client's proof of entry `index`, as JSON.
    nlohmann::json tiles_client(const std::string& url, std::uint64_t index) {
        const auto r = test::run_command({"/usr/bin/python3", std::string(DNSWATCH_SOURCE_DIR) + "/tests/cli/tiles_client.py",
                                          url, std::to_string(index)},
                                         dir_);
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        return r.out.empty() ? nlohmann::json() : nlohmann::json::parse(r.out);
    }
    std::vector<std::string> proof_of(const std::string& log, std::uint64_t index) {
        const auto proof = nlohmann::json::parse(tlog({"prove", "--dir", log, "--index", std::to_string(index)}).out);
        return proof["inclusion_path"].get<std::vector<std::string>>();
    }

    fs::path dir_;
};

TEST_F(TlogCommandTest, HeadPrintsTheSignedCheckpoint) {
    const auto log = make_log(3);
    const auto head = tlog({"head", "--dir", log});
    ASSERT_EQ(head.exit_code, 0) << head.err;
    EXPECT_EQ(head.out.rfind("dnswatch.test/log\n3\n", 0), 0u) << head.out;
    EXPECT_NE(head.out.find("\n\n\xE2\x80\x94 dnswatch.test/log "), std::string::npos);
}

TEST_F(TlogCommandTest, VerifyPassesThenFailsOnAFlippedByte) {
    const auto log = make_log(4);
    const auto ok = tlog({"verify", "--dir", log, "--key", (dir_ / "log.key.pub").string()});
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
    EXPECT_NE(ok.out.find("OK: verified 4 entries"), std::string::npos) << ok.out;
    {
        std::fstream f(fs::path(log) / "entries", std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(9);
        f.put('X');
    }
    const auto bad = tlog({"verify", "--dir", log, "--key", (dir_ / "log.key.pub").string()});
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.err.find("FAILED"), std::string::npos) << bad.err;
}

TEST_F(TlogCommandTest, ProofsVerifyIndependentlyAgainstTheCheckpointRoot) {
    const auto log = make_log(11);
    const auto contents = read_log_entries(log);
    const auto root = merkle::root(contents.leaves);
    auto from_hex = [](const std::string& hex) {
        merkle::Hash h{};
        for (std::size_t i = 0; i < 32; ++i) h[i] = static_cast<std::uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
        return h;
    };
    for (std::uint64_t i = 0; i < 11; ++i) {
        const auto result = tlog({"prove", "--dir", log, "--index", std::to_string(i)});
        ASSERT_EQ(result.exit_code, 0) << result.err;
        const auto proof = nlohmann::json::parse(result.out);
        EXPECT_EQ(proof["root"], merkle::to_hex(root));
        std::vector<merkle::Hash> path;
        for (const auto& h : proof["inclusion_path"]) path.push_back(from_hex(h.get<std::string>()));
        EXPECT_TRUE(merkle::verify_inclusion(i, 11, contents.leaves[i], path, root)) << i;
    }
    const auto consistency = nlohmann::json::parse(tlog({"prove", "--dir", log, "--from", "6"}).out);
    std::vector<merkle::Hash> path;
    for (const auto& h : consistency["consistency_path"]) path.push_back(from_hex(h.get<std::string>()));
    EXPECT_TRUE(merkle::verify_consistency(6, 11, path, merkle::root(std::span(contents.leaves).first(6)), root));
    EXPECT_EQ(tlog({"prove", "--dir", log, "--index", "11"}).exit_code, 2);
    EXPECT_EQ(tlog({"prove", "--dir", log}).exit_code, 2);
}

TEST_F(TlogCommandTest, UsageMistakesExitTwo) {
    EXPECT_EQ(tlog({}).exit_code, 2);
    EXPECT_EQ(tlog({"frobnicate", "--dir", "x"}).exit_code, 2);
    EXPECT_EQ(tlog({"verify"}).exit_code, 2);
    EXPECT_EQ(tlog({"--help"}).exit_code, 0);
    EXPECT_EQ(tlog({"verify", "--dir", (dir_ / "none").string()}).exit_code, 1);  // no key, no log
    EXPECT_EQ(tlog({"serve", "--dir", (dir_ / "none").string(), "--listen", "127.0.0.1:0"}).exit_code, 1);
    EXPECT_EQ(tlog({"serve", "--dir", (dir_ / "none").string()}).exit_code, 2);
    EXPECT_EQ(tlog({"verify", "--url", "http://127.0.0.1:1"}).exit_code, 2);  // --url needs --key
}

// The port a spawned server says it took ("... on port N"); 0 when it never did.
std::uint16_t port_after(const test::Spawned& process, const std::string& marker) {
    std::uint16_t port = 0;
    test::eventually(
        [&] {
            const std::string err = process.err();
            const auto at = err.find(marker);
            if (at != std::string::npos) port = static_cast<std::uint16_t>(std::stoi(err.substr(at + marker.size())));
            return port != 0;
        },
        std::chrono::seconds(20));
    return port;
}

std::string hex_of_base64(const std::string& text) {
    const auto bytes = base64_decode(text);
    merkle::Hash h{};
    std::copy(bytes->begin(), bytes->end(), h.begin());
    return merkle::to_hex(h);
}

// Every file under `dir`, read whole and joined.
std::string all_bytes_under(const fs::path& dir) {
    std::string all;
    for (const auto& file : fs::recursive_directory_iterator(dir)) {
        if (!file.is_regular_file()) continue;
        std::ifstream in(file.path(), std::ios::binary);
        all += std::string(std::istreambuf_iterator<char>(in), {});
    }
    return all;
}

// `dnswatch tlog serve` serves the log as tlog-tiles; a client that shares
// no code with dnswatch proves entries included in the checkpoint's root
// from the tiles, before and after retention prunes the oldest contents.
TEST_F(TlogCommandTest, TilesServedOverHttpProveInclusionToAnIndependentClient) {
    const int kEntries = 700;  // two full tiles, a partial one, and a level-1 tile
    const auto log = make_log(kEntries);
    test::Spawned serve({DNSWATCH_BINARY, "tlog", "serve", "--dir", log, "--listen", "127.0.0.1:0"}, dir_ / "serve.out",
                        dir_ / "serve.err");
    const std::uint16_t port = port_after(serve, "on port ");
    ASSERT_NE(port, 0) << serve.err();
    const std::string url = "http://127.0.0.1:" + std::to_string(port);
    const auto head = test::lines_of(tlog({"head", "--dir", log}).out);
    ASSERT_GE(head.size(), 3u);
    const std::string root = hex_of_base64(head[2]);

    for (const std::uint64_t index : {0, 5, 255, 256, 511, 512, 699}) {
        const auto proof = tiles_client(url, index);
        EXPECT_TRUE(proof.value("ok", false)) << proof.dump();
        EXPECT_EQ(proof["tree_size"], kEntries);
        EXPECT_EQ(proof["root"], root);
        EXPECT_EQ(proof["entry"], entry(static_cast<int>(index)));
        EXPECT_EQ(proof["inclusion_path"].get<std::vector<std::string>>(), proof_of(log, index)) << index;
    }
    // Whole subtrees come from the level-1 tile, as tiles clients do.
    EXPECT_NE(tiles_client(url, 5)["fetched"].dump().find("tile/1/000.p/2"), std::string::npos);
    const test::HttpReply checkpoint = test::http_request(port, "GET", "/checkpoint");
    EXPECT_EQ(checkpoint.status, 200);
    EXPECT_EQ(test::http_request(port, "GET", "/tile/0/x000/001").status, 404);  // not the shortest path
    EXPECT_EQ(test::http_request(port, "GET", "/tile/0/003").status, 404);       // beyond the tree
    EXPECT_EQ(test::http_request(port, "GET", "/tile/0/002.p/189").status, 404); // wider than the tree
    EXPECT_EQ(test::http_request(port, "POST", "/checkpoint").status, 405);

    auto remote = tlog({"verify", "--url", url, "--key", (dir_ / "log.key.pub").string()});
    EXPECT_EQ(remote.exit_code, 0) << remote.err;
    EXPECT_NE(remote.out.find("OK: verified 700 entries from " + url), std::string::npos) << remote.out;

    // Retention drops the contents of the first 300 entries (hashes stay).
    {
        TransparencyLog writer(log, signer());
        const auto pruned = writer.prune([](std::string_view e) { return std::stoi(std::string(e.substr(7))) <= 300; });
        EXPECT_EQ(pruned.entries, 300u);
    }
    const std::string on_disk = all_bytes_under(log);
    for (int i = 0; i < 300; ++i) ASSERT_EQ(on_disk.find(entry(i)), std::string::npos) << i;
    for (int i = 300; i < kEntries; ++i) ASSERT_NE(on_disk.find(entry(i)), std::string::npos) << i;
    EXPECT_FALSE(fs::exists(fs::path(log) / "entries"));

    // Bundles holding a pruned entry are 404 (tlog-tiles "Pruning"); every
    // entry's inclusion still proves from the hash tiles.
    EXPECT_EQ(test::http_request(port, "GET", "/tile/entries/000").status, 404);
    EXPECT_EQ(test::http_request(port, "GET", "/tile/entries/001").status, 404);
    EXPECT_EQ(test::http_request(port, "GET", "/tile/entries/002.p/188").status, 200);
    for (const std::uint64_t index : {5, 299, 600}) {
        const auto proof = tiles_client(url, index);
        EXPECT_TRUE(proof.value("ok", false)) << proof.dump();
        EXPECT_EQ(proof["root"], root);
        EXPECT_EQ(proof["entry"].is_null(), index < 512) << index;
    }
    remote = tlog({"verify", "--url", url, "--key", (dir_ / "log.key.pub").string()});
    EXPECT_EQ(remote.exit_code, 0) << remote.err;
    EXPECT_NE(remote.out.find("entries 0..511 are pruned"), std::string::npos) << remote.out;
    const auto local = tlog({"verify", "--dir", log, "--key", (dir_ / "log.key.pub").string()});
    EXPECT_EQ(local.exit_code, 0) << local.err;
    EXPECT_NE(local.out.find("entries 0..299 are pruned"), std::string::npos) << local.out;

    // Another key does not verify.
    EXPECT_EQ(tlog({"keygen", "--name", "dnswatch.test/log", "--key", (dir_ / "other.key").string()}).exit_code, 0);
    const auto other = tlog({"verify", "--url", url, "--key", (dir_ / "other.key.pub").string()});
    EXPECT_EQ(other.exit_code, 1);
    EXPECT_NE(other.err.find("signature does not verify"), std::string::npos) << other.err;
    EXPECT_EQ(serve.stop(), 0);
}

// A live sensor with state.retention: at start it prunes the records an
// earlier run left (their packet times are months old) from the store, the
// log's contents and the evidence folder, says so in a log line and in
// counters; it serves its log as tiles while running; afterwards the log
// verifies and the pruned contents are nowhere on disk.
TEST_F(TlogCommandTest, ARunningSensorPrunesPastTheRetentionAndServesItsLog) {
    const fs::path source = DNSWATCH_SOURCE_DIR;
    ASSERT_EQ(tlog({"keygen", "--name", "dnswatch.test/run", "--key", (dir_ / "log.key").string()}).exit_code, 0);
    for (const char* file : {"dnswatch.yaml", "victim.test.zone", "test.zone"}) {
        fs::copy_file(source / "samples" / file, dir_ / file);
    }
    const std::string capture = (source / "samples" / "hijack.pcap").string();
    std::string base;
    {
        std::ifstream in(dir_ / "dnswatch.yaml");
        base = std::string(std::istreambuf_iterator<char>(in), {});
    }
    base += "state:\n  dir: state\ntransparency_log:\n  dir: tlog\n  key_file: log.key\n";
    test::write_file(dir_ / "first.yaml", base);
    const auto first = test::run_command({DNSWATCH_BINARY, "replay", "--config", (dir_ / "first.yaml").string(), capture}, dir_);
    ASSERT_EQ(first.exit_code, 0) << first.err;
    const std::size_t old_records = test::lines_of(first.out).size();
    ASSERT_GT(old_records, 0u);
    test::write_file(dir_ / "state" / "evidence" / "stale.pcap", "evidence of long ago");
    fs::last_write_time(dir_ / "state" / "evidence" / "stale.pcap",
                        fs::file_time_type::clock::now() - std::chrono::hours(24 * 40));

    test::write_file(dir_ / "run.yaml",
                     std::string(base).replace(base.find("state:\n"), 7, "state:\n  retention: 30d\n") +
                         "  http: 127.0.0.1:0\ncapture:\n  source: pcap_file\n  speed: 300x\n  files: [" + capture +
                         "]\nmetrics:\n  listen: 127.0.0.1:0\n");
    test::Spawned run({DNSWATCH_BINARY, "run", "--config", (dir_ / "run.yaml").string()}, dir_ / "run.out", dir_ / "run.err");
    const std::uint16_t tiles_port = port_after(run, "tlog_http_port=");
    ASSERT_NE(tiles_port, 0) << run.err();
    const std::uint16_t metrics_port = test::metrics_port(run);
    ASSERT_TRUE(test::eventually([&] { return !test::lines_of(run.out()).empty(); }, std::chrono::seconds(30))) << run.err();
    // The first record of this run is entry old_records; the earlier ones
    // are pruned, so their bundle (which holds it too) is not served, and
    // both prove their inclusion from the hash tiles.
    const std::string url = "http://127.0.0.1:" + std::to_string(tiles_port);
    const auto fresh = tiles_client(url, old_records);
    EXPECT_TRUE(fresh.value("ok", false)) << fresh.dump();
    EXPECT_GT(fresh.value("tree_size", 0u), old_records);
    EXPECT_TRUE(fresh["entry"].is_null()) << fresh.dump();
    const auto pruned = tiles_client(url, 0);
    EXPECT_TRUE(pruned.value("ok", false)) << pruned.dump();
    EXPECT_TRUE(pruned["entry"].is_null()) << pruned.dump();
    const std::string scrape = test::http_request(metrics_port, "GET", "/metrics").body;
    EXPECT_EQ(test::metric_value(scrape, "dnswatch_pruned_records_total{store=\"alerts\"}"), double(old_records)) << scrape;
    EXPECT_EQ(test::metric_value(scrape, "dnswatch_pruned_records_total{store=\"tlog\"}"), double(old_records));
    EXPECT_GE(test::metric_value(scrape, "dnswatch_pruned_records_total{store=\"evidence\"}"), 1);
    EXPECT_GT(test::metric_value(scrape, "dnswatch_pruned_bytes_total{store=\"tlog\"}"), 0);
    EXPECT_EQ(run.wait(), 0) << run.err();
    EXPECT_NE(run.err().find("pruned"), std::string::npos) << run.err();
    EXPECT_NE(run.err().find("alert_records=" + std::to_string(old_records)), std::string::npos) << run.err();

    // Verified green, across the pruned range.
    const auto verified = tlog({"verify", "--dir", (dir_ / "tlog").string(), "--key", (dir_ / "log.key.pub").string()});
    EXPECT_EQ(verified.exit_code, 0) << verified.err;
    EXPECT_NE(verified.out.find("entries 0.." + std::to_string(old_records - 1) + " are pruned"), std::string::npos)
        << verified.out;
    // The pruned records are gone from every file of the log and the store.
    EXPECT_FALSE(fs::exists(dir_ / "tlog" / "entries"));
    EXPECT_FALSE(fs::exists(dir_ / "state" / "evidence" / "stale.pcap"));
    const std::string on_disk = all_bytes_under(dir_ / "tlog") + test::slurp(dir_ / "state" / "alerts.jsonl");
    for (std::size_t seq = 1; seq <= old_records; ++seq) {
        EXPECT_EQ(on_disk.find("\"seq\":" + std::to_string(seq) + ","), std::string::npos) << seq;
    }
    EXPECT_NE(on_disk.find("\"seq\":" + std::to_string(old_records + 1) + ","), std::string::npos);
}

}  // namespace
}  // namespace dnswatch
