// A plain HTTP/1.0 client over a loopback socket: what Prometheus does when
// it scrapes, without a library that could hide a malformed reply.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace dnswatch::test {

struct HttpReply {
    int status = 0;
    std::string headers;
    std::string body;
};

// One request on a fresh connection to 127.0.0.1:`port`; the server closes when done.
inline HttpReply http_request(std::uint16_t port, const std::string& method, const std::string& path) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        throw std::runtime_error("connect");
    }
    const std::string request = method + " " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd, request.data(), request.size(), 0) != static_cast<ssize_t>(request.size())) {
        ::close(fd);
        throw std::runtime_error("send");
    }
    std::string raw;
    char buffer[4096];
    ssize_t n = 0;
    while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) raw.append(buffer, static_cast<std::size_t>(n));
    ::close(fd);
    HttpReply reply;
    const auto header_end = raw.find("\r\n\r\n");
    if (raw.size() < 12 || header_end == std::string::npos) throw std::runtime_error("short reply: " + raw);
    reply.status = std::stoi(raw.substr(9, 3));
    reply.headers = raw.substr(0, header_end);
    reply.body = raw.substr(header_end + 4);
    return reply;
}

}  // namespace dnswatch::test
