// What the detector tests share: a sink that keeps what the detector emits,
// and delivery of one built response to a detector as if captured.
#pragma once

#include <arpa/inet.h>

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "decode/dns_message.h"
#include "detect/alert_sink.h"
#include "detect/detector.h"
#include "tests/support/message_builder.h"

namespace dnswatch::test {

class RecordingSink : public AlertSink {
public:
    void publish(const Alert& alert) override { alerts.push_back(alert); }
    std::vector<Alert> alerts;
};

// Builds `spec` into `wire` (kept by the caller: the view points into it)
// and hands it to `detector` as a response from `server`:53 to
// 198.51.100.7, captured at `time_us` as frame `frame`.
inline void deliver_response(Detector& detector, DnsDecoder& decoder, std::vector<std::uint8_t>& wire,
                             const MessageSpec& spec, const char* server, std::int64_t time_us, std::uint64_t frame) {
    wire = build_message(spec);
    DnsMessageView view;
    ASSERT_EQ(decoder.decode(wire, view), MalformedKind::none);
    PacketView packet;
    packet.time_us = time_us;
    packet.frame_number = frame;
    DnsDatagram datagram;
    datagram.src.family = 4;
    datagram.dst.family = 4;
    inet_pton(AF_INET, server, datagram.src.bytes.data());
    inet_pton(AF_INET, "198.51.100.7", datagram.dst.bytes.data());
    datagram.src_port = 53;
    datagram.dns = wire;
    detector.observe(view, MessageContext{&packet, &datagram, "unit.pcap"});
}

}  // namespace dnswatch::test
