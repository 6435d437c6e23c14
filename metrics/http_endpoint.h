// Serves GET /metrics (the registry in the text format 0.0.4) over HTTP with
// libmicrohttpd (Debian's libmicrohttpd-dev), on its own thread: a slow or
// stuck scraper never reaches the packet path. Anything but /metrics is 404.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "metrics/registry.h"

struct MHD_Daemon;

namespace dnswatch::metrics {

struct EndpointState;  // what the HTTP thread reads: the registry, the scrape count

class HttpEndpoint {
public:
    // `listen`: "IPV4:PORT" or "[IPV6]:PORT" (config key metrics.listen);
    // port 0 lets the kernel choose (see port()). Throws std::runtime_error
    // when the address is malformed or cannot be bound.
    HttpEndpoint(const Registry& registry, const std::string& listen);
    ~HttpEndpoint();
    HttpEndpoint(const HttpEndpoint&) = delete;
    HttpEndpoint& operator=(const HttpEndpoint&) = delete;

    // The port actually bound.
    std::uint16_t port() const { return port_; }

    // Scrapes served so far (answers to GET /metrics).
    std::uint64_t scrapes() const;

private:
    std::unique_ptr<EndpointState> state_;
    MHD_Daemon* daemon_ = nullptr;
    std::uint16_t port_ = 0;
};

}  // namespace dnswatch::metrics
