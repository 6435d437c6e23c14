// The worker half of the sharded pipeline: frames -> DNS messages (IP
// fragments and TCP streams reassembled by this worker's own decoder) ->
// question filter -> the shards that own the watched zones the message
// speaks about. Unwatched traffic stops here, after the question; a watched
// response is copied once into each of those shards' rings.
//
// It counts exactly what PacketProcessor counts (same structs, same rules),
// so that `run` and `replay` summaries compare line by line.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "capture/packet_input.h"
#include "decode/dns_message.h"
#include "decode/transport.h"
#include "detect/packet_processor.h"
#include "baseline/watch_set.h"
#include "pipeline/byte_ring.h"
#include "baseline/shared_baseline.h"
#include "baseline/zone_shards.h"

namespace dnswatch {

struct RouterCounters {
    std::uint64_t messages_routed = 0;     // copies written to shard rings
    std::uint64_t message_ring_drops = 0;  // copies lost to a full ring
    std::uint64_t oversized = 0;           // larger than a ring record can be (never with sane ring sizes)
    std::uint64_t carriers_omitted = 0;    // reassembled answers sent without their other frames: too large
};

class MessageRouter : public PacketSink, private DnsMessageSink {
public:
    // `outputs[s]` is the ring to shard s. With `lossless`, a full ring is
    // waited on (first publishing everything and `wait_mark` = key - 1);
    // otherwise the copy is dropped and counted.
    // The watch list and its partition come from `baseline`'s snapshots.
    MessageRouter(const SharedBaseline& baseline, std::vector<ByteRing*> outputs,
                  const TransportOptions& transport, bool lossless, std::atomic<std::uint64_t>& wait_mark,
                  const std::atomic<bool>& abort);

    // Between bursts: takes a new snapshot (a reloaded watch list) if there is one.
    void refresh();
    void on_packet(const PacketView& packet, std::uint16_t source, std::uint64_t key) override;
    // Makes every message written so far visible to the shards.
    void publish();
    // End of input: flows and datagrams in reassembly end (and are counted).
    void finish();

    const PacketCounters& counters() const { return counters_; }
    const DecodeCounters& decode_counters() const { return transport_.counters(); }
    const RouterCounters& router_counters() const { return router_; }

private:
    void on_dns(const DnsDatagram& datagram, const PacketView& packet) override;
    void on_reassembled_dns(const DnsDatagram& datagram, const PacketView& packet,
                            std::span<const std::uint8_t> carriers) override;
    void send(std::size_t shard, const DnsDatagram& datagram, const PacketView& packet);

    BaselineFollower follower_;
    const WatchSet* watch_ = nullptr;
    const ZoneShards* shards_ = nullptr;
    std::vector<ByteRing*> outputs_;
    std::vector<std::uint8_t> dirty_;  // rings written since the last publish
    TransportDecoder transport_;
    DnsDecoder decoder_;
    bool lossless_;
    std::atomic<std::uint64_t>& wait_mark_;
    const std::atomic<bool>& abort_;
    PacketCounters counters_;
    RouterCounters router_;
    std::uint64_t key_ = 0;
    std::uint16_t source_ = 0;
    std::vector<std::uint8_t> targets_;  // per shard: does this message go there
    // The other frames of the reassembled message being routed (empty
    // otherwise): copied into each record, for the evidence.
    std::span<const std::uint8_t> carriers_;
};

}  // namespace dnswatch
