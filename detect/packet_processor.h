// The packet path of one worker: frame -> DNS messages (with IP fragments
// and TCP streams reassembled) -> question filter -> records -> detector.
// Rejects unwatched traffic after reading the question.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "capture/packet.h"
#include "decode/decode_counters.h"
#include "decode/dns_message.h"
#include "decode/transport.h"
#include "detect/detector.h"

namespace dnswatch {

struct PacketCounters {
    std::uint64_t packets = 0;
    std::uint64_t dns_messages = 0;       // DNS messages found (malformed ones included)
    std::uint64_t queries = 0;
    std::uint64_t responses = 0;
    std::uint64_t watched_responses = 0;  // question in a watched zone
    std::uint64_t watched_malformed = 0;  // of those, records that did not decode
};

// The first steps for every DNS message, shared by replay's PacketProcessor
// and run's workers so that their counters agree line by line: decode the
// question, count queries and responses, stop at a question outside the
// watched zones, decode the records of a watched response (a malformed one
// is counted as watched_malformed: about a watched zone, it is itself worth
// noticing). Returns the question's watched zone when `message` should go on
// to detection, nullptr otherwise.
const WatchedZone* filter_watched_response(std::span<const std::uint8_t> dns, const WatchSet& watch,
                                           DnsDecoder& decoder, DnsMessageView& message, PacketCounters& counters,
                                           DecodeCounters& decode_counters);

// After filter_watched_response() stopped a message: when it is a query
// about a watched zone, decodes its records (EDNS: the DO bit) and returns
// the zone, so that the query is remembered and its answers matched with it.
const WatchedZone* watched_query_zone(const WatchSet& watch, DnsDecoder& decoder, DnsMessageView& message);

class PacketProcessor : private DnsMessageSink {
public:
    PacketProcessor(const WatchSet& watch, const Baseline& baseline, std::string sensor_id, AlertSink& sink,
                    const TransportOptions& transport = {});

    // A batch: its messages go through the look-ahead (below), all judged
    // before this returns.
    void process(const PacketBatch& batch, std::string_view source);
    // One packet, judged before this returns.
    void process(const PacketView& packet, std::string_view source);
    // One packet of a burst whose bytes stay valid until end_of_burst():
    // its messages may wait in the look-ahead until then.
    void process_in_burst(const PacketView& packet, std::string_view source);
    // Judges every message still waiting in the look-ahead.
    void end_of_burst();
    // End of input: ends the flows and datagrams still in reassembly.
    void finish() {
        end_of_burst();
        transport_.flush();
    }
    // Ends what is in reassembly and forgets everything judged so far
    // (Detector::reset), keeping the tables: for reuse on unrelated input.
    void reset() {
        finish();
        detector_.reset();
        counters_ = {};
    }

    const PacketCounters& counters() const { return counters_; }
    // Transport kinds and events, and the DNS kinds found by the decoder.
    const DecodeCounters& decode_counters() const { return transport_.counters(); }
    const TransportDecoder& transport() const { return transport_; }
    const DetectorCounters& detector_counters() const { return detector_.counters(); }
    // A new snapshot: the watch list its questions are filtered by, and the
    // detector's watch list and baseline (Detector::set_baseline).
    void set_baseline(const WatchSet& watch, const Baseline& baseline) {
        watch_ = &watch;
        detector_.set_baseline(watch, baseline);
    }
    // Between batches: takes the follower's newer snapshot, if there is one.
    bool follow(BaselineFollower& follower) {
        if (!follower.refresh()) return false;
        set_baseline(follower.local_watch(), follower.snapshot().baseline);
        return true;
    }
    // For restoring and saving open alerts, and attaching an evidence recorder.
    Detector& detector() { return detector_; }

private:
    void on_dns(const DnsDatagram& datagram, const PacketView& packet) override;
    void on_reassembled_dns(const DnsDatagram& datagram, const PacketView& packet,
                            std::span<const std::uint8_t> carriers) override;
    // What the detector is to do with a message: decodes it as far as that
    // needs (filter_watched_response, watched_query_zone), counting it.
    enum class ForDetector { nothing, query, response };
    ForDetector decode_for_detector(std::span<const std::uint8_t> dns, DnsDecoder& decoder, DnsMessageView& message);
    void judge(const DnsDatagram& datagram, const PacketView& packet, std::span<const std::uint8_t> carriers);
    void defer(const DnsDatagram& datagram, const PacketView& packet);
    void judge_first_pending();

    // The look-ahead. Watching a TLD, every response's owners are looked up
    // in a baseline of hundreds of MB, each lookup two cache misses in a row
    // (index slot, node) that nothing else in one message's judging can
    // hide: they were 57% of the replay at 1 M delegations. Within a burst
    // (whose bytes stay put), a UDP message is decoded at once but judged
    // kLookAhead messages later: its index slots are requested when it
    // arrives, its nodes half-way, so both are in the cache when its turn
    // comes. Order is kept (queries and responses wait in one queue, and a
    // message in a decoder's buffer rather than in its frame, reassembled or
    // replayed, whose bytes do not outlive its call, is judged after
    // everything before it), so verdicts are those of judging at once.
    static constexpr std::size_t kLookAhead = 16;
    struct Pending {
        PacketView packet;
        DnsDatagram datagram;
        Tunnel tunnel;
        std::string_view source;
        bool query = false;
        DnsDecoder decoder;  // holds the records `message` points to
        DnsMessageView message;
    };
    std::array<Pending, kLookAhead> pending_;
    std::size_t pending_first_ = 0;
    std::size_t pending_count_ = 0;
    bool in_burst_ = false;  // the packet being decoded stays valid until end_of_burst()

    const WatchSet* watch_;
    TransportDecoder transport_;
    DnsDecoder decoder_;
    Detector detector_;
    PacketCounters counters_;
    std::string_view source_;  // of the packet being processed
};

}  // namespace dnswatch
