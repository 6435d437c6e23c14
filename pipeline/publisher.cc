#include "pipeline/publisher.h"

#include <algorithm>
#include <optional>

#include "pipeline/backoff.h"
#include "pipeline/ordered_merge.h"
#include "baseline/learned_file.h"

namespace dnswatch {

Publisher::Publisher(AlertSink& sink, ZmqPublisher* stats, PublisherOptions options)
    : sink_(sink), stats_(stats), options_(std::move(options)) {}

void Publisher::take(std::size_t input, KeyedAlert& item) {
    if (item.learned_snapshot) {
        learned_[input] = std::move(item.learned);
        save_learned_now();
        return;
    }
    if (item.change) {
        publish_change(*item.change);
        return;
    }
    ++counters_.alerts;
    try {
        // The detectors number their own records, and with several shards
        // their numbers collide: one numbering is made here (the durable
        // store, when there is one, numbers again, continuing across restarts).
        item.alert.seq = next_seq_++;
        sink_.publish(item.alert);
        ++counters_.published;
    } catch (const std::exception& e) {
        // A full disk must not stop the sensor: counted, reported at the end.
        ++counters_.errors;
        if (first_error_.empty()) first_error_ = e.what();
    }
}

void Publisher::publish_change(BaselineChange& change) {
    ++counters_.changes;
    try {
        change.seq = next_seq_++;  // numbered with the alerts (the store numbers again)
        sink_.publish_change(change);
        ++counters_.published;
    } catch (const std::exception& e) {
        ++counters_.errors;
        if (first_error_.empty()) first_error_ = e.what();
    }
}

// One group commit for what this pass took: the store and the log are
// written and synced once, then the records go on to every output.
void Publisher::flush_batch() {
    try {
        sink_.flush();
    } catch (const std::exception& e) {
        ++counters_.errors;
        if (first_error_.empty()) first_error_ = e.what();
    }
}

bool Publisher::take_changes() {
    std::vector<BaselineChange> changes = changes_.take();
    for (BaselineChange& change : changes) publish_change(change);
    return !changes.empty();
}

// Every shard's learned RRsets in one file, as replay saves its one
// detector's: a crash keeps what was learned up to the last second or so.
void Publisher::save_learned_now() {
    if (options_.learned_path.empty()) return;
    std::vector<LearnedRRsetState> all;
    for (const auto& rrsets : learned_) all.insert(all.end(), rrsets.begin(), rrsets.end());
    try {
        save_learned(options_.learned_path, all);
    } catch (const std::exception& e) {
        ++counters_.errors;
        if (first_error_.empty()) first_error_ = e.what();
    }
}

void Publisher::publish_counters() {
    if (stats_ != nullptr) {
        counters_.zmq_sent = stats_->sent();
        counters_.zmq_dropped = stats_->dropped();
    }
    published_.publish(counters_);
}

void Publisher::send_stats(const std::function<std::string()>& stats_payload) {
    if (!stats_payload || (stats_ == nullptr && !options_.stats_elsewhere)) return;
    const std::string payload = stats_payload();
    if (stats_ != nullptr && stats_->send("stats.", payload)) ++counters_.stats_messages;
    if (options_.stats_elsewhere) options_.stats_elsewhere(payload);
}

void Publisher::run(std::vector<AlertInput> inputs, std::function<std::string()> stats_payload, bool ordered) {
    using Clock = std::chrono::steady_clock;
    learned_.assign(inputs.size(), {});
    const bool stats_on = options_.stats_interval.count() > 0;
    auto next_stats = Clock::now() + options_.stats_interval;
    const bool heartbeat_on = stats_ != nullptr && options_.heartbeat_interval.count() > 0;
    auto next_heartbeat = Clock::now() + options_.heartbeat_interval;
    auto head = [&](std::size_t i) -> std::optional<std::uint64_t> {
        const KeyedAlert* item = inputs[i].ring->front();
        if (item == nullptr) return std::nullopt;
        return item->key;
    };
    auto watermark = [&](std::size_t i) { return inputs[i].watermark->load(std::memory_order_acquire); };
    Backoff backoff;
    for (;;) {
        bool took = false;
        bool finished = false;
        if (ordered) {
            // As many as are ready, in order, for one commit.
            for (std::size_t n = 0; n < kBatch; ++n) {
                const MergeChoice choice = next_in_order(inputs.size(), head, watermark);
                if (!choice.input) {
                    finished = !took && choice.low == kKeyInfinity;
                    break;
                }
                AlertRing& ring = *inputs[*choice.input].ring;
                take(*choice.input, *ring.front());
                ring.pop();
                took = true;
            }
        } else {
            for (std::size_t i = 0; i < inputs.size(); ++i) {
                for (std::size_t n = 0; n < kBatch; ++n) {
                    KeyedAlert* item = inputs[i].ring->front();
                    if (item == nullptr) break;
                    take(i, *item);
                    inputs[i].ring->pop();
                    took = true;
                }
            }
            if (!took) {
                // Done when every producer is done and, after that, every ring is empty.
                bool all_done = true;
                for (const AlertInput& input : inputs) {
                    all_done = all_done && input.watermark->load(std::memory_order_acquire) == kKeyInfinity;
                }
                if (all_done) {
                    bool all_empty = true;
                    for (const AlertInput& input : inputs) all_empty = all_empty && input.ring->front() == nullptr;
                    finished = all_empty;
                }
            }
        }
        took = take_changes() || took;
        if (took) flush_batch();
        if (finished) break;
        if (took) {
            backoff.reset();
            publish_counters();
        }
        if (stats_on && Clock::now() >= next_stats) {
            send_stats(stats_payload);
            next_stats += options_.stats_interval;
            if (next_stats < Clock::now()) next_stats = Clock::now() + options_.stats_interval;
            publish_counters();
        }
        if (heartbeat_on && Clock::now() >= next_heartbeat) {
            stats_->send_heartbeat(options_.sensor_id);
            next_heartbeat = Clock::now() + options_.heartbeat_interval;
        }
        if (!took) backoff.pause();
    }
    take_changes();  // those that came while the last alerts were written
    flush_batch();
    send_stats(stats_payload);  // the final figures, for whoever watches
    if (heartbeat_on) stats_->send_heartbeat(options_.sensor_id);  // the last seq, for whoever missed it
    publish_counters();
}

}  // namespace dnswatch
