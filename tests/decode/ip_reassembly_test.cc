// IPv4 and IPv6 fragment reassembly through TransportDecoder: the corpus's
// fragmented captures, then cases made by editing them (reordered,
// duplicated, overlapping, refragmented, delayed past the timeout, more
// datagrams than the table holds).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "tests/decode/reassembly_support.h"

namespace dnswatch::test {
namespace {

std::vector<Bytes> payloads(const DecodeRun& run) {
    std::vector<Bytes> out;
    for (const Message& m : run.messages) out.push_back(m.payload);
    return out;
}

TEST(IpReassembly, CorpusFragmentsReassemble) {
    // frags.pcap is dns.pcap sent through a small MTU (dnscap reads it with
    // defrag_ipv4=yes against the same dns.gold): the same 82 messages.
    const DecodeRun frags = decode_file("pcap/dnscap/frags.pcap");
    const DecodeRun plain = decode_file("pcap/dnscap/dns.pcap");
    ASSERT_EQ(frags.messages.size(), 82u);
    EXPECT_EQ(payloads(frags), payloads(plain));
    EXPECT_EQ(frags.counters.of(ReassemblyEvent::frag_reassembled), 82u);
    EXPECT_EQ(frags.counters.of(HeldKind::ip_fragment), 495u - 82u);
    for (const Message& m : frags.messages) EXPECT_TRUE(m.datagram.reassembled);
    EXPECT_EQ(frags.messages[0].datagram.src.to_string(), "172.17.0.10");
    EXPECT_EQ(frags.messages[0].datagram.src_port, 53199);

    // IPv6: a 3230-byte TXT answer in three fragments; the other answer lost
    // its first fragments in the capture and times out at the end.
    const DecodeRun v6 = decode_file("pcap/zeek/ipv6-fragmented-dns.pcap");
    ASSERT_EQ(v6.messages.size(), 5u);
    EXPECT_EQ(v6.messages[4].payload.size(), 3230u);
    EXPECT_EQ(v6.messages[4].id(), 40849);
    EXPECT_EQ(v6.messages[4].datagram.src.to_string(), "2607:f740:b::f93");
    EXPECT_TRUE(v6.messages[4].datagram.reassembled);
    EXPECT_EQ(v6.counters.of(ReassemblyEvent::frag_timeout), 1u);

    EXPECT_EQ(decode_file("pcap/ndpi/dns_fragmented.pcap").messages.size(), 43u);
    // The same query id reused a second later: two datagrams, one after the other.
    EXPECT_EQ(decode_file("pcap/go-dnscollector/dnsdump_ip4_fragmented_query.pcap").messages.size(), 2u);
    EXPECT_EQ(decode_file("pcap/go-dnscollector/dnsdump_ip6_fragmented_query.pcap").messages.size(), 1u);
}

// frags.pcap with every datagram in flight at once, last fragments first:
// ordered by fragment offset, highest first.
std::vector<Frame> all_at_once() {
    std::vector<Frame> frames = read_frames("pcap/dnscap/frags.pcap");
    std::stable_sort(frames.begin(), frames.end(), [](const Frame& a, const Frame& b) {
        return (be16(a.bytes, 6) & 0x1fff) > (be16(b.bytes, 6) & 0x1fff);
    });
    return frames;
}

TEST(IpReassembly, OutOfOrderFragments) {
    const std::vector<Frame> frames = all_at_once();
    const DecodeRun reversed = decode_frames(frames, options_with(1u << 20, 64, 128));
    std::vector<Bytes> got = payloads(reversed), want = payloads(decode_file("pcap/dnscap/dns.pcap"));
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want);
}

TEST(IpReassembly, TableAndMemoryCapsEvictTheOldest) {
    const std::vector<Frame> frames = all_at_once();
    const std::vector<Bytes> good = payloads(decode_file("pcap/dnscap/dns.pcap"));
    const std::multiset<Bytes> allowed(good.begin(), good.end());
    // Four datagrams at once, then one 1 KiB block for all of them.
    for (const TransportOptions& tight : {options_with(1u << 20, 64, 4), options_with(1024, 64, 128)}) {
        const DecodeRun r = decode_frames(frames, tight);
        EXPECT_GT(r.counters.of(ReassemblyEvent::frag_evicted), 0u);
        EXPECT_LT(r.messages.size(), 82u);
        for (const Message& m : r.messages) EXPECT_TRUE(allowed.contains(m.payload));  // never a wrong one
    }
}

TEST(IpReassembly, DuplicatesAreIgnored) {
    std::vector<Frame> doubled;
    for (const Frame& f : read_frames("pcap/dnscap/frags.pcap")) {
        doubled.push_back(f);
        if (f.bytes[6] & 0x20) doubled.push_back(f);  // MF set: not the fragment that completes
    }
    const DecodeRun r = decode_frames(doubled);
    EXPECT_EQ(r.messages.size(), 82u);
    EXPECT_EQ(r.counters.of(ReassemblyEvent::frag_duplicate), 413u);
}

// frags.pcap is raw IPv4 with 20-byte headers: fragment data starts at 20.
Frame ipv4_piece(const Frame& like, std::size_t offset, const Bytes& data, bool more) {
    Frame f = like;
    f.bytes.resize(20);
    f.bytes.insert(f.bytes.end(), data.begin(), data.end());
    put16(f.bytes, 2, f.bytes.size());
    put16(f.bytes, 6, (f.bytes[6] & 0x40) << 8 | (more ? 0x2000 : 0) | offset / 8);
    return f;
}

TEST(IpReassembly, Ipv4OverlapsMustAgree) {
    const std::vector<Frame> frames = read_frames("pcap/dnscap/frags.pcap");
    // Frames 3..5: the first answer's fragments at offsets 0, 24 and 48.
    ASSERT_EQ(be16(frames[3].bytes, 6) & 0x1fff, 3);
    const Bytes second(frames[3].bytes.begin() + 20, frames[3].bytes.end());
    const Bytes third(frames[4].bytes.begin() + 20, frames[4].bytes.end());
    // The same bytes again, straddling two fragments: accepted.
    Bytes straddle(second.begin() + 8, second.end());
    straddle.insert(straddle.end(), third.begin(), third.begin() + 8);
    std::vector<Frame> agreeing = frames;
    agreeing.insert(agreeing.begin() + 4, ipv4_piece(frames[3], 32, straddle, true));
    const DecodeRun ok = decode_frames(agreeing);
    EXPECT_EQ(ok.messages.size(), 82u);
    EXPECT_EQ(ok.counters.of(MalformedKind::frag_overlap), 0u);
    // Other bytes at the same place: the datagram is dropped, counted.
    straddle[3] ^= 0xff;
    std::vector<Frame> conflicting = frames;
    conflicting.insert(conflicting.begin() + 4, ipv4_piece(frames[3], 32, straddle, true));
    const DecodeRun bad = decode_frames(conflicting);
    EXPECT_EQ(bad.counters.of(MalformedKind::frag_overlap), 1u);
    EXPECT_EQ(bad.messages.size(), 81u);
    EXPECT_EQ(bad.results[4], TransportResult::malformed);
}

TEST(IpReassembly, Ipv6AnyOverlapDropsTheDatagram) {
    // RFC 5722: even an overlap that repeats the same bytes.
    const std::vector<Frame> frames = read_frames("pcap/zeek/ipv6-fragmented-dns.pcap");
    const Frame& first = frames[5];   // frag (2:0|1432)
    const Frame& second = frames[6];  // frag (2:1432|1432)
    constexpr std::size_t kData = 14 + 40 + 8;
    ASSERT_EQ(first.bytes.size(), kData + 1432);
    Bytes straddle(first.bytes.end() - 8, first.bytes.end());
    straddle.insert(straddle.end(), second.bytes.begin() + kData, second.bytes.begin() + kData + 8);
    Frame piece = second;
    piece.bytes.resize(kData);
    piece.bytes.insert(piece.bytes.end(), straddle.begin(), straddle.end());
    put16(piece.bytes, 14 + 4, 8 + straddle.size());
    put16(piece.bytes, 14 + 40 + 2, (1432 - 8) | 1);
    std::vector<Frame> edited = frames;
    edited.insert(edited.begin() + 6, piece);
    const DecodeRun r = decode_frames(edited);
    EXPECT_EQ(r.counters.of(MalformedKind::frag_overlap), 1u);
    EXPECT_EQ(r.messages.size(), 4u);  // the TXT answer is gone
    // An exact duplicate is not an overlap.
    std::vector<Frame> duplicated = frames;
    duplicated.insert(duplicated.begin() + 6, first);
    const DecodeRun dup = decode_frames(duplicated);
    EXPECT_EQ(dup.messages.size(), 5u);
    EXPECT_EQ(dup.counters.of(ReassemblyEvent::frag_duplicate), 1u);
}

// The sll2.pcap answer (732 DNS bytes, Linux cooked v2, IPv4) cut into
// fragments of `piece` bytes.
std::vector<Frame> refragmented_answer(std::size_t piece) {
    const std::vector<Frame> frames = read_frames("pcap/dnscap/sll2.pcap");
    const Frame& whole = frames[1];
    constexpr std::size_t kIp = 20;  // SLL2 header
    const std::size_t header = (whole.bytes[kIp] & 0x0f) * 4u;
    const Bytes data(whole.bytes.begin() + static_cast<long>(kIp + header), whole.bytes.end());
    std::vector<Frame> out;
    for (std::size_t at = 0; at < data.size(); at += piece) {
        Frame f = whole;
        f.bytes.resize(kIp + header);
        const std::size_t n = std::min(piece, data.size() - at);
        f.bytes.insert(f.bytes.end(), data.begin() + static_cast<long>(at), data.begin() + static_cast<long>(at + n));
        put16(f.bytes, kIp + 2, header + n);
        put16(f.bytes, kIp + 6, (at + n < data.size() ? 0x2000 : 0) | at / 8);
        out.push_back(std::move(f));
    }
    return out;
}

TEST(IpReassembly, PiecesPerDatagramAreCapped) {
    const DecodeRun whole = decode_file("pcap/dnscap/sll2.pcap");
    ASSERT_EQ(whole.messages.size(), 2u);
    const DecodeRun sixteen = decode_frames(refragmented_answer(16));  // 47 fragments
    ASSERT_EQ(sixteen.messages.size(), 1u);
    EXPECT_EQ(sixteen.messages[0].payload, whole.messages[1].payload);
    const DecodeRun eight = decode_frames(refragmented_answer(8));  // 93 fragments: more than 64
    EXPECT_TRUE(eight.messages.empty());
    EXPECT_EQ(eight.counters.of(ReassemblyEvent::frag_too_many), 1u);
}

TEST(IpReassembly, BadFragmentLengths) {
    std::vector<Frame> pieces = refragmented_answer(16);
    // A non-final fragment of 12 bytes; a fragment reaching past 65535.
    Frame odd = pieces[0];
    odd.bytes.resize(odd.bytes.size() - 4);
    put16(odd.bytes, 20 + 2, be16(odd.bytes, 20 + 2) - 4);
    Frame far = pieces[1];
    put16(far.bytes, 20 + 6, 0x2000 | 8190);
    const DecodeRun r = decode_frames({odd, far});
    EXPECT_EQ(r.counters.of(MalformedKind::frag_bad_length), 1u);
    EXPECT_EQ(r.counters.of(MalformedKind::frag_too_large), 1u);
}

TEST(IpReassembly, IncompleteDatagramsTimeOutInPacketTime) {
    std::vector<Frame> frames = read_frames("pcap/go-dnscollector/dnsdump_ip4_fragmented+udp.pcap");
    ASSERT_EQ(frames.size(), 3u);  // a UDP query, then an answer in two fragments
    frames[2].time_us = frames[1].time_us + 31'000'000;
    const DecodeRun late = decode_frames(frames);
    EXPECT_EQ(late.messages.size(), 1u);
    // The first fragment expired when the second came, which then waited
    // alone until the end of input.
    EXPECT_EQ(late.counters.of(ReassemblyEvent::frag_timeout), 2u);
    frames[2].time_us = frames[1].time_us + 29'000'000;
    EXPECT_EQ(decode_frames(frames).messages.size(), 2u);
}

TEST(IpReassembly, ADatagramCarriesTheFramesOfItsOtherFragments) {
    // frags.pcap: 82 datagrams in 495 frames; each is handed out with the
    // frame that completed it and carries the others, as captured.
    std::vector<Frame> frames = read_frames("pcap/dnscap/frags.pcap");
    for (std::size_t i = 0; i < frames.size(); ++i) frames[i].time_ns = static_cast<std::uint16_t>(i % 1000);
    const DecodeRun r = decode_frames(frames);
    ASSERT_EQ(r.messages.size(), 82u);
    std::size_t carried = 0;
    for (const Message& m : r.messages) {
        EXPECT_FALSE(m.carriers.empty());
        for (const Frame& c : m.carriers) {
            ASSERT_GE(c.number, 1u);
            EXPECT_LT(c.number, m.frame);
            const Frame& captured = frames[c.number - 1];
            EXPECT_EQ(c.bytes, captured.bytes);
            EXPECT_EQ(c.time_us, captured.time_us);
            EXPECT_EQ(c.time_ns, captured.time_ns);
        }
        carried += m.carriers.size();
    }
    EXPECT_EQ(carried, 495u - 82u);  // every fragment held is a carrier of its datagram
    EXPECT_EQ(r.counters.of(ReassemblyEvent::frag_carrier_dropped), 0u);

    // IPv6: the 3230-byte answer in three fragments carries the first two.
    const DecodeRun v6 = decode_file("pcap/zeek/ipv6-fragmented-dns.pcap");
    ASSERT_EQ(v6.messages.size(), 5u);
    EXPECT_EQ(v6.messages[4].carriers.size(), 2u);
    // Unfragmented messages carry nothing.
    for (const Message& m : decode_file("pcap/dnscap/dns.pcap").messages) EXPECT_TRUE(m.carriers.empty());

    // With 12 KiB of reassembly memory (each held fragment takes a 1 KiB
    // block) the datagrams just fit, their frames no longer: those give way
    // to the fragments' bytes, counted, and no datagram is evicted for them.
    const DecodeRun tight = decode_frames(frames, options_with(12 * 1024, 64, 128));
    EXPECT_GT(tight.counters.of(ReassemblyEvent::frag_carrier_dropped), 0u);
    EXPECT_EQ(tight.counters.of(ReassemblyEvent::frag_evicted), 0u);
    EXPECT_EQ(tight.messages.size(), 82u);
}

}  // namespace
}  // namespace dnswatch::test
