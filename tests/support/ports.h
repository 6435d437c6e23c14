// A loopback port for a server a test starts (NSD, Knot, nats-server, the
// sensor's NOTIFY listener or metrics), free for TCP and UDP and kept for
// this process alone until it exits.
//
// Why not "bind port 0, read it, close": the kernel then hands out a port
// of its ephemeral range, the same range every outgoing connection of every
// other test takes its local port from, and a test that binds it a second
// later finds it taken (CI: "cannot bind 127.0.0.1:35832 over TCP (Address
// already in use)" under ctest -j). So the port comes from below that
// range, must bind on TCP and UDP, and is claimed with an flock on a file
// named after it, which the other test processes running at once honour
// and the kernel drops when this process ends, however it ends.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>

namespace dnswatch::test {

namespace port_detail {

// The lowest port of the kernel's ephemeral range (32768 by default).
inline int ephemeral_floor() {
    std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
    int low = 32768;
    if (!(range >> low)) low = 32768;
    return low;
}

inline bool binds(int socket_type, int port) {
    const int fd = ::socket(AF_INET, socket_type | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return ok;
}

// Claims `port` for this process: true when no other process holds it.
// The descriptor stays open (and locked) until the process exits.
inline bool claim(int port) {
    const std::filesystem::path dir = std::filesystem::temp_directory_path() / "dnswatch-test-ports";
    std::error_code ignored;
    std::filesystem::create_directories(dir, ignored);
    const std::string path = (dir / std::to_string(port)).string();
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) return false;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);
        return false;
    }
    return true;  // kept open on purpose: the claim lasts as long as the process
}

}  // namespace port_detail

// A port on 127.0.0.1 nobody uses over TCP or UDP, claimed for this
// process; never the same twice in one process.
inline int reserved_port() {
    const int floor = 10000;
    const int ceiling = port_detail::ephemeral_floor();  // exclusive
    if (ceiling <= floor) throw std::runtime_error("no port range below the kernel's ephemeral ports");
    static std::mt19937 random(std::random_device{}());
    std::uniform_int_distribution<int> pick(floor, ceiling - 1);
    for (int attempt = 0; attempt < 1000; ++attempt) {
        const int port = pick(random);
        if (!port_detail::claim(port)) continue;  // another test process has it (or this one did)
        if (port_detail::binds(SOCK_STREAM, port) && port_detail::binds(SOCK_DGRAM, port)) return port;
    }
    throw std::runtime_error("no free loopback port after 1000 tries");
}

}  // namespace dnswatch::test
