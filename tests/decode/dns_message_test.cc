#include <gtest/gtest.h>

#include <dirent.h>

#include <string>
#include <vector>

#include <ldns/ldns.h>

#include "decode/dns_message.h"
#include "decode/ldns_glue.h"
#include "decode/rdata.h"
#include "tests/support/message_builder.h"
#include "tests/support/pcap_reader.h"

namespace dnswatch {
namespace {

const std::string kSample = std::string(DNSWATCH_SOURCE_DIR) + "/samples/hijack.pcap";
const std::string kCorpus = DNSWATCH_CORPUS_DIR;

TEST(DnsDecoder, ReadsTheSampleNsAnswer) {
    const auto messages = test::read_dns_payloads(kSample);
    ASSERT_EQ(messages.size(), 32u);
    DnsDecoder decoder;
    DnsMessageView view;
    // Frame 4: 127.0.0.11 answers "NS? victim.test." with ns1 and ns2, AA set.
    const auto& captured = messages[3];
    ASSERT_EQ(decoder.decode(captured.datagram.dns, view), MalformedKind::none);
    EXPECT_TRUE(view.header.qr());
    EXPECT_TRUE(view.header.aa());
    EXPECT_EQ(view.qname.to_text(), "victim.test");
    EXPECT_EQ(view.qtype, rrtype::NS);
    ASSERT_EQ(view.section(Section::answer).size(), 2u);
    std::vector<std::string> targets;
    for (const RecordView& r : view.section(Section::answer)) {
        EXPECT_EQ(view.owner(r).to_text(), "victim.test");
        EXPECT_EQ(r.type, rrtype::NS);
        std::vector<std::uint8_t> canonical;
        ASSERT_EQ(append_canonical_rdata(view.wire, r.type, r.rdata_offset, r.rdata_length, canonical),
                  MalformedKind::none);
        targets.push_back(rdata_to_text(r.type, canonical));
    }
    EXPECT_EQ(targets, (std::vector<std::string>{"ns1.victim.test.", "ns2.victim.test."}));
    EXPECT_EQ(view.section(Section::additional).size(), 3u);  // glue A x2 + OPT
    EXPECT_EQ(view.trailing_bytes, 0u);
}

TEST(DnsDecoder, ReadsAReferralWithItsAuthorityAndGlue) {
    const auto messages = test::read_dns_payloads(kSample);
    DnsDecoder decoder;
    DnsMessageView view;
    ASSERT_EQ(decoder.decode(messages[1].datagram.dns, view), MalformedKind::none);  // parent's referral
    EXPECT_FALSE(view.header.aa());
    EXPECT_EQ(view.header.ancount, 0);
    ASSERT_EQ(view.section(Section::authority).size(), 2u);
    for (const RecordView& r : view.section(Section::authority)) {
        EXPECT_EQ(r.type, rrtype::NS);
        EXPECT_EQ(r.section, Section::authority);
        EXPECT_EQ(view.owner(r).to_text(), "victim.test");
    }
    const auto additional = view.section(Section::additional);
    ASSERT_EQ(additional.size(), 3u);
    EXPECT_EQ(view.owner(additional[0]).to_text(), "ns1.victim.test");
    EXPECT_EQ(additional[0].type, rrtype::A);
    EXPECT_EQ(additional[2].type, rrtype::OPT);
}

// Hand-made hostile messages: each is counted as its kind, never crashes.
std::vector<std::uint8_t> header(std::uint16_t qd, std::uint16_t an, std::uint16_t ns, std::uint16_t ar) {
    return {0x12, 0x34, 0x84, 0x00, static_cast<std::uint8_t>(qd >> 8), static_cast<std::uint8_t>(qd),
            static_cast<std::uint8_t>(an >> 8), static_cast<std::uint8_t>(an), static_cast<std::uint8_t>(ns >> 8),
            static_cast<std::uint8_t>(ns), static_cast<std::uint8_t>(ar >> 8), static_cast<std::uint8_t>(ar)};
}

std::vector<std::uint8_t> concat(std::vector<std::uint8_t> a, const std::vector<std::uint8_t>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

MalformedKind decode_kind(const std::vector<std::uint8_t>& wire) {
    DnsDecoder decoder;
    DnsMessageView view;
    return decoder.decode(wire, view);
}

TEST(DnsDecoder, EmptyAndShortPayloadsAreTruncatedHeaders) {
    EXPECT_EQ(decode_kind({}), MalformedKind::dns_truncated_header);
    EXPECT_EQ(decode_kind({0x12, 0x34, 0x81}), MalformedKind::dns_truncated_header);
}

TEST(DnsDecoder, CountsThatExceedTheBytesPresentAreRejectedBeforeUse) {
    // Claims 65535 answers in a 12-byte message.
    EXPECT_EQ(decode_kind(header(1, 0xFFFF, 0, 0)), MalformedKind::dns_count_exceeds_bytes);
    // Plausible counts but the records are missing.
    const auto question = std::vector<std::uint8_t>{6, 'v', 'i', 'c', 't', 'i', 'm', 4, 't', 'e', 's', 't', 0, 0, 2, 0, 1};
    EXPECT_EQ(decode_kind(concat(header(1, 2, 0, 0), question)), MalformedKind::dns_count_exceeds_bytes);
    // Counts within the byte budget, record missing: found while reading.
    EXPECT_EQ(decode_kind(concat(header(1, 1, 0, 0), question)), MalformedKind::dns_truncated);
    EXPECT_EQ(decode_kind(concat(header(1, 0, 0, 0), {question.begin(), question.end() - 2})),
              MalformedKind::dns_truncated);
}

TEST(DnsDecoder, CompressionLoopAndForwardPointerInARecordOwner) {
    const auto question = std::vector<std::uint8_t>{6, 'v', 'i', 'c', 't', 'i', 'm', 4, 't', 'e', 's', 't', 0, 0, 2, 0, 1};
    // Answer owner at 29: label "a" then a pointer back to 29: a loop.
    const auto loop = concat(concat(header(1, 1, 0, 0), question),
                             {1, 'a', 0xC0, 29, 0, 2, 0, 1, 0, 0, 0, 60, 0, 0});
    EXPECT_EQ(decode_kind(loop), MalformedKind::dns_pointer_loop);
    // Answer owner is a pointer to an offset after itself.
    const auto forward = concat(concat(header(1, 1, 0, 0), question),
                                {0xC0, 33, 0, 2, 0, 1, 0, 0, 0, 60, 0, 0, 0, 0});
    EXPECT_EQ(decode_kind(forward), MalformedKind::dns_forward_pointer);
}

TEST(DnsDecoder, RdataLongerThanTheMessageIsTruncated) {
    const auto question = std::vector<std::uint8_t>{6, 'v', 'i', 'c', 't', 'i', 'm', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1};
    const auto record = std::vector<std::uint8_t>{0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 200, 192, 0, 2, 1};
    EXPECT_EQ(decode_kind(concat(concat(header(1, 1, 0, 0), question), record)), MalformedKind::dns_truncated);
}

TEST(DnsDecoder, EveryTruncationOfARealResponseIsCountedNotCrashed) {
    const auto messages = test::read_dns_payloads(kSample);
    DnsDecoder decoder;
    for (const auto& captured : messages) {
        const auto& full = captured.payload;
        for (std::size_t cut = 0; cut < full.size(); ++cut) {
            DnsMessageView view;
            const std::span<const std::uint8_t> prefix(full.data(), cut);
            const MalformedKind kind = decoder.decode(prefix, view);
            // A cut inside the additional section's OPT may still leave a
            // shorter valid message only if the counts allow it; they do not.
            EXPECT_NE(kind, MalformedKind::none) << "frame " << captured.frame << " cut " << cut;
        }
    }
}

TEST(DnsDecoder, MessagesBuiltByLdnsRoundTrip) {
    test::MessageSpec spec;
    spec.question = "victim.test. IN MX";
    spec.answer = {"victim.test. 300 IN MX 10 Mail.Victim.Test.", "victim.test. 300 IN MX 20 mx2.victim.test."};
    spec.authority = {"victim.test. 300 IN NS ns1.victim.test."};
    spec.additional = {"mail.victim.test. 300 IN A 192.0.2.25"};
    const auto wire = test::build_message(spec);
    DnsDecoder decoder;
    DnsMessageView view;
    ASSERT_EQ(decoder.decode(wire, view), MalformedKind::none);
    EXPECT_EQ(view.header.id, 0x1234);
    EXPECT_EQ(view.records.size(), 4u);
    EXPECT_EQ(view.records[0].ttl, 300u);
    EXPECT_EQ(view.records[3].section, Section::additional);
    EXPECT_EQ(view.records[0].owner_hash, view.records[1].owner_hash);
    EXPECT_NE(view.records[0].owner_hash, view.records[3].owner_hash);
}

// Our decoder against ldns on every UDP DNS message of the shared corpus:
// where ldns reads a message, so do we, with the same counts, owners and
// types; where we refuse one ldns reads, it is one of ldns's documented
// leniencies. (Issue 3 extends this to rdata and to TCP.)
std::vector<std::string> corpus_captures() {
    std::vector<std::string> files;
    std::vector<std::string> dirs = {kCorpus + "/pcap"};
    while (!dirs.empty()) {
        const std::string dir = dirs.back();
        dirs.pop_back();
        DIR* handle = opendir(dir.c_str());
        if (handle == nullptr) continue;
        while (const dirent* entry = readdir(handle)) {
            const std::string name = entry->d_name;
            if (name == "." || name == "..") continue;
            const std::string path = dir + "/" + name;
            if (entry->d_type == DT_DIR) {
                dirs.push_back(path);
            } else if (name.ends_with(".pcap") || name.ends_with(".pcapng")) {
                files.push_back(path);
            }
        }
        closedir(handle);
    }
    return files;
}

TEST(DnsDecoder, AgreesWithLdnsOnTheCorpus) {
    const auto files = corpus_captures();
    ASSERT_GT(files.size(), 100u);
    std::size_t compared = 0, both_refused = 0, ldns_lenient = 0;
    DnsDecoder decoder;
    for (const std::string& file : files) {
        std::vector<test::CapturedDns> messages;
        try {
            messages = test::read_dns_payloads(file);
        } catch (const std::exception&) {
            continue;  // libpcap cannot read a few (see SOURCES.md)
        }
        for (const auto& captured : messages) {
            const auto& wire = captured.payload;
            DnsMessageView view;
            const MalformedKind ours = decoder.decode(wire, view);
            ldns_pkt* raw = nullptr;
            const ldns_status theirs = ldns_wire2pkt(&raw, wire.data(), wire.size());
            std::unique_ptr<ldns_pkt, decltype(&ldns_pkt_free)> pkt(raw, ldns_pkt_free);
            const std::string where = file + " frame " + std::to_string(captured.frame);
            if (theirs != LDNS_STATUS_OK) {
                EXPECT_NE(ours, MalformedKind::none) << where << ": ldns refuses, we accept";
                ++both_refused;
                continue;
            }
            if (ours != MalformedKind::none) {
                // ldns follows forward pointers and up to 65,535 hops; it
                // also allows a name's labels to run across a pointer target.
                EXPECT_TRUE(ours == MalformedKind::dns_forward_pointer || ours == MalformedKind::dns_pointer_loop)
                    << where << ": we refuse (" << name_of(ours) << "), ldns accepts";
                ++ldns_lenient;
                continue;
            }
            ++compared;
            EXPECT_EQ(view.header.id, ldns_pkt_id(pkt.get())) << where;
            EXPECT_EQ(view.header.ancount, ldns_pkt_ancount(pkt.get())) << where;
            EXPECT_EQ(view.header.nscount, ldns_pkt_nscount(pkt.get())) << where;
            // ldns moves the OPT and TSIG records out of the additional section.
            std::size_t our_opt = 0, our_tsig = 0;
            for (const RecordView& r : view.section(Section::additional)) {
                our_opt += r.type == rrtype::OPT;
                our_tsig += r.type == rrtype::TSIG;
            }
            if (our_opt <= 1 && our_tsig <= 1) {
                EXPECT_EQ(view.header.arcount - our_opt - our_tsig, ldns_pkt_arcount(pkt.get())) << where;
            }
            const ldns_rr_list* answers = ldns_pkt_answer(pkt.get());
            const auto our_answers = view.section(Section::answer);
            ASSERT_EQ(our_answers.size(), ldns_rr_list_rr_count(answers)) << where;
            for (std::size_t i = 0; i < our_answers.size(); ++i) {
                const ldns_rr* rr = ldns_rr_list_rr(answers, i);
                EXPECT_EQ(our_answers[i].type, static_cast<std::uint16_t>(ldns_rr_get_type(rr))) << where;
                EXPECT_EQ(our_answers[i].ttl, ldns_rr_ttl(rr)) << where;
                const ldns_rdf* owner = ldns_rr_owner(rr);
                DnsName theirs_name;
                std::size_t next = 0;
                ASSERT_EQ(read_name({ldns_rdf_data(owner), ldns_rdf_size(owner)}, 0, &theirs_name, &next),
                          MalformedKind::none);
                EXPECT_EQ(view.owner(our_answers[i]).key(), theirs_name.key()) << where;
            }
        }
    }
    EXPECT_GT(compared, 1000u);
    std::printf("compared %zu messages, both refused %zu, ldns lenient %zu\n", compared, both_refused, ldns_lenient);
}

}  // namespace
}  // namespace dnswatch
