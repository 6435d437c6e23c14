// capture.source: pcap_file. Capture files replayed through the live
// pipeline, as fast as possible or paced by their packet times.
//
// With one worker the worker reads the files itself (PcapFileInput). With
// more, one reader thread (FileReader) reads them and deals each frame to a
// worker by its symmetric flow hash, through one SPSC ring per worker
// (RingInput on the worker's side); every frame carries its position in the
// whole replay, so that shards and the publisher can restore capture order.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "capture/packet_input.h"
#include "capture/pcap_window_source.h"
#include "pipeline/byte_ring.h"
#include "pipeline/counter_block.h"

namespace dnswatch {

// Paces a replay: packet time t is due at start + (t - t0) / speed.
class ReplayPacer {
public:
    explicit ReplayPacer(double speed) : speed_(speed) {}  // 0: as fast as possible
    // Waits until `time_us` is due; calls `before_sleep` once first if it has
    // to sleep. Returns false when `stop` is raised while waiting.
    template <typename BeforeSleep>
    bool wait(std::int64_t time_us, const std::atomic<bool>& stop, BeforeSleep&& before_sleep);

private:
    double speed_;
    bool started_ = false;
    std::int64_t first_time_us_ = 0;
    std::chrono::steady_clock::time_point start_;
};

// The files of a replay, opened up front so that a missing one fails at
// start-up (std::runtime_error "PATH: reason").
std::vector<std::unique_ptr<CaptureFile>> open_capture_files(const std::vector<std::string>& paths);

// One worker reading the files itself.
class PcapFileInput : public PacketInput {
public:
    PcapFileInput(std::vector<std::unique_ptr<CaptureFile>> files, double speed, const std::atomic<bool>& stop);
    Poll poll(PacketSink& sink) override;
    CaptureCounters counters() const override { return published_.read(); }

private:
    std::vector<std::unique_ptr<CaptureFile>> files_;
    std::size_t current_ = 0;
    ReplayPacer pacer_;
    const std::atomic<bool>& stop_;
    PacketBatch batch_;
    std::uint64_t key_ = 0;
    CaptureCounters counters_;
    CounterBlock<CaptureCounters> published_;
};

// What the reader tells the workers, beyond the packets themselves.
struct ReaderProgress {
    // Every frame with key <= dispatched is in its worker's ring (or was
    // dropped); kKeyInfinity once the reader is done.
    alignas(64) std::atomic<std::uint64_t> dispatched{0};
};

// The reader thread of a multi-worker replay.
class FileReader {
public:
    // `lossless`: wait for room in a full worker ring (speed max); otherwise
    // drop the frame and count it, as a live capture would.
    FileReader(std::vector<std::unique_ptr<CaptureFile>> files, std::vector<ByteRing*> workers, double speed,
               bool lossless, const std::atomic<bool>& stop, const std::atomic<bool>& abort);
    void run();  // the thread body; ends at the end of the files or at `stop`

    ReaderProgress& progress() { return progress_; }
    CaptureCounters counters() const { return published_.read(); }

private:
    bool dispatch(const PacketView& packet, std::uint16_t source, std::uint64_t key);
    void publish_all(std::uint64_t dispatched);

    std::vector<std::unique_ptr<CaptureFile>> files_;
    std::vector<ByteRing*> workers_;
    ReplayPacer pacer_;
    bool lossless_;
    const std::atomic<bool>& stop_;
    const std::atomic<bool>& abort_;
    ReaderProgress progress_;
    CaptureCounters counters_;
    CounterBlock<CaptureCounters> published_;
};

// A worker's side of the reader's ring.
class RingInput : public PacketInput {
public:
    RingInput(ByteRing& ring, const ReaderProgress& reader) : ring_(ring), reader_(reader) {}
    Poll poll(PacketSink& sink) override;
    CaptureCounters counters() const override { return {}; }  // the reader counts

    // With the ring empty: every frame for this worker with key <= the
    // result has been delivered already (the reader's progress, read before
    // the ring was found empty). 0 when the ring is not empty.
    std::uint64_t idle_watermark();
    std::uint64_t last_key() const { return last_key_; }

private:
    ByteRing& ring_;
    const ReaderProgress& reader_;
    std::uint64_t last_key_ = 0;
};

template <typename BeforeSleep>
bool ReplayPacer::wait(std::int64_t time_us, const std::atomic<bool>& stop, BeforeSleep&& before_sleep) {
    if (speed_ <= 0) return true;
    const auto now = std::chrono::steady_clock::now();
    if (!started_) {
        started_ = true;
        first_time_us_ = time_us;
        start_ = now;
        return true;
    }
    const double offset_us = static_cast<double>(time_us - first_time_us_) / speed_;
    if (offset_us <= 0) return true;  // time went backwards: no wait
    const auto due = start_ + std::chrono::microseconds(static_cast<std::int64_t>(offset_us));
    if (now >= due) return true;
    before_sleep();
    // Short steps, so that a signal is answered within 50 ms even in a long gap.
    for (auto left = due - now; left > std::chrono::nanoseconds(0); left = due - std::chrono::steady_clock::now()) {
        if (stop.load(std::memory_order_relaxed)) return false;
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(50)));
    }
    return true;
}

}  // namespace dnswatch
