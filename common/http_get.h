// A minimal HTTP/1.0 GET client for plain http:// URLs, enough to read a
// transparency log's tiles from another machine (`dnswatch tlog verify
// --url`). The host is an IP literal or a name (resolved with getaddrinfo:
// this is an auditor's tool, not the sensor). No TLS: put a proxy in front
// of a log served over HTTPS; what is fetched is verified against a signed
// checkpoint anyway.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace dnswatch {

struct HttpGetResult {
    int status = 0;      // 0 when no answer came (see error)
    std::string body;
    std::string error;   // why there is no answer
};

// Fetches `url` ("http://HOST[:PORT]/PATH"), reading at most `max_body`
// bytes of body, waiting at most `timeout_ms` for each step.
HttpGetResult http_get(std::string_view url, std::size_t max_body = 64u << 20, int timeout_ms = 10000);

}  // namespace dnswatch
