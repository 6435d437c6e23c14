// Our decoder against ldns 1.8.3 (`ldns_wire2pkt`) on every DNS message we
// have: every capture of the shared corpus and of samples/ (through
// tests/support/pcap_reader.h) and every seed of fuzz/corpus/*/. For each
// message both decoders accept, everything is compared: header, questions,
// and every record of every section (owner, type, class, TTL, rdata); then
// our typed rdata views and our EDNS reader are checked field by field
// against ldns's reading of the same record.
//
// Rdata is compared as canonical wire bytes: ours from append_canonical_rdata,
// ldns's from its record put through ldns_rr2canonical and written with
// ldns_rr_rdata2buffer_wire. Bytes rather than presentation text because
// (1) our text form (rdata_to_text) is itself printed by ldns, so a text
// comparison would partly compare ldns with ldns; (2) text is lossy for
// malformed fields, where ldns prints a fallback; (3) the bytes are exactly
// what detection compares with the baseline. The text forms are compared
// too, second, as a check of the ldns glue.
//
// Every disagreement is either a bug (the test fails and prints it) or one
// of the documented differences of ldns_differences.h, each a named
// predicate, counted and printed. The comparison of one message is in
// ldns_comparison.h; this file chooses the inputs.
#include <gtest/gtest.h>

#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "tests/decode/ldns_comparison.h"
#include "tests/decode/ldns_differences.h"
#include "tests/support/corpus_files.h"
#include "tests/support/pcap_reader.h"

namespace dnswatch {
namespace {

using namespace ldns_differential;

const std::string kSourceDir = DNSWATCH_SOURCE_DIR;
const std::string kCorpus = DNSWATCH_CORPUS_DIR;

// ------------------------------------------------ the inputs

Tally& corpus_tally() {
    static Tally tally = [] {
        Tally t;
        DnsDecoder decoder;
        auto captures = test::capture_files(kCorpus + "/pcap");
        for (const auto& sample : test::capture_files(kSourceDir + "/samples")) captures.push_back(sample);
        for (const std::string& file : captures) {
            std::vector<test::CapturedDns> messages;
            try {
                messages = test::read_dns_payloads(file);
            } catch (const std::exception&) {
                continue;  // libpcap cannot read a few (see SOURCES.md)
            }
            const std::string source = file.find("/samples/") != std::string::npos ? "samples" : "corpus";
            for (const auto& captured : messages) {
                ++t.inputs;
                ++t.inputs_by_source[source];
                compare(captured.payload, file + " frame " + std::to_string(captured.frame), decoder, t);
            }
        }
        for (const std::string& seed : test::files_under(kSourceDir + "/fuzz/corpus")) {
            const auto bytes = test::read_bytes(seed);
            ++t.inputs;
            ++t.inputs_by_source["fuzz seeds"];
            compare(bytes, seed, decoder, t);
        }
        return t;
    }();
    return tally;
}

TEST(LdnsDifferential, EveryDisagreementIsADocumentedDifference) {
    const Tally& tally = corpus_tally();
    std::printf("inputs %zu (", tally.inputs);
    for (const auto& [source, n] : tally.inputs_by_source) std::printf(" %s %zu", source.c_str(), n);
    std::printf(" )\nrecords in compared messages %zu\n", tally.records_in_compared_messages);
    std::printf("messages compared %zu, both refuse %zu; records compared %zu, rdata equal %zu, text equal %zu, "
                "typed views checked %zu; EDNS compared %zu (%zu options)\n",
                tally.messages_compared, tally.both_refuse, tally.records_compared, tally.rdata_equal,
                tally.text_equal, tally.views_checked, tally.edns_compared, tally.edns_options_compared);
    tally.print();
    EXPECT_EQ(tally.unexplained_count(), 0u);
}

TEST(LdnsDifferential, CoversTheCorpus) {
    const Tally& tally = corpus_tally();
    EXPECT_GT(tally.inputs_by_source.at("corpus"), 3000u);
    EXPECT_GT(tally.messages_compared, 3000u);
    EXPECT_GT(tally.records_compared, 7000u);
    // Every record of every compared message was compared (OPT through read_edns).
    EXPECT_EQ(tally.records_compared + tally.opt_records_not_compared, tally.records_in_compared_messages);
    EXPECT_GT(tally.views_checked, 5000u);
    EXPECT_GT(tally.edns_compared, 200u);
    // The corpus holds at least one of each of these; if a class drops to
    // zero, the predicate (or the corpus) changed.
    EXPECT_GT(tally.of(Difference::ldns_moves_opt_and_tsig), 0u);
}

// ------------------------------------------------ each predicate, on purpose
// Hand-made messages that show each documented difference once, so that a
// predicate that stops recognising its case is noticed even if the corpus
// never shows it.

using Bytes = std::vector<std::uint8_t>;

Bytes be16(unsigned v) { return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)}; }
Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}
// Header (response, AA), the question "x.test. A IN" at offset 12 (12 bytes),
// then `records` (owner included) as given.
Bytes message(unsigned an, unsigned ns, unsigned ar, const Bytes& records) {
    return cat({be16(0x1234), be16(0x8400), be16(1), be16(an), be16(ns), be16(ar),
                Bytes{1, 'x', 4, 't', 'e', 's', 't', 0}, be16(rrtype::A), be16(1), records});
}
// A record owned by the question name (pointer to 12), rdlength given explicitly.
Bytes record(std::uint16_t type, unsigned rdlength, const Bytes& rdata, std::uint16_t rrclass = 1,
             const Bytes& owner = {0xC0, 12}, std::uint32_t ttl = 300) {
    return cat({owner, be16(type), be16(rrclass), be16(ttl >> 16), be16(ttl & 0xFFFF), be16(rdlength), rdata});
}
Bytes opt(const Bytes& options = {}, const Bytes& owner = {0}) {
    return record(rrtype::OPT, static_cast<unsigned>(options.size()), options, 1232, owner, 0);
}

TEST(LdnsDifferential, EachDocumentedDifferenceIsRecognised) {
    // 130 pointers in a row, each to the one before: more hops than our cap.
    Bytes chain;
    for (unsigned i = 0; i < 130; ++i) {
        const Bytes ptr = i == 0 ? Bytes{0xC0, 12} : be16(0xC000 | (36 + 2 * (i - 1)));
        chain.insert(chain.end(), ptr.begin(), ptr.end());
    }
    Bytes ds_short = {0x12, 0x34, 8, 2};  // SHA-256 digest type, 20-byte digest
    ds_short.resize(24, 0xAB);
    const struct {
        const char* what;
        Bytes wire;
        Difference expected;
    } cases[] = {
        {"owner pointing into its own rdata",
         message(1, 0, 0, record(rrtype::NS, 4, {1, 'a', 0xC0, 12}, 1, {0xC0, 36})),
         Difference::ldns_follows_forward_pointers},
        {"owner pointing into the header (at the answer count)",
         message(1, 0, 0, record(rrtype::A, 4, {192, 0, 2, 1}, 1, {0xC0, 6})),
         Difference::ldns_follows_pointers_into_header},
        {"130 chained pointers",
         message(2, 0, 0, cat({record(65280, 260, chain), record(rrtype::A, 4, {192, 0, 2, 1}, 1, be16(0xC000 | 294))})),
         Difference::ldns_allows_long_pointer_chains},
        {"an A of 3 bytes before another record",
         message(2, 0, 0, cat({record(rrtype::A, 3, {192, 0, 2}), record(rrtype::A, 4, {192, 0, 2, 1})})),
         Difference::ldns_refuses_message_for_one_rdata},
        {"NS with a byte after the name", message(1, 0, 0, record(rrtype::NS, 3, {0xC0, 12, 0xFF})),
         Difference::ldns_ignores_bytes_after_last_field},
        {"MX whose name runs past rdlength", cat({message(1, 0, 0, record(rrtype::MX, 4, {0, 10, 1, 'm'})), Bytes{0}}),
         Difference::ldns_reads_rdata_names_past_rdlength},
        {"SOA without timers", message(1, 0, 0, record(rrtype::SOA, 4, {0xC0, 12, 0xC0, 12})),
         Difference::ldns_accepts_missing_fields},
        {"A without rdata (an UPDATE delete)", message(1, 0, 0, record(rrtype::A, 0, {}, 255)),
         Difference::ldns_accepts_empty_rdata},
        {"NSEC with a mixed-case next name",
         message(1, 0, 0, record(rrtype::NSEC, 10, {1, 'N', 0xC0, 12, 0, 1, 0x40, 0, 0, 0})),
         Difference::ldns_keeps_case_we_fold},
        {"LOC of 15 bytes", message(1, 0, 0, record(29, 15, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14})),
         Difference::ldns_cannot_print_rdata_it_reads},
        {"two OPT records", message(0, 0, 2, cat({opt(), opt()})), Difference::ldns_takes_last_of_several_opt},
        {"OPT owned by x.test", message(0, 0, 1, opt({}, {0xC0, 12})), Difference::ldns_accepts_opt_with_non_root_owner},
        {"OPT in the answer section", message(1, 0, 0, opt()), Difference::ldns_keeps_opt_outside_additional},
        {"DS with a SHA-256 digest of 20 bytes", message(1, 0, 0, record(rrtype::DS, 24, ds_short)),
         Difference::views_check_values_ldns_does_not},
        {"ECS with an address longer than its prefix",
         message(0, 0, 1, opt(cat({be16(8), be16(8), Bytes{0, 1, 24, 0, 192, 0, 2, 1}}))),
         Difference::edns_options_checked_ldns_does_not},
        {"OPT and TSIG in the additional section",
         message(0, 0, 2, cat({opt(), record(rrtype::TSIG, 0, {}, 255, {0})})), Difference::ldns_moves_opt_and_tsig},
    };
    for (const auto& c : cases) {
        Tally tally;
        DnsDecoder decoder;
        compare(c.wire, c.what, decoder, tally);
        EXPECT_EQ(tally.of(c.expected), 1u) << c.what << " is not " << kDifferences[static_cast<std::size_t>(c.expected)].name;
        EXPECT_EQ(tally.unexplained_count(), 0u) << c.what;
    }
}

// Corpus messages broken on purpose (every 20th message: each byte after the
// header set to 0x00, 0xFF, 0xC0 and off by one, every truncation, and a
// compression pointer planted every third byte): both decoders meet hostile
// input here, and must still disagree only in the documented ways. (Run on
// every message, this takes ~3 million comparisons and half a minute; all
// are explained.)
TEST(LdnsDifferential, BrokenCorpusMessagesDisagreeOnlyInDocumentedWays) {
    Tally tally;
    DnsDecoder decoder;
    std::size_t index = 0, variants = 0;
    for (const std::string& file : test::capture_files(kCorpus + "/pcap")) {
        std::vector<test::CapturedDns> messages;
        try {
            messages = test::read_dns_payloads(file);
        } catch (const std::exception&) {
            continue;
        }
        for (const auto& captured : messages) {
            if (index++ % 20 != 0 || captured.payload.size() > 1500) continue;
            std::vector<std::uint8_t> wire = captured.payload;
            const std::string where = file + " frame " + std::to_string(captured.frame);
            for (std::size_t i = 12; i < wire.size(); ++i) {
                const std::uint8_t original = wire[i];
                for (const std::uint8_t value : {std::uint8_t{0}, std::uint8_t{0xFF}, std::uint8_t{0xC0},
                                                 static_cast<std::uint8_t>(original + 1),
                                                 static_cast<std::uint8_t>(original - 1)}) {
                    if (value == original) continue;
                    wire[i] = value;
                    ++variants;
                    compare(wire, where + " byte " + std::to_string(i) + "=" + std::to_string(value), decoder, tally);
                }
                wire[i] = original;
            }
            for (std::size_t cut = 12; cut < wire.size(); ++cut) {
                ++variants;
                compare(std::span(wire).first(cut), where + " cut at " + std::to_string(cut), decoder, tally);
            }
            for (std::size_t i = 12; i + 1 < wire.size(); i += 3) {
                const std::uint8_t a = wire[i], b = wire[i + 1];
                for (const std::size_t target : {std::size_t{0}, std::size_t{5}, std::size_t{12}, i / 2, i - 1, i + 2}) {
                    wire[i] = static_cast<std::uint8_t>(0xC0 | (target >> 8));
                    wire[i + 1] = static_cast<std::uint8_t>(target);
                    ++variants;
                    compare(wire, where + " pointer at " + std::to_string(i) + " to " + std::to_string(target), decoder,
                            tally);
                }
                wire[i] = a;
                wire[i + 1] = b;
            }
        }
    }
    std::printf("broken variants %zu: messages compared %zu, both refuse %zu\n", variants, tally.messages_compared,
                tally.both_refuse);
    tally.print();
    EXPECT_GT(variants, 100000u);
    EXPECT_EQ(tally.unexplained_count(), 0u);
}

}  // namespace
}  // namespace dnswatch
