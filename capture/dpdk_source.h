// capture.source: dpdk. Packets from DPDK ports, polled in bursts from RX
// queues, one or more queues per worker: physical NICs with RSS spreading
// flows over the queues (a symmetric key, so that both directions of a flow
// meet on one queue), or the virtual devices that need no NIC binding:
// net_pcap (a capture file or an interface through libpcap), net_af_packet
// and net_af_xdp (a kernel interface through AF_PACKET / AF_XDP).
//
// Debian builds DPDK's drivers as plugins: the EAL arguments must load each
// one used with -d (see capture.dpdk.eal_args), e.g.
//   --no-huge --no-pci --in-memory -d librte_mempool_ring.so.23
//   -d librte_net_pcap.so.23 --vdev=net_pcap0,rx_pcap=/tmp/x.pcap
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "capture/packet_input.h"

namespace dnswatch {

struct DpdkOptions {
    std::vector<std::string> eal_args;  // rte_eal_init's arguments (argv[0] is added)
    std::vector<std::string> ports;     // device names ("net_pcap0", "0000:03:00.0") or port ids ("0")
    std::size_t rx_queues = 0;          // per port; 0: one per worker (as many as the device has)
    std::size_t rx_descriptors = 1024;  // per queue
    std::size_t burst = 32;             // packets per rte_eth_rx_burst (at most 64)
    std::size_t mbufs = 0;              // mempool size; 0: enough for every descriptor and burst
    std::size_t mbuf_cache = 256;       // per-lcore mempool cache
};

// True when this build has DPDK.
bool dpdk_available();

// The EAL and the started ports, for the process's lifetime: one per
// process (the EAL cannot be initialised twice).
class DpdkRuntime {
public:
    // Initialises the EAL, creates the mbuf pool, configures and starts
    // every port. Throws std::runtime_error with DPDK's reason. The caller's
    // CPU affinity is kept (the EAL would pin this thread, and every thread
    // it starts later, to its first lcore).
    explicit DpdkRuntime(const DpdkOptions& options);
    ~DpdkRuntime();  // stops and closes the ports, frees the pool, cleans the EAL up
    DpdkRuntime(const DpdkRuntime&) = delete;
    DpdkRuntime& operator=(const DpdkRuntime&) = delete;

    std::size_t queue_count() const;
    // One input per worker, each with one or more (port, queue) pairs;
    // `workers` is capped at queue_count(). Source indexes are port positions
    // in `options.ports`.
    std::vector<std::unique_ptr<PacketInput>> inputs(std::size_t workers);
    // "net_pcap0 (net_pcap, 1 RX queue)" for each port.
    std::vector<std::string> describe() const;

    struct State;

private:
    std::unique_ptr<State> state_;
};

}  // namespace dnswatch
