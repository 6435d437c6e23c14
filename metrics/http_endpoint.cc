#include "metrics/http_endpoint.h"

#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstring>
#include <stdexcept>
#include <string_view>

#include "common/host_port.h"

namespace dnswatch::metrics {

struct EndpointState {
    const Registry& registry;
    std::atomic<std::uint64_t> scrapes{0};
};

namespace {

MHD_Result answer(MHD_Connection* connection, unsigned status, std::string_view body, const char* content_type) {
    MHD_Response* response = MHD_create_response_from_buffer(body.size(), const_cast<char*>(body.data()),
                                                              MHD_RESPMEM_MUST_COPY);
    if (response == nullptr) return MHD_NO;
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    const MHD_Result queued = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return queued;
}

MHD_Result handle(void* cls, MHD_Connection* connection, const char* url, const char* method, const char*,
                  const char*, size_t* upload_size, void** request_state) {
    auto& state = *static_cast<EndpointState*>(cls);
    // libmicrohttpd calls once with the headers, then again for any body;
    // answer on the first call only after the body (if any) is drained.
    if (*request_state == nullptr) {
        *request_state = &state;
        return MHD_YES;
    }
    if (*upload_size != 0) {
        *upload_size = 0;  // a body is not expected; discard it
        return MHD_YES;
    }
    const std::string_view path(url);
    const std::string_view verb(method);
    if (path != "/metrics") return answer(connection, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n", "text/plain");
    if (verb != "GET" && verb != "HEAD") {
        return answer(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "GET /metrics only\n", "text/plain");
    }
    state.scrapes.fetch_add(1, std::memory_order_relaxed);
    return answer(connection, MHD_HTTP_OK, state.registry.expose(), kExpositionContentType);
}

}  // namespace

HttpEndpoint::HttpEndpoint(const Registry& registry, const std::string& listen)
    : state_(new EndpointState{registry, {}}) {
    const auto address = parse_listen_address(listen);
    if (!address) throw std::runtime_error("metrics.listen '" + listen + "': expected IPV4:PORT or [IPV6]:PORT");
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
    if (address->family == AF_INET6) flags |= MHD_USE_IPv6;
    socklen_t length = 0;
    const sockaddr_storage socket_address = address->sockaddr(&length);
    daemon_ = MHD_start_daemon(flags, 0, nullptr, nullptr, &handle, state_.get(),
                               MHD_OPTION_SOCK_ADDR, reinterpret_cast<const sockaddr*>(&socket_address),
                               // A scraper gets 10 s and there are at most 16 at once: enough for
                               // Prometheus and a person with curl, not for a flood to pile up.
                               MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_CONNECTION_LIMIT, 16u,
                               MHD_OPTION_END);
    if (daemon_ == nullptr) {
        throw std::runtime_error("metrics.listen '" + listen + "': cannot listen (" + std::strerror(errno) + ")");
    }
    const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
    port_ = info != nullptr ? info->port : 0;
}

HttpEndpoint::~HttpEndpoint() {
    if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
}

std::uint64_t HttpEndpoint::scrapes() const { return state_->scrapes.load(std::memory_order_relaxed); }

}  // namespace dnswatch::metrics
