#include "common/background_priority.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dnswatch {

std::string run_at_background_priority() {
    // PRIO_PROCESS with a thread id sets that thread's nice value alone
    // (Linux; POSIX would set the whole process's). Lowering needs no privilege.
    const auto thread = static_cast<id_t>(::syscall(SYS_gettid));
    if (::setpriority(PRIO_PROCESS, thread, 19) != 0) {
        return std::string("setpriority(nice 19): ") + std::strerror(errno);
    }
    return "";
}

}  // namespace dnswatch
