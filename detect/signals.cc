#include "detect/signals.h"

#include <algorithm>
#include <cstring>

#include "decode/dns_message.h"
#include "detect/fast_hash.h"

namespace dnswatch {
namespace {

constexpr std::array<std::string_view, kSignalCount> kSignalNames = {
#define DNSWATCH_SIGNAL_NAME(name) #name,
    DNSWATCH_SIGNALS(DNSWATCH_SIGNAL_NAME)
#undef DNSWATCH_SIGNAL_NAME
};

IpAddress address_of(std::string_view rdata) {
    IpAddress address;
    address.family = rdata.size() == 4 ? 4 : 6;
    std::memcpy(address.bytes.data(), rdata.data(), std::min<std::size_t>(rdata.size(), 16));
    return address;
}

bool same_address(const IpAddress& address, std::string_view rdata) {
    const std::size_t length = address.family == 4 ? 4 : 16;
    return rdata.size() == length && std::memcmp(address.bytes.data(), rdata.data(), length) == 0;
}

}  // namespace

std::vector<std::string> signal_names(SignalSet set) {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < kSignalNames.size(); ++i) {
        if ((set >> i) & 1) names.emplace_back(kSignalNames[i]);
    }
    return names;
}

std::uint64_t hash_bytes(std::string_view bytes, std::uint64_t seed) {
    return fast_hash({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}, seed);
}

bool AnswerHistory::conflicts(std::uint64_t query_key, std::uint64_t answer_fingerprint, std::int64_t time_us) {
    Entry& entry = entries_[query_key % entries_.size()];
    const bool same_query = entry.key == query_key && time_us - entry.time_us <= kWindowUs && entry.time_us != 0;
    const bool conflict = same_query && entry.fingerprint != answer_fingerprint;
    entry = {query_key, answer_fingerprint, time_us};
    return conflict;
}

ZoneServers::ZoneServers(const WatchSet& watch, const Baseline& baseline) { set_expected(watch, baseline); }

void ZoneServers::set_expected(const WatchSet& watch, const Baseline& baseline) {
    // Worked out per zone when first asked, not here: a new snapshot must
    // not cost a pass over a million watched zones on the packet thread.
    baseline_ = &baseline;
    if (expected_.size() != watch.zones().size()) {
        expected_.assign(watch.zones().size(), {});
        worked_out_.assign(watch.zones().size(), 0);
        parent_expected_.assign(watch.zones().size(), {});
        parent_worked_out_.assign(watch.zones().size(), 0);
    }
    ++generation_;
}

const std::vector<IpAddress>& ZoneServers::expected(const WatchedZone& zone) const {
    std::vector<IpAddress>& servers = expected_[zone.index];
    if (worked_out_[zone.index] == generation_) return servers;
    worked_out_[zone.index] = generation_;
    servers.clear();
    addresses_of_servers(zone.name, servers);
    return servers;
}

const std::vector<IpAddress>& ZoneServers::parent_expected(const WatchedZone& zone) const {
    std::vector<IpAddress>& servers = parent_expected_[zone.index];
    if (parent_worked_out_[zone.index] == generation_) return servers;
    parent_worked_out_[zone.index] = generation_;
    servers.clear();
    // The closest enclosing zone whose NS the baseline holds (a watched
    // parent, or a zone file's apex NS kept for it).
    for (unsigned skip = 1; skip < zone.name.label_count; ++skip) {
        const DnsName ancestor = zone.name.suffix(skip);
        if (!baseline_->find(ancestor, rrtype::NS).has_rdata()) continue;
        addresses_of_servers(ancestor, servers);
        break;
    }
    return servers;
}

void ZoneServers::addresses_of_servers(const DnsName& apex, std::vector<IpAddress>& servers) const {
    const RRsetPool ns = baseline_->find(apex, rrtype::NS);
    ns.for_each_rdata([&](std::span<const std::uint8_t> target_wire) {
        DnsName target;
        std::size_t next = 0;
        if (read_name(target_wire, 0, &target, &next) != MalformedKind::none) return;
        for (const std::uint16_t type : {rrtype::A, rrtype::AAAA}) {
            baseline_->find(target, type).for_each_rdata([&](std::span<const std::uint8_t> address) {
                servers.push_back(address_of({reinterpret_cast<const char*>(address.data()), address.size()}));
            });
        }
    });
}

bool ZoneServers::is_expected(const WatchedZone& zone, const IpAddress& server) const {
    const auto& servers = expected(zone);
    return servers.empty() || std::find(servers.begin(), servers.end(), server) != servers.end();
}

bool ZoneServers::is_expected(const WatchedZone& zone, const IpAddress& server, const DnsName& owner,
                              std::uint16_t type, bool glue) const {
    const bool at_apex = owner == zone.name;
    const bool parents_only = at_apex && type == rrtype::DS;
    const bool parents_too = parents_only || (at_apex && type == rrtype::NS) || glue;
    if (!parents_too) return is_expected(zone, server);
    const auto& parent = parent_expected(zone);
    const bool parent_known = !parent.empty();
    if (parent_known && std::find(parent.begin(), parent.end(), server) != parent.end()) return true;
    if (parents_only) return !parent_known;
    const auto& own = expected(zone);
    if (own.empty()) return !parent_known;
    return std::find(own.begin(), own.end(), server) != own.end();
}

void ZoneServers::add_rogue(const WatchedZone& zone, const IpAddress& server) {
    const std::size_t used = std::min(rogue_count_, rogues_.size());
    for (std::size_t i = 0; i < used; ++i) {
        if (rogues_[i].zone == zone.index && rogues_[i].server == server) return;
    }
    rogues_[rogue_count_++ % rogues_.size()] = {zone.index, server};
}

bool ZoneServers::is_rogue(const WatchedZone& zone, std::string_view address) const {
    const std::size_t used = std::min(rogue_count_, rogues_.size());
    for (std::size_t i = 0; i < used; ++i) {
        if (rogues_[i].zone == zone.index && same_address(rogues_[i].server, address)) return true;
    }
    return false;
}

}  // namespace dnswatch
