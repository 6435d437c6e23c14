// Loopback in every spelling, and nothing that only looks like it: the one
// helper every "plaintext is fine here" decision goes through.
#include "common/host_port.h"

#include <gtest/gtest.h>

namespace dnswatch {
namespace {

TEST(Loopback, EverySpellingOfALoopbackAddress) {
    for (const char* host : {"127.0.0.1", "127.255.255.254", "127.1.2.3", "::1", "[::1]", "0:0:0:0:0:0:0:1",
                             "[0:0:0:0:0:0:0:1]", "::0001", "0::1", "::ffff:127.0.0.1", "[::ffff:127.0.0.1]",
                             "::FFFF:127.9.9.9", "::ffff:7f00:1", "localhost", "LOCALHOST"}) {
        EXPECT_TRUE(is_loopback_host(host)) << host;
    }
}

TEST(Loopback, NamesAndOtherAddressesAreNot) {
    for (const char* host : {"", "0.0.0.0", "::", "*", "128.0.0.1", "126.255.255.255", "10.0.0.1", "::2",
                             "::ffff:10.0.0.1", "::127.0.0.1", "127.1", "0x7f.0.0.1", "2130706433",
                             "127.0.0.1.evil.example", "127.evil.example", "localhost.evil.example", "lo",
                             "[::1", "::1]", "fe80::1%lo", "127.0.0.1 "}) {
        EXPECT_FALSE(is_loopback_host(host)) << host;
    }
}

TEST(Loopback, EndpointsAsZeroMqAndTheConfigWriteThem) {
    for (const char* endpoint : {"tcp://127.0.0.1:5556", "tcp://[::1]:5556", "tcp://[::ffff:127.0.0.1]:5556",
                                 "tcp://[0:0:0:0:0:0:0:1]:5556", "tcp://localhost:5556", "tcp://::1:5556",
                                 "127.0.0.1:9153", "[::1]:9153", "tcp://192.0.2.1;127.0.0.1:5556"}) {
        EXPECT_TRUE(is_loopback_endpoint(endpoint)) << endpoint;
    }
    for (const char* endpoint : {"tcp://0.0.0.0:5556", "tcp://*:5556", "tcp://eth0:5556", "tcp://lo:5556",
                                 "tcp://[::]:5556", "tcp://127.evil.example:5556", "tcp://127.0.0.1;192.0.2.1:5556",
                                 "ipc:///tmp/feed", "inproc://feed", "udp://127.0.0.1:5556", "tcp://[::1:5556"}) {
        EXPECT_FALSE(is_loopback_endpoint(endpoint)) << endpoint;
    }
}

}  // namespace
}  // namespace dnswatch
