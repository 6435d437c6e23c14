// libFuzzer target: NOTIFY datagrams (RFC 1996) to a real ZoneRefresher's
// listener (baseline/zone_refresher.h), which anyone who can reach the port
// may send. The refresher watches victim.test with a primary on 127.0.0.1
// whose port refuses connections, so an accepted NOTIFY costs one failed
// transfer. The input is datagrams (2-byte length each, see fuzz_input.h),
// sent from 127.0.0.1 (the primary's address: the only source whose
// NOTIFYs are taken). Checks: every answer is a NOTIFY response (QR set,
// opcode 4) of at least a header; after the input a well-formed NOTIFY for
// a zone that is not ours, from another socket, is still answered REFUSED:
// no datagram stops the listener. NOTIFY log lines go through the log's
// rate limit (here: no logger).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "baseline/sources.h"
#include "baseline/zone_refresher.h"
#include "config/config.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_input.h"
#include "tests/support/ports.h"

namespace dnswatch {
namespace {

int udp_socket() {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local);
    const timeval timeout{10, 0};  // generous: a loaded machine answers late, not never
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    return fd;
}

struct Listener {
    int refusing_fd = -1;  // bound, never listening: the primary refuses at once
    std::unique_ptr<Config> config;
    std::unique_ptr<BaselineModel> model;
    std::unique_ptr<ZoneRefresher> refresher;
    int sender = udp_socket();
    int prober = udp_socket();
    sockaddr_in to{};

    Listener() {
        refusing_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in any{};
        any.sin_family = AF_INET;
        any.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(refusing_fd, reinterpret_cast<sockaddr*>(&any), sizeof any);
        socklen_t length = sizeof any;
        ::getsockname(refusing_fd, reinterpret_cast<sockaddr*>(&any), &length);
        // Not a port the kernel just gave out and we closed again: under
        // ctest -j another test's outgoing connection may take it before the
        // listener binds it (CI: "cannot bind 127.0.0.1:41724 over TCP").
        const int notify_port = test::reserved_port();
        const std::string dir = fuzz::scratch_dir("notify");
        const std::string path = dir + "/dnswatch.yaml";
        fuzz::write_file(path, "sensor: {id: fuzz}\nwatch:\n  zones:\n    - name: victim.test\n      primary: 127.0.0.1:" +
                                   std::to_string(ntohs(any.sin_port)) +
                                   "\nbaseline:\n  transfer:\n    notify_listen: 127.0.0.1:" +
                                   std::to_string(notify_port) + "\n    timeout: 1s\n");
        config = std::make_unique<Config>(load_config(path));
        model = build_baseline_model(*config);
        refresher = std::make_unique<ZoneRefresher>(*config, model->shared, nullptr);
        to.sin_family = AF_INET;
        to.sin_port = htons(static_cast<std::uint16_t>(refresher->notify_port()));
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
};

Listener& listener() {
    static Listener instance;
    return instance;
}

// NOTIFY for other.test. IN SOA, id 0xBEEF.
const std::vector<std::uint8_t> kProbe = {0xBE, 0xEF, 0x20, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
                                          5, 'o', 't', 'h', 'e', 'r', 4, 't', 'e', 's', 't', 0, 0, 6, 0, 1};

}  // namespace
}  // namespace dnswatch

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace dnswatch;
    Listener& l = listener();
    std::uint8_t answer[4096];
    while (::recv(l.sender, answer, sizeof answer, MSG_DONTWAIT) > 0) {
    }
    // At most 16 datagrams an input: more fill the listener's socket
    // buffer, and UDP then drops, the probe too (a flood is not what this
    // target looks for; the NOTIFY flood test is).
    std::size_t sent = 0;
    for (const auto& datagram : fuzz::parts_of(std::span(data, size))) {
        if (++sent > 16) break;
        ::sendto(l.sender, datagram.data(), datagram.size(), 0, reinterpret_cast<const sockaddr*>(&l.to), sizeof l.to);
    }
    ssize_t n = -1;
    for (int attempt = 0; attempt < 3 && n < 0; ++attempt) {
        ::sendto(l.prober, kProbe.data(), kProbe.size(), 0, reinterpret_cast<const sockaddr*>(&l.to), sizeof l.to);
        n = ::recv(l.prober, answer, sizeof answer, 0);
    }
    FUZZ_CHECK(n >= 12);
    FUZZ_CHECK(answer[0] == 0xBE && answer[1] == 0xEF);
    FUZZ_CHECK((answer[2] & 0x80) != 0 && ((answer[2] >> 3) & 0x0F) == 4);
    FUZZ_CHECK((answer[3] & 0x0F) == 5);  // REFUSED
    for (ssize_t got; (got = ::recv(l.sender, answer, sizeof answer, MSG_DONTWAIT)) > 0;) {
        FUZZ_CHECK(got >= 12);
        FUZZ_CHECK((answer[2] & 0x80) != 0 && ((answer[2] >> 3) & 0x0F) == 4);
    }
    return 0;
}
