#include "pipeline/privileges.h"

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace dnswatch {
namespace {

unsigned long long status_mask(const char* field) {
    std::ifstream status("/proc/self/status");
    std::string line;
    const std::string prefix = std::string(field) + ":";
    while (std::getline(status, line)) {
        if (line.compare(0, prefix.size(), prefix) == 0) return std::stoull(line.substr(prefix.size()), nullptr, 16);
    }
    return ~0ull;
}

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error("dropping privileges: " + what + ": " + std::strerror(errno));
}

// Empties the effective, permitted and inheritable sets of this thread's
// process (capset(2) without libcap: three words of zeros), and the ambient
// set, which systemd's AmbientCapabilities= filled and which setuid() from a
// non-root user keeps.
void clear_capabilities() {
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) fail("clearing ambient capabilities");
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
    if (::syscall(SYS_capset, &header, data) != 0) fail("capset");
}

}  // namespace

unsigned long long effective_capabilities() { return status_mask("CapEff"); }

void drop_capabilities() {
    clear_capabilities();
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("no_new_privs");
    if (status_mask("CapEff") != 0 || status_mask("CapPrm") != 0 || status_mask("CapAmb") != 0) {
        throw std::runtime_error("dropping privileges: capabilities remain after clearing them");
    }
}

void drop_privileges(const std::string& user) {
    std::vector<char> buffer(16384);
    passwd entry{};
    passwd* found = nullptr;
    const int rc = getpwnam_r(user.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (rc != 0 || found == nullptr) throw UnknownUser("dropping privileges: no user '" + user + "'");
    const uid_t uid = found->pw_uid;
    const gid_t gid = found->pw_gid;
    if (::geteuid() == 0) {
        // Groups first, uid last: once the uid is not 0 nothing else may change.
        if (::initgroups(user.c_str(), gid) != 0) fail("initgroups");
    }
    if (::setgid(gid) != 0) fail("setgid " + std::to_string(gid));
    if (::setuid(uid) != 0) fail("setuid " + std::to_string(uid));
    if (uid != 0 && ::setuid(0) == 0) throw std::runtime_error("dropping privileges: uid 0 could be regained");
    // setuid() from root clears the permitted and effective sets, but a
    // service started as `user` already (systemd's User= with
    // AmbientCapabilities=) keeps them: capture is open, so none is needed.
    if (uid != 0) clear_capabilities();
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("no_new_privs");
    if (uid != 0 && (status_mask("CapEff") != 0 || status_mask("CapPrm") != 0 || status_mask("CapAmb") != 0 ||
                     status_mask("CapInh") != 0)) {
        throw std::runtime_error("dropping privileges: capabilities remain after clearing them");
    }
}

}  // namespace dnswatch
