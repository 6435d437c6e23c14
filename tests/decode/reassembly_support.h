// Helpers for reassembly tests: captures read into editable frames, decoded
// in any order, with every message copied out.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "capture/pcap_file_source.h"
#include "decode/carrier_frames.h"
#include "decode/transport.h"

namespace dnswatch::test {

using Bytes = std::vector<std::uint8_t>;

inline std::string corpus(const std::string& relative) {
    return std::string(DNSWATCH_CORPUS_DIR) + "/" + relative;
}

struct Frame {
    Bytes bytes;
    std::int64_t time_us = 0;
    int link_type = 0;
    std::uint64_t number = 0;
    std::uint16_t time_ns = 0;
};

// A capture committed to this repository, e.g. "tests/decode/tunnel-captures/gtpu-dns.pcap".
inline std::string source_file(const std::string& relative) {
    return std::string(DNSWATCH_SOURCE_DIR) + "/" + relative;
}

inline std::vector<Frame> read_capture(const std::string& path) {
    std::vector<Frame> frames;
    PcapFileSource source(path);
    PacketBatch batch;
    while (source.next_batch(batch)) {
        for (const PacketView& p : batch) {
            frames.push_back(
                Frame{Bytes(p.bytes.begin(), p.bytes.end()), p.time_us, p.link_type, p.frame_number, p.time_ns});
        }
    }
    return frames;
}

inline std::vector<Frame> read_frames(const std::string& relative) { return read_capture(corpus(relative)); }

struct Message {
    std::uint64_t frame = 0;
    // `dns` and `tunnel` cleared: the bytes are in `payload`, the rest below
    DnsDatagram datagram;
    Bytes payload;
    std::optional<Tunnel> tunnel;
    std::vector<Frame> carriers;  // the other frames that carried it, as handed out

    std::uint16_t id() const {
        return payload.size() < 2 ? 0 : static_cast<std::uint16_t>(payload[0] << 8 | payload[1]);
    }
    bool response() const { return payload.size() > 2 && (payload[2] & 0x80) != 0; }
};

class MessageLog : public DnsMessageSink {
public:
    std::vector<Message> messages;
    void on_dns(const DnsDatagram& datagram, const PacketView& packet) override {
        Message m;
        m.frame = packet.frame_number;
        m.datagram = datagram;
        m.datagram.dns = {};
        m.datagram.tunnel = nullptr;
        m.payload.assign(datagram.dns.begin(), datagram.dns.end());
        if (datagram.tunnel != nullptr) m.tunnel = *datagram.tunnel;
        messages.push_back(std::move(m));
    }
    void on_reassembled_dns(const DnsDatagram& datagram, const PacketView& packet,
                            std::span<const std::uint8_t> carriers) override {
        on_dns(datagram, packet);
        Message& m = messages.back();
        for_each_carrier_frame(carriers, [&m](const PacketView& c) {
            m.carriers.push_back(Frame{Bytes(c.bytes.begin(), c.bytes.end()), c.time_us, c.link_type,
                                       c.frame_number, c.time_ns});
        });
    }
};

struct DecodeRun {
    std::vector<Message> messages;
    std::vector<TransportResult> results;
    DecodeCounters counters;
    std::size_t free_bytes_after_flush = 0;
};

inline TransportOptions options_with(std::size_t total_bytes = 1u << 20, std::size_t max_flows = 64,
                                     std::size_t max_datagrams = 16, std::vector<std::uint16_t> ports = {53}) {
    TransportOptions options;
    options.dns_ports = std::move(ports);
    options.total_bytes = total_bytes;
    options.max_tcp_flows = max_flows;
    options.max_fragment_datagrams = max_datagrams;
    return options;
}

// Decodes `frames` in order through one decoder; checks that each frame is
// counted exactly once, and that flush() gives back every byte.
inline DecodeRun decode_frames(const std::vector<Frame>& frames, const TransportOptions& options = options_with()) {
    DecodeRun run;
    TransportDecoder decoder(options);
    MessageLog log;
    const std::size_t free_at_start = decoder.free_bytes();
    std::uint64_t dns_frames = 0;
    for (const Frame& f : frames) {
        PacketView view;
        view.bytes = std::span<const std::uint8_t>(f.bytes.data(), f.bytes.size());
        view.wire_length = static_cast<std::uint32_t>(f.bytes.size());
        view.time_us = f.time_us;
        view.time_ns = f.time_ns;
        view.link_type = f.link_type;
        view.frame_number = f.number;
        const std::size_t before = log.messages.size();
        const TransportResult result = decoder.decode(view, log);
        EXPECT_EQ(result == TransportResult::dns, log.messages.size() > before) << "frame " << f.number;
        dns_frames += result == TransportResult::dns;
        run.results.push_back(result);
    }
    decoder.flush();
    run.counters = decoder.counters();
    const DecodeCounters& c = run.counters;
    EXPECT_EQ(dns_frames + c.skipped_total() + c.held_total() + c.malformed_total(), frames.size());
    run.free_bytes_after_flush = decoder.free_bytes();
    EXPECT_EQ(run.free_bytes_after_flush, free_at_start);
    run.messages = std::move(log.messages);
    return run;
}

inline DecodeRun decode_file(const std::string& relative, const TransportOptions& options = options_with()) {
    return decode_frames(read_frames(relative), options);
}

inline std::uint16_t be16(const Bytes& b, std::size_t at) {
    return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]);
}
inline void put16(Bytes& b, std::size_t at, std::size_t v) {
    b[at] = static_cast<std::uint8_t>(v >> 8);
    b[at + 1] = static_cast<std::uint8_t>(v);
}

}  // namespace dnswatch::test
