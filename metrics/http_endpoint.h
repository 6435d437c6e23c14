// Serves GET /metrics (the registry in the text format 0.0.4) on the
// project's small HTTP server (common/http_server.h), on its own thread: a
// slow or stuck scraper never reaches the packet path. Anything but
// /metrics is 404. The server's limits per client address and in all keep
// a flood of idle connections from denying the scrape.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "common/http_server.h"
#include "metrics/registry.h"

namespace dnswatch::metrics {

class HttpEndpoint {
public:
    // `listen`: "IPV4:PORT" or "[IPV6]:PORT" (config key metrics.listen);
    // port 0 lets the kernel choose (see port()). Throws std::runtime_error
    // when the address is malformed or cannot be bound.
    HttpEndpoint(const Registry& registry, const std::string& listen);

    // The port actually bound.
    std::uint16_t port() const { return server_->port(); }

    // Scrapes served so far (answers to GET /metrics).
    std::uint64_t scrapes() const { return scrapes_.load(std::memory_order_relaxed); }
    // Connections refused at the server's limits (common/http_server.h).
    std::uint64_t refused() const { return server_->refused(); }
    unsigned connection_limit() const { return server_->connection_limit(); }

private:
    const Registry& registry_;
    std::atomic<std::uint64_t> scrapes_{0};
    std::unique_ptr<HttpServer> server_;  // last: stops before what it reads goes
};

}  // namespace dnswatch::metrics
