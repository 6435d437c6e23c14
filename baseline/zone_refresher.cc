#include "baseline/zone_refresher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/time.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include <ldns/ldns.h>

#include "common/background_priority.h"
#include "common/errors.h"
#include "common/host_port.h"

namespace dnswatch {
namespace {

double tenths_of_ms(std::chrono::steady_clock::duration d) {
    return static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(d).count() / 100) / 10.0;
}

constexpr std::int64_t kDefaultRefreshS = 3600;  // a zone whose SOA says 0

struct PktFree {
    void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};

// Binds a socket of `type` (UDP or TCP) to "ADDR[:PORT]" (53 by default);
// throws BindError naming the address.
int bind_notify(const std::string& text, int type, int* port) {
    auto where = parse_host_port(text, 53);
    if (!where) throw std::runtime_error(text + ": not ADDR:PORT");
    if (*port != 0) where->port = *port;  // TCP on the port UDP got
    socklen_t length = 0;
    sockaddr_storage storage = where->sockaddr(&length);
    const int fd = ::socket(storage.ss_family, type | SOCK_CLOEXEC, 0);
    const int on = 1;
    if (fd >= 0 && type == SOCK_STREAM) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0 ||
        (type == SOCK_STREAM && ::listen(fd, 16) != 0)) {
        const int saved = errno;
        if (fd >= 0) ::close(fd);
        throw BindError("baseline.transfer.notify_listen: cannot bind " + where->text() + " over " +
                        (type == SOCK_STREAM ? "TCP" : "UDP") + " (" + std::strerror(saved) + ")");
    }
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length);
    *port = ntohs(storage.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&storage)->sin_port
                                               : reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
    return fd;
}

// The answer to a NOTIFY (RFC 1996 4.7): the same id, opcode and question,
// QR and AA set; REFUSED when it is not one we take.
std::vector<std::uint8_t> notify_answer(const ldns_pkt* request, bool refused, const TsigKey* key) {
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
    // A signed NOTIFY gets a signed answer (RFC 8945 5.3), which the primary checks.
    if (key != nullptr && tsig_mac(request) != nullptr) {
        try {
            tsig_sign(answer.get(), *key, tsig_mac(request));
        } catch (const std::exception&) {
            // Unsigned, then: the primary logs it; the NOTIFY was taken or refused already.
        }
    }
    std::uint8_t* wire = nullptr;
    std::size_t size = 0;
    if (ldns_pkt2wire(&wire, answer.get(), &size) != LDNS_STATUS_OK) return {};
    std::vector<std::uint8_t> bytes(wire, wire + size);
    std::free(wire);
    return bytes;
}

}  // namespace

ZoneRefresher::ZoneRefresher(const Config& config, SharedBaseline& baseline, log::Logger* log)
    : baseline_(baseline), log_(log), refresh_ms_(config.baseline.transfer_refresh_ms),
      timeout_ms_(static_cast<int>(config.baseline.transfer_timeout_ms)) {
    if (!config.baseline.tsig_key_file.empty()) tsig_ = TsigKey::load(config.baseline.tsig_key_file);
    for (const std::string& text : config.baseline.allow_notify) {
        if (auto prefix = AddressPrefix::parse(text)) allow_notify_.push_back(*prefix);  // the schema checked it
    }
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
    if (!config.baseline.notify_listen.empty()) {
        notify_fd_ = bind_notify(config.baseline.notify_listen, SOCK_DGRAM, &notify_port_);
        try {
            notify_tcp_fd_ = bind_notify(config.baseline.notify_listen, SOCK_STREAM, &notify_port_);
        } catch (...) {
            ::close(notify_fd_);
            throw;
        }
    }
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
    if (notify_tcp_fd_ >= 0) ::close(notify_tcp_fd_);
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
        if (log_ != nullptr) log_->error("zone_copy_not_kept", {{"zone", zone.name}, {"error", e.what()}});
    }
}

void ZoneRefresher::refresh(Zone& zone) {
    TransferOutcome outcome;
    const auto started = std::chrono::steady_clock::now();
    try {
        outcome = transfer_zone(zone.name, zone.primary, zone.current ? &*zone.current : nullptr, timeout_ms_,
                                tsig_ ? &*tsig_ : nullptr);
    } catch (const std::exception& e) {
        ++counters_.failures;
        if (log_ != nullptr) {
            log_->error("zone_transfer_failed",
                        {{"zone", zone.name},
                         {"primary", zone.primary.text()},
                         {"error", e.what()},
                         {"kept_serial", zone.current ? std::int64_t{zone.current->serial} : std::int64_t{-1}}});
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
    const auto transferred = std::chrono::steady_clock::now();
    auto applied = transferred;
    std::size_t records = 0;
    if (outcome.kind == TransferKind::ixfr) {
        // Only the changes: O(changes), whatever the zone's size.
        if (!baseline_.apply_transfer_changes(zone.name, outcome.removed, outcome.added)) {
            ++counters_.failures;
            if (log_ != nullptr) {
                log_->error("zone_transfer_failed",
                            {{"zone", zone.name},
                             {"primary", zone.primary.text()},
                             {"serial", outcome.zone.serial},
                             {"error", "the IXFR deletes records the copy held does not have; transferring the "
                                       "whole zone"}});
            }
            zone.current.reset();
            schedule(zone, true);
            zone.due = std::chrono::steady_clock::now();
            return;
        }
        applied = std::chrono::steady_clock::now();
        records = outcome.removed.size() + outcome.added.size();
        zone.copy_stale = true;
        keep_copy(zone, false);
    } else {
        // A whole zone: its difference from the last one is what changes.
        baseline_.set_transfer(zone.name, outcome.zone.records);
        applied = std::chrono::steady_clock::now();
        records = outcome.zone.records.size();
        if (!zone.keep_path.empty()) {
            try {
                save_zone_file(zone.keep_path, outcome.zone.records);
                zone.copy_stale = false;
                zone.kept_at = std::chrono::steady_clock::now();
            } catch (const std::exception& e) {
                if (log_ != nullptr) log_->error("zone_copy_not_kept", {{"zone", zone.name}, {"error", e.what()}});
            }
        }
    }
    ++counters_.transfers;
    if (log_ != nullptr) {
        log_->info("zone_transferred", {{"zone", zone.name},
                                        {"serial", outcome.zone.serial},
                                        {"kind", to_string(outcome.kind)},
                                        {"records", records},
                                        {"primary", zone.primary.text()},
                                        {"tsig", tsig_.has_value()},
                                        // Asking and receiving, then making it the baseline the packet path reads.
                                        {"transfer_ms", tenths_of_ms(transferred - started)},
                                        {"apply_ms", tenths_of_ms(applied - transferred)}});
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

void ZoneRefresher::run_in_background(const char* thread) {
    if (const std::string refused = run_at_background_priority(); !refused.empty() && log_ != nullptr) {
        log_->warn("background_priority_refused", {{"thread", thread}, {"error", refused}});
    }
}

void ZoneRefresher::timer_loop() {
    run_in_background("zone_refresher");  // transfers and applies them: never ahead of the packet path
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

ZoneRefresher::Zone* ZoneRefresher::zone_notified(const std::string& qname, const sockaddr_storage& from,
                                                  std::string* why) {
    std::string name = qname;
    if (!name.empty() && name.back() == '.') name.pop_back();
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (Zone& zone : zones_) {
        if (zone.name != name) continue;
        if (zone.primary.address == address_text(from)) return &zone;
        for (const AddressPrefix& allowed : allow_notify_) {
            if (allowed.contains(from)) return &zone;
        }
        *why = "the source is neither the zone's primary (" + zone.primary.address +
               ") nor in baseline.transfer.allow_notify";
        return nullptr;
    }
    *why = "no watched zone with a primary is named '" + name + "'";
    return nullptr;
}

std::vector<std::uint8_t> ZoneRefresher::handle_notify(std::span<const std::uint8_t> wire,
                                                       const sockaddr_storage& from, const char* transport) {
    const std::string source = address_text(from);
    ldns_pkt* raw = nullptr;
    if (ldns_wire2pkt(&raw, wire.data(), wire.size()) != LDNS_STATUS_OK) {
        ++counters_.notifies_refused;  // not even a DNS message: no answer
        if (log_ != nullptr) {
            log_->warn("notify_refused", {{"source", source}, {"transport", transport}, {"reason", "not a DNS message"}});
        }
        return {};
    }
    std::unique_ptr<ldns_pkt, PktFree> request(raw);
    if (ldns_pkt_qr(request.get())) return {};  // never answer an answer
    std::string qname;
    if (ldns_rr_list_rr_count(ldns_pkt_question(request.get())) == 1) {
        char* text = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(request.get()), 0)));
        qname = text != nullptr ? text : "";
        std::free(text);
    }
    std::string why;
    std::string zone_name = qname;
    if (!zone_name.empty() && zone_name.back() == '.') zone_name.pop_back();
    if (ldns_pkt_get_opcode(request.get()) != LDNS_PACKET_NOTIFY) {
        why = "not a NOTIFY (opcode " + std::to_string(static_cast<int>(ldns_pkt_get_opcode(request.get()))) + ")";
    } else if (tsig_) {
        why = TsigVerifier(*tsig_).check(wire);
    }
    if (why.empty()) {
        std::lock_guard lock(mutex_);
        if (Zone* zone = zone_notified(qname, from, &why)) {
            zone->notified = true;
            zone_name = zone->name;
        }
    }
    const bool accepted = why.empty();
    // Counted before answering: whoever got the answer sees the count.
    ++(accepted ? counters_.notifies : counters_.notifies_refused);
    if (log_ != nullptr) {
        if (accepted) {
            log_->info("notify", {{"zone", zone_name}, {"source", source}, {"transport", transport}});
        } else {
            log_->warn("notify_refused",
                       {{"zone", zone_name}, {"source", source}, {"transport", transport}, {"reason", why}});
        }
    }
    if (accepted) wake_.notify_all();
    return notify_answer(request.get(), !accepted, tsig_ ? &*tsig_ : nullptr);
}

void ZoneRefresher::serve_tcp(int connection) {
    // NOTIFY over TCP (Knot sends them so): length-prefixed messages, each
    // answered on the same connection, until the primary closes it.
    const timeval timeout{2, 0};
    ::setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_storage from{};
    socklen_t from_length = sizeof from;
    ::getpeername(connection, reinterpret_cast<sockaddr*>(&from), &from_length);
    auto read_exact = [&](std::uint8_t* data, std::size_t size) {
        std::size_t done = 0;
        while (done < size) {
            const ssize_t n = ::recv(connection, data + done, size - done, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            done += static_cast<std::size_t>(n);
        }
        return true;
    };
    for (int messages = 0; messages < 16; ++messages) {
        std::uint8_t prefix[2];
        if (!read_exact(prefix, 2)) break;
        std::vector<std::uint8_t> message((std::size_t{prefix[0]} << 8) | prefix[1]);
        if (!read_exact(message.data(), message.size())) break;
        const std::vector<std::uint8_t> answer = handle_notify(message, from, "tcp");
        if (answer.empty()) break;
        std::vector<std::uint8_t> framed{static_cast<std::uint8_t>(answer.size() >> 8),
                                         static_cast<std::uint8_t>(answer.size())};
        framed.insert(framed.end(), answer.begin(), answer.end());
        if (::send(connection, framed.data(), framed.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(framed.size())) {
            break;
        }
    }
    ::close(connection);
}

void ZoneRefresher::notify_loop() {
    run_in_background("notify_listener");
    std::vector<std::uint8_t> buffer(65535);
    for (;;) {
        {
            std::lock_guard lock(mutex_);
            if (stop_) return;
        }
        pollfd items[2] = {{notify_fd_, POLLIN, 0}, {notify_tcp_fd_, POLLIN, 0}};
        if (::poll(items, 2, 100) <= 0) continue;
        if (items[1].revents & POLLIN) {
            const int connection = ::accept4(notify_tcp_fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (connection >= 0) serve_tcp(connection);
        }
        if (!(items[0].revents & POLLIN)) continue;
        sockaddr_storage from{};
        socklen_t from_length = sizeof from;
        const ssize_t n = ::recvfrom(notify_fd_, buffer.data(), buffer.size(), 0, reinterpret_cast<sockaddr*>(&from),
                                     &from_length);
        if (n <= 0) continue;
        const std::vector<std::uint8_t> answer = handle_notify({buffer.data(), static_cast<std::size_t>(n)}, from, "udp");
        if (!answer.empty()) {
            ::sendto(notify_fd_, answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&from), from_length);
        }
    }
}

}  // namespace dnswatch
