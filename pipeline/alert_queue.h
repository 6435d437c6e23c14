// Alerts on their way from a detector (on a shard or worker thread) to the
// publisher thread: an AlertSink that puts each alert in an SPSC ring, with
// the ordering key of the message that raised it. The same ring carries the
// detector's open alerts whenever they change, and what its learner has
// learned, for the publisher to save (file I/O stays off the detection
// thread), and the change records of what was learned.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "detect/alert.h"
#include "detect/alert_sink.h"
#include "detect/detector.h"
#include "pipeline/backoff.h"
#include "pipeline/spsc_ring.h"

namespace dnswatch {

struct KeyedAlert {
    std::uint64_t key = 0;
    Alert alert;
    bool learned_snapshot = false;            // true: not an alert, the detector's learned RRsets
    std::vector<LearnedRRsetState> learned;   // when learned_snapshot
    std::optional<BaselineChange> change;     // set: not an alert, an RRset the learner added to the baseline
};

using AlertRing = SpscRing<KeyedAlert>;

class RingAlertSink : public AlertSink {
public:
    // `lossless`: wait for room (a replay from a file); otherwise a full
    // ring drops the alert and counts it. `before_wait` runs once before
    // waiting (the shard publishes its watermark so the publisher can move).
    RingAlertSink(AlertRing& ring, bool lossless, const std::atomic<bool>& abort,
                  std::function<void()> before_wait = {})
        : ring_(ring), lossless_(lossless), abort_(abort), before_wait_(std::move(before_wait)) {}

    void set_key(std::uint64_t key) { key_ = key; }

    void publish(const Alert& alert) override {
        // Allocates: alerts are rare, packets are not.
        if (push(KeyedAlert{key_, alert, false, {}, std::nullopt})) {
            ++pushed_;
        } else {
            ++dropped_;
        }
    }

    // A change of the baseline the detector made itself (learning): carried
    // in order with the alerts, lost (and counted) only where an alert would be.
    void publish_change(const BaselineChange& change) override {
        if (push(KeyedAlert{key_, Alert{}, false, {}, change})) {
            ++pushed_;
        } else {
            ++dropped_;
        }
    }

    // The learner's RRsets when they changed, at most once a second of
    // `time_us` (exporting copies them all), or now with `force` (the end).
    void publish_learned(Learner* learner, std::int64_t time_us, bool force = false) {
        constexpr std::int64_t kEveryUs = 1'000'000;
        if (learner == nullptr || !learner->changed()) return;
        if (!force && learned_at_us_ != 0 && time_us - learned_at_us_ < kEveryUs) return;
        learned_at_us_ = time_us;
        push(KeyedAlert{key_, Alert{}, true, learner->export_state(), std::nullopt});
    }

    std::uint64_t pushed() const { return pushed_; }
    std::uint64_t dropped() const { return dropped_; }

private:
    bool push(KeyedAlert&& item) {
        if (ring_.try_push(std::move(item))) return true;
        if (!lossless_) return false;
        if (before_wait_) before_wait_();
        Backoff backoff;
        while (!ring_.try_push(std::move(item))) {
            if (abort_.load(std::memory_order_relaxed)) return false;
            backoff.pause();
        }
        return true;
    }

    AlertRing& ring_;
    bool lossless_;
    const std::atomic<bool>& abort_;
    std::function<void()> before_wait_;
    std::uint64_t key_ = 0;
    std::uint64_t pushed_ = 0;
    std::uint64_t dropped_ = 0;
    std::int64_t learned_at_us_ = 0;  // when the learned RRsets last went out
};

}  // namespace dnswatch
