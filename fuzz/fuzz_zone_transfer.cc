// libFuzzer target: AXFR and IXFR answers, as a primary (or whoever sits in
// its place) sends them, read by transfer_zone (baseline/zone_transfer.h)
// over a real TCP connection to a fake primary on 127.0.0.1. Byte 0 picks
// what the sensor holds: 0 nothing (AXFR), 1 victim.test at serial 1 with
// its records (IXFR, deletions checked), 2 only its SOA (IXFR). The rest
// is DNS messages (2-byte length each, see fuzz_input.h) that the fake
// primary sends, length-prefixed, on every connection after reading the
// request, with the request's id written over theirs (a primary answering
// knows it), then closes. Checks: transfer_zone returns or throws
// TransferError; what it returns is a version with an SOA, records that
// start with it after a whole-zone transfer, and no more records than the
// messages could carry.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "baseline/zone_transfer.h"
#include "decode/dns_message.h"
#include "decode/ldns_glue.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_input.h"

namespace dnswatch {
namespace {

bool exact(int fd, std::uint8_t* data, std::size_t size, bool writing) {
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = writing ? ::send(fd, data + done, size - done, MSG_NOSIGNAL) : ::recv(fd, data + done, size - done, 0);
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

class FakePrimary {
public:
    FakePrimary() {
        listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const int one = 1;
        ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
        ::listen(listen_fd_, 16);
        socklen_t length = sizeof address;
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
        primary_ = *parse_server_address("127.0.0.1:" + std::to_string(ntohs(address.sin_port)));
        thread_ = std::thread([this] { serve(); });
        thread_.detach();  // for the life of the process
    }
    void answer_with(std::vector<std::vector<std::uint8_t>> messages) {
        std::lock_guard lock(mutex_);
        messages_ = std::move(messages);
    }
    const Primary& primary() const { return primary_; }

private:
    void serve() {
        for (;;) {
            const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0) continue;
            std::uint8_t prefix[2];
            std::vector<std::uint8_t> request;
            if (exact(fd, prefix, 2, false)) {
                request.resize((std::size_t{prefix[0]} << 8) | prefix[1]);
                if (!exact(fd, request.data(), request.size(), false)) request.clear();
            }
            std::vector<std::vector<std::uint8_t>> messages;
            {
                std::lock_guard lock(mutex_);
                messages = messages_;
            }
            for (std::vector<std::uint8_t>& message : messages) {
                if (message.size() >= 2 && request.size() >= 2) std::copy_n(request.begin(), 2, message.begin());
                std::uint8_t length[2] = {static_cast<std::uint8_t>(message.size() >> 8),
                                          static_cast<std::uint8_t>(message.size())};
                if (!exact(fd, length, 2, true) || !exact(fd, message.data(), message.size(), true)) break;
            }
            ::close(fd);
        }
    }

    int listen_fd_ = -1;
    Primary primary_;
    std::mutex mutex_;
    std::vector<std::vector<std::uint8_t>> messages_;
    std::thread thread_;
};

FakePrimary& fake_primary() {
    static FakePrimary* instance = new FakePrimary();  // its thread outlives every input
    return *instance;
}

const ZoneVersion& version_with_records() {
    static const ZoneVersion version = *ZoneVersion::from_records(
        {record_from_text("victim.test. 300 IN SOA ns1.victim.test. h.victim.test. 1 3600 600 86400 300"),
         record_from_text("victim.test. 300 IN NS ns1.victim.test."),
         record_from_text("ns1.victim.test. 300 IN A 192.0.2.1"), record_from_text("www.victim.test. 300 IN A 192.0.2.10")});
    return version;
}

const ZoneVersion& version_soa_only() {
    static const ZoneVersion version = *ZoneVersion::from_soa(version_with_records().soa);
    return version;
}

}  // namespace
}  // namespace dnswatch

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace dnswatch;
    if (size == 0) return 0;
    std::vector<std::vector<std::uint8_t>> messages;
    std::size_t bytes = 0;
    for (const auto& part : fuzz::parts_of(std::span(data + 1, size - 1))) {
        messages.emplace_back(part.begin(), part.end());
        bytes += part.size();
    }
    FakePrimary& primary = fake_primary();
    primary.answer_with(std::move(messages));
    const ZoneVersion* current = data[0] % 3 == 0   ? nullptr
                                 : data[0] % 3 == 1 ? &version_with_records()
                                                    : &version_soa_only();
    try {
        const TransferOutcome outcome = transfer_zone("victim.test", primary.primary(), current, 1000);
        FUZZ_CHECK(outcome.zone.soa.type == rrtype::SOA);
        if (outcome.kind == TransferKind::axfr || outcome.kind == TransferKind::ixfr_full_zone) {
            FUZZ_CHECK(!outcome.zone.records.empty() && outcome.zone.records.front().type == rrtype::SOA);
        }
        // A record takes at least 11 bytes of a message (root owner, type,
        // class, TTL, rdlength); the IXFR fallback to AXFR reads them twice.
        FUZZ_CHECK(outcome.zone.records.size() + outcome.added.size() + outcome.removed.size() <=
                   2 * (bytes / 11 + 1) + version_with_records().records.size());
    } catch (const TransferError&) {
    }
    return 0;
}
