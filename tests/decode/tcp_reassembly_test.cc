// DNS over TCP through TransportDecoder: real captures from the corpus,
// compared with what dnscap and tshark read from them, and cases made by
// editing real captures (segments reordered, dropped, cut, flows cloned,
// ports moved, clocks jumped). Nothing is made up from scratch.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "tests/decode/reassembly_support.h"

namespace dnswatch::test {
namespace {

using IdQr = std::pair<std::uint16_t, bool>;

std::vector<IdQr> ids_of(const DecodeRun& run) {
    std::vector<IdQr> out;
    for (const Message& m : run.messages) out.emplace_back(m.id(), m.response());
    return out;
}

// The messages dnscap printed for `file` in a gold file: "[#N file 4095]"
// heads each packet, "dns QUERY,NOERROR,ID,flags" its message. test7.gold
// holds two runs; `section` 1 is the one after "Enabling parse_ongoing_tcp".
std::vector<IdQr> dnscap_gold(const std::string& gold, const std::string& file, int section = 0) {
    std::ifstream in(corpus("expected/dnscap/" + gold));
    EXPECT_TRUE(in) << gold;
    std::vector<IdQr> out;
    std::string line, current;
    int at = 0;
    while (std::getline(in, line)) {
        if (line.starts_with("Enabling parse_ongoing_tcp")) ++at;
        if (line.starts_with("[")) {
            const auto hash = line.find("[#");
            std::istringstream fields(line.substr(hash + 2));
            std::string number;
            fields >> number >> current;
        }
        const auto dns = line.find("dns QUERY,");
        if (at != section || current != file || dns == std::string::npos) continue;
        std::istringstream fields(line.substr(dns + 4));
        std::string opcode, rcode, id, flags;
        std::getline(fields, opcode, ',');
        std::getline(fields, rcode, ',');
        std::getline(fields, id, ',');
        std::getline(fields, flags, ' ');
        out.emplace_back(static_cast<std::uint16_t>(std::stoi(id)), flags.find("qr") != std::string::npos);
    }
    return out;
}

// --- real captures ------------------------------------------------------------

TEST(TcpReassembly, TcpdumpCapturesOnPort53And8053) {
    const DecodeRun r = decode_file("pcap/tcpdump/dns_tcp.pcap");
    ASSERT_EQ(r.messages.size(), 2u);  // SUMMARY.tsv: 2 messages
    const Message& q = r.messages[0];
    EXPECT_EQ(q.datagram.ip_protocol, 6);
    EXPECT_EQ(q.datagram.src.to_string(), "192.168.1.11");
    EXPECT_EQ(q.datagram.dst.to_string(), "209.87.249.18");
    EXPECT_EQ(q.datagram.dst_port, 53);
    EXPECT_FALSE(q.response());
    EXPECT_TRUE(r.messages[1].response());
    EXPECT_EQ(r.messages[1].datagram.src_port, 53);
    EXPECT_EQ(r.messages[1].id(), q.id());
    EXPECT_EQ(r.counters.of(ReassemblyEvent::tcp_flow), 1u);
    EXPECT_EQ(r.counters.of(ReassemblyEvent::tcp_midstream), 0u);

    // The same exchange on port 8053: not DNS by default, DNS when configured.
    EXPECT_TRUE(decode_file("pcap/tcpdump/dns_tcp_8053.pcap").messages.empty());
    const DecodeRun r8053 = decode_file("pcap/tcpdump/dns_tcp_8053.pcap", options_with(1u << 20, 64, 16, {8053}));
    ASSERT_EQ(r8053.messages.size(), 2u);
    EXPECT_EQ(r8053.messages[0].datagram.dst_port, 8053);
    EXPECT_EQ(r8053.messages[1].datagram.src_port, 8053);
}

TEST(TcpReassembly, DnscapCapturesMatchDnscap) {
    // One query per connection, length and message in separate segments.
    const DecodeRun one = decode_file("pcap/dnscap/dnso1tcp.pcap");
    EXPECT_EQ(ids_of(one), dnscap_gold("test7.gold", "dnso1tcp.pcap"));
    EXPECT_EQ(one.messages.size(), 82u);
    std::size_t spanning = 0;
    for (const Message& m : one.messages) spanning += m.datagram.reassembled;
    EXPECT_EQ(spanning, 41u);  // the queries: their length came in a segment of its own
    // Several messages in one segment, and messages across segments.
    const DecodeRun many = decode_file("pcap/dnscap/dnsotcp-many1pkt.pcap");
    EXPECT_EQ(ids_of(many), dnscap_gold("test8.gold", "dnsotcp-many1pkt.pcap"));
    EXPECT_EQ(many.messages.size(), 4u);
    EXPECT_EQ(many.messages[0].frame, many.messages[2].frame);  // three queries in frame 4
    const DecodeRun split = decode_file("pcap/dnscap/dnsotcp-manyopkts.pcap");
    EXPECT_EQ(ids_of(split), dnscap_gold("test8.gold", "dnsotcp-manyopkts.pcap"));
    EXPECT_EQ(split.messages.size(), 3u);
}

TEST(TcpReassembly, FlowsFirstSeenMidStream) {
    // No SYN: the flow starts at its first data segment, counted. dnscap reads
    // these with parse_ongoing_tcp (the second half of test7.gold).
    const DecodeRun nosyn = decode_file("pcap/dnscap/1qtcpnosyn.pcap");
    EXPECT_EQ(ids_of(nosyn), dnscap_gold("test7.gold", "1qtcpnosyn.pcap", 1));
    EXPECT_EQ(nosyn.messages.size(), 2u);
    EXPECT_EQ(nosyn.counters.of(ReassemblyEvent::tcp_midstream), 1u);

    // The first segment is a query without its length: read as a length it
    // would swallow the stream (tshark loses the next query that way and
    // dnscap reports "Label length overflow"). It does not look like a
    // message start, so it is passed over and the next one is taken.
    const DecodeRun nolen = decode_file("pcap/dnscap/do1t-nosyn-1nolen.pcap");
    EXPECT_EQ(ids_of(nolen), dnscap_gold("test7.gold", "do1t-nosyn-1nolen.pcap", 1));
    EXPECT_EQ(nolen.messages.size(), 3u);
    EXPECT_EQ(nolen.counters.of(ReassemblyEvent::tcp_midstream), 1u);
    EXPECT_EQ(nolen.counters.of(ReassemblyEvent::tcp_resync_skipped), 1u);
}

TEST(TcpReassembly, GapsThatCannotBeFilledResync) {
    // Segments missing in both directions, acknowledged by the other side:
    // they will never come. Each direction resyncs at the next message start.
    const DecodeRun midmiss = decode_file("pcap/dnscap/dnso1tcp-midmiss.pcap");
    EXPECT_EQ(ids_of(midmiss), dnscap_gold("test7.gold", "dnso1tcp-midmiss.pcap", 1));
    EXPECT_EQ(midmiss.messages.size(), 6u);  // SUMMARY.tsv (tshark): 6
    EXPECT_EQ(midmiss.counters.of(ReassemblyEvent::tcp_gap), 2u);

    // A 79-byte hole in the queries and a 237-byte one in the answers: only
    // the query and the answer whose bytes fell in them are lost. dnscap
    // (63 messages) and tshark (41) lose more.
    const DecodeRun bighole = decode_file("pcap/dnscap/dnso1tcp-bighole.pcap");
    EXPECT_EQ(bighole.messages.size(), 76u);
    EXPECT_EQ(bighole.counters.of(ReassemblyEvent::tcp_gap), 2u);
    const std::vector<IdQr> ours = ids_of(bighole);
    const std::set<IdQr> found(ours.begin(), ours.end());
    for (const IdQr& gold : dnscap_gold("test8.gold", "dnso1tcp-bighole.pcap")) {
        EXPECT_TRUE(found.contains(gold)) << gold.first << (gold.second ? " response" : " query");
    }
    EXPECT_TRUE(found.contains({5337, false}));
    EXPECT_FALSE(found.contains({5337, true}));
    EXPECT_FALSE(found.contains({22531, false}));
    EXPECT_TRUE(found.contains({22531, true}));
}

TEST(TcpReassembly, OtherTcpCapturesOfTheCorpus) {
    // Message counts as SUMMARY.tsv gives them (tshark).
    const std::pair<const char*, std::size_t> files[] = {
        {"pcap/zeek/dns-edns-cookie.pcap", 4},
        {"pcap/zeek/dns/tkey.pcap", 2},
        {"pcap/suricata-verify/dns/dns-tcp-multirequest-buffer/dns-tcp-multirequest-buffer.pcap", 40},
        {"pcap/suricata-verify/dns/dns-tcp-www-google-com/dns.pcap", 2},
        {"pcap/suricata-verify/dns-reversed-tcp-1/dns.pcap", 1},
        {"pcap/suricata-verify/issues/issue-4759.1/tcpdns.pcap", 4},
        {"pcap/go-dnscollector/dnsdump_tcp.pcap", 10},
        {"pcap/go-dnscollector/dnsdump_tcp_fastopen.pcap", 8},
        {"pcap/go-dnscollector/dnsdump_udp+tcp.pcap", 4},
        {"pcap/go-dnscollector/dnsdump_udp_truncated+tcp_fragmented.pcap", 4},
        {"pcap/dnsjit/ip6-tcp-padd.pcap", 2},
        {"pcap/dnscap/1qtcppadd.pcap", 2},
    };
    for (const auto& [file, expected] : files) {
        EXPECT_EQ(decode_file(file).messages.size(), expected) << file;
    }
}

// --- made from real captures ---------------------------------------------------

// dnso1tcp.pcap is Ethernet, IPv4 without options, TCP with timestamps.
constexpr std::size_t kTcp = 14 + 20;
std::size_t payload_of(const Frame& f) { return f.bytes.size() - kTcp - (f.bytes[kTcp + 12] >> 4) * 4u; }

TEST(TcpReassembly, OutOfOrderSegmentsAreReordered) {
    std::vector<Frame> frames = read_frames("pcap/dnscap/dnso1tcp.pcap");
    const DecodeRun in_order = decode_frames(frames);
    // Swap every data segment with the frame after it: lengths after their
    // messages, answers after the ACKs that follow them.
    for (std::size_t i = 0; i + 1 < frames.size(); i += 2) {
        if (payload_of(frames[i]) > 0) std::swap(frames[i], frames[i + 1]);
    }
    const DecodeRun shuffled = decode_frames(frames);
    ASSERT_EQ(shuffled.messages.size(), in_order.messages.size());
    std::multiset<Bytes> a, b;
    for (const Message& m : in_order.messages) a.insert(m.payload);
    for (const Message& m : shuffled.messages) b.insert(m.payload);
    EXPECT_EQ(a, b);
    EXPECT_EQ(shuffled.counters.of(ReassemblyEvent::tcp_gap), 0u);
}

TEST(TcpReassembly, RetransmissionsAreNotDeliveredTwice) {
    std::vector<Frame> frames = read_frames("pcap/dnscap/dnso1tcp.pcap");
    std::vector<Frame> doubled;
    for (const Frame& f : frames) {
        doubled.push_back(f);
        if (payload_of(f) > 0) doubled.push_back(f);
    }
    const DecodeRun r = decode_frames(doubled);
    EXPECT_EQ(r.messages.size(), 82u);
    EXPECT_EQ(r.counters.of(ReassemblyEvent::tcp_retransmit), 123u);  // every data segment once more
}

TEST(TcpReassembly, AMissingSegmentCostsOnlyItsMessage) {
    std::vector<Frame> frames = read_frames("pcap/dnscap/dnso1tcp.pcap");
    const DecodeRun whole = decode_frames(frames);
    // Drop the body of the 10th query (its length prefix came alone before it).
    std::size_t bodies = 0;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        if (payload_of(frames[i]) > 2 && be16(frames[i].bytes, kTcp + 2) == 53 && ++bodies == 10) {
            frames.erase(frames.begin() + static_cast<long>(i));
            break;
        }
    }
    const DecodeRun r = decode_frames(frames);
    EXPECT_EQ(r.messages.size(), whole.messages.size() - 1);
    EXPECT_EQ(r.counters.of(ReassemblyEvent::tcp_gap), 1u);
}

// A copy of a flow on another client port: same bytes, another 4-tuple.
Frame on_port(Frame f, std::uint16_t client_port) {
    const bool from_client = be16(f.bytes, kTcp + 2) == 53;
    put16(f.bytes, kTcp + (from_client ? 0 : 2), client_port);
    return f;
}

TEST(TcpReassembly, FlowTableFullEvictsTheLeastRecentlyUsed) {
    const std::vector<Frame> frames = read_frames("pcap/dnscap/dnso1tcp.pcap");
    std::vector<Frame> two;
    for (const Frame& f : frames) {
        two.push_back(on_port(f, 40001));
        two.push_back(on_port(f, 40002));
    }
    const DecodeRun roomy = decode_frames(two);
    EXPECT_EQ(roomy.messages.size(), 164u);
    EXPECT_EQ(roomy.counters.of(ReassemblyEvent::tcp_flow_evicted), 0u);
    // Room for one flow: each one's segments evict the other, which comes
    // back mid-stream; queries whose length and body were split by an
    // eviction are lost, never misread.
    const DecodeRun tight = decode_frames(two, options_with(1u << 20, 1));
    EXPECT_GT(tight.counters.of(ReassemblyEvent::tcp_flow_evicted), 100u);
    EXPECT_LT(tight.messages.size(), 164u);
    std::multiset<Bytes> all;
    for (const Message& m : roomy.messages) all.insert(m.payload);
    for (const Message& m : tight.messages) EXPECT_TRUE(all.contains(m.payload));
}

TEST(TcpReassembly, MemoryFullEvictsFlowsHoldingBytes) {
    const std::vector<Frame> frames = read_frames("pcap/dnscap/dnso1tcp.pcap");
    std::vector<Frame> two;
    for (const Frame& f : frames) {
        two.push_back(on_port(f, 40001));
        two.push_back(on_port(f, 40002));
    }
    // One 1 KiB block: a held length prefix of one flow gives way to the other's.
    const DecodeRun tight = decode_frames(two, options_with(1024));
    EXPECT_GT(tight.counters.of(ReassemblyEvent::tcp_flow_evicted), 0u);
    EXPECT_GT(tight.messages.size(), 82u);
    EXPECT_LT(tight.messages.size(), 164u);
}

TEST(TcpReassembly, IdleFlowsTimeOutInPacketTime) {
    std::vector<Frame> frames = read_frames("pcap/dnscap/dnso1tcp.pcap");
    // Half way through, the clock jumps past the timeout: the flow is ended,
    // and what follows is a flow first seen mid-stream.
    for (std::size_t i = frames.size() / 2; i < frames.size(); ++i) frames[i].time_us += 31'000'000;
    const DecodeRun r = decode_frames(frames);
    EXPECT_EQ(r.counters.of(ReassemblyEvent::tcp_flow_timeout), 1u);
    EXPECT_EQ(r.counters.of(ReassemblyEvent::tcp_midstream), 1u);
    EXPECT_GE(r.messages.size(), 80u);
    // A longer timeout keeps it.
    TransportOptions patient = options_with();
    patient.timeout_ms = 60'000;
    const DecodeRun kept = decode_frames(frames, patient);
    EXPECT_EQ(kept.counters.of(ReassemblyEvent::tcp_flow_timeout), 0u);
    EXPECT_EQ(kept.messages.size(), 82u);
}

TEST(TcpReassembly, MessagesLargerThanTheFlowCapAreDroppedNotMisread) {
    // tcp_flow_bytes 64 (below any real setting): the 145-byte answers
    // cannot be held across segments; the stream stays in sync after them.
    std::vector<Frame> frames = read_frames("pcap/dnscap/dnso1tcp.pcap");
    TransportOptions small = options_with();
    small.tcp_flow_bytes = 64;
    const DecodeRun r = decode_frames(frames, small);
    EXPECT_EQ(r.messages.size(), 82u);  // each answer lies whole in one segment: handed out in place
    // Cut every answer of 145 bytes in two segments: now each must be held.
    std::vector<Frame> split;
    for (const Frame& f : frames) {
        const std::size_t n = payload_of(f);
        if (n != 145) {
            split.push_back(f);
            continue;
        }
        const std::size_t header = f.bytes.size() - n;
        Frame first = f, second = f;
        first.bytes.resize(header + 100);
        put16(first.bytes, 14 + 2, be16(first.bytes, 14 + 2) - 45);
        second.bytes.erase(second.bytes.begin() + static_cast<long>(header),
                           second.bytes.begin() + static_cast<long>(header + 100));
        put16(second.bytes, 14 + 2, be16(second.bytes, 14 + 2) - 100);
        const std::uint32_t seq = (std::uint32_t{second.bytes[kTcp + 4]} << 24) |
                                  (std::uint32_t{second.bytes[kTcp + 5]} << 16) |
                                  (std::uint32_t{second.bytes[kTcp + 6]} << 8) | second.bytes[kTcp + 7];
        const std::uint32_t next = seq + 100;
        for (int i = 0; i < 4; ++i) second.bytes[kTcp + 4 + i] = static_cast<std::uint8_t>(next >> (24 - 8 * i));
        split.push_back(first);
        split.push_back(second);
    }
    const DecodeRun whole = decode_frames(split);
    EXPECT_EQ(whole.messages.size(), 82u);
    const DecodeRun capped = decode_frames(split, small);
    EXPECT_EQ(capped.counters.of(ReassemblyEvent::tcp_message_dropped), 17u);  // the 17 PTR answers
    EXPECT_EQ(capped.messages.size(), 82u - 17u);
    EXPECT_EQ(capped.counters.of(ReassemblyEvent::tcp_gap), 0u);
}

TEST(TcpReassembly, DnsOverTlsIsCountedNeverDecoded) {
    std::vector<Frame> frames = read_frames("pcap/tcpdump/dns_tcp.pcap");
    for (Frame& f : frames) {
        const std::size_t ports = 14 + 20;
        if (be16(f.bytes, ports) == 53) put16(f.bytes, ports, 853);
        if (be16(f.bytes, ports + 2) == 53) put16(f.bytes, ports + 2, 853);
    }
    // Even when 853 is listed as a DNS port.
    const DecodeRun r = decode_frames(frames, options_with(1u << 20, 64, 16, {53, 853}));
    EXPECT_TRUE(r.messages.empty());
    EXPECT_EQ(r.counters.of(SkipKind::dns_over_tls), frames.size());
}

TEST(TcpReassembly, EveryCutOfEveryFrameIsSafeWithStateAround) {
    // Each frame is preceded by all its cuts, fed to the same decoder: cut
    // segments look like short retransmissions, cut fragments like fragments
    // of odd lengths. Nothing may crash, each frame is counted once.
    for (const char* file : {"pcap/dnscap/dnso1tcp-bighole.pcap", "pcap/dnscap/dnsotcp-many1pkt.pcap",
                             "pcap/dnscap/do1t-nosyn-1nolen.pcap", "pcap/go-dnscollector/dnsdump_tcp_fastopen.pcap",
                             "pcap/dnscap/frags.pcap", "pcap/zeek/ipv6-fragmented-dns.pcap",
                             "pcap/ndpi/dns_fragmented.pcap"}) {
        SCOPED_TRACE(file);
        std::vector<Frame> frames;
        for (const Frame& f : read_frames(file)) {
            for (std::size_t cut = 0; cut < f.bytes.size(); cut += 3) {
                Frame part = f;
                part.bytes.resize(cut);
                frames.push_back(std::move(part));
            }
            frames.push_back(f);
        }
        const DecodeRun r = decode_frames(frames, options_with(64u << 10, 8, 4));
        EXPECT_FALSE(r.messages.empty());
    }
}

// --- the frames that carried a message (evidence) ------------------------------

std::uint32_t seq_of(const Frame& f) {
    return (std::uint32_t{f.bytes[kTcp + 4]} << 24) | (std::uint32_t{f.bytes[kTcp + 5]} << 16) |
           (std::uint32_t{f.bytes[kTcp + 6]} << 8) | f.bytes[kTcp + 7];
}

// `f` cut into segments whose payloads begin at `cuts` (each > 0), with IP
// lengths and sequence numbers set as a sender would.
std::vector<Frame> cut_segment(const Frame& f, const std::vector<std::size_t>& cuts) {
    const std::size_t n = payload_of(f);
    const std::size_t header = f.bytes.size() - n;
    std::vector<std::size_t> starts{0};
    for (std::size_t c : cuts) starts.push_back(c);
    starts.push_back(n);
    std::vector<Frame> out;
    for (std::size_t i = 0; i + 1 < starts.size(); ++i) {
        Frame part = f;
        part.bytes.assign(f.bytes.begin(), f.bytes.begin() + static_cast<long>(header));
        part.bytes.insert(part.bytes.end(), f.bytes.begin() + static_cast<long>(header + starts[i]),
                          f.bytes.begin() + static_cast<long>(header + starts[i + 1]));
        put16(part.bytes, 14 + 2, part.bytes.size() - 14);
        const std::uint32_t seq = seq_of(f) + static_cast<std::uint32_t>(starts[i]);
        for (int b = 0; b < 4; ++b) part.bytes[kTcp + 4 + b] = static_cast<std::uint8_t>(seq >> (24 - 8 * b));
        out.push_back(std::move(part));
    }
    return out;
}

// Numbered 1.. in order, each a time of its own down to the nanosecond.
void renumber(std::vector<Frame>& frames) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
        frames[i].number = i + 1;
        frames[i].time_us += static_cast<std::int64_t>(i);
        frames[i].time_ns = static_cast<std::uint16_t>((i * 7 + 1) % 1000);
    }
}

bool same_frame(const Frame& a, const Frame& b) {
    return a.bytes == b.bytes && a.time_us == b.time_us && a.time_ns == b.time_ns && a.number == b.number &&
           a.link_type == b.link_type;
}

TEST(TcpCarriers, AQueryWhoseLengthCameAloneCarriesThatFrame) {
    std::vector<Frame> frames = read_frames("pcap/dnscap/dnso1tcp.pcap");
    renumber(frames);
    const DecodeRun r = decode_frames(frames);
    ASSERT_EQ(r.messages.size(), 82u);
    std::size_t spanning = 0;
    for (const Message& m : r.messages) {
        if (!m.datagram.reassembled) {
            EXPECT_TRUE(m.carriers.empty());  // the frame handed with it is all of it
            continue;
        }
        ++spanning;
        ASSERT_EQ(m.carriers.size(), 1u);
        const Frame& carrier = m.carriers[0];
        ASSERT_GE(carrier.number, 1u);
        EXPECT_LT(carrier.number, m.frame);
        EXPECT_TRUE(same_frame(carrier, frames[carrier.number - 1])) << "frame " << carrier.number;
        EXPECT_EQ(payload_of(carrier), 2u);  // the length prefix
    }
    EXPECT_EQ(spanning, 41u);
    EXPECT_EQ(r.counters.of(ReassemblyEvent::tcp_carrier_dropped), 0u);
}

// Every answer of 145 bytes cut into three segments.
std::vector<Frame> answers_in_three(std::vector<Frame> frames) {
    std::vector<Frame> out;
    for (const Frame& f : frames) {
        if (payload_of(f) != 145) {
            out.push_back(f);
            continue;
        }
        for (Frame& part : cut_segment(f, {50, 100})) out.push_back(std::move(part));
    }
    renumber(out);
    return out;
}

TEST(TcpCarriers, AnAnswerInThreeSegmentsCarriesTheFirstTwoInOrderOrNot) {
    const std::vector<Frame> frames = answers_in_three(read_frames("pcap/dnscap/dnso1tcp.pcap"));
    auto check = [&](const DecodeRun& r) {
        std::size_t answers = 0;
        for (const Message& m : r.messages) {
            if (!m.response() || m.payload.size() != 143) continue;
            ++answers;
            ASSERT_EQ(m.carriers.size(), 2u);
            for (const Frame& carrier : m.carriers) {
                EXPECT_TRUE(same_frame(carrier, frames[carrier.number - 1])) << "frame " << carrier.number;
                EXPECT_NE(carrier.number, m.frame);
            }
            EXPECT_NE(m.carriers[0].number, m.carriers[1].number);
        }
        EXPECT_EQ(answers, 17u);
        EXPECT_EQ(r.counters.of(ReassemblyEvent::tcp_carrier_dropped), 0u);
    };
    check(decode_frames(frames));
    // Out of order: the middle part of each answer after the last. The
    // held segment's frame waits with it and is handed out as a carrier.
    std::vector<Frame> shuffled = frames;
    std::size_t swapped = 0;
    for (std::size_t i = 0; i + 2 < shuffled.size(); ++i) {
        if (payload_of(shuffled[i]) == 50 && payload_of(shuffled[i + 1]) == 50 && payload_of(shuffled[i + 2]) == 45) {
            std::swap(shuffled[i + 1], shuffled[i + 2]);
            ++swapped;
            i += 2;
        }
    }
    EXPECT_EQ(swapped, 17u);
    const DecodeRun reordered = decode_frames(shuffled);
    EXPECT_EQ(reordered.counters.of(ReassemblyEvent::tcp_gap), 0u);
    check(reordered);
}

TEST(TcpCarriers, FramesPastTwiceTheFlowCapAreCountedAndTheMessageStillComes) {
    // Each answer in 15 segments of about ten bytes: fifteen frames of ~100
    // bytes with their headers, more than twice a flow cap of 200 bytes.
    std::vector<Frame> out;
    for (const Frame& f : read_frames("pcap/dnscap/dnso1tcp.pcap")) {
        if (payload_of(f) != 145) {
            out.push_back(f);
            continue;
        }
        std::vector<std::size_t> cuts;
        for (std::size_t at = 10; at < 145; at += 10) cuts.push_back(at);
        for (Frame& part : cut_segment(f, cuts)) out.push_back(std::move(part));
    }
    renumber(out);
    TransportOptions options = options_with();
    options.tcp_flow_bytes = 200;
    const DecodeRun r = decode_frames(out, options);
    EXPECT_EQ(r.messages.size(), 82u);
    EXPECT_GT(r.counters.of(ReassemblyEvent::tcp_carrier_dropped), 0u);
    for (const Message& m : r.messages) {
        std::size_t bytes = 0;
        for (const Frame& c : m.carriers) bytes += sizeof(CarrierFrameHeader) + c.bytes.size();
        EXPECT_LE(bytes, 2 * options.tcp_flow_bytes);
        if (m.response() && m.payload.size() == 143) {
            EXPECT_GT(m.carriers.size(), 1u);
        }
    }
    // With the default cap every one of the fourteen other frames comes.
    const DecodeRun roomy = decode_frames(out);
    EXPECT_EQ(roomy.counters.of(ReassemblyEvent::tcp_carrier_dropped), 0u);
    for (const Message& m : roomy.messages) {
        if (m.response() && m.payload.size() == 143) {
            EXPECT_EQ(m.carriers.size(), 14u);
        }
    }
}

}  // namespace
}  // namespace dnswatch::test
