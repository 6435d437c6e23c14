// A reload that reads only a zone file's changed parts (issue 13,
// baseline/zone_file_index.h) must give what a full load gives: the same
// baseline and, above all, the same change records (the DNS Transparency
// feed). Each test reloads real files both ways from the same start and
// compares: two SharedBaselines, one reloaded by reload_zone_files +
// apply_reload, the other by a full read + replace(), the reference.
// Small parts (a few lines each) put every edge case on a part's edge.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "baseline/shared_baseline.h"
#include "baseline/zone_file_index.h"
#include "baseline/zone_reader.h"
#include "tests/support/scratch_dir.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& path, const std::string& text) {
    // Replaced by a rename, as deployment tools do.
    const fs::path temporary = path.string() + ".tmp";
    std::ofstream(temporary, std::ios::binary) << text;
    fs::rename(temporary, path);
}

// A change record without its wall-clock time, comparable.
using ChangeKey = std::tuple<std::string, std::string, std::string, int, int, std::vector<std::string>,
                             std::vector<std::string>, std::uint32_t, std::uint32_t, std::optional<std::uint32_t>,
                             std::optional<std::uint32_t>, bool>;
ChangeKey key_of(const BaselineChange& c) {
    return {c.zone, c.name, c.rrtype, static_cast<int>(c.op), static_cast<int>(c.source), c.before, c.after,
            c.ttl_before, c.ttl_after, c.serial_before, c.serial_after, c.announced};
}

// Every RRset of a baseline as text, sorted: two baselines with the same content give the same list.
std::vector<std::string> content_of(const Baseline& baseline) {
    std::vector<std::string> content;
    baseline.for_each_rrset([&](const DnsName& owner, const std::uint8_t* rrset) {
        std::ostringstream line;
        line << owner.to_text() << ' ' << rrset_layout::type(rrset) << ' ' << rrset_layout::source(rrset) << ' '
             << rrset_layout::ttl(rrset);
        const RRsetChange items = rrset_change_to(owner, rrset_layout::type(rrset), rrset, 0);
        std::vector<std::vector<std::uint8_t>> rdata = items.rdata;
        std::sort(rdata.begin(), rdata.end());
        for (const auto& r : rdata) {
            line << ' ';
            for (const std::uint8_t b : r) line << static_cast<int>(b) << '.';
        }
        content.push_back(line.str());
    });
    std::sort(content.begin(), content.end());
    return content;
}

class ZoneFileReloadTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = test::scratch_dir("zone-file-reload");
        path_ = dir_ / "example.zone";
        watch_.add("example");
        spec_ = {path_.string(), "example.", zone_file_source("example")};
    }
    void TearDown() override { fs::remove_all(dir_); }

    // Both baselines loaded from `text`.
    void start(const std::string& text, FilePartOptions options = tiny_parts()) {
        write_file(path_, text);
        indexes_.options = options;
        indexes_.files.clear();
        BaselineInput input(watch_);
        indexes_.files.push_back(read_zone_file_indexed(spec_, input, options));
        incremental_ = std::make_unique<SharedBaseline>(WatchSet(watch_), input.build());
        BaselineInput again(watch_);
        read_zone_file_indexed(spec_, again, options);
        full_ = std::make_unique<SharedBaseline>(WatchSet(watch_), again.build());
        incremental_->set_change_listener([this](std::vector<BaselineChange> c) {
            incremental_changes_.insert(incremental_changes_.end(), c.begin(), c.end());
        });
        full_->set_change_listener([this](std::vector<BaselineChange> c) {
            full_changes_.insert(full_changes_.end(), c.begin(), c.end());
        });
    }

    static FilePartOptions tiny_parts() { return FilePartOptions{.min_bytes = 16, .max_bytes = 200, .cut_bits = 1}; }

    // Reloads `text` both ways; false when the changed-parts reload chose
    // a full load instead (then only the reference is reloaded).
    bool reload(const std::string& text) {
        write_file(path_, text);
        incremental_changes_.clear();
        full_changes_.clear();
        BaselineInput input(watch_);
        read_zone_file_indexed(spec_, input, indexes_.options);
        full_->replace(WatchSet(watch_), std::move(input));
        std::optional<ZoneFilesDelta> delta =
            reload_zone_files(indexes_, {spec_}, watch_, incremental_->snapshot()->baseline);
        if (!delta) return false;
        last_parts_read_ = delta->parts_read;
        last_parts_ = delta->parts;
        incremental_->apply_reload(delta->changes, Baseline());
        indexes_ = std::move(delta->indexes);
        return true;
    }

    void expect_same() {
        std::vector<ChangeKey> a, b;
        for (const BaselineChange& c : incremental_changes_) a.push_back(key_of(c));
        for (const BaselineChange& c : full_changes_) b.push_back(key_of(c));
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        EXPECT_EQ(a, b) << "change records differ";
        EXPECT_EQ(content_of(incremental_->snapshot()->baseline), content_of(full_->snapshot()->baseline));
        EXPECT_EQ(incremental_->snapshot()->baseline.rrset_count(), full_->snapshot()->baseline.rrset_count());
    }

    fs::path dir_;
    fs::path path_;
    WatchSet watch_;
    ZoneFileSpec spec_;
    ZoneFileIndexes indexes_;
    std::unique_ptr<SharedBaseline> incremental_;
    std::unique_ptr<SharedBaseline> full_;
    std::vector<BaselineChange> incremental_changes_;
    std::vector<BaselineChange> full_changes_;
    std::size_t last_parts_read_ = 0;
    std::size_t last_parts_ = 0;
};

std::string header(int serial = 1) {
    return "$ORIGIN example.\n$TTL 3600\n@ IN SOA ns.example. host.example. " + std::to_string(serial) +
           " 1800 900 604800 300\n@ IN NS ns.example.\nns IN A 192.0.2.1\n";
}

// A registry's shape: delegations dN with two NS, glue, a DS on every fifth.
std::string delegations(int first, int count) {
    std::string text;
    for (int n = first; n < first + count; ++n) {
        const std::string d = "d" + std::to_string(n);
        text += d + " IN NS ns1." + d + "\n" + d + " IN NS ns.hosting.test.\nns1." + d + " IN A 10.0." +
                std::to_string(n / 256) + "." + std::to_string(n % 256) + "\n";
        if (n % 5 == 0) text += d + " IN DS 1 13 2 " + std::string(64, "0123456789ABCDEF"[n % 16]) + "\n";
    }
    return text;
}

TEST_F(ZoneFileReloadTest, AChangeReadsOnlyItsPartAndGivesTheFullLoadsRecords) {
    const std::string before = header() + delegations(0, 400);
    start(before, FilePartOptions{.min_bytes = 256, .max_bytes = 4096, .cut_bits = 2});
    std::string after = before;
    const std::string old_glue = "ns1.d200 IN A 10.0.0.200\n";
    ASSERT_NE(after.find(old_glue), std::string::npos);
    after.replace(after.find(old_glue), old_glue.size(), "ns1.d200 IN A 10.9.9.9\n");
    ASSERT_TRUE(reload(after));
    expect_same();
    ASSERT_EQ(incremental_changes_.size(), 1u);
    EXPECT_EQ(incremental_changes_[0].name, "ns1.d200.example");
    EXPECT_EQ(incremental_changes_[0].after, std::vector<std::string>{"10.9.9.9"});
    EXPECT_GT(last_parts_, 20u);
    EXPECT_LE(last_parts_read_, 3u) << "of " << last_parts_;
    // Nothing changed: nothing read, nothing reported.
    ASSERT_TRUE(reload(after));
    expect_same();
    EXPECT_TRUE(incremental_changes_.empty());
    EXPECT_EQ(last_parts_read_, 0u);
}

TEST_F(ZoneFileReloadTest, ARecordMovedToAnotherPartChangesNothing) {
    const std::string before = header() + delegations(0, 60);
    start(before);
    std::string after = before;
    const std::string line = "d3 IN NS ns.hosting.test.\n";
    after.erase(after.find(line), line.size());
    after += line;  // far from d3's other records: another part
    ASSERT_TRUE(reload(after));
    expect_same();
    EXPECT_TRUE(incremental_changes_.empty());
    // And an RRset split over two parts loses one of its records there.
    std::string split = after;
    const std::string other = "d3 IN NS ns1.d3\n";
    split.erase(split.find(other), other.size());
    ASSERT_TRUE(reload(split));
    expect_same();
    ASSERT_EQ(incremental_changes_.size(), 1u);
    EXPECT_EQ(incremental_changes_[0].after, std::vector<std::string>{"ns.hosting.test."});
}

TEST_F(ZoneFileReloadTest, OriginAndTtlChangesReachEveryRecordAfterThem) {
    const std::string before = header() + delegations(0, 30) + "$ORIGIN sub.example.\n$TTL 60\nwww IN A 192.0.2.7\n" +
                               "mail IN A 192.0.2.8\n$ORIGIN example.\n$TTL 3600\n" + delegations(30, 60);
    start(before);
    std::string after = before;
    after.replace(after.find("$TTL 60"), 7, "$TTL 120");
    ASSERT_TRUE(reload(after));
    expect_same();
    EXPECT_EQ(incremental_changes_.size(), 2u);  // www and mail: their TTL
    EXPECT_LT(last_parts_read_, last_parts_ / 2);
    std::string moved = after;
    moved.replace(moved.find("$ORIGIN sub.example."), 20, "$ORIGIN sub2.example.");
    ASSERT_TRUE(reload(moved));
    expect_same();
    EXPECT_EQ(incremental_changes_.size(), 4u);  // www and mail gone from sub, come to sub2
    std::string ttl_dropped = moved;
    ttl_dropped.erase(ttl_dropped.find("$TTL 120\n"), 9);
    ASSERT_TRUE(reload(ttl_dropped));
    expect_same();
    EXPECT_EQ(incremental_changes_.size(), 2u);  // back to the TTL above them
    // The first $TTL reaches every record up to the next $TTL: each part
    // read again, as its start state changed.
    std::string top = ttl_dropped;
    top.replace(top.find("$TTL 3600"), 9, "$TTL 7200");
    ASSERT_TRUE(reload(top));
    expect_same();
    EXPECT_GT(incremental_changes_.size(), 60u);  // NS, DS and glue of the first 30 delegations
}

TEST_F(ZoneFileReloadTest, AnOwnerInheritedAcrossAPartsEdge) {
    // Blank owners: every record after "big" is big's; forced cuts (max_bytes)
    // fall between them, so parts start with an inherited owner.
    std::string run = "big IN A 192.0.2.1\n";
    for (int i = 2; i < 60; ++i) run += "    IN A 192.0.2." + std::to_string(i) + "\n";
    const std::string before = header() + delegations(0, 10) + run + delegations(10, 10);
    start(before, FilePartOptions{.min_bytes = 16, .max_bytes = 64, .cut_bits = 1});
    std::string after = before;
    after.replace(after.find("big IN A 192.0.2.1\n"), 19, "large IN A 192.0.2.1\n");
    ASSERT_TRUE(reload(after));
    expect_same();
    ASSERT_EQ(incremental_changes_.size(), 2u);  // big gone, large with all 59 addresses
    // A blank-owner line moved to follow another owner.
    std::string again = after;
    const std::string blank = "    IN A 192.0.2.30\n";
    again.erase(again.find(blank), blank.size());
    again.insert(again.find("ns1.d3 IN A"), blank);
    ASSERT_TRUE(reload(again));
    expect_same();
}

TEST_F(ZoneFileReloadTest, ARecordInParenthesesAcrossACut) {
    const std::string soa = "@ IN SOA ns.example. host.example. (\n2026010101 ; serial at column 1: a cut may fall here\n"
                            "1800\n900\n604800\n300 )\n";
    const std::string before = "$ORIGIN example.\n$TTL 3600\n" + soa + "@ IN NS ns.example.\n" + delegations(0, 20);
    start(before, FilePartOptions{.min_bytes = 8, .max_bytes = 64, .cut_bits = 0});
    std::string after = before;
    after.replace(after.find("\n900\n"), 5, "\n901\n");
    ASSERT_TRUE(reload(after));
    expect_same();
    EXPECT_EQ(incremental_changes_.size(), 1u);
}

TEST_F(ZoneFileReloadTest, IncludeAndSyntaxErrorsAreRefusedAsTheFullReaderRefusesThem) {
    const std::string before = header() + delegations(0, 40);
    start(before);
    for (const std::string& bad : {std::string("$INCLUDE other.zone\n"), std::string("d99 IN NS\n"),
                                   std::string("d99 IN A 10.0.0.300\n"), std::string("d99 IN NS (a.test.\n")}) {
        std::string after = before;
        after.insert(after.find("d38 IN NS"), bad);
        write_file(path_, after);
        std::string full_error, part_error;
        try {
            read_zone(path_.string(), ZoneReadOptions{.origin = "example.", .zone = std::nullopt}, [](const auto&) {});
        } catch (const ZoneFileError& e) {
            full_error = e.what();
        }
        try {
            reload_zone_files(indexes_, {spec_}, watch_, incremental_->snapshot()->baseline);
        } catch (const ZoneFileError& e) {
            part_error = e.what();
        }
        EXPECT_FALSE(full_error.empty()) << bad;
        EXPECT_EQ(part_error, full_error) << bad;
    }
    // A file without records is refused too, with the full reader's words.
    write_file(path_, "; nothing\n");
    try {
        reload_zone_files(indexes_, {spec_}, watch_, incremental_->snapshot()->baseline);
        FAIL() << "an empty file was taken";
    } catch (const ZoneFileError& e) {
        EXPECT_NE(std::string(e.what()).find("no records in the file"), std::string::npos) << e.what();
    }
}

TEST_F(ZoneFileReloadTest, AFileWithNothingInCommonFallsBackOnAFullLoad) {
    start(header() + delegations(0, 100));
    const std::string other = header(2) + delegations(1000, 100);
    EXPECT_FALSE(reload(other));
    // The reference reloaded fully; its records say every delegation moved.
    EXPECT_GT(full_changes_.size(), 200u);
}

// Random edits of every kind, one reload each, against the full load: the
// differential test of the change feed.
TEST_F(ZoneFileReloadTest, RandomEditsGiveTheFullLoadsChangeRecords) {
    for (const FilePartOptions options : {tiny_parts(), FilePartOptions{.min_bytes = 128, .max_bytes = 1024, .cut_bits = 2}}) {
        std::vector<std::string> lines;
        {
            std::istringstream in(header() + delegations(0, 150));
            for (std::string line; std::getline(in, line);) lines.push_back(line);
        }
        auto text_of = [&] {
            std::string text;
            for (const std::string& line : lines) text += line + "\n";
            return text;
        };
        start(text_of(), options);
        std::mt19937 random(1313);
        int fresh = 0;
        for (int round = 0; round < 120; ++round) {
            const int edits = 1 + static_cast<int>(random() % 4);
            for (int e = 0; e < edits; ++e) {
                const std::size_t at = 5 + random() % (lines.size() - 5);  // the SOA stays
                switch (random() % 9) {
                    case 0:  // an address changed
                        lines[at] = "ns1.d" + std::to_string(random() % 150) + " IN A 10.1." + std::to_string(random() % 256) +
                                    "." + std::to_string(random() % 256);
                        break;
                    case 1:  // a line deleted
                        if (lines.size() > 20) lines.erase(lines.begin() + static_cast<long>(at));
                        break;
                    case 2:  // a new delegation
                        lines.insert(lines.begin() + static_cast<long>(at), "n" + std::to_string(fresh++) + " IN NS ns.hosting.test.");
                        break;
                    case 3: {  // a line moved elsewhere
                        const std::string moved = lines[at];
                        lines.erase(lines.begin() + static_cast<long>(at));
                        lines.insert(lines.begin() + static_cast<long>(5 + random() % (lines.size() - 5)), moved);
                        break;
                    }
                    case 4:  // a line listed twice
                        lines.insert(lines.begin() + static_cast<long>(5 + random() % (lines.size() - 5)), lines[at]);
                        break;
                    case 5:  // a TTL of its own
                        if (lines[at].find(" IN ") != std::string::npos && lines[at].find(" IN ") == lines[at].find(' ')) {
                            lines[at].insert(lines[at].find(" IN "), " " + std::to_string(60 + random() % 3));
                        }
                        break;
                    case 6:  // $TTL from here on
                        lines.insert(lines.begin() + static_cast<long>(at), "$TTL " + std::to_string(100 + random() % 3));
                        break;
                    case 7:  // a blank owner: the previous line's
                        if (lines[at].rfind("ns1.", 0) == 0 || lines[at].rfind("d", 0) == 0) {
                            lines[at] = "   " + lines[at].substr(lines[at].find(' '));
                        }
                        break;
                    case 8:  // records under another origin
                        lines.insert(lines.begin() + static_cast<long>(at),
                                     {"$ORIGIN o" + std::to_string(random() % 3) + ".example.", "x IN A 192.0.2.9",
                                      "$ORIGIN example."});
                        break;
                }
            }
            const bool applied = reload(text_of());
            if (applied) {
                expect_same();
            } else {
                start(text_of(), options);  // a full load: both start again from it
            }
            if (HasFailure()) {
                ADD_FAILURE() << "round " << round << ", file:\n" << text_of();
                return;
            }
        }
    }
}

}  // namespace
}  // namespace dnswatch
