// Keeps the transferred zones (watch.zones[].primary) current: one AXFR per
// zone at start (synchronously, so that the first packet is judged against
// it), then a refresh on a timer (baseline.transfer.refresh, else the zone's
// SOA refresh) and on NOTIFY (RFC 1996) from the zone's primary (or an
// address of baseline.transfer.allow_notify), received over UDP and TCP on
// baseline.transfer.notify_listen and answered. Each new serial is
// published as a new baseline snapshot (baseline/shared_baseline.h): an
// IXFR as its changes only, in O(changes), so that a registry's zone of
// millions of records takes a thousand changes in milliseconds; the
// refresher keeps only the zone's SOA, the baseline holds the records. A
// copy is kept in state.dir/zones/<zone>.zone (read at the next start, so
// that a restart without the primary keeps the zone): at once after a
// whole-zone transfer, at most every few minutes after IXFRs, and at exit.
// A NOTIFY from anyone else, for a zone without a primary, or (with
// baseline.transfer.tsig_key_file) not signed by the key, is answered
// REFUSED, counted and logged (rate limited); so is a failed transfer.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "baseline/shared_baseline.h"
#include "baseline/sources.h"
#include "baseline/tsig.h"
#include "baseline/zone_transfer.h"
#include "common/host_port.h"
#include "config/config.h"
#include "log/log.h"

namespace dnswatch {

struct ZoneRefresherCounters {
    std::atomic<std::uint64_t> transfers{0};         // new versions taken (AXFR or IXFR)
    std::atomic<std::uint64_t> up_to_date{0};        // refreshes that found the same serial
    std::atomic<std::uint64_t> failures{0};          // transfers that failed (the last version stays)
    std::atomic<std::uint64_t> notifies{0};          // NOTIFY from a zone's primary, answered
    std::atomic<std::uint64_t> notifies_refused{0};  // NOTIFY from elsewhere, unsigned, malformed, or for no zone of ours
};

class ZoneRefresher {
public:
    // Transfers every zone once, then starts the timer and NOTIFY threads.
    // Throws BindError (common/errors.h) when the NOTIFY address cannot be
    // bound, std::runtime_error when the TSIG key cannot be read. `log`:
    // transfers, refusals and failures, or null.
    ZoneRefresher(const Config& config, SharedBaseline& baseline, log::Logger* log);
    ~ZoneRefresher();
    ZoneRefresher(const ZoneRefresher&) = delete;
    ZoneRefresher& operator=(const ZoneRefresher&) = delete;

    const ZoneRefresherCounters& counters() const { return counters_; }
    // The port NOTIFY is received on, over UDP and TCP (0: none), e.g. when
    // :0 was asked for.
    int notify_port() const { return notify_port_; }

private:
    struct Zone {
        std::string name;
        Primary primary;
        std::optional<ZoneVersion> current;
        std::string keep_path;
        std::chrono::steady_clock::time_point due;
        bool notified = false;
        bool copy_stale = false;  // keep_path is older than the baseline's copy
        std::chrono::steady_clock::time_point kept_at;
    };
    static constexpr std::chrono::minutes kKeepInterval{5};

    // Writes the zone's kept copy when it is stale and due (or `now`).
    void keep_copy(Zone& zone, bool now);

    void refresh(Zone& zone);
    void schedule(Zone& zone, bool failed);
    // Lowers the calling thread (common/background_priority.h), logging a refusal.
    void run_in_background(const char* thread);
    void timer_loop();
    void notify_loop();
    // One NOTIFY received over UDP or TCP from `from`: the answer to send
    // back (empty: none).
    std::vector<std::uint8_t> handle_notify(std::span<const std::uint8_t> wire, const sockaddr_storage& from,
                                            const char* transport);
    void serve_tcp(int connection);
    // The zone a NOTIFY is for, or why it is refused.
    Zone* zone_notified(const std::string& qname, const sockaddr_storage& from, std::string* why);

    SharedBaseline& baseline_;
    log::Logger* log_;
    std::optional<TsigKey> tsig_;
    std::vector<AddressPrefix> allow_notify_;
    std::int64_t refresh_ms_;
    int timeout_ms_;
    std::vector<Zone> zones_;
    ZoneRefresherCounters counters_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    int notify_fd_ = -1;      // UDP
    int notify_tcp_fd_ = -1;  // TCP, listening
    int notify_port_ = 0;
    std::thread timer_;
    std::thread notify_;
};

}  // namespace dnswatch
