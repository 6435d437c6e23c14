#include "pipeline/file_replay.h"

#include <cstring>
#include <thread>

#include "capture/flow_hash.h"
#include "pipeline/ordered_merge.h"
#include "pipeline/records.h"

namespace dnswatch {

std::vector<std::unique_ptr<CaptureFile>> open_capture_files(const std::vector<std::string>& paths) {
    std::vector<std::unique_ptr<CaptureFile>> files;
    for (const std::string& path : paths) files.push_back(std::make_unique<CaptureFile>(path));
    return files;
}

PcapFileInput::PcapFileInput(std::vector<std::unique_ptr<CaptureFile>> files, double speed,
                             const std::atomic<bool>& stop)
    : files_(std::move(files)), pacer_(speed), stop_(stop) {}

PacketInput::Poll PcapFileInput::poll(PacketSink& sink) {
    while (current_ < files_.size() && !files_[current_]->next_batch(batch_)) ++current_;
    if (current_ == files_.size() || stop_.load(std::memory_order_relaxed)) {
        published_.publish(counters_);
        return Poll::exhausted;
    }
    for (const PacketView& packet : batch_) {
        // Before sleeping until the next packet is due, what waits in the
        // sink's look-ahead is judged: paced, that may be seconds away.
        if (!pacer_.wait(packet.time_us, stop_, [&sink] { sink.end_of_burst(); })) break;
        ++counters_.received;
        sink.on_packet(packet, static_cast<std::uint16_t>(current_), ++key_);
    }
    sink.end_of_burst();  // batch_ is read again at the next poll
    published_.publish(counters_);
    return Poll::packets;
}

FileReader::FileReader(std::vector<std::unique_ptr<CaptureFile>> files, std::vector<ByteRing*> workers,
                       double speed, bool lossless, const std::atomic<bool>& stop, const std::atomic<bool>& abort)
    : files_(std::move(files)), workers_(std::move(workers)), pacer_(speed), lossless_(lossless), stop_(stop),
      abort_(abort) {}

void FileReader::publish_all(std::uint64_t dispatched) {
    for (ByteRing* ring : workers_) ring->publish();
    progress_.dispatched.store(dispatched, std::memory_order_release);
    published_.publish(counters_);
}

bool FileReader::dispatch(const PacketView& packet, std::uint16_t source, std::uint64_t key) {
    ByteRing& ring = *workers_[workers_.size() == 1 ? 0 : flow_hash(packet) % workers_.size()];
    PacketRecordHeader header;
    header.key = key;
    copy_packet_fields(packet, header);
    header.captured = static_cast<std::uint32_t>(packet.bytes.size());
    header.source = source;
    const std::size_t size = sizeof header + packet.bytes.size();
    std::span<std::uint8_t> room = ring.reserve(size);
    if (room.data() == nullptr) {
        if (!lossless_ || size > ring.max_record()) {
            ++counters_.ring_dropped;
            return true;
        }
        // Everything before this frame is out: idle workers may tell the
        // shards so, which keeps the ordered merge moving while we wait.
        publish_all(key - 1);
        room = reserve_waiting(ring, size, abort_);
        if (room.data() == nullptr) return false;
    }
    std::memcpy(room.data(), &header, sizeof header);
    if (!packet.bytes.empty()) std::memcpy(room.data() + sizeof header, packet.bytes.data(), packet.bytes.size());
    ring.commit(size);
    return true;
}

void FileReader::run() {
    std::uint64_t key = 0;
    PacketBatch batch;
    bool running = true;
    for (std::size_t f = 0; f < files_.size() && running; ++f) {
        while (running && files_[f]->next_batch(batch)) {
            for (const PacketView& packet : batch) {
                if (stop_.load(std::memory_order_relaxed) ||
                    !pacer_.wait(packet.time_us, stop_, [&] { publish_all(key); })) {
                    running = false;
                    break;
                }
                ++counters_.received;
                if (!dispatch(packet, static_cast<std::uint16_t>(f), ++key)) {
                    running = false;
                    break;
                }
            }
            publish_all(key);
        }
    }
    publish_all(kKeyInfinity);
}

PacketInput::Poll RingInput::poll(PacketSink& sink) {
    std::size_t delivered = 0;
    for (; delivered < PacketBatch::kCapacity; ++delivered) {
        const std::span<const std::uint8_t> record = ring_.peek();
        if (record.data() == nullptr) break;
        const auto header = read_header<PacketRecordHeader>(record);
        const PacketView packet = packet_view_of(header, record.subspan(sizeof header, header.captured));
        sink.on_packet(packet, header.source, header.key);
        last_key_ = header.key;
        ring_.advance();
    }
    if (delivered > 0) {
        sink.end_of_burst();
        ring_.release();  // the views are no longer used: the sink is done with the burst
        return Poll::packets;
    }
    // Done only when the reader is done and, looking again after that, the
    // ring is empty: the reader publishes its last frames before finishing.
    if (reader_.dispatched.load(std::memory_order_acquire) == kKeyInfinity && ring_.empty()) return Poll::exhausted;
    return Poll::idle;
}

std::uint64_t RingInput::idle_watermark() {
    const std::uint64_t dispatched = reader_.dispatched.load(std::memory_order_acquire);
    return ring_.empty() ? dispatched : 0;
}

}  // namespace dnswatch
