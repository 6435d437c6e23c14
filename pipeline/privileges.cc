#include "pipeline/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
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

}  // namespace

unsigned long long effective_capabilities() { return status_mask("CapEff"); }

void drop_privileges(const std::string& user) {
    std::vector<char> buffer(16384);
    passwd entry{};
    passwd* found = nullptr;
    const int rc = getpwnam_r(user.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (rc != 0 || found == nullptr) {
        errno = rc != 0 ? rc : ENOENT;
        fail("no user '" + user + "'");
    }
    const uid_t uid = found->pw_uid;
    const gid_t gid = found->pw_gid;
    if (::geteuid() == 0) {
        // Groups first, uid last: once the uid is not 0 nothing else may change.
        if (::initgroups(user.c_str(), gid) != 0) fail("initgroups");
    }
    if (::setgid(gid) != 0) fail("setgid " + std::to_string(gid));
    if (::setuid(uid) != 0) fail("setuid " + std::to_string(uid));
    if (uid != 0 && ::setuid(0) == 0) throw std::runtime_error("dropping privileges: uid 0 could be regained");
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("no_new_privs");
    // setuid() from root to another user clears the permitted and effective
    // sets (unless keep-caps was set, which we never do): check it.
    if (uid != 0 && (status_mask("CapEff") != 0 || status_mask("CapPrm") != 0)) {
        throw std::runtime_error("dropping privileges: capabilities remain after setuid");
    }
}

}  // namespace dnswatch
