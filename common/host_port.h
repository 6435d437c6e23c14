// "ADDR[:PORT]" as the config writes a primary, a NOTIFY address or a
// listening socket: an IPv4 address, or an IPv6 address (in brackets when a
// port follows: "[::1]:5353"). Names are not resolved: a sensor connects and
// binds where it is told, not where a resolver (the thing it watches) says.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dnswatch {

struct HostPort {
    std::string address;  // the IP literal, without brackets
    int family = AF_INET;
    int port = 0;
    bool has_port = false;

    // "192.0.2.1:53", "[2001:db8::1]:53".
    std::string text() const;
    // The socket address, ready for bind(2) or connect(2).
    sockaddr_storage sockaddr(socklen_t* length) const;
};

// nullopt when `text` is not ADDR, ADDR:PORT (IPv4), [ADDR] or [ADDR]:PORT,
// with PORT 0..65535; `default_port` is taken when none is written.
std::optional<HostPort> parse_host_port(std::string_view text, int default_port = 0);

// A socket to listen on: the port must be written (0: the kernel picks one;
// tests use it). nullopt otherwise.
std::optional<HostPort> parse_listen_address(std::string_view text);

// A server to reach (a zone's primary): port 1..65535, 53 when none is
// written. nullopt otherwise.
std::optional<HostPort> parse_server_address(std::string_view text);

// An address or a prefix as allow-lists write them: "192.0.2.7",
// "192.0.2.0/24", "2001:db8::/32". An IPv4-mapped IPv6 source
// (::ffff:192.0.2.7, as a dual-stack socket reports it) matches the IPv4 form.
struct AddressPrefix {
    int family = AF_INET;
    std::array<std::uint8_t, 16> bytes{};
    int length = 32;  // bits

    static std::optional<AddressPrefix> parse(std::string_view text);
    bool contains(const sockaddr_storage& address) const;
    std::string text() const;
};

// The IP of a socket address as text, an IPv4-mapped IPv6 one as IPv4.
std::string address_text(const sockaddr_storage& address);

}  // namespace dnswatch
