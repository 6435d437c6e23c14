// libFuzzer target: HTTP requests, as any client on the network sends them,
// to a real HttpServer (libmicrohttpd, common/http_server.h) serving a real
// transparency log of 300 entries as C2SP tlog-tiles (publish/tlog_http.h):
// request line, headers, and the tile paths our handler parses. The input
// is the bytes sent on one connection (then the client's side is shut).
// Checks: an answer, when there is one, is an HTTP/1.x status line; and
// after each input a plain GET of the checkpoint on a new connection is
// still answered 200 with the signed note: no request disables the server.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_input.h"
#include "publish/signed_note.h"
#include "publish/tlog_http.h"
#include "publish/transparency_log.h"

namespace dnswatch {
namespace {

struct Served {
    std::unique_ptr<TlogHttpServer> server;
    std::uint16_t port = 0;

    Served() {
        const std::string dir = fuzz::scratch_dir("http") + "/log";
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        {
            TransparencyLog log(dir, NoteSigner::generate("fuzz.dnswatch.test/log"), false);
            for (int i = 0; i < 300; ++i) log.append("{\"entry\":" + std::to_string(i) + "}");
            log.write_checkpoint();
        }
        server = std::make_unique<TlogHttpServer>(dir, "127.0.0.1:0");
        port = server->port();
    }
};

Served& served() {
    static Served instance;
    return instance;
}

// True when `answer` holds a whole response: its headers, and the body its
// Content-Length announces (none after HEAD).
bool complete(std::string_view answer, bool head) {
    const auto end = answer.find("\r\n\r\n");
    if (end == std::string_view::npos) return false;
    if (head) return true;
    const auto field = answer.substr(0, end).find("\r\nContent-Length: ");
    if (field == std::string_view::npos) return false;
    const std::size_t length = std::strtoull(answer.data() + field + 18, nullptr, 10);
    return answer.size() >= end + 4 + length;
}

// Sends `request`, shuts the sending side, and returns what came back
// before the server closed (or 10 s passed).
std::string round_trip(std::uint16_t port, std::string_view request) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    FUZZ_CHECK(fd >= 0);
    // Long enough for a machine busy with other work (a shorter one failed
    // the probe spuriously at nice 19 on a loaded machine); an answer ends
    // the wait at once.
    const timeval timeout{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string answer;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0) {
        std::size_t sent = 0;
        while (sent < request.size()) {
            const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) break;
            sent += static_cast<std::size_t>(n);
        }
        ::shutdown(fd, SHUT_WR);
        // Until the server closes, or the answer is complete: libmicrohttpd
        // keeps an HTTP/1.1 connection open after answering.
        const bool head = request.starts_with("HEAD");
        char buffer[65536];
        for (ssize_t n; !complete(answer, head) && (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) {
            answer.append(buffer, static_cast<std::size_t>(n));
        }
    }
    ::close(fd);
    return answer;
}

}  // namespace
}  // namespace dnswatch

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace dnswatch;
    const std::uint16_t port = served().port;
    const std::string answer = round_trip(port, fuzz::text_of(std::span(data, size)));
    FUZZ_CHECK(answer.empty() || answer.starts_with("HTTP/1."));
    const std::string probe = round_trip(port, "GET /checkpoint HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n");
    if (!probe.starts_with("HTTP/1.1 200")) std::fprintf(stderr, "probe answered: %s\n", probe.c_str());
    FUZZ_CHECK(probe.starts_with("HTTP/1.1 200"));
    FUZZ_CHECK(probe.find("fuzz.dnswatch.test/log\n300\n") != std::string::npos);
    return 0;
}
