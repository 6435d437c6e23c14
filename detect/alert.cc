#include "detect/alert.h"

namespace dnswatch {

const char* to_string(AlertState state) {
    switch (state) {
        case AlertState::open: return "open";
        case AlertState::reverted: return "reverted";
        case AlertState::accepted: return "accepted";
    }
    return "open";
}

const char* to_string(Severity severity) {
    switch (severity) {
        case Severity::low: return "low";
        case Severity::medium: return "medium";
        case Severity::high: return "high";
        case Severity::critical: return "critical";
    }
    return "medium";
}

}  // namespace dnswatch
