// "HOST:PORT" for a listening TCP socket: an IPv4 address, or an IPv6 address
// in brackets ("[::1]:9153"). Names are not resolved: a sensor binds where it
// is told, not where a resolver (the thing it watches) says.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace dnswatch {

struct ListenAddress {
    sockaddr_storage address{};  // sockaddr_in or sockaddr_in6, port set
    socklen_t length = 0;
    int family = AF_INET;
};

// nullopt when `text` is not IPV4:PORT or [IPV6]:PORT with PORT 0..65535
// (0: the kernel picks one; tests use it).
inline std::optional<ListenAddress> parse_listen_address(std::string_view text) {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon + 1 == text.size()) return std::nullopt;
    std::string_view host = text.substr(0, colon);
    const std::string_view port_text = text.substr(colon + 1);
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) return std::nullopt;
    ListenAddress result;
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        const std::string literal(host.substr(1, host.size() - 2));
        auto* v6 = reinterpret_cast<sockaddr_in6*>(&result.address);
        if (inet_pton(AF_INET6, literal.c_str(), &v6->sin6_addr) != 1) return std::nullopt;
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<std::uint16_t>(port));
        result.length = sizeof(sockaddr_in6);
        result.family = AF_INET6;
        return result;
    }
    const std::string literal(host);
    auto* v4 = reinterpret_cast<sockaddr_in*>(&result.address);
    if (inet_pton(AF_INET, literal.c_str(), &v4->sin_addr) != 1) return std::nullopt;
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(port));
    result.length = sizeof(sockaddr_in);
    return result;
}

}  // namespace dnswatch
