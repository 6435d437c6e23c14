// Failures that callers tell apart by type, whatever stage threw them.
#pragma once

#include <stdexcept>

namespace dnswatch {

// An address the sensor must listen on cannot be bound (in use, not local,
// not permitted). `dnswatch run` exits with a status of its own for it
// (cli/cli.h): restarting the service will not free the port.
class BindError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace dnswatch
