#include "detect/packet_processor.h"

#include "decode/transport.h"

namespace dnswatch {

PacketProcessor::PacketProcessor(const WatchSet& watch, const Baseline& baseline, std::string sensor_id,
                                 AlertSink& sink)
    : watch_(watch), detector_(watch, baseline, std::move(sensor_id), sink) {}

void PacketProcessor::process(const PacketBatch& batch, std::string_view source) {
    for (const PacketView& packet : batch) process(packet, source);
}

void PacketProcessor::process(const PacketView& packet, std::string_view source) {
    ++counters_.packets;
    DnsDatagram datagram;
    if (decode_transport(packet, datagram, decode_counters_) != TransportResult::dns) return;
    ++counters_.dns_messages;

    DnsMessageView message;
    MalformedKind kind = decoder_.decode_question(datagram.dns, message);
    if (kind != MalformedKind::none) {
        decode_counters_.count(kind);
        return;
    }
    if (!message.header.qr()) {
        ++counters_.queries;
        return;
    }
    ++counters_.responses;
    if (!message.has_question || watch_.find(message.qname) == nullptr) return;
    ++counters_.watched_responses;

    kind = decoder_.decode_records(message);
    if (kind != MalformedKind::none) {
        // A malformed answer about a watched zone is itself worth noticing.
        decode_counters_.count(kind);
        ++counters_.watched_malformed;
        return;
    }
    detector_.observe(message, MessageContext{&packet, &datagram, source});
}

}  // namespace dnswatch
