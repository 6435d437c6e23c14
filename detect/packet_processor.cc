#include "detect/packet_processor.h"

namespace dnswatch {

PacketProcessor::PacketProcessor(const WatchSet& watch, const Baseline& baseline, std::string sensor_id,
                                 AlertSink& sink, const TransportOptions& transport)
    : watch_(watch), transport_(transport), detector_(watch, baseline, std::move(sensor_id), sink) {}

void PacketProcessor::process(const PacketBatch& batch, std::string_view source) {
    for (const PacketView& packet : batch) process(packet, source);
}

void PacketProcessor::process(const PacketView& packet, std::string_view source) {
    ++counters_.packets;
    source_ = source;
    transport_.decode(packet, *this);
}

// One DNS message: a UDP payload, or one of the messages a TCP segment or a
// last fragment completed. Its bytes are valid during this call only.
void PacketProcessor::on_dns(const DnsDatagram& datagram, const PacketView& packet) {
    ++counters_.dns_messages;
    DecodeCounters& counters = transport_.counters();
    DnsMessageView message;
    MalformedKind kind = decoder_.decode_question(datagram.dns, message);
    if (kind != MalformedKind::none) {
        counters.count(kind);
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
        counters.count(kind);
        ++counters_.watched_malformed;
        return;
    }
    detector_.observe(message, MessageContext{&packet, &datagram, source_});
}

}  // namespace dnswatch
