#include "detect/alert.h"

#include <cstdio>

#include "decode/dns_datagram.h"
#include "detect/signals.h"

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

std::string alert_id(std::string_view sensor, std::string_view key, std::int64_t first_seen_us) {
    std::uint64_t h = hash_bytes(sensor);
    h = hash_bytes(key, h);
    h = hash_bytes(std::string_view(reinterpret_cast<const char*>(&first_seen_us), sizeof first_seen_us), h);
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
    return text;
}

}  // namespace dnswatch
