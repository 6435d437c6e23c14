#include "capture/dpdk_source.h"

#include <stdexcept>

#if DNSWATCH_HAVE_DPDK

#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_mempool.h>

namespace dnswatch {
namespace {

constexpr std::size_t kMaxBurst = 64;

// The Toeplitz key that makes RSS symmetric (0x6d5a repeated): A->B and
// B->A hash alike, so a query and its response, and both halves of a TCP
// stream, reach one queue and one worker's reassembler.
constexpr std::array<std::uint8_t, 40> kSymmetricRssKey = {
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a};

std::string dpdk_error(const std::string& what, int code) {
    return "DPDK: " + what + ": " + rte_strerror(code < 0 ? -code : code);
}

// Nanoseconds: the evidence pcap keeps them (PacketView::time_ns).
std::int64_t wall_clock_ns() {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

}  // namespace

struct DpdkRuntime::State {
    struct Port {
        std::string name;
        std::string driver;
        std::uint16_t id = 0;
        std::uint16_t queues = 0;
        bool capture_times = false;  // the driver stamps mbufs with the capture file's packet times
    };
    DpdkOptions options;
    std::vector<Port> ports;
    rte_mempool* pool = nullptr;
    int timestamp_offset = -1;
    std::uint64_t timestamp_flag = 0;
    bool eal_ready = false;
};

namespace {

struct QueueRef {
    std::uint16_t port_index;
    std::uint16_t port_id;
    std::uint16_t queue;
    bool capture_times;
    bool reports_port_stats;  // queue 0: this input reads the port's counters
};

class DpdkInput : public PacketInput {
public:
    DpdkInput(std::vector<QueueRef> queues, std::size_t burst, int timestamp_offset, std::uint64_t timestamp_flag)
        : queues_(std::move(queues)),
          burst_(static_cast<std::uint16_t>(std::clamp<std::size_t>(burst, 1, kMaxBurst))),
          timestamp_offset_(timestamp_offset),
          timestamp_flag_(timestamp_flag),
          scratch_(std::make_unique<std::uint8_t[]>(65536)) {}

    Poll poll(PacketSink& sink) override {
        if (!registered_) {
            // An lcore id for this thread: the mempool's per-lcore cache then
            // serves its allocations without touching the shared ring.
            registered_ = true;
            rte_thread_register();
        }
        std::size_t delivered = 0;
        for (const QueueRef& q : queues_) {
            const std::uint16_t n = rte_eth_rx_burst(q.port_id, q.queue, mbufs_.data(), burst_);
            if (n == 0) continue;
            const std::int64_t now_ns = wall_clock_ns();
            for (std::uint16_t i = 0; i < n; ++i) deliver(mbufs_[i], q, now_ns, sink);
            sink.end_of_burst();
            rte_pktmbuf_free_bulk(mbufs_.data(), n);
            delivered += n;
        }
        return delivered > 0 ? Poll::packets : Poll::idle;
    }

    void refresh_counters() override {
        CaptureCounters c = counters_;
        c.received = received_;
        c.nic_missed = c.nic_errors = c.no_mbuf = 0;
        for (const QueueRef& q : queues_) {
            if (!q.reports_port_stats) continue;
            rte_eth_stats stats{};
            if (rte_eth_stats_get(q.port_id, &stats) != 0) continue;
            c.nic_missed += stats.imissed;
            c.nic_errors += stats.ierrors;
            c.no_mbuf += stats.rx_nombuf;
        }
        counters_ = c;
    }
    CaptureCounters counters() const override { return counters_; }

private:
    void deliver(rte_mbuf* m, const QueueRef& q, std::int64_t now_ns, PacketSink& sink) {
        PacketView packet;
        const std::uint32_t length = rte_pktmbuf_pkt_len(m);
        if (m->nb_segs == 1) {
            packet.bytes = {rte_pktmbuf_mtod(m, const std::uint8_t*), rte_pktmbuf_data_len(m)};
        } else {
            // A jumbo frame across several mbufs: one copy makes it contiguous.
            const std::uint32_t take = std::min<std::uint32_t>(length, 65536);
            const void* data = rte_pktmbuf_read(m, 0, take, scratch_.get());
            packet.bytes = {static_cast<const std::uint8_t*>(data), data != nullptr ? take : 0};
        }
        packet.wire_length = length;
        packet.time_us = now_ns / 1000;
        packet.time_ns = static_cast<std::uint16_t>(now_ns % 1000);
        if (q.capture_times && timestamp_offset_ >= 0 && (m->ol_flags & timestamp_flag_) != 0) {
            // net_pcap stores the file's packet time as tv_sec * 10^6 + tv_usec
            // (DPDK 22.11): microseconds, the unit of PacketView.
            packet.time_ns = 0;
            packet.time_us = static_cast<std::int64_t>(
                *RTE_MBUF_DYNFIELD(m, timestamp_offset_, const rte_mbuf_timestamp_t*));
        }
        packet.link_type = 1;  // DPDK ports deliver Ethernet frames
        packet.frame_number = ++received_;
        sink.on_packet(packet, q.port_index, received_);
        if (m->nb_segs != 1) sink.end_of_burst();  // scratch_ holds the next jumbo frame
    }

    std::vector<QueueRef> queues_;
    std::uint16_t burst_;
    int timestamp_offset_;
    std::uint64_t timestamp_flag_;
    std::array<rte_mbuf*, kMaxBurst> mbufs_{};
    std::unique_ptr<std::uint8_t[]> scratch_;
    bool registered_ = false;
    std::uint64_t received_ = 0;
    CaptureCounters counters_;
};

std::uint16_t find_port(const std::string& name) {
    std::uint16_t id = 0;
    if (rte_eth_dev_get_port_by_name(name.c_str(), &id) == 0) return id;
    char* end = nullptr;
    const unsigned long number = std::strtoul(name.c_str(), &end, 10);
    if (!name.empty() && end != nullptr && *end == '\0' && number < RTE_MAX_ETHPORTS &&
        rte_eth_dev_is_valid_port(static_cast<std::uint16_t>(number))) {
        return static_cast<std::uint16_t>(number);
    }
    throw std::runtime_error("DPDK: no port '" + name + "' (is its driver loaded with -d, its --vdev given?)");
}

}  // namespace

bool dpdk_available() { return true; }

DpdkRuntime::DpdkRuntime(const DpdkOptions& options) : state_(std::make_unique<State>()) {
    State& s = *state_;
    s.options = options;
    if (options.ports.empty()) throw std::runtime_error("capture.dpdk.ports lists no port");

    std::vector<std::string> args = {"dnswatch"};
    args.insert(args.end(), options.eal_args.begin(), options.eal_args.end());
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    cpu_set_t affinity;
    CPU_ZERO(&affinity);
    const bool have_affinity = sched_getaffinity(0, sizeof affinity, &affinity) == 0;
    // The EAL prints its usage and notices on standard output, which is
    // where alerts go: send them to standard error while it starts.
    std::fflush(stdout);
    const int saved_stdout = ::dup(STDOUT_FILENO);
    ::dup2(STDERR_FILENO, STDOUT_FILENO);
    const int initialised = rte_eal_init(static_cast<int>(argv.size() - 1), argv.data());
    const int init_errno = rte_errno;
    std::fflush(stdout);
    if (saved_stdout >= 0) {
        ::dup2(saved_stdout, STDOUT_FILENO);
        ::close(saved_stdout);
    }
    if (initialised < 0) throw std::runtime_error(dpdk_error("rte_eal_init (check capture.dpdk.eal_args)", init_errno));
    s.eal_ready = true;
    if (have_affinity) sched_setaffinity(0, sizeof affinity, &affinity);

    // Capture-file times, where a driver provides them (net_pcap).
    if (rte_mbuf_dyn_rx_timestamp_register(&s.timestamp_offset, &s.timestamp_flag) != 0) s.timestamp_offset = -1;

    std::size_t total_queues = 0;
    for (const std::string& name : options.ports) {
        State::Port port;
        port.name = name;
        port.id = find_port(name);
        rte_eth_dev_info info{};
        if (const int rc = rte_eth_dev_info_get(port.id, &info); rc != 0) throw std::runtime_error(dpdk_error(name, rc));
        port.driver = info.driver_name != nullptr ? info.driver_name : "";
        const std::size_t wanted = options.rx_queues == 0 ? 1 : options.rx_queues;
        port.queues = static_cast<std::uint16_t>(std::clamp<std::size_t>(wanted, 1, std::max<std::uint16_t>(info.max_rx_queues, 1)));
        port.capture_times = port.driver == "net_pcap";
        total_queues += port.queues;
        s.ports.push_back(port);
    }

    const std::size_t burst = std::clamp<std::size_t>(options.burst, 1, kMaxBurst);
    std::size_t mbufs = options.mbufs;
    if (mbufs == 0) {
        mbufs = total_queues * (options.rx_descriptors + burst) + (total_queues + 1) * options.mbuf_cache + 1024;
    }
    s.pool = rte_pktmbuf_pool_create("dnswatch_rx", static_cast<unsigned>(mbufs),
                                     static_cast<unsigned>(std::min<std::size_t>(options.mbuf_cache, 512)), 0,
                                     RTE_MBUF_DEFAULT_BUF_SIZE, static_cast<int>(rte_socket_id()));
    if (s.pool == nullptr) throw std::runtime_error(dpdk_error("mbuf pool of " + std::to_string(mbufs), rte_errno));

    for (State::Port& port : s.ports) {
        rte_eth_dev_info info{};
        rte_eth_dev_info_get(port.id, &info);
        rte_eth_conf conf{};
        if (port.queues > 1) {
            conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
            conf.rx_adv_conf.rss_conf.rss_key = const_cast<std::uint8_t*>(kSymmetricRssKey.data());
            conf.rx_adv_conf.rss_conf.rss_key_len = kSymmetricRssKey.size();
            conf.rx_adv_conf.rss_conf.rss_hf =
                (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP) & info.flow_type_rss_offloads;
        }
        if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP) conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
        if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER) conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
        // Receive only: no TX queue. A driver that insists gets one.
        int rc = rte_eth_dev_configure(port.id, port.queues, 0, &conf);
        if (rc != 0) throw std::runtime_error(dpdk_error("configuring " + port.name, rc));
        std::uint16_t descriptors = static_cast<std::uint16_t>(std::min<std::size_t>(options.rx_descriptors, 65535));
        rte_eth_dev_adjust_nb_rx_tx_desc(port.id, &descriptors, nullptr);
        for (std::uint16_t q = 0; q < port.queues; ++q) {
            rc = rte_eth_rx_queue_setup(port.id, q, descriptors, rte_eth_dev_socket_id(port.id), nullptr, s.pool);
            if (rc != 0) throw std::runtime_error(dpdk_error(port.name + " RX queue " + std::to_string(q), rc));
        }
        rc = rte_eth_dev_start(port.id);
        if (rc != 0) throw std::runtime_error(dpdk_error("starting " + port.name, rc));
        rte_eth_promiscuous_enable(port.id);  // a sensor on a SPAN port sees others' traffic; refusal is fine
    }
}

DpdkRuntime::~DpdkRuntime() {
    State& s = *state_;
    for (State::Port& port : s.ports) {
        rte_eth_dev_stop(port.id);
        rte_eth_dev_close(port.id);
    }
    if (s.pool != nullptr) rte_mempool_free(s.pool);
    if (s.eal_ready) rte_eal_cleanup();
}

std::size_t DpdkRuntime::queue_count() const {
    std::size_t n = 0;
    for (const State::Port& port : state_->ports) n += port.queues;
    return n;
}

std::vector<std::unique_ptr<PacketInput>> DpdkRuntime::inputs(std::size_t workers) {
    const State& s = *state_;
    std::vector<QueueRef> all;
    for (std::size_t p = 0; p < s.ports.size(); ++p) {
        for (std::uint16_t q = 0; q < s.ports[p].queues; ++q) {
            all.push_back(QueueRef{static_cast<std::uint16_t>(p), s.ports[p].id, q, s.ports[p].capture_times, q == 0});
        }
    }
    workers = std::clamp<std::size_t>(workers, 1, all.size());
    std::vector<std::vector<QueueRef>> plan(workers);
    for (std::size_t i = 0; i < all.size(); ++i) plan[i % workers].push_back(all[i]);
    std::vector<std::unique_ptr<PacketInput>> inputs;
    for (auto& queues : plan) {
        inputs.push_back(std::make_unique<DpdkInput>(std::move(queues), s.options.burst, s.timestamp_offset,
                                                     s.timestamp_flag));
    }
    return inputs;
}

std::vector<std::string> DpdkRuntime::describe() const {
    std::vector<std::string> lines;
    for (const State::Port& port : state_->ports) {
        lines.push_back(port.name + " (" + port.driver + ", " + std::to_string(port.queues) + " RX queue" +
                        (port.queues == 1 ? ")" : "s)"));
    }
    return lines;
}

}  // namespace dnswatch

#else  // !DNSWATCH_HAVE_DPDK

namespace dnswatch {

struct DpdkRuntime::State {};

bool dpdk_available() { return false; }

DpdkRuntime::DpdkRuntime(const DpdkOptions&) {
    throw std::runtime_error("this dnswatch was built without DPDK (install libdpdk-dev and rebuild)");
}
DpdkRuntime::~DpdkRuntime() = default;
std::size_t DpdkRuntime::queue_count() const { return 0; }
std::vector<std::unique_ptr<PacketInput>> DpdkRuntime::inputs(std::size_t) { return {}; }
std::vector<std::string> DpdkRuntime::describe() const { return {}; }

}  // namespace dnswatch

#endif
