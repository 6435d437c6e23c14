// A small read-only HTTP server on libmicrohttpd (Debian's libmicrohttpd-dev)
// running on its own thread, for the endpoints dnswatch serves: /metrics
// (metrics/http_endpoint.h) and the transparency log's tiles
// (publish/tlog_http.h). A slow or stuck client never reaches the packet
// path. GET and HEAD only (anything else is 405); the handler sees the path
// and answers with a status, a body and headers. One thread answers every
// request in turn, so a handler needs no lock against itself.
#pragma once

#include <atomic>
#include <cstdarg>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct MHD_Daemon;

namespace dnswatch {

struct HttpResponse {
    unsigned status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body{};
    std::vector<std::pair<std::string, std::string>> headers{};  // more headers, e.g. Cache-Control
};

struct HttpServerLimits {
    unsigned per_address = 32;      // connections at once from one client address
    unsigned connections = 2048;    // at once in all (at most the open-file limit leaves room for)
    unsigned idle_timeout_s = 10;   // a connection that sends nothing for this long is closed
};

// Runs on the server's thread.
using HttpHandler = std::function<HttpResponse(std::string_view path)>;

class HttpServer {
public:
    // `listen`: "IPV4:PORT" or "[IPV6]:PORT"; port 0 lets the kernel choose
    // (see port()). `key` names the config key in errors. Throws
    // std::runtime_error when the address is malformed or cannot be bound.
    HttpServer(const std::string& listen, std::string_view key, HttpHandler handler, HttpServerLimits limits = {});
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // The port actually bound.
    std::uint16_t port() const { return port_; }
    // Connections closed at once for a limit (per address or in all).
    std::uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }
    // The total limit in force: the configured one, lowered to fit the
    // process's open-file limit.
    unsigned connection_limit() const { return connection_limit_; }

private:
    static void on_library_message(void* self, const char* format, va_list args);

    HttpHandler handler_;
    std::atomic<std::uint64_t> refused_{0};
    unsigned connection_limit_ = 0;
    MHD_Daemon* daemon_ = nullptr;
    std::uint16_t port_ = 0;
};

}  // namespace dnswatch
