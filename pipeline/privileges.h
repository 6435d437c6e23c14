// After the capture is open, the sensor needs no privilege: it reads
// packets from sockets and rings it already holds. Dropping to an ordinary
// user (and with it every capability) limits what a bug in the packet
// decoders, which read hostile bytes, could do.
#pragma once

#include <string>

namespace dnswatch {

// Switches the whole process (every thread) to `user`: supplementary groups,
// gid, uid; forbids regaining privileges (no_new_privs); and checks that no
// effective or permitted capability is left. Throws std::runtime_error naming
// what failed. Without root it can only succeed for the current user.
void drop_privileges(const std::string& user);

// The effective capability mask of this process, from /proc/self/status
// (for tests and the start-up message); ~0 when it cannot be read.
unsigned long long effective_capabilities();

}  // namespace dnswatch
