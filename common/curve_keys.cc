#include "common/curve_keys.h"

#include <sys/stat.h>

#include <array>
#include <cstring>
#include <cstdint>
#include <fstream>
#include <optional>
#include <stdexcept>

#include "common/regular_file.h"

namespace dnswatch {
namespace {

// The value of `key = "..."` on a line of a zcert file, if that is the line.
std::optional<std::string> value_of(const std::string& line, const std::string& key) {
    const auto at = line.find(key);
    if (at == std::string::npos) return std::nullopt;
    const auto open = line.find('"', at + key.size());
    const auto close = open == std::string::npos ? open : line.find('"', open + 1);
    if (close == std::string::npos) return std::nullopt;
    return line.substr(open + 1, close - open - 1);
}

bool valid_z85_key(const std::string& key) {
    std::array<std::uint8_t, 32> decoded{};
    return key.size() == 40 && zmq_z85_decode(decoded.data(), key.c_str()) != nullptr;
}

}  // namespace

CurveKeyPair CurveKeyPair::generate() {
    char public_key[41] = {};
    char secret_key[41] = {};
    if (zmq_curve_keypair(public_key, secret_key) != 0) {
        throw std::runtime_error("this libzmq has no CURVE support (zmq_has(\"curve\") is false)");
    }
    return {public_key, secret_key};
}

CurveKeyPair CurveKeyPair::load(const std::string& path) {
    require_regular_file(path);  // a FIFO would block; "PATH: not a regular file (...)"
    std::ifstream in(path);
    if (!in) throw std::runtime_error(path + ": cannot read key file");
    CurveKeyPair keys;
    for (std::string line; std::getline(in, line);) {
        if (auto value = value_of(line, "public-key")) keys.public_key = *value;
        if (auto value = value_of(line, "secret-key")) keys.secret_key = *value;
    }
    if (!valid_z85_key(keys.public_key)) throw std::runtime_error(path + ": no valid public-key (40 Z85 characters)");
    if (!keys.secret_key.empty() && !valid_z85_key(keys.secret_key)) {
        throw std::runtime_error(path + ": the secret-key is not 40 Z85 characters");
    }
    return keys;
}

void CurveKeyPair::save(const std::string& path) const {
    const auto write = [&](const std::string& file, bool with_secret, mode_t mode) {
        const mode_t old_mask = ::umask(0777 & ~mode);
        std::ofstream out(file, std::ios::trunc);
        ::umask(old_mask);
        out << "#   dnswatch CURVE certificate (ZeroMQ zcert layout)\n"
            << "metadata\n"
            << "curve\n"
            << "    public-key = \"" << public_key << "\"\n";
        if (with_secret) out << "    secret-key = \"" << secret_key << "\"\n";
        if (!out) throw std::runtime_error(file + ": cannot write key file");
    };
    write(path, true, 0600);
    write(path + ".pub", false, 0644);
}

void make_curve_client(zmq::socket_t& socket, const CurveKeyPair& own, const std::string& server_public_key) {
    socket.set(zmq::sockopt::curve_serverkey, server_public_key);
    socket.set(zmq::sockopt::curve_publickey, own.public_key);
    socket.set(zmq::sockopt::curve_secretkey, own.secret_key);
}

std::optional<SocketEvent> read_socket_event(zmq::socket_t& monitor) {
    zmq::message_t head, address;
    if (!monitor.recv(head, zmq::recv_flags::dontwait)) return std::nullopt;
    if (monitor.get(zmq::sockopt::rcvmore)) (void)monitor.recv(address, zmq::recv_flags::dontwait);
    if (head.size() < 6) return std::nullopt;
    SocketEvent event;
    std::memcpy(&event.event, head.data(), sizeof event.event);
    std::memcpy(&event.value, static_cast<const char*>(head.data()) + 2, sizeof event.value);
    event.endpoint = address.to_string();
    return event;
}

std::string handshake_failure(const SocketEvent& event) {
    if (event.event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) return "CURVE handshake failed: the peer refused this key";
    if (event.value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
        return "CURVE handshake failed: the peer does not speak CURVE (no key), or this side has no key";
    }
    return "CURVE handshake failed: the peer does not hold the expected key";
}

}  // namespace dnswatch
