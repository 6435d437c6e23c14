#include "metrics/http_endpoint.h"

#include <string_view>

namespace dnswatch::metrics {

HttpEndpoint::HttpEndpoint(const Registry& registry, const std::string& listen) : registry_(registry) {
    server_ = std::make_unique<HttpServer>(listen, "metrics.listen", [this](std::string_view path) {
        if (path != "/metrics") return HttpResponse{.status = 404, .body = "not found: try /metrics\n"};
        scrapes_.fetch_add(1, std::memory_order_relaxed);
        return HttpResponse{.content_type = kExpositionContentType, .body = registry_.expose()};
    });
}

}  // namespace dnswatch::metrics
