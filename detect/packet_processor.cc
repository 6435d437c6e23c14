#include "detect/packet_processor.h"

#include <functional>

namespace dnswatch {

PacketProcessor::PacketProcessor(const WatchSet& watch, const Baseline& baseline, std::string sensor_id,
                                 AlertSink& sink, const TransportOptions& transport)
    : watch_(&watch), transport_(transport), detector_(watch, baseline, std::move(sensor_id), sink) {}

namespace {

bool lies_within(std::span<const std::uint8_t> part, std::span<const std::uint8_t> whole) {
    const std::less_equal<const std::uint8_t*> at_or_before;
    return !part.empty() && at_or_before(whole.data(), part.data()) &&
           at_or_before(part.data() + part.size(), whole.data() + whole.size());
}

}  // namespace

void PacketProcessor::process(const PacketBatch& batch, std::string_view source) {
    for (const PacketView& packet : batch) process_in_burst(packet, source);
    end_of_burst();
}

void PacketProcessor::process(const PacketView& packet, std::string_view source) {
    end_of_burst();
    ++counters_.packets;
    source_ = source;
    transport_.decode(packet, *this);
}

void PacketProcessor::process_in_burst(const PacketView& packet, std::string_view source) {
    ++counters_.packets;
    source_ = source;
    in_burst_ = true;
    transport_.decode(packet, *this);
    in_burst_ = false;
}

void PacketProcessor::end_of_burst() {
    while (pending_count_ != 0) judge_first_pending();
}

// One DNS message: a UDP payload, or one of the messages a TCP segment or a
// last fragment completed. Its bytes are valid during this call only, or,
// in a burst, until end_of_burst() for a message in one frame.
void PacketProcessor::on_dns(const DnsDatagram& datagram, const PacketView& packet) {
    // Only a message lying in the packet's own bytes may wait: one from a
    // decoder's buffer (a TCP segment replayed out of order whose frame
    // was not kept, say) is overwritten by the next.
    if (in_burst_ && lies_within(datagram.dns, packet.bytes)) {
        defer(datagram, packet);
    } else {
        end_of_burst();
        judge(datagram, packet, {});
    }
}

void PacketProcessor::on_reassembled_dns(const DnsDatagram& datagram, const PacketView& packet,
                                         std::span<const std::uint8_t> carriers) {
    end_of_burst();
    judge(datagram, packet, carriers);
}

PacketProcessor::ForDetector PacketProcessor::decode_for_detector(std::span<const std::uint8_t> dns,
                                                                  DnsDecoder& decoder, DnsMessageView& message) {
    if (filter_watched_response(dns, *watch_, decoder, message, counters_, transport_.counters()) != nullptr) {
        return ForDetector::response;
    }
    // A query about a watched name is remembered, so that its answers are
    // matched with it and forged ones stand out.
    return watched_query_zone(*watch_, decoder, message) != nullptr ? ForDetector::query : ForDetector::nothing;
}

void PacketProcessor::judge(const DnsDatagram& datagram, const PacketView& packet,
                            std::span<const std::uint8_t> carriers) {
    DnsMessageView message;
    switch (decode_for_detector(datagram.dns, decoder_, message)) {
        case ForDetector::response:
            detector_.observe(message, MessageContext{&packet, &datagram, source_, carriers});
            break;
        case ForDetector::query:
            detector_.observe_query(message, datagram, packet, carriers);
            break;
        case ForDetector::nothing:
            break;
    }
}

void PacketProcessor::defer(const DnsDatagram& datagram, const PacketView& packet) {
    Pending& p = pending_[(pending_first_ + pending_count_) % kLookAhead];
    const ForDetector kind = decode_for_detector(datagram.dns, p.decoder, p.message);
    if (kind == ForDetector::nothing) return;  // unwatched, or malformed (counted)
    p.query = kind == ForDetector::query;
    if (!p.query) detector_.prefetch_index(p.message);
    // The packet and datagram the decoder handed out are its own, valid
    // during this call: kept by value (their bytes stay put in the burst).
    p.packet = packet;
    p.datagram = datagram;
    if (datagram.tunnel != nullptr) {
        p.tunnel = *datagram.tunnel;
        p.datagram.tunnel = &p.tunnel;
    }
    p.source = source_;
    ++pending_count_;
    if (pending_count_ > kLookAhead / 2) {
        const Pending& half_way = pending_[(pending_first_ + pending_count_ - 1 - kLookAhead / 2) % kLookAhead];
        if (!half_way.query) detector_.prefetch_nodes(half_way.message);
    }
    if (pending_count_ == kLookAhead) judge_first_pending();
}

void PacketProcessor::judge_first_pending() {
    Pending& p = pending_[pending_first_];
    pending_first_ = (pending_first_ + 1) % kLookAhead;
    --pending_count_;
    if (p.query) {
        detector_.observe_query(p.message, p.datagram, p.packet);
    } else {
        detector_.observe(p.message, MessageContext{&p.packet, &p.datagram, p.source, {}});
    }
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
