#include "baseline/zone_refresher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include <ldns/ldns.h>

#include "common/host_port.h"

namespace dnswatch {
namespace {

constexpr std::int64_t kDefaultRefreshS = 3600;  // a zone whose SOA says 0

struct PktFree {
    void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};

// Binds a UDP socket to "ADDR[:PORT]" (53 by default); throws naming the address.
int bind_udp(const std::string& text, int* port) {
    const auto where = parse_host_port(text, 53);
    if (!where) throw std::runtime_error(text + ": not ADDR:PORT");
    socklen_t length = 0;
    sockaddr_storage storage = where->sockaddr(&length);
    const int fd = ::socket(storage.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
        const int saved = errno;
        if (fd >= 0) ::close(fd);
        throw std::runtime_error("baseline.transfer.notify_listen: cannot bind " + text + " (" + std::strerror(saved) + ")");
    }
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length);
    *port = ntohs(storage.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&storage)->sin_port
                                               : reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
    return fd;
}

std::string address_text(const sockaddr_storage& from) {
    char text[INET6_ADDRSTRLEN] = {};
    if (from.ss_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&from)->sin_addr, text, sizeof text);
    } else {
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&from)->sin6_addr, text, sizeof text);
    }
    return text;
}

// The answer to a NOTIFY (RFC 1996 4.7): the same id, opcode and question,
// QR and AA set; REFUSED when it is not one we take.
std::vector<std::uint8_t> notify_answer(const ldns_pkt* request, bool refused) {
    std::unique_ptr<ldns_pkt, PktFree> answer(ldns_pkt_new());
    ldns_pkt_set_id(answer.get(), ldns_pkt_id(request));
    ldns_pkt_set_opcode(answer.get(), LDNS_PACKET_NOTIFY);
    ldns_pkt_set_qr(answer.get(), true);
    ldns_pkt_set_aa(answer.get(), !refused);
    ldns_pkt_set_rcode(answer.get(), refused ? LDNS_RCODE_REFUSED : LDNS_RCODE_NOERROR);
    const ldns_rr_list* question = ldns_pkt_question(request);
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(question); ++i) {
        ldns_pkt_push_rr(answer.get(), LDNS_SECTION_QUESTION, ldns_rr_clone(ldns_rr_list_rr(question, i)));
    }
    std::uint8_t* wire = nullptr;
    std::size_t size = 0;
    if (ldns_pkt2wire(&wire, answer.get(), &size) != LDNS_STATUS_OK) return {};
    std::vector<std::uint8_t> bytes(wire, wire + size);
    std::free(wire);
    return bytes;
}

}  // namespace

ZoneRefresher::ZoneRefresher(const Config& config, SharedBaseline& baseline, log::Logger* logger)
    : baseline_(baseline), logger_(logger), refresh_ms_(config.baseline.transfer_refresh_ms),
      timeout_ms_(static_cast<int>(config.baseline.transfer_timeout_ms)) {
    for (std::size_t i = 0; i < config.zones.size(); ++i) {
        const WatchedZoneConfig& zc = config.zones[i];
        if (zc.primary.empty()) continue;
        Zone zone;
        zone.name = zc.name;
        zone.primary = *parse_server_address(zc.primary);  // the schema checked it
        zone.keep_path = transferred_zone_path(config, zc.name);
        if (!zone.keep_path.empty()) {
            std::filesystem::create_directories(std::filesystem::path(zone.keep_path).parent_path());
            // The kept copy is in the baseline already (build_baseline_model):
            // its SOA is the version an IXFR starts from; nothing is read twice.
            if (auto soa = baseline_.transferred_soa(zc.name)) zone.current = ZoneVersion::from_soa(std::move(*soa));
        }
        zones_.push_back(std::move(zone));
    }
    if (!config.baseline.notify_listen.empty()) notify_fd_ = bind_udp(config.baseline.notify_listen, &notify_port_);
    for (Zone& zone : zones_) refresh(zone);
    timer_ = std::thread([this] { timer_loop(); });
    if (notify_fd_ >= 0) notify_ = std::thread([this] { notify_loop(); });
}

ZoneRefresher::~ZoneRefresher() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (timer_.joinable()) timer_.join();
    if (notify_.joinable()) notify_.join();
    if (notify_fd_ >= 0) ::close(notify_fd_);
    for (Zone& zone : zones_) keep_copy(zone, /*now=*/true);
}

void ZoneRefresher::keep_copy(Zone& zone, bool now) {
    if (!zone.copy_stale || zone.keep_path.empty()) return;
    // Written from the baseline, which holds every record: at most once per
    // interval (a busy zone's IXFRs must not rewrite a registry's zone file
    // each time), and at the end. A restart with an older copy catches up
    // by IXFR from that copy's serial.
    const auto at = std::chrono::steady_clock::now();
    if (!now && at - zone.kept_at < kKeepInterval) return;
    try {
        save_zone_file(zone.keep_path, baseline_.transferred_records(zone.name));
        zone.copy_stale = false;
        zone.kept_at = at;
    } catch (const std::exception& e) {
        if (logger_ != nullptr) logger_->error("zone_transfer_keep_failed", {{"zone", zone.name}, {"error", e.what()}});
    }
}

void ZoneRefresher::refresh(Zone& zone) {
    TransferOutcome outcome;
    try {
        outcome = transfer_zone(zone.name, zone.primary, zone.current ? &*zone.current : nullptr, timeout_ms_);
    } catch (const std::exception& e) {
        ++counters_.failures;
        if (logger_ != nullptr) {
            logger_->warn("zone_transfer_failed",
                          {{"zone", zone.name},
                           {"primary", zone.primary.text()},
                           {"error", e.what()},
                           {"keeping", zone.current ? "serial " + std::to_string(zone.current->serial)
                                                    : std::string("no transferred copy yet")}});
        }
        schedule(zone, true);
        return;
    }
    if (outcome.kind == TransferKind::up_to_date) {
        ++counters_.up_to_date;
        keep_copy(zone, false);
        schedule(zone, false);
        return;
    }
    std::size_t records = 0;
    if (outcome.kind == TransferKind::ixfr) {
        // Only the changes: O(changes), whatever the zone's size.
        if (!baseline_.apply_transfer_changes(zone.name, outcome.removed, outcome.added)) {
            ++counters_.failures;
            if (logger_ != nullptr) {
                logger_->warn("zone_transfer_ixfr_mismatch",
                              {{"msg", "the IXFR deletes records the copy held does not have; transferring the whole zone"},
                               {"zone", zone.name},
                               {"serial", outcome.zone.serial}});
            }
            zone.current.reset();
            schedule(zone, true);
            zone.due = std::chrono::steady_clock::now();
            return;
        }
        records = outcome.removed.size() + outcome.added.size();
        zone.copy_stale = true;
        keep_copy(zone, false);
    } else {
        // A whole zone: its difference from the last one is what changes.
        baseline_.set_transfer(zone.name, outcome.zone.records);
        records = outcome.zone.records.size();
        if (!zone.keep_path.empty()) {
            try {
                save_zone_file(zone.keep_path, outcome.zone.records);
                zone.copy_stale = false;
                zone.kept_at = std::chrono::steady_clock::now();
            } catch (const std::exception& e) {
                if (logger_ != nullptr) {
                    logger_->error("zone_transfer_keep_failed", {{"zone", zone.name}, {"error", e.what()}});
                }
            }
        }
    }
    ++counters_.transfers;
    if (logger_ != nullptr) {
        logger_->info("zone_transfer", {{"zone", zone.name},
                                        {"serial", outcome.zone.serial},
                                        {"kind", to_string(outcome.kind)},
                                        {"records", records},
                                        {"primary", zone.primary.text()}});
    }
    // The SOA alone: the baseline holds the records.
    zone.current = ZoneVersion::from_soa(std::move(outcome.zone.soa));
    schedule(zone, false);
}

void ZoneRefresher::schedule(Zone& zone, bool failed) {
    std::int64_t seconds = kDefaultRefreshS;
    if (zone.current) {
        const std::uint32_t soa = failed ? zone.current->retry_s : zone.current->refresh_s;
        if (soa > 0) seconds = soa;
    }
    std::int64_t ms = refresh_ms_ > 0 ? refresh_ms_ : seconds * 1000;
    if (failed && !zone.current) ms = std::min<std::int64_t>(ms, 60000);  // nothing yet: keep trying
    zone.due = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
}

void ZoneRefresher::timer_loop() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
        auto next = std::chrono::steady_clock::now() + std::chrono::hours(24);
        for (const Zone& zone : zones_) next = std::min(next, zone.due);
        wake_.wait_until(lock, next, [&] {
            if (stop_) return true;
            for (const Zone& zone : zones_) {
                if (zone.notified || zone.due <= std::chrono::steady_clock::now()) return true;
            }
            return false;
        });
        if (stop_) break;
        for (Zone& zone : zones_) {
            if (!zone.notified && zone.due > std::chrono::steady_clock::now()) continue;
            zone.notified = false;
            // Transfers take time; NOTIFY keeps being received meanwhile.
            lock.unlock();
            refresh(zone);
            lock.lock();
        }
    }
}

ZoneRefresher::Zone* ZoneRefresher::zone_notified(const std::string& qname, const std::string& source) {
    std::string name = qname;
    if (!name.empty() && name.back() == '.') name.pop_back();
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (Zone& zone : zones_) {
        if (zone.name == name && zone.primary.address == source) return &zone;
    }
    return nullptr;
}

void ZoneRefresher::notify_loop() {
    std::uint8_t buffer[4096];
    for (;;) {
        {
            std::lock_guard lock(mutex_);
            if (stop_) return;
        }
        pollfd item{notify_fd_, POLLIN, 0};
        if (::poll(&item, 1, 100) <= 0) continue;
        sockaddr_storage from{};
        socklen_t from_length = sizeof from;
        const ssize_t n = ::recvfrom(notify_fd_, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&from), &from_length);
        if (n <= 0) continue;
        ldns_pkt* raw = nullptr;
        if (ldns_wire2pkt(&raw, buffer, static_cast<std::size_t>(n)) != LDNS_STATUS_OK) {
            ++counters_.notifies_refused;
            continue;  // not even a DNS message: no answer
        }
        std::unique_ptr<ldns_pkt, PktFree> request(raw);
        if (ldns_pkt_qr(request.get())) continue;  // never answer an answer
        std::string qname;
        if (ldns_rr_list_rr_count(ldns_pkt_question(request.get())) == 1) {
            char* text = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(request.get()), 0)));
            qname = text != nullptr ? text : "";
            std::free(text);
        }
        bool accepted = false;
        std::string zone_name;
        if (ldns_pkt_get_opcode(request.get()) == LDNS_PACKET_NOTIFY) {
            std::lock_guard lock(mutex_);
            if (Zone* zone = zone_notified(qname, address_text(from))) {
                zone->notified = true;
                zone_name = zone->name;
                accepted = true;
            }
        }
        // Counted before answering: whoever got the answer sees the count.
        ++(accepted ? counters_.notifies : counters_.notifies_refused);
        const std::vector<std::uint8_t> answer = notify_answer(request.get(), !accepted);
        if (!answer.empty()) ::sendto(notify_fd_, answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&from), from_length);
        if (accepted) {
            wake_.notify_all();
            if (logger_ != nullptr) logger_->info("notify", {{"zone", zone_name}, {"from", address_text(from)}});
        }
    }
}

}  // namespace dnswatch
