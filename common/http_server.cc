#include "common/http_server.h"

#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "common/host_port.h"

namespace dnswatch {
namespace {

MHD_Result send(MHD_Connection* connection, const HttpResponse& reply) {
    MHD_Response* response = MHD_create_response_from_buffer(reply.body.size(), const_cast<char*>(reply.body.data()),
                                                              MHD_RESPMEM_MUST_COPY);
    if (response == nullptr) return MHD_NO;
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, reply.content_type.c_str());
    for (const auto& [name, value] : reply.headers) MHD_add_response_header(response, name.c_str(), value.c_str());
    const MHD_Result queued = MHD_queue_response(connection, reply.status, response);
    MHD_destroy_response(response);
    return queued;
}

MHD_Result handle(void* cls, MHD_Connection* connection, const char* url, const char* method, const char*,
                  const char*, size_t* upload_size, void** request_state) {
    const HttpHandler& handler = *static_cast<const HttpHandler*>(cls);
    // libmicrohttpd calls once with the headers, then again for any body;
    // answer on the first call only after the body (if any) is drained.
    if (*request_state == nullptr) {
        *request_state = const_cast<HttpHandler*>(&handler);
        return MHD_YES;
    }
    if (*upload_size != 0) {
        *upload_size = 0;  // a body is not expected; discard it
        return MHD_YES;
    }
    const std::string_view verb(method);
    if (verb != "GET" && verb != "HEAD") {
        return send(connection, HttpResponse{.status = MHD_HTTP_METHOD_NOT_ALLOWED, .body = "GET only\n"});
    }
    return send(connection, handler(url));  // HEAD: libmicrohttpd sends the headers alone
}

}  // namespace

void HttpServer::on_library_message(void* self, const char* format, va_list args) {
    // libmicrohttpd says why it closes a connection at once only through
    // its log: "Server reached connection limit. Closing inbound
    // connection." (the per-address and the total limit alike). Other
    // messages are its own errors, which the served answers show.
    char text[256];
    std::vsnprintf(text, sizeof text, format, args);
    if (std::strstr(text, "connection limit") != nullptr) {
        static_cast<HttpServer*>(self)->refused_.fetch_add(1, std::memory_order_relaxed);
    }
}

HttpServer::HttpServer(const std::string& listen, std::string_view key, HttpHandler handler, HttpServerLimits limits)
    : handler_(std::move(handler)) {
    const std::string where = std::string(key) + " '" + listen + "'";
    const auto address = parse_listen_address(listen);
    if (!address) throw std::runtime_error(where + ": expected IPV4:PORT or [IPV6]:PORT");
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
    if (address->family == AF_INET6) flags |= MHD_USE_IPv6;
    // Each connection is a descriptor: past the open-file limit accept()
    // would fail for everyone, scrapers included, so the total stays below
    // it (with room for the sensor's own files and sockets).
    connection_limit_ = limits.connections;
    if (rlimit files{}; ::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY) {
        constexpr rlim_t kReserved = 256;
        const rlim_t room = files.rlim_cur > 2 * kReserved ? files.rlim_cur - kReserved : files.rlim_cur / 2;
        connection_limit_ = static_cast<unsigned>(std::min<rlim_t>(connection_limit_, room));
    }
    socklen_t length = 0;
    const sockaddr_storage socket_address = address->sockaddr(&length);
    daemon_ = MHD_start_daemon(flags, 0, nullptr, nullptr, &handle, &handler_,
                               MHD_OPTION_SOCK_ADDR, reinterpret_cast<const sockaddr*>(&socket_address),
                               // A few connections per client address are enough for Prometheus, an
                               // auditor's tiles client and a person with curl; a flood from one address
                               // fills its own share only, and idle ones time out.
                               MHD_OPTION_PER_IP_CONNECTION_LIMIT, limits.per_address,
                               MHD_OPTION_CONNECTION_LIMIT, connection_limit_,
                               MHD_OPTION_CONNECTION_TIMEOUT, limits.idle_timeout_s,
                               MHD_OPTION_EXTERNAL_LOGGER, &HttpServer::on_library_message, this,
                               MHD_OPTION_END);
    if (daemon_ == nullptr) throw std::runtime_error(where + ": cannot listen (" + std::strerror(errno) + ")");
    const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
    port_ = info != nullptr ? info->port : 0;
}

HttpServer::~HttpServer() {
    if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
}

}  // namespace dnswatch
