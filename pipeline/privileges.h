// After the capture is open, the sensor needs no privilege: it reads
// packets from sockets and rings it already holds. Dropping to an ordinary
// user (and with it every capability) limits what a bug in the packet
// decoders, which read hostile bytes, could do.
#pragma once

#include <stdexcept>
#include <string>

namespace dnswatch {

// `user` does not exist: a config problem, not an I/O failure.
class UnknownUser : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Switches the whole process (every thread) to `user`: supplementary groups,
// gid, uid; empties every capability set (effective, permitted,
// inheritable, ambient: a service started as `user` with systemd's
// AmbientCapabilities= holds them without being root); forbids regaining
// privileges (no_new_privs); and checks that no capability is left. Throws
// UnknownUser, or std::runtime_error naming what failed. Without root it
// can only succeed for the current user.
void drop_privileges(const std::string& user);

// Empties every capability set of the calling thread without changing the
// user (a non-root service given capture capabilities by systemd's
// AmbientCapabilities=, without run.user), and sets no_new_privs. Call it
// before any thread starts: capabilities are per thread.
void drop_capabilities();

// The effective capability mask of this process, from /proc/self/status
// (for tests and the start-up message); ~0 when it cannot be read.
unsigned long long effective_capabilities();

}  // namespace dnswatch
