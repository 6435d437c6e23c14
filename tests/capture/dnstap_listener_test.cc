// capture.source dnstap on real sockets: writers connect to a unix socket
// and to TCP on loopback (a port the kernel picks), go through the
// bidirectional Frame Streams handshake, and send frames. Writers that send
// garbage, a truncated frame or an oversized frame are counted and
// dropped, while a well-behaved writer on the same socket, before, during
// and after them, has every frame handed on and its STOP answered.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "capture/dnstap_listener.h"
#include "capture/frame_streams.h"
#include "tests/support/scratch_dir.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;

struct Collected : PacketSink {
    std::vector<std::string> frames;
    void on_packet(const PacketView& packet, std::uint16_t, std::uint64_t) override {
        EXPECT_EQ(packet.link_type, kLinkTypeDnstap);
        frames.emplace_back(packet.bytes.begin(), packet.bytes.end());
    }
};

std::vector<std::uint8_t> bytes_of(const std::string& text) { return {text.begin(), text.end()}; }

// A writer's end of a connection, blocking, with a bound on every read.
class Writer {
public:
    static Writer unix_socket(const fs::path& path) {
        Writer w;
        w.fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
        w.connected_ = ::connect(w.fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
        return w;
    }
    static Writer tcp(int port) {
        Writer w;
        w.fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        w.connected_ = ::connect(w.fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
        return w;
    }
    Writer(Writer&& other) noexcept : fd_(other.fd_), connected_(other.connected_) { other.fd_ = -1; }
    ~Writer() { close(); }
    bool connected() const { return connected_; }
    void send(const std::vector<std::uint8_t>& bytes) const {
        ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
    }
    // Whatever arrives within `ms` (until the reader closes, or a pause).
    std::vector<std::uint8_t> receive(int ms, std::size_t want) const {
        std::vector<std::uint8_t> got;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
        while (got.size() < want && std::chrono::steady_clock::now() < deadline) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 20) <= 0) continue;
            std::uint8_t buffer[512];
            const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
            if (n <= 0) break;
            got.insert(got.end(), buffer, buffer + n);
        }
        return got;
    }
    // True when the reader has closed its end.
    bool closed_by_reader(int ms) const {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
        while (std::chrono::steady_clock::now() < deadline) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 20) <= 0) continue;
            std::uint8_t buffer[512];
            const ssize_t n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
        }
        return false;
    }
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    Writer() = default;
    int fd_ = -1;
    bool connected_ = false;
};

// The frames' contents do not matter to capture/: it never reads them.
std::vector<std::uint8_t> frame(int i) { return bytes_of("dnstap frame " + std::to_string(i)); }

class DnstapListenerTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = test::scratch_dir("dnstap-listener");
        DnstapListenOptions options;
        options.unix_path = (dir_ / "dnstap.sock").string();
        options.tcp = "127.0.0.1:0";
        options.max_frame_bytes = 4096;
        options.max_writers = 8;
        listener_ = std::make_shared<DnstapListener>(options);
        inputs_ = open_dnstap(listener_, 1);
    }
    void TearDown() override {
        inputs_.clear();
        listener_.reset();
        fs::remove_all(dir_);
    }
    // Polls the input (as its worker would) for `ms`.
    void pump(int ms) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
        while (std::chrono::steady_clock::now() < deadline) inputs_[0]->poll(sink_);
    }
    // READY, ACCEPT back, START: a writer ready to send data.
    void handshake(const Writer& writer) {
        FrameStreamWriter out;
        out.ready();
        writer.send(out.bytes());
        pump(100);
        const std::vector<std::uint8_t> reply = writer.receive(2000, 8);
        ASSERT_GE(reply.size(), 12u);
        EXPECT_EQ(reply[0] | reply[1] | reply[2] | reply[3], 0);            // the control escape
        EXPECT_EQ(reply[11], 0x01);                                         // FSTRM_CONTROL_ACCEPT
        const std::string text(reply.begin(), reply.end());
        EXPECT_NE(text.find(kDnstapContentType), std::string::npos);
        out.clear();
        out.start();
        writer.send(out.bytes());
    }
    // STOP, and FINISH back.
    void finish(const Writer& writer) {
        FrameStreamWriter out;
        out.stop();
        writer.send(out.bytes());
        pump(100);
        const std::vector<std::uint8_t> reply = writer.receive(2000, 12);
        ASSERT_EQ(reply.size(), 12u);
        EXPECT_EQ(reply[11], 0x05);  // FSTRM_CONTROL_FINISH
    }

    fs::path dir_;
    std::shared_ptr<DnstapListener> listener_;
    std::vector<std::unique_ptr<PacketInput>> inputs_;
    Collected sink_;
};

TEST_F(DnstapListenerTest, NamesItsSocketsAndTheBoundPort) {
    ASSERT_EQ(listener_->sources().size(), 2u);
    EXPECT_EQ(listener_->sources()[0], "dnstap:unix:" + (dir_ / "dnstap.sock").string());
    EXPECT_NE(listener_->tcp_port(), 0);
    EXPECT_EQ(listener_->sources()[1], "dnstap:tcp:127.0.0.1:" + std::to_string(listener_->tcp_port()));
}

TEST_F(DnstapListenerTest, SeveralWritersOnBothSocketsAreServedAtOnce) {
    std::vector<Writer> writers;
    writers.push_back(Writer::unix_socket(dir_ / "dnstap.sock"));
    writers.push_back(Writer::unix_socket(dir_ / "dnstap.sock"));
    writers.push_back(Writer::tcp(listener_->tcp_port()));
    for (const Writer& w : writers) ASSERT_TRUE(w.connected());
    pump(100);
    for (const Writer& w : writers) handshake(w);
    // Interleaved: each writer's frames arrive in its own order.
    for (int i = 0; i < 100; ++i) {
        FrameStreamWriter out;
        out.data(frame(i));
        writers[static_cast<std::size_t>(i) % writers.size()].send(out.bytes());
    }
    pump(300);
    for (const Writer& w : writers) finish(w);
    ASSERT_EQ(sink_.frames.size(), 100u);
    std::vector<int> last(writers.size(), -1);
    for (const std::string& f : sink_.frames) {
        const int i = std::stoi(f.substr(f.rfind(' ') + 1));
        const std::size_t writer = static_cast<std::size_t>(i) % writers.size();
        EXPECT_GT(i, last[writer]) << "a writer's frames out of order";
        last[writer] = i;
    }
    const CaptureCounters c = inputs_[0]->counters();
    EXPECT_EQ(c.dnstap_frames, 100u);
    EXPECT_EQ(c.received, 100u);
    EXPECT_EQ(c.dnstap_writers, 3u);
    EXPECT_EQ(c.dnstap_bad_frames, 0u);
    EXPECT_EQ(c.dnstap_dropped_frames, 0u);
    EXPECT_EQ(c.dnstap_writers_dropped, 0u);
}

// The done-when: garbage, truncated and oversized frames on the
// socket are counted and their writer dropped; a well-behaved writer on the
// same socket keeps working throughout.
TEST_F(DnstapListenerTest, BadWritersAreDroppedAndCountedWhileAGoodOneKeepsWorking) {
    const Writer good = Writer::unix_socket(dir_ / "dnstap.sock");
    ASSERT_TRUE(good.connected());
    pump(50);
    handshake(good);
    int sent = 0;
    auto good_sends = [&](int n) {
        for (int i = 0; i < n; ++i) {
            FrameStreamWriter out;
            out.data(frame(sent++));
            good.send(out.bytes());
        }
        pump(100);
    };
    good_sends(10);

    // Garbage: not Frame Streams at all.
    Writer garbage = Writer::unix_socket(dir_ / "dnstap.sock");
    pump(50);
    garbage.send(bytes_of("GET / HTTP/1.1\r\nHost: dnswatch\r\n\r\n"));
    good_sends(10);
    EXPECT_TRUE(garbage.closed_by_reader(2000));

    // Oversized: a proper handshake, then a frame longer than the bound
    // (announced; its bytes never need to arrive).
    Writer oversized = Writer::unix_socket(dir_ / "dnstap.sock");
    pump(50);
    handshake(oversized);
    oversized.send({0x00, 0x01, 0x00, 0x00, 'x', 'x', 'x', 'x'});  // 65,536 bytes > 4,096
    good_sends(10);
    EXPECT_TRUE(oversized.closed_by_reader(2000));

    // Garbage after a good start: a control frame of a bad length.
    Writer bad_control = Writer::tcp(listener_->tcp_port());
    pump(50);
    handshake(bad_control);
    bad_control.send({0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff});
    good_sends(10);
    EXPECT_TRUE(bad_control.closed_by_reader(2000));

    // Truncated: half a frame, then the writer goes away.
    Writer truncated = Writer::unix_socket(dir_ / "dnstap.sock");
    pump(50);
    handshake(truncated);
    {
        FrameStreamWriter out;
        out.data(frame(9999));
        std::vector<std::uint8_t> half(out.bytes().begin(), out.bytes().begin() + 9);
        truncated.send(half);
    }
    pump(50);
    truncated.close();
    good_sends(10);

    finish(good);
    ASSERT_EQ(sink_.frames.size(), 50u);
    for (int i = 0; i < 50; ++i) EXPECT_EQ(sink_.frames[static_cast<std::size_t>(i)], "dnstap frame " + std::to_string(i));
    const CaptureCounters c = inputs_[0]->counters();
    EXPECT_EQ(c.dnstap_frames, 50u);
    EXPECT_EQ(c.dnstap_writers, 5u);
    EXPECT_EQ(c.dnstap_bad_frames, 3u);       // garbage, oversized, bad control
    EXPECT_EQ(c.dnstap_writers_dropped, 3u);
    EXPECT_EQ(c.dnstap_dropped_frames, 3u);   // oversized (cut), bad control (cut), truncated
}

TEST_F(DnstapListenerTest, AnotherContentTypeIsRefused) {
    const Writer w = Writer::unix_socket(dir_ / "dnstap.sock");
    pump(50);
    FrameStreamWriter out;
    out.ready("protobuf:something.Else");
    w.send(out.bytes());
    pump(100);
    EXPECT_TRUE(w.closed_by_reader(2000));
    EXPECT_EQ(inputs_[0]->counters().dnstap_writers_dropped, 1u);
}

TEST_F(DnstapListenerTest, WritersBeyondTheBoundAreRefused) {
    std::vector<Writer> writers;
    for (int i = 0; i < 10; ++i) writers.push_back(Writer::unix_socket(dir_ / "dnstap.sock"));
    pump(200);
    const CaptureCounters c = inputs_[0]->counters();
    EXPECT_EQ(c.dnstap_writers, 8u);
    EXPECT_EQ(c.dnstap_writers_refused, 2u);
}

}  // namespace
}  // namespace dnswatch
