// run_at_background_priority() lowers the calling thread alone: the packet
// path's threads, started before the control thread lowers itself, keep
// the usual priority.
#include "common/background_priority.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <thread>

namespace dnswatch {
namespace {

int nice_of(pid_t thread) {
    errno = 0;
    const int value = ::getpriority(PRIO_PROCESS, static_cast<id_t>(thread));
    EXPECT_EQ(errno, 0);
    return value;
}

pid_t this_thread() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

TEST(BackgroundPriority, LowersTheCallingThreadOnly) {
    std::atomic<pid_t> worker{0};
    std::atomic<bool> done{false};
    std::thread packet_path([&] {
        worker = this_thread();
        while (!done) std::this_thread::yield();
    });
    while (worker == 0) std::this_thread::yield();
    const int before = nice_of(worker);

    int lowered = 0;
    std::string refused = "not run";
    std::thread maintenance([&] {
        refused = run_at_background_priority();
        lowered = nice_of(this_thread());
    });
    maintenance.join();
    EXPECT_EQ(refused, "");
    EXPECT_EQ(lowered, 19);
    EXPECT_EQ(nice_of(worker), before);
    EXPECT_EQ(nice_of(this_thread()), before);
    done = true;
    packet_path.join();
}

TEST(BackgroundPriority, ThreadsStartedLaterInheritIt) {
    int inherited = 0;
    std::thread maintenance([&] {
        ASSERT_EQ(run_at_background_priority(), "");
        std::thread restarted([&] { inherited = nice_of(this_thread()); });
        restarted.join();
    });
    maintenance.join();
    EXPECT_EQ(inherited, 19);
}

}  // namespace
}  // namespace dnswatch
