// The dnstap envelope: a dnstap.Dnstap protobuf in, the DNS message with
// dnstap's addressing, transport, time and vantage out; anything else is
// counted as skipped or malformed, never trusted. Then through the
// TransportDecoder, where a frame of link type kLinkTypeDnstap enters the
// same sink a packet does, and from a Frame Streams file through
// CaptureFile, as `dnswatch replay` reads it.
#include <gtest/gtest.h>
#include <arpa/inet.h>

#include <fstream>

#include "capture/frame_streams.h"
#include "capture/pcap_window_source.h"
#include "decode/dnstap_message.h"
#include "decode/transport.h"
#include "tests/support/message_builder.h"
#include "tests/support/scratch_dir.h"

namespace dnswatch {
namespace {

IpAddress v4(const char* text) {
    IpAddress a;
    a.family = 4;
    inet_pton(AF_INET, text, a.bytes.data());
    return a;
}

std::vector<std::uint8_t> forged_answer() {
    test::MessageSpec spec;
    spec.aa = false;
    spec.ra = true;
    spec.question = "www.victim.test. IN A";
    spec.answer = {"www.victim.test. 300 IN A 203.0.113.66"};
    return test::build_message(spec);
}

DnstapMessage client_response(const std::vector<std::uint8_t>& dns, DnstapTransport transport) {
    DnstapMessage m;
    m.type = DnstapType::client_response;
    m.transport = transport;
    m.time_us = 1'773'478'920'000'075;
    m.datagram.src = v4("127.0.0.53");
    m.datagram.dst = v4("127.0.0.1");
    m.datagram.src_port = 853;
    m.datagram.dst_port = 40000;
    m.datagram.dns = dns;
    return m;
}

TEST(DnstapMessageTest, AResponseKeepsItsAddressingTimeAndVantage) {
    const auto dns = forged_answer();
    const auto frame = encode_dnstap(client_response(dns, DnstapTransport::udp));
    DnstapDecoder decoder;
    DnstapMessage out;
    const DnstapOutcome outcome = decoder.decode(frame, out);
    ASSERT_EQ(outcome.result, DnstapResult::message);
    EXPECT_EQ(out.type, DnstapType::client_response);
    EXPECT_EQ(out.datagram.src, v4("127.0.0.53"));  // the resolver answers
    EXPECT_EQ(out.datagram.dst, v4("127.0.0.1"));
    EXPECT_EQ(out.datagram.src_port, 853);
    EXPECT_EQ(out.datagram.dst_port, 40000);
    EXPECT_EQ(out.datagram.ip_protocol, 17);
    EXPECT_EQ(out.datagram.responder, Responder::resolver);
    EXPECT_EQ(out.time_us, 1'773'478'920'000'075);
    EXPECT_EQ(std::vector<std::uint8_t>(out.datagram.dns.begin(), out.datagram.dns.end()), dns);
}

TEST(DnstapMessageTest, EncryptedTransportsAreJudgedLikeTheirCarrier) {
    const auto dns = forged_answer();
    DnstapDecoder decoder;
    DnstapMessage out;
    for (const auto t : {DnstapTransport::dot, DnstapTransport::doh}) {
        ASSERT_EQ(decoder.decode(encode_dnstap(client_response(dns, t)), out).result, DnstapResult::message);
        EXPECT_EQ(out.datagram.ip_protocol, 6);
    }
    ASSERT_EQ(decoder.decode(encode_dnstap(client_response(dns, DnstapTransport::doq)), out).result,
              DnstapResult::message);
    EXPECT_EQ(out.datagram.ip_protocol, 17);
}

TEST(DnstapMessageTest, TheMessageTypeSaysWhoAnswered) {
    EXPECT_EQ(responder_of(DnstapType::auth_response), Responder::server);
    EXPECT_EQ(responder_of(DnstapType::resolver_response), Responder::server);
    EXPECT_EQ(responder_of(DnstapType::client_response), Responder::resolver);
    EXPECT_EQ(responder_of(DnstapType::client_query), Responder::from_flags);
    EXPECT_FALSE(is_response(DnstapType::resolver_query));
    EXPECT_TRUE(is_response(DnstapType::resolver_response));
}

TEST(DnstapMessageTest, AQueryGoesFromItsInitiator) {
    test::MessageSpec spec;
    spec.qr = false;
    spec.aa = false;
    spec.question = "www.victim.test. IN A";
    const auto dns = test::build_message(spec);
    DnstapMessage q = client_response(dns, DnstapTransport::tcp);
    q.type = DnstapType::client_query;
    q.datagram.src = v4("127.0.0.1");
    q.datagram.dst = v4("127.0.0.53");
    q.datagram.src_port = 40000;
    q.datagram.dst_port = 53;
    DnstapDecoder decoder;
    DnstapMessage out;
    ASSERT_EQ(decoder.decode(encode_dnstap(q), out).result, DnstapResult::message);
    EXPECT_EQ(out.datagram.src, v4("127.0.0.1"));
    EXPECT_EQ(out.datagram.dst_port, 53);
    EXPECT_EQ(out.datagram.ip_protocol, 6);
    EXPECT_EQ(out.datagram.responder, Responder::from_flags);
}

TEST(DnstapMessageTest, GarbageAndMissingPartsAreCountedNotTrusted) {
    DnstapDecoder decoder;
    DnstapMessage out;
    const std::vector<std::uint8_t> garbage = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x01};
    EXPECT_EQ(decoder.decode(garbage, out).malformed, MalformedKind::dnstap_undecodable);
    // A message whose type names a response but that carries none.
    DnstapMessage empty = client_response({}, DnstapTransport::udp);
    const DnstapOutcome o = decoder.decode(encode_dnstap(empty), out);
    EXPECT_EQ(o.result, DnstapResult::skipped);
    EXPECT_EQ(o.skip, SkipKind::dnstap_no_dns);
    // Truncated anywhere: never a message with bytes from beyond the frame.
    const auto dns = forged_answer();
    const auto frame = encode_dnstap(client_response(dns, DnstapTransport::udp));
    for (std::size_t cut = 0; cut < frame.size(); ++cut) {
        const DnstapOutcome t = decoder.decode(std::span(frame).first(cut), out);
        if (t.result == DnstapResult::message) {
            EXPECT_LE(out.datagram.dns.size(), cut);
        }
    }
    const std::vector<std::uint8_t> huge(DnstapDecoder::kMaxFrameBytes + 1, 0);
    EXPECT_EQ(decoder.decode(huge, out).malformed, MalformedKind::dnstap_too_large);
}

struct Collect : DnsMessageSink {
    std::vector<DnsDatagram> datagrams;
    std::vector<std::int64_t> times;
    void on_dns(const DnsDatagram& d, const PacketView& packet) override {
        datagrams.push_back(d);
        times.push_back(packet.time_us);
    }
};

TEST(DnstapMessageTest, TheTransportDecoderHandsItToTheSameSinkAsAPacket) {
    const auto dns = forged_answer();
    const auto frame = encode_dnstap(client_response(dns, DnstapTransport::dot));
    PacketView packet;
    packet.bytes = frame;
    packet.wire_length = static_cast<std::uint32_t>(frame.size());
    packet.link_type = kLinkTypeDnstap;
    packet.time_us = 42;  // arrival: replaced by the message's own time
    TransportDecoder transport;
    Collect sink;
    EXPECT_EQ(transport.decode(packet, sink), TransportResult::dns);
    ASSERT_EQ(sink.datagrams.size(), 1u);
    EXPECT_EQ(sink.times[0], 1'773'478'920'000'075);
    EXPECT_EQ(sink.datagrams[0].src_port, 853);
}

TEST(DnstapMessageTest, AFrameStreamsFileIsReadAsACapture) {
    const auto dir = test::scratch_dir("dnstap-file");
    const auto dns = forged_answer();
    FrameStreamWriter writer;
    writer.start();
    for (int i = 0; i < 100; ++i) writer.data(encode_dnstap(client_response(dns, DnstapTransport::udp)));
    writer.stop();
    const auto path = dir / "unbound.fstrm";
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(writer.bytes().data()), static_cast<std::streamsize>(writer.bytes().size()));

    CaptureFile file(path.string());
    PacketBatch batch;
    std::size_t frames = 0;
    while (file.next_batch(batch)) {
        for (const PacketView& p : batch) {
            EXPECT_EQ(p.link_type, kLinkTypeDnstap);
            ++frames;
        }
    }
    EXPECT_EQ(frames, 100u);
    EXPECT_FALSE(file.truncated()) << file.read_error();

    // Cut inside the last frame, as a killed writer leaves it: the whole
    // frames are read, the cut one is reported.
    std::filesystem::resize_file(path, writer.bytes().size() - 20);
    CaptureFile cut(path.string());
    frames = 0;
    while (cut.next_batch(batch)) frames += batch.size();
    EXPECT_EQ(frames, 99u);
    EXPECT_TRUE(cut.truncated());
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dnswatch
