// A network namespace of the test's own, removed when the object goes away
// (also when the test fails), so that test traffic never leaves it. Its
// loopback can be given a small MTU, which makes large UDP answers fragment
// and large TCP writes go out in several segments.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/run_command.h"

namespace dnswatch::test {

class NetworkNamespace {
public:
    // Creates "dnswatch-test-<pid>-<tag>" with its loopback up at `mtu`.
    // ok() is false, with why(), when that is not possible (not root, no ip).
    NetworkNamespace(const std::string& tag, int mtu, const std::filesystem::path& scratch)
        : name_("dnswatch-test-" + std::to_string(::getpid()) + "-" + tag), scratch_(scratch) {
        if (::geteuid() != 0) {
            why_ = "network namespaces need root";
            return;
        }
        const CommandResult add = run_command({ip(), "netns", "add", name_}, scratch_);
        if (add.exit_code != 0) {
            why_ = "ip netns add failed: " + add.err;
            return;
        }
        created_ = true;
        const CommandResult up = run_command(
            {ip(), "netns", "exec", name_, ip(), "link", "set", "lo", "up", "mtu", std::to_string(mtu)}, scratch_);
        if (up.exit_code != 0) {
            why_ = "cannot bring up lo in " + name_ + ": " + up.err;
            return;
        }
        // Loopback offloads segmentation (GSO): a capture on it would see
        // one TCP "segment" per write, however large. One segment per
        // packet makes it look like a wire. Older kernels may refuse; the
        // namespace is usable all the same.
        run_command({ip(), "netns", "exec", name_, ip(), "link", "set", "lo", "gso_max_segs", "1", "gso_max_size",
                     std::to_string(mtu)},
                    scratch_);
        ok_ = true;
    }
    NetworkNamespace(const NetworkNamespace&) = delete;
    NetworkNamespace& operator=(const NetworkNamespace&) = delete;
    ~NetworkNamespace() {
        if (created_) run_command({ip(), "netns", "del", name_}, scratch_);
    }

    bool ok() const { return ok_; }
    const std::string& why() const { return why_; }
    const std::string& name() const { return name_; }

    // `argv` run inside the namespace.
    std::vector<std::string> wrap(std::vector<std::string> argv) const {
        argv.insert(argv.begin(), {ip(), "netns", "exec", name_});
        return argv;
    }

    static std::string ip() {
        for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
            if (::access(path, X_OK) == 0) return path;
        }
        return "/usr/sbin/ip";
    }

private:
    std::string name_;
    std::filesystem::path scratch_;
    bool created_ = false;
    bool ok_ = false;
    std::string why_;
};

}  // namespace dnswatch::test
