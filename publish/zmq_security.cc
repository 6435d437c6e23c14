#include "publish/zmq_security.h"

#include <sys/stat.h>

#include <array>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace dnswatch {
namespace {

constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";

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

void make_curve_server(zmq::socket_t& socket, const CurveKeyPair& keys) {
    socket.set(zmq::sockopt::curve_server, true);
    socket.set(zmq::sockopt::curve_secretkey, keys.secret_key);
    socket.set(zmq::sockopt::zap_domain, "dnswatch");
}

void make_curve_client(zmq::socket_t& socket, const CurveKeyPair& own, const std::string& server_public_key) {
    socket.set(zmq::sockopt::curve_serverkey, server_public_key);
    socket.set(zmq::sockopt::curve_publickey, own.public_key);
    socket.set(zmq::sockopt::curve_secretkey, own.secret_key);
}

ZapAuthenticator::ZapAuthenticator(zmq::context_t& context, std::set<std::string> allowed_client_keys,
                                   bool allow_plaintext, log::Logger* log)
    : allowed_(std::move(allowed_client_keys)), allow_plaintext_(allow_plaintext), log_(log) {
    zmq::socket_t socket(context, zmq::socket_type::rep);
    socket.set(zmq::sockopt::linger, 0);
    socket.bind(kZapEndpoint);
    thread_ = std::thread(&ZapAuthenticator::serve, this, std::move(socket));
}

ZapAuthenticator::~ZapAuthenticator() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
}

void ZapAuthenticator::serve(zmq::socket_t socket) {
    while (!stopping_) {
        zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
        if (zmq::poll(&item, 1, std::chrono::milliseconds(100)) == 0) continue;
        // version, request id, domain, address, identity, mechanism, credentials...
        std::vector<zmq::message_t> request;
        do {
            zmq::message_t frame;
            if (!socket.recv(frame)) break;
            request.push_back(std::move(frame));
        } while (socket.get(zmq::sockopt::rcvmore));
        if (request.size() < 6) continue;
        const std::string mechanism = request[5].to_string();
        bool ok = false;
        char z85[41] = {};
        const char* reason = "mechanism not accepted";
        if (mechanism == "CURVE" && request.size() >= 7 && request[6].size() == 32) {
            zmq_z85_encode(z85, static_cast<const std::uint8_t*>(request[6].data()), 32);
            ok = allowed_.contains(z85);
            reason = "client key not in the allowed keys";
        } else if (mechanism == "NULL") {
            ok = allow_plaintext_;
            reason = "plaintext (NULL) connection where CURVE is required";
        }
        (ok ? admitted_ : denied_).fetch_add(1);
        if (!ok && log_ != nullptr) {
            log_->warn("zap_denied", {{"address", request[3].to_string()},
                                      {"mechanism", mechanism},
                                      {"client_key", std::string_view(z85)},
                                      {"reason", reason},
                                      {"denied", denied_.load()}});
        }
        socket.send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
        socket.send(request[1], zmq::send_flags::sndmore);
        socket.send(ok ? zmq::str_buffer("200") : zmq::str_buffer("400"), zmq::send_flags::sndmore);
        socket.send(ok ? zmq::str_buffer("OK") : zmq::str_buffer("client key not admitted"), zmq::send_flags::sndmore);
        socket.send(zmq::str_buffer(""), zmq::send_flags::sndmore);  // user id
        socket.send(zmq::str_buffer(""), zmq::send_flags::none);      // metadata
    }
}

}  // namespace dnswatch
