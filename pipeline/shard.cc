#include "pipeline/shard.h"

#include <optional>

#include "pipeline/backoff.h"
#include "pipeline/ordered_merge.h"
#include "pipeline/records.h"

namespace dnswatch {
namespace {

// Records read from a ring before its memory is handed back: one store per
// batch rather than per record, but never so many that the worker starves.
constexpr std::uint32_t kReleaseEvery = 32;

}  // namespace

Shard::Shard(const WatchSet& local_watch, const Baseline& baseline, std::string sensor_id,
             const std::vector<std::string>& sources, AlertRing& alerts, std::vector<ShardInput> inputs,
             std::atomic<std::uint64_t>& frontier, bool ordered, bool lossless, const std::atomic<bool>& abort)
    : sources_(sources),
      sink_(alerts, lossless, abort,
            // Before waiting for room in the alert ring: give the workers
            // their memory back and let the publisher move up to here.
            [this] {
                release_all();
                publish_counters();
            }),
      detector_(local_watch, baseline, std::move(sensor_id), sink_),
      inputs_(std::move(inputs)),
      unreleased_(inputs_.size(), 0),
      frontier_(frontier),
      ordered_(ordered) {}

void Shard::consume(std::span<const std::uint8_t> record) {
    const auto header = read_header<MessageRecordHeader>(record);
    const std::span<const std::uint8_t> body = record.subspan(sizeof header);
    const PacketView packet = packet_view_of(header, body.first(header.frame_size));
    DnsDatagram datagram;
    datagram.src = header.src;
    datagram.dst = header.dst;
    datagram.src_port = header.src_port;
    datagram.dst_port = header.dst_port;
    datagram.ip_protocol = header.ip_protocol;
    datagram.reassembled = header.reassembled != 0;
    datagram.responder = header.responder;
    datagram.tunnel = header.tunnelled != 0 ? &header.tunnel : nullptr;
    datagram.dns = header.dns_in_frame >= 0
                       ? packet.bytes.subspan(static_cast<std::size_t>(header.dns_in_frame), header.dns_size)
                       : body.subspan(header.frame_size, header.dns_size);
    const std::size_t carriers_at = header.frame_size + (header.dns_in_frame >= 0 ? 0 : header.dns_size);
    const std::span<const std::uint8_t> carriers = body.subspan(carriers_at, header.carriers_size);

    DnsMessageView message;
    if (decoder_.decode(datagram.dns, message) != MalformedKind::none) {
        ++counters_.decode_mismatch;
        return;
    }
    if (baseline_) detector_.follow(*baseline_);  // one atomic load unless it moved
    if (!message.header.qr()) {  // a query about one of our zones: its answers are matched with it
        ++counters_.queries;
        detector_.observe_query(message, datagram, packet, carriers);
        return;
    }
    ++counters_.messages;
    sink_.set_key(header.key);
    const std::string_view source = header.source < sources_.size() ? std::string_view(sources_[header.source])
                                                                      : std::string_view();
    detector_.observe(message, MessageContext{&packet, &datagram, source, carriers});
    if (keep_learned_) sink_.publish_learned(detector_.learner(), packet.time_us);
}

void Shard::run() {
    if (ordered_) {
        run_ordered();
    } else {
        run_unordered();
    }
    if (keep_learned_) sink_.publish_learned(detector_.learner(), 0, /*force=*/true);
    release_all();
    publish_counters();
    frontier_.store(kKeyInfinity, std::memory_order_release);
}

void Shard::release_all() {
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
        if (unreleased_[i] == 0) continue;
        inputs_[i].ring->release();
        unreleased_[i] = 0;
    }
}

void Shard::publish_counters() {
    counters_.alerts = sink_.pushed();
    counters_.alert_ring_drops = sink_.dropped();
    published_counters_.publish(counters_);
    published_detection_.publish(detector_.all_counters());
}

// Messages in key order across the workers (see ordered_merge.h).
void Shard::run_ordered() {
    auto head = [this](std::size_t i) -> std::optional<std::uint64_t> {
        const std::span<const std::uint8_t> record = inputs_[i].ring->peek();
        if (record.data() == nullptr) return std::nullopt;
        return read_header<MessageRecordHeader>(record).key;
    };
    auto watermark = [this](std::size_t i) { return inputs_[i].watermark->load(std::memory_order_acquire); };
    Backoff backoff;
    std::uint32_t since_publish = 0;
    for (;;) {
        const MergeChoice choice = next_in_order(inputs_.size(), head, watermark);
        if (!choice.input) {
            release_all();
            frontier_.store(choice.low, std::memory_order_release);
            if (choice.low == kKeyInfinity) return;  // every worker done, every ring empty
            publish_counters();
            since_publish = 0;
            backoff.pause();
            continue;
        }
        backoff.reset();
        const std::size_t i = *choice.input;
        ByteRing& ring = *inputs_[i].ring;
        consume(ring.peek());
        ring.advance();
        if (++unreleased_[i] >= kReleaseEvery) {
            ring.release();
            unreleased_[i] = 0;
        }
        // The publisher may release alerts up to just below what we hold next.
        frontier_.store(choice.low, std::memory_order_release);
        if (++since_publish >= 1024) {
            publish_counters();
            since_publish = 0;
        }
    }
}

// Whatever each ring holds, a burst at a time, round-robin.
void Shard::run_unordered() {
    Backoff backoff;
    for (;;) {
        bool any = false;
        for (std::size_t i = 0; i < inputs_.size(); ++i) {
            ByteRing& ring = *inputs_[i].ring;
            std::uint32_t taken = 0;
            for (; taken < 64; ++taken) {
                const std::span<const std::uint8_t> record = ring.peek();
                if (record.data() == nullptr) break;
                consume(record);
                ring.advance();
            }
            if (taken > 0) {
                ring.release();
                any = true;
            }
        }
        if (any) {
            backoff.reset();
            publish_counters();
            continue;
        }
        // Done when every worker is done (watermark at infinity, stored after
        // its last publish) and, looking again after that, every ring is empty.
        bool all_done = true;
        for (const ShardInput& input : inputs_) {
            all_done = all_done && input.watermark->load(std::memory_order_acquire) == kKeyInfinity;
        }
        if (all_done) {
            bool all_empty = true;
            for (const ShardInput& input : inputs_) all_empty = all_empty && input.ring->empty();
            if (all_empty) return;
            continue;
        }
        backoff.pause();
    }
}

}  // namespace dnswatch
