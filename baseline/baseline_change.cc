#include "baseline/baseline_change.h"

#include "baseline/watch_set.h"
#include "decode/dns_message.h"
#include "decode/dns_name.h"

namespace dnswatch {

bool is_delegation(const DnsName& owner, std::uint16_t type, const WatchedZone& zone) {
    return type == rrtype::NS && (!(owner == zone.name) || zone.delegation_only);
}

const char* to_string(ChangeSource source) {
    switch (source) {
        case ChangeSource::axfr: return "axfr";
        case ChangeSource::ixfr: return "ixfr";
        case ChangeSource::zone_file: return "zone_file";
        case ChangeSource::feed: return "feed";
        case ChangeSource::learned: return "learned";
        case ChangeSource::zone_version: return "zone_version";
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
