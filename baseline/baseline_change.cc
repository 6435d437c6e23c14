#include "baseline/baseline_change.h"

namespace dnswatch {

const char* to_string(ChangeSource source) {
    switch (source) {
        case ChangeSource::axfr: return "axfr";
        case ChangeSource::ixfr: return "ixfr";
        case ChangeSource::zone_file: return "zone_file";
        case ChangeSource::feed: return "feed";
        case ChangeSource::learned: return "learned";
    }
    return "unknown";
}

const char* to_string(ChangeOp op) {
    switch (op) {
        case ChangeOp::create: return "create";
        case ChangeOp::remove: return "delete";
        case ChangeOp::update: return "update";
    }
    return "unknown";
}

}  // namespace dnswatch
