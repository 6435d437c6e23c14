#include "common/host_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace dnswatch {

std::string HostPort::text() const {
    const std::string port_text = std::to_string(port);
    return family == AF_INET6 ? "[" + address + "]:" + port_text : address + ":" + port_text;
}

sockaddr_storage HostPort::sockaddr(socklen_t* length) const {
    sockaddr_storage storage{};
    if (family == AF_INET6) {
        auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<std::uint16_t>(port));
        inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr);
        *length = sizeof(sockaddr_in6);
    } else {
        auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<std::uint16_t>(port));
        inet_pton(AF_INET, address.c_str(), &v4->sin_addr);
        *length = sizeof(sockaddr_in);
    }
    return storage;
}

std::optional<HostPort> parse_host_port(std::string_view text, int default_port) {
    HostPort result;
    std::string_view host = text;
    std::string_view port;
    bool bracketed = false;
    if (text.starts_with('[')) {
        const auto close = text.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = text.substr(1, close - 1);
        bracketed = true;
        if (close + 1 < text.size()) {
            if (text[close + 1] != ':') return std::nullopt;
            port = text.substr(close + 2);
            result.has_port = true;
        }
    } else if (std::count(text.begin(), text.end(), ':') == 1) {
        host = text.substr(0, text.find(':'));
        port = text.substr(text.find(':') + 1);
        result.has_port = true;
    }
    result.address = std::string(host);
    unsigned char bytes[16];
    if (!bracketed && inet_pton(AF_INET, result.address.c_str(), bytes) == 1) {
        result.family = AF_INET;
    } else if (inet_pton(AF_INET6, result.address.c_str(), bytes) == 1) {
        result.family = AF_INET6;
    } else {
        return std::nullopt;
    }
    if (!result.has_port) {
        result.port = default_port;
        return result;
    }
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), result.port);
    if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || result.port < 0 ||
        result.port > 65535) {
        return std::nullopt;
    }
    return result;
}

std::optional<HostPort> parse_listen_address(std::string_view text) {
    auto result = parse_host_port(text);
    if (!result || !result->has_port) return std::nullopt;
    return result;
}

std::optional<HostPort> parse_server_address(std::string_view text) {
    auto result = parse_host_port(text, 53);
    if (!result || result->port < 1) return std::nullopt;
    return result;
}

namespace {

// The address of `address` as 4 or 16 bytes; an IPv4-mapped IPv6 address as IPv4.
int address_bytes(const sockaddr_storage& address, std::uint8_t* out) {
    if (address.ss_family == AF_INET) {
        std::memcpy(out, &reinterpret_cast<const sockaddr_in*>(&address)->sin_addr, 4);
        return AF_INET;
    }
    const auto* v6 = &reinterpret_cast<const sockaddr_in6*>(&address)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(v6)) {
        std::memcpy(out, reinterpret_cast<const std::uint8_t*>(v6) + 12, 4);
        return AF_INET;
    }
    std::memcpy(out, v6, 16);
    return AF_INET6;
}

}  // namespace

std::optional<AddressPrefix> AddressPrefix::parse(std::string_view text) {
    AddressPrefix prefix;
    const auto slash = text.find('/');
    const std::string address(text.substr(0, slash));
    if (inet_pton(AF_INET, address.c_str(), prefix.bytes.data()) == 1) {
        prefix.family = AF_INET;
        prefix.length = 32;
    } else if (inet_pton(AF_INET6, address.c_str(), prefix.bytes.data()) == 1) {
        prefix.family = AF_INET6;
        prefix.length = 128;
    } else {
        return std::nullopt;
    }
    if (slash != std::string_view::npos) {
        const std::string_view bits = text.substr(slash + 1);
        int length = -1;
        const auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), length);
        if (bits.empty() || ec != std::errc{} || end != bits.data() + bits.size() || length < 0 ||
            length > prefix.length) {
            return std::nullopt;
        }
        prefix.length = length;
    }
    return prefix;
}

bool AddressPrefix::contains(const sockaddr_storage& address) const {
    std::uint8_t bytes_of[16] = {};
    if (address_bytes(address, bytes_of) != family) return false;
    const int whole = length / 8;
    if (std::memcmp(bytes_of, bytes.data(), static_cast<std::size_t>(whole)) != 0) return false;
    const int rest = length % 8;
    if (rest == 0) return true;
    const auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
    return (bytes_of[whole] & mask) == (bytes[static_cast<std::size_t>(whole)] & mask);
}

std::string AddressPrefix::text() const {
    char buffer[INET6_ADDRSTRLEN] = {};
    inet_ntop(family, bytes.data(), buffer, sizeof buffer);
    return std::string(buffer) + "/" + std::to_string(length);
}

std::string address_text(const sockaddr_storage& address) {
    std::uint8_t bytes[16] = {};
    const int family = address_bytes(address, bytes);
    char buffer[INET6_ADDRSTRLEN] = {};
    inet_ntop(family, bytes, buffer, sizeof buffer);
    return buffer;
}

}  // namespace dnswatch
