// libFuzzer target: the catch-up protocol (publish/catch_up.h) from both
// ends, over real ZeroMQ sockets (inproc) and a real store of 30 alerts.
// Byte 0 picks the side; the rest is messages, each a frame count byte
// (0..5) then that many frames (2-byte length each, see fuzz_input.h):
//   even  requests to the CatchUpServer, as any client may send them; then
//         a well-formed request from another client must still get every
//         record, in order, page by page
//   odd   replies to catch_up() from a server we pretend to be (tail and
//         relay trust the endpoint they are given, not its answers): each
//         request the client sends gets the next messages, then "END"
// Checks: the server keeps serving; catch_up returns or throws
// std::runtime_error, and visits seqs in increasing order only.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_input.h"
#include "publish/alert_store.h"
#include "publish/catch_up.h"
#include "tests/publish/sample_alert.h"

namespace dnswatch {
namespace {

constexpr std::uint64_t kStored = 30;

using Message = std::vector<std::string>;

std::vector<Message> messages_of(std::span<const std::uint8_t> input) {
    std::vector<Message> messages;
    std::size_t pos = 0;
    while (pos < input.size()) {
        const std::size_t frames = input[pos++] % 6;
        Message message;
        for (std::size_t i = 0; i < frames && input.size() - pos >= 2; ++i) {
            const std::size_t length =
                std::min<std::size_t>((std::size_t{input[pos]} << 8) | input[pos + 1], input.size() - pos - 2);
            message.emplace_back(reinterpret_cast<const char*>(input.data() + pos + 2), length);
            pos += 2 + length;
        }
        messages.push_back(std::move(message));
    }
    return messages;
}

void send(zmq::socket_t& socket, const Message& message) {
    for (std::size_t i = 0; i < message.size(); ++i) {
        socket.send(zmq::buffer(message[i]), i + 1 < message.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
}

struct Server {
    zmq::context_t context{1};
    std::unique_ptr<AlertStore> store;
    std::unique_ptr<CatchUpServer> server;
    zmq::socket_t fuzzed{context, zmq::socket_type::dealer};
    zmq::socket_t fake{context, zmq::socket_type::router};

    Server() {
        const std::string dir = fuzz::scratch_dir("catch_up") + "/store";
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        store = std::make_unique<AlertStore>(dir, false);
        for (std::uint64_t seq = 1; seq <= kStored; ++seq) {
            Alert alert = testing::sample_alert(seq % 2 ? "victim.test" : "www.other.test");
            alert.seq = seq;
            alert.id = "id" + std::to_string(seq);
            store->append(alert);
        }
        server = std::make_unique<CatchUpServer>(context, store->path(), "inproc://catch-up", std::nullopt, 7);
        fuzzed.set(zmq::sockopt::linger, 0);
        fuzzed.connect("inproc://catch-up");
        fake.set(zmq::sockopt::linger, 0);
        fake.bind("inproc://fake-catch-up");
    }
};

void drain(zmq::socket_t& socket) {
    zmq::message_t stale;
    while (socket.recv(stale, zmq::recv_flags::dontwait)) {
    }
}

Server& server() {
    static Server instance;
    return instance;
}

void requests(const std::vector<Message>& messages) {
    Server& s = server();
    drain(s.fuzzed);
    for (const Message& message : messages) {
        if (!message.empty()) send(s.fuzzed, message);
    }
    std::vector<std::uint64_t> seqs;
    // 30 s: the server answers at once, but a fuzzer at nice 19 on a busy
    // machine waited more than the default 5 s for its turn.
    const std::uint64_t last = catch_up(s.context, "inproc://catch-up", 0, "",
                                        [&](std::uint64_t seq, const std::string&) { seqs.push_back(seq); }, 30000);
    FUZZ_CHECK(last == kStored);
    FUZZ_CHECK(seqs.size() == kStored);
    for (std::size_t i = 0; i < seqs.size(); ++i) FUZZ_CHECK(seqs[i] == i + 1);
}

void replies(const std::vector<Message>& messages) {
    Server& s = server();
    drain(s.fake);  // requests a client sent after the last input's server stopped answering
    std::atomic<bool> client_done{false};
    std::thread fake_server([&] {
        std::size_t next = 0;
        zmq::pollitem_t item{s.fake.handle(), 0, ZMQ_POLLIN, 0};
        // Each request gets the next messages up to one that ends a page
        // (or all that are left, then END), until the client is done.
        while (!client_done) {
            try {
                if (zmq::poll(&item, 1, std::chrono::milliseconds(5)) <= 0) continue;
            } catch (const zmq::error_t&) {
                continue;  // EINTR: libFuzzer's own timer signal
            }
            std::vector<zmq::message_t> request;
            do {
                zmq::message_t frame;
                if (!s.fake.recv(frame, zmq::recv_flags::dontwait)) break;
                request.push_back(std::move(frame));
            } while (s.fake.get(zmq::sockopt::rcvmore));
            const std::string identity = request.empty() ? std::string() : request[0].to_string();
            bool ended = false;
            while (next < messages.size() && !ended) {
                const Message& message = messages[next++];
                s.fake.send(zmq::buffer(identity), zmq::send_flags::sndmore);
                Message framed = message.empty() ? Message{""} : message;
                send(s.fake, framed);
                ended = !message.empty() && (message[0] == "END" || message[0] == "MORE");
            }
            if (!ended) {
                s.fake.send(zmq::buffer(identity), zmq::send_flags::sndmore);
                s.fake.send(zmq::str_buffer("END"), zmq::send_flags::sndmore);
                s.fake.send(zmq::str_buffer("0"), zmq::send_flags::none);
            }
        }
    });
    std::uint64_t previous = 0;
    try {
        catch_up(s.context, "inproc://fake-catch-up", 0, "", [&](std::uint64_t seq, const std::string& json) {
            FUZZ_CHECK(seq > previous);
            previous = seq;
            (void)json;
        }, 300);
    } catch (const std::runtime_error&) {
    }
    client_done = true;
    fake_server.join();
}

}  // namespace
}  // namespace dnswatch

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace dnswatch;
    if (size == 0) return 0;
    const auto messages = messages_of(std::span(data + 1, size - 1));
    if (data[0] % 2 == 0) {
        requests(messages);
    } else {
        replies(messages);
    }
    return 0;
}
