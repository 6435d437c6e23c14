// What a live pipeline worker polls: one worker's share of the capture (a
// file reader's queue, libpcap handles, DPDK RX queues), handed out in
// bursts (CONVENTIONS 7). Each input belongs to one worker thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "capture/packet.h"

namespace dnswatch {

// Receives the packets of one burst. `source` indexes the pipeline's table
// of source names (capture files, interfaces, DPDK ports) that alerts cite.
// `key` orders packets across inputs: a file replay numbers every packet of
// the whole replay (1, 2, ...), so that later stages can merge the workers'
// outputs back into capture order; live inputs pass their own count.
class PacketSink {
public:
    virtual ~PacketSink() = default;
    virtual void on_packet(const PacketView& packet, std::uint16_t source, std::uint64_t key) = 0;
    // The bytes of the packets handed to on_packet() stay valid until the
    // input calls this, before it reuses or frees them: a sink may keep
    // packets until then (PacketProcessor's look-ahead). An input whose
    // bytes do not outlive on_packet() calls it after every packet.
    virtual void end_of_burst() {}
};

// What the capture layer saw and lost, per input. All counters are totals
// since the input was opened; only the ones a source knows are non-zero.
struct CaptureCounters {
    std::uint64_t received = 0;        // packets handed to the pipeline
    std::uint64_t kernel_seen = 0;     // libpcap ps_recv: passed the filter in the kernel (dropped ones too)
    std::uint64_t kernel_dropped = 0;  // libpcap ps_drop: the socket buffer was full
    std::uint64_t if_dropped = 0;      // libpcap ps_ifdrop: dropped by the interface/driver
    std::uint64_t nic_missed = 0;      // DPDK imissed: the NIC had no descriptor
    std::uint64_t nic_errors = 0;      // DPDK ierrors
    std::uint64_t no_mbuf = 0;         // DPDK rx_nombuf: the mempool ran dry
    std::uint64_t ring_dropped = 0;    // dropped because the next stage's ring was full
    // dnstap writers (capture/dnstap_listener.h)
    std::uint64_t dnstap_frames = 0;          // data frames received (each also counts in `received`)
    std::uint64_t dnstap_bad_frames = 0;      // protocol violations: garbage, a frame over the bound, control
                                              // frames out of order or of another content type
    std::uint64_t dnstap_dropped_frames = 0;  // frames lost: cut short by a writer going away, or by a bad one
    std::uint64_t dnstap_writers = 0;         // writers accepted
    std::uint64_t dnstap_writers_dropped = 0; // writers disconnected for a bad frame
    std::uint64_t dnstap_writers_refused = 0; // writers refused: max_writers were connected
};

class PacketInput {
public:
    enum class Poll : std::uint8_t {
        packets,    // delivered at least one packet
        idle,       // nothing right now
        exhausted,  // nothing ever again (end of a file, a stopped reader)
    };

    virtual ~PacketInput() = default;

    // Delivers at most one burst to `sink`. May block briefly (up to a few
    // ms, e.g. in poll(2)) so that an idle input does not spin.
    virtual Poll poll(PacketSink& sink) = 0;

    // Brings the loss counters up to date (pcap_stats, rte_eth_stats_get).
    // Called from the owning worker now and then, not per packet.
    virtual void refresh_counters() {}
    virtual CaptureCounters counters() const = 0;
};

}  // namespace dnswatch
