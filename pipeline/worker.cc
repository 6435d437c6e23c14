#include "pipeline/worker.h"

#include <chrono>

#include "pipeline/backoff.h"
#include "pipeline/ordered_merge.h"

namespace dnswatch {
namespace {

std::uint64_t steady_ns() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count());
}

}  // namespace

// Feeds a PacketProcessor, which wants the source's name rather than its index.
class Worker::InlineSink : public PacketSink {
public:
    InlineSink(PacketProcessor& processor, const std::vector<std::string>& sources)
        : processor_(processor), sources_(sources) {}
    void on_packet(const PacketView& packet, std::uint16_t source, std::uint64_t) override {
        processor_.process_in_burst(packet,
                                    source < sources_.size() ? std::string_view(sources_[source]) : std::string_view());
    }
    void end_of_burst() override { processor_.end_of_burst(); }

private:
    PacketProcessor& processor_;
    const std::vector<std::string>& sources_;
};

Worker::Worker(std::unique_ptr<PacketInput> input, std::unique_ptr<MessageRouter> router, RingInput* ordered_input,
               std::atomic<std::uint64_t>& watermark)
    : input_(std::move(input)), router_(std::move(router)), ordered_input_(ordered_input), watermark_(watermark) {}

Worker::Worker(std::unique_ptr<PacketInput> input, const WatchSet& watch, const Baseline& baseline,
               std::string sensor_id, const TransportOptions& transport, const std::vector<std::string>& sources,
               AlertRing& alerts, bool lossless, const std::atomic<bool>& abort,
               std::atomic<std::uint64_t>& watermark)
    : input_(std::move(input)), watermark_(watermark) {
    alert_sink_ = std::make_unique<RingAlertSink>(alerts, lossless, abort, [this] { publish_counters(); });
    processor_ = std::make_unique<PacketProcessor>(watch, baseline, std::move(sensor_id), *alert_sink_, transport);
    inline_sink_ = std::make_unique<InlineSink>(*processor_, sources);
}

Worker::~Worker() = default;

void Worker::follow_baseline(const SharedBaseline& shared) {
    baseline_ = std::make_unique<BaselineFollower>(shared);
    processor_->follow(*baseline_);
}

void Worker::publish_counters() {
    WorkerCounters c;
    c.capture = input_->counters();
    c.first_packet_ns = first_packet_ns_;
    c.last_packet_ns = last_packet_ns_;
    if (router_) {
        c.packet = router_->counters();
        c.router = router_->router_counters();
        published_decode_.publish(router_->decode_counters());
    } else {
        c.packet = processor_->counters();
        c.detection = processor_->detector().all_counters();
        c.alerts = alert_sink_->pushed();
        c.alert_ring_drops = alert_sink_->dropped();
        published_decode_.publish(processor_->decode_counters());
    }
    published_.publish(c);
}

void Worker::run(const std::atomic<bool>& stop) {
    PacketSink& sink = router_ ? static_cast<PacketSink&>(*router_) : static_cast<PacketSink&>(*inline_sink_);
    // A replay ring is not capture: what is in it was read already and is
    // processed even after a signal. Everything else stops at once.
    const bool stops_at_signal = ordered_input_ == nullptr;
    Backoff backoff;
    auto next_refresh = std::chrono::steady_clock::now();
    std::uint32_t polls = 0;
    for (;;) {
        if (stops_at_signal && stop.load(std::memory_order_relaxed)) break;
        // One atomic load unless a new snapshot is there.
        if (baseline_) processor_->follow(*baseline_);
        if (router_) router_->refresh();
        const std::uint64_t asked_ns = steady_ns();
        const PacketInput::Poll result = input_->poll(sink);
        if (result == PacketInput::Poll::exhausted) break;
        if (result == PacketInput::Poll::packets) {
            if (first_packet_ns_ == 0) first_packet_ns_ = asked_ns;
            last_packet_ns_ = steady_ns();
            if (router_) router_->publish();
            if (processor_ && keep_learned_) {
                alert_sink_->publish_learned(processor_->detector().learner(),
                                             static_cast<std::int64_t>(last_packet_ns_ / 1000));
            }
            if (ordered_input_ != nullptr) watermark_.store(ordered_input_->last_key(), std::memory_order_release);
            backoff.reset();
        } else {
            if (ordered_input_ != nullptr) {
                const std::uint64_t mark = ordered_input_->idle_watermark();
                if (mark > watermark_.load(std::memory_order_relaxed)) {
                    watermark_.store(mark, std::memory_order_release);
                }
            }
            backoff.pause();
        }
        // Loss counters and the stats copy a few times a second, not per burst.
        if (result == PacketInput::Poll::idle || (++polls & 63) == 0) {
            const auto now = std::chrono::steady_clock::now();
            if (now >= next_refresh) {
                input_->refresh_counters();
                publish_counters();
                next_refresh = now + std::chrono::milliseconds(200);
            }
        }
    }
    if (router_) {
        router_->finish();
    } else {
        processor_->finish();
        if (keep_learned_) alert_sink_->publish_learned(processor_->detector().learner(), 0, /*force=*/true);
    }
    input_->refresh_counters();
    publish_counters();
    watermark_.store(kKeyInfinity, std::memory_order_release);
}

}  // namespace dnswatch
