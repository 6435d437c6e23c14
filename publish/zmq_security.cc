#include "publish/zmq_security.h"

#include <sys/stat.h>

#include <array>
#include <fstream>
#include <stdexcept>
#include <vector>


namespace dnswatch {
namespace {

constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";

}  // namespace

void make_curve_server(zmq::socket_t& socket, const CurveKeyPair& keys) {
    socket.set(zmq::sockopt::curve_server, true);
    socket.set(zmq::sockopt::curve_secretkey, keys.secret_key);
    socket.set(zmq::sockopt::zap_domain, "dnswatch");
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
