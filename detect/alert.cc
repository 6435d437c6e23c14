#include "detect/alert.h"

#include "decode/dns_datagram.h"

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

AlertTunnel alert_tunnel(const Tunnel* tunnel) {
    if (tunnel == nullptr) return {};
    return {std::string(name_of(tunnel->kind)), std::string(name_of(tunnel->id_kind)), tunnel->id,
            tunnel->outer_src.to_string(), tunnel->outer_dst.to_string()};
}

}  // namespace dnswatch
