#include "common/http_get.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace dnswatch {
namespace {

struct Url {
    std::string host;
    std::string port = "80";
    std::string path = "/";
};

bool parse_url(std::string_view url, Url& out) {
    constexpr std::string_view kScheme = "http://";
    if (url.substr(0, kScheme.size()) != kScheme) return false;
    url.remove_prefix(kScheme.size());
    const auto slash = url.find('/');
    std::string_view authority = url.substr(0, slash);
    if (slash != std::string_view::npos) out.path = std::string(url.substr(slash));
    if (!authority.empty() && authority.front() == '[') {  // [IPv6]:port
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return false;
        out.host = std::string(authority.substr(1, close - 1));
        authority.remove_prefix(close + 1);
        if (!authority.empty()) {
            if (authority.front() != ':') return false;
            out.port = std::string(authority.substr(1));
        }
    } else {
        const auto colon = authority.rfind(':');
        out.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) out.port = std::string(authority.substr(colon + 1));
    }
    return !out.host.empty() && !out.port.empty();
}

struct FdCloser {
    void operator()(const int* fd) const {
        if (*fd >= 0) ::close(*fd);
        delete fd;
    }
};

bool wait_for(int fd, short events, int timeout_ms) {
    pollfd p{fd, events, 0};
    return ::poll(&p, 1, timeout_ms) == 1;
}

int connect_to(const Url& url, int timeout_ms, std::string& error) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (const int rc = ::getaddrinfo(url.host.c_str(), url.port.c_str(), &hints, &found); rc != 0) {
        error = url.host + ": " + ::gai_strerror(rc);
        return -1;
    }
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, ::freeaddrinfo);
    for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
        const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0 ||
            (errno == EINPROGRESS && wait_for(fd, POLLOUT, timeout_ms))) {
            int so_error = 0;
            socklen_t length = sizeof so_error;
            ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &length);
            if (so_error == 0) return fd;
            errno = so_error;
        }
        error = url.host + ":" + url.port + ": " + std::strerror(errno);
        ::close(fd);
    }
    if (error.empty()) error = url.host + ": no address";
    return -1;
}

}  // namespace

HttpGetResult http_get(std::string_view url_text, std::size_t max_body, int timeout_ms) {
    HttpGetResult result;
    Url url;
    if (!parse_url(url_text, url)) {
        result.error = std::string(url_text) + ": expected http://HOST[:PORT]/PATH";
        return result;
    }
    const std::unique_ptr<int, FdCloser> fd(new int(connect_to(url, timeout_ms, result.error)));
    if (*fd < 0) return result;
    // HTTP/1.0: the answer ends where the connection does, never chunked.
    const std::string request = "GET " + url.path + " HTTP/1.0\r\nHost: " + url.host + "\r\n" +
                                "Accept-Encoding: identity\r\nUser-Agent: dnswatch\r\n\r\n";
    for (std::size_t sent = 0; sent < request.size();) {
        if (!wait_for(*fd, POLLOUT, timeout_ms)) {
            result.error = std::string(url_text) + ": timed out sending";
            return result;
        }
        const ssize_t n = ::send(*fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            result.error = std::string(url_text) + ": " + std::strerror(errno);
            return result;
        }
        if (n > 0) sent += static_cast<std::size_t>(n);
    }
    std::string answer;
    char buffer[16384];
    while (true) {
        if (!wait_for(*fd, POLLIN, timeout_ms)) {
            result.error = std::string(url_text) + ": timed out reading";
            return result;
        }
        const ssize_t n = ::recv(*fd, buffer, sizeof buffer, 0);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            result.error = std::string(url_text) + ": " + std::strerror(errno);
            return result;
        }
        answer.append(buffer, static_cast<std::size_t>(n));
        if (answer.size() > max_body + 65536) {
            result.error = std::string(url_text) + ": answer larger than " + std::to_string(max_body) + " bytes";
            return result;
        }
    }
    const auto header_end = answer.find("\r\n\r\n");
    if (answer.rfind("HTTP/1.", 0) != 0 || answer.size() < 12 || header_end == std::string::npos) {
        result.error = std::string(url_text) + ": not an HTTP answer";
        return result;
    }
    result.status = std::atoi(answer.c_str() + 9);
    result.body = answer.substr(header_end + 4);
    return result;
}

}  // namespace dnswatch
