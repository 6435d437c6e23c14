#include "detect/packet_processor.h"

namespace dnswatch {

PacketProcessor::PacketProcessor(const WatchSet& watch, const Baseline& baseline, std::string sensor_id,
                                 AlertSink& sink, const TransportOptions& transport)
    : watch_(&watch), transport_(transport), detector_(watch, baseline, std::move(sensor_id), sink) {}

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
void PacketProcessor::on_dns(const DnsDatagram& datagram, const PacketView& packet) { judge(datagram, packet, {}); }

void PacketProcessor::on_reassembled_dns(const DnsDatagram& datagram, const PacketView& packet,
                                         std::span<const std::uint8_t> carriers) {
    judge(datagram, packet, carriers);
}

void PacketProcessor::judge(const DnsDatagram& datagram, const PacketView& packet,
                            std::span<const std::uint8_t> carriers) {
    DnsMessageView message;
    if (filter_watched_response(datagram.dns, *watch_, decoder_, message, counters_, transport_.counters()) == nullptr) {
        // A query about a watched name is remembered, so that its answers
        // are matched with it and forged ones stand out.
        if (watched_query_zone(*watch_, decoder_, message) != nullptr) {
            detector_.observe_query(message, datagram, packet, carriers);
        }
        return;
    }
    detector_.observe(message, MessageContext{&packet, &datagram, source_, carriers});
}

const WatchedZone* watched_query_zone(const WatchSet& watch, DnsDecoder& decoder, DnsMessageView& message) {
    if (message.header.qr() || !message.has_question) return nullptr;
    const WatchedZone* zone = watch.find(message.qname);
    if (zone == nullptr || decoder.decode_records(message) != MalformedKind::none) return nullptr;
    return zone;
}

const WatchedZone* filter_watched_response(std::span<const std::uint8_t> dns, const WatchSet& watch,
                                           DnsDecoder& decoder, DnsMessageView& message, PacketCounters& counters,
                                           DecodeCounters& decode_counters) {
    ++counters.dns_messages;
    MalformedKind kind = decoder.decode_question(dns, message);
    if (kind != MalformedKind::none) {
        decode_counters.count(kind);
        return nullptr;
    }
    if (!message.header.qr()) {
        ++counters.queries;
        return nullptr;
    }
    ++counters.responses;
    const WatchedZone* zone = message.has_question ? watch.find(message.qname) : nullptr;
    if (zone == nullptr) return nullptr;
    ++counters.watched_responses;
    kind = decoder.decode_records(message);
    if (kind != MalformedKind::none) {
        decode_counters.count(kind);
        ++counters.watched_malformed;
        return nullptr;
    }
    return zone;
}

}  // namespace dnswatch
