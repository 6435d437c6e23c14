// Where alerts go. detect/ emits through this interface and never learns
// whether an alert became a JSON line, a ZeroMQ message, or both.
#pragma once

#include "detect/alert.h"

namespace dnswatch {

class AlertSink {
public:
    virtual ~AlertSink() = default;
    virtual void publish(const Alert& alert) = 0;
    virtual void flush() {}
};

}  // namespace dnswatch
