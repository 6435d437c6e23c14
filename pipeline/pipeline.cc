#include "pipeline/pipeline.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "baseline/rrset_key.h"

namespace dnswatch {

Pipeline::Pipeline(SharedBaseline& baseline, PipelineOptions options, CaptureSetup capture, Publisher& publisher)
    : shared_(baseline), options_(std::move(options)), publisher_(publisher),
      sources_(std::move(capture.sources)) {
    const bool replay = !capture.files.empty();
    const std::size_t workers = replay ? std::max<std::size_t>(1, options_.workers) : capture.inputs.size();
    if (workers == 0) throw std::invalid_argument("the capture has no input");
    if (workers > 1024) throw std::invalid_argument("at most 1024 workers");
    const std::size_t shards = std::max<std::size_t>(1, options_.shards);
    // A ring must take the largest frame (and DNS message) twice over, so
    // that no record is ever too large for it.
    constexpr std::size_t kMinRingBytes = 256u << 10;
    options_.reader_ring_bytes = std::max(options_.reader_ring_bytes, kMinRingBytes);
    options_.message_ring_bytes = std::max(options_.message_ring_bytes, kMinRingBytes);
    if (sources_.size() > 65535) throw std::invalid_argument("at most 65535 capture sources");
    inline_ = workers == 1 && shards == 1;
    baseline.partition(shards);
    initial_ = baseline.snapshot();

    if (inline_) {
        std::unique_ptr<PacketInput> input =
            replay ? std::make_unique<PcapFileInput>(std::move(capture.files), capture.speed, stop_)
                   : std::move(capture.inputs.front());
        alert_rings_.push_back(std::make_unique<AlertRing>(options_.alert_ring));
        worker_marks_.push_back(std::make_unique<Watermark>());
        workers_.push_back(std::make_unique<Worker>(std::move(input), *initial_->watch, initial_->baseline,
                                                    options_.sensor_id,
                                                    options_.transport, sources_, *alert_rings_[0],
                                                    options_.lossless, abort_, worker_marks_[0]->value));
        Detector& detector = *workers_[0]->detector();
        detector.set_evidence_recorder(options_.evidence);
        detector.set_max_open_alerts(options_.max_open_alerts);
        if (options_.setup_detector) options_.setup_detector(detector);
        workers_[0]->follow_baseline(shared_);
        workers_[0]->keep_learned(options_.keep_learned);
        return;
    }

    for (std::size_t i = 0; i < workers * shards; ++i) {
        message_rings_.push_back(std::make_unique<ByteRing>(options_.message_ring_bytes));
    }
    if (replay) {
        std::vector<ByteRing*> rings;
        for (std::size_t w = 0; w < workers; ++w) {
            reader_rings_.push_back(std::make_unique<ByteRing>(options_.reader_ring_bytes));
            rings.push_back(reader_rings_.back().get());
        }
        reader_ = std::make_unique<FileReader>(std::move(capture.files), std::move(rings), capture.speed,
                                               options_.lossless, stop_, abort_);
    }
    for (std::size_t w = 0; w < workers; ++w) {
        worker_marks_.push_back(std::make_unique<Watermark>());
        std::vector<ByteRing*> outputs;
        for (std::size_t s = 0; s < shards; ++s) outputs.push_back(message_rings_[w * shards + s].get());
        auto router = std::make_unique<MessageRouter>(shared_, std::move(outputs), options_.transport,
                                                      options_.lossless, worker_marks_[w]->value, abort_);
        RingInput* ordered_input = nullptr;
        std::unique_ptr<PacketInput> input;
        if (replay) {
            auto ring_input = std::make_unique<RingInput>(*reader_rings_[w], reader_->progress());
            ordered_input = ring_input.get();
            input = std::move(ring_input);
        } else {
            input = std::move(capture.inputs[w]);
        }
        workers_.push_back(
            std::make_unique<Worker>(std::move(input), std::move(router), ordered_input, worker_marks_[w]->value));
    }
    for (std::size_t s = 0; s < shards; ++s) {
        alert_rings_.push_back(std::make_unique<AlertRing>(options_.alert_ring));
        shard_frontiers_.push_back(std::make_unique<Watermark>());
        std::vector<ShardInput> inputs;
        for (std::size_t w = 0; w < workers; ++w) {
            inputs.push_back(ShardInput{message_rings_[w * shards + s].get(), &worker_marks_[w]->value});
        }
        shards_.push_back(std::make_unique<Shard>(initial_->shards->local_watch(s), initial_->baseline,
                                                  options_.sensor_id,
                                                  sources_, *alert_rings_[s], std::move(inputs),
                                                  shard_frontiers_[s]->value, options_.ordered, options_.lossless,
                                                  abort_));
        shards_.back()->set_evidence_recorder(options_.evidence);
        shards_.back()->set_max_open_alerts(options_.max_open_alerts);
        if (options_.setup_detector) options_.setup_detector(shards_.back()->detector());
        shards_.back()->follow_baseline(shared_, s);
        shards_.back()->keep_learned(options_.keep_learned);
    }
}

Pipeline::~Pipeline() {
    abort();
    join();
}

void Pipeline::restore_open_alerts(std::vector<OpenAlertState> alerts) {
    if (inline_) {
        workers_[0]->detector()->import_open_alerts(std::move(alerts));
        return;
    }
    std::vector<std::vector<OpenAlertState>> by_shard(shards_.size());
    for (OpenAlertState& state : alerts) {
        const WatchedZone* zone = initial_->watch->find_zone(state.alert.zone);
        if (zone == nullptr) continue;  // a zone no longer watched: nobody will see its revert; let it go
        // The shard that judges its owner (in a split zone, by its child).
        const auto owner = DnsName::from_text(state.alert.name);
        by_shard[owner ? initial_->shards->shard_of(*zone, *owner) : initial_->shards->shard_of(*zone)].push_back(
            std::move(state));
    }
    for (std::size_t s = 0; s < shards_.size(); ++s) shards_[s]->import_open_alerts(std::move(by_shard[s]));
}

void Pipeline::restore_learned(std::vector<LearnedRRsetState> states) {
    if (inline_) {
        if (Learner* learner = workers_[0]->detector()->learner()) learner->import_state(std::move(states));
        return;
    }
    std::vector<std::vector<LearnedRRsetState>> by_shard(shards_.size());
    for (LearnedRRsetState& state : states) {
        DnsName owner;
        if (!rrset_key_owner(state.key, owner)) continue;
        const WatchedZone* zone = initial_->watch->find(owner);
        if (zone == nullptr) continue;  // no longer watched
        by_shard[initial_->shards->shard_of(*zone, owner)].push_back(std::move(state));
    }
    for (std::size_t s = 0; s < shards_.size(); ++s) {
        if (Learner* learner = shards_[s]->detector().learner()) learner->import_state(std::move(by_shard[s]));
    }
}

std::vector<LearnedRRsetState> Pipeline::export_learned() {
    std::vector<LearnedRRsetState> states;
    auto take = [&states](Detector* detector) {
        if (detector == nullptr || detector->learner() == nullptr) return;
        for (LearnedRRsetState& state : detector->learner()->export_state()) states.push_back(std::move(state));
    };
    if (inline_) {
        take(workers_[0]->detector());
    } else {
        for (auto& shard : shards_) take(&shard->detector());
    }
    return states;
}

std::vector<std::uint64_t> Pipeline::shard_observations() const {
    std::vector<std::uint64_t> observations;
    for (const auto& shard : shards_) observations.push_back(shard->detection_counters().detector.observations);
    return observations;
}

std::vector<std::pair<std::string, const ByteRing*>> Pipeline::rings() const {
    std::vector<std::pair<std::string, const ByteRing*>> named;
    for (std::size_t w = 0; w < reader_rings_.size(); ++w) {
        named.emplace_back("reader->worker" + std::to_string(w), reader_rings_[w].get());
    }
    const std::size_t shards = shards_.size();
    for (std::size_t i = 0; i < message_rings_.size() && shards > 0; ++i) {
        named.emplace_back("worker" + std::to_string(i / shards) + "->shard" + std::to_string(i % shards),
                           message_rings_[i].get());
    }
    return named;
}

void Pipeline::start() {
    started_us_ = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    std::vector<AlertInput> alert_inputs;
    if (inline_) {
        alert_inputs.push_back(AlertInput{alert_rings_[0].get(), &worker_marks_[0]->value});
    } else {
        for (std::size_t s = 0; s < shards_.size(); ++s) {
            alert_inputs.push_back(AlertInput{alert_rings_[s].get(), &shard_frontiers_[s]->value});
        }
    }
    // Consumers first, so that nothing waits on a thread not yet there.
    threads_.emplace_back([this, alert_inputs] {
        publisher_.run(alert_inputs, [this] { return stats_json(); }, options_.ordered && !inline_);
        publisher_done_.store(true, std::memory_order_release);
    });
    for (auto& shard : shards_) threads_.emplace_back([s = shard.get()] { s->run(); });
    for (auto& worker : workers_) threads_.emplace_back([this, w = worker.get()] { w->run(stop_); });
    if (reader_) threads_.emplace_back([this] { reader_->run(); });
    // Every thread holds the snapshot it follows; this one would keep the
    // first alive for the life of the run.
    initial_.reset();
}

void Pipeline::join() {
    for (std::thread& thread : threads_) {
        if (thread.joinable()) thread.join();
    }
    threads_.clear();
}

}  // namespace dnswatch
