// The parts of the config that only the live sensor (`dnswatch run`) reads:
// capture source, pipeline shape, privileges and stats. (Where alerts go is
// shared with replay: publish.*, state.*, transparency_log.*.)
// Each key is declared once, in config.cc's schema table.
#pragma once

#include <cstdint>
#include <exception>
#include <string>
#include <vector>

namespace dnswatch {

struct DpdkCaptureConfig {
    std::vector<std::string> eal_args;  // rte_eal_init arguments
    std::vector<std::string> ports;     // device names or port ids
    int rx_queues = 0;                  // per port; 0: enough for one per worker
    int rx_descriptors = 1024;
    int burst = 32;
    std::int64_t mbufs = 0;             // 0: sized from queues and descriptors
    int mbuf_cache = 256;
};

// capture.source dnstap: where resolvers and name servers connect
// (capture/dnstap_listener.h).
struct DnstapCaptureConfig {
    std::string unix_path;                 // a unix socket to create; "" none
    std::string tcp;                       // ADDR:PORT to listen on; "" none
    std::int64_t max_frame_bytes = 131072; // the longest data frame a writer may send
    int max_writers = 64;                  // writers connected at once
};

struct CaptureConfig {
    std::string source = "pcap_live";   // pcap_file | pcap_live | dpdk | dnstap
    std::vector<std::string> files;     // pcap_file: resolved paths, replayed in order
    std::string speed = "max";          // pcap_file: max | recorded | <factor>x
    double speed_factor = 0;            // derived from speed: 0 as fast as possible
    std::vector<std::string> interfaces;  // pcap_live
    std::string filter;                 // pcap_live: BPF; "" = DNS ports and IP fragments
    int snaplen = 65535;
    std::int64_t buffer_bytes = 33554432;
    int timeout_ms = 0;                 // 0: immediate mode
    bool promiscuous = false;
    std::int64_t idle_exit_ms = 0;      // stop after this long without a packet; 0 never
    DpdkCaptureConfig dpdk;
    DnstapCaptureConfig dnstap;
};

struct PipelineConfig {
    int workers = 0;                    // 0: one per available core, less one (at least one)
    int shards = 0;                     // 0: as many as workers
    std::int64_t reader_ring_bytes = 16777216;
    std::int64_t message_ring_bytes = 4194304;
    int alert_ring = 4096;
};

struct RunConfig {
    std::string user;                   // drop privileges to this user after opening the capture
    int stats_interval_s = 10;          // `stats.` on ZeroMQ every this many seconds; 0 off
};

// "max" -> 0, "recorded" -> 1, "10x" / "0.5x" -> 10 / 0.5. Returns a
// negative number for anything else.
inline double parse_replay_speed(const std::string& text) {
    if (text == "max") return 0;
    if (text == "recorded") return 1;
    if (text.size() < 2 || text.back() != 'x') return -1;
    try {
        std::size_t used = 0;
        const double factor = std::stod(text.substr(0, text.size() - 1), &used);
        if (used != text.size() - 1 || !(factor > 0) || factor > 1e6) return -1;
        return factor;
    } catch (const std::exception&) {
        return -1;
    }
}

}  // namespace dnswatch
