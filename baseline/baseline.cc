#include "baseline/baseline.h"

#include <algorithm>
#include <array>

#include "decode/dns_message.h"
#include "decode/rdata.h"
#include "baseline/rrset_key.h"

namespace dnswatch {
namespace {

using KeyBuffer = RRsetKeyBuffer;

void insert_sorted_unique(std::vector<std::string>& values, std::string value) {
    const auto it = std::lower_bound(values.begin(), values.end(), value);
    if (it == values.end() || *it != value) values.insert(it, std::move(value));
}

}  // namespace

void to_comparison_form(std::uint16_t type, std::span<std::uint8_t> canonical_rdata) {
    // SOA ends with serial, refresh, retry, expire, minimum (4 bytes each):
    // a new serial is routine, never a divergence.
    if (type == rrtype::SOA && canonical_rdata.size() >= 20) {
        std::fill_n(canonical_rdata.end() - 20, 4, std::uint8_t{0});
    }
}

bool RRsetPool::contains(std::string_view comparison) const {
    return std::binary_search(comparison_forms.begin(), comparison_forms.end(), comparison,
                              [](std::string_view a, std::string_view b) { return a < b; });
}

bool RRsetPool::allows(std::string_view comparison, std::int64_t time_us, bool* by_announcement) const {
    *by_announcement = false;
    if (contains(comparison)) return true;
    for (const Announced& a : announced) {
        if (a.comparison == comparison && time_us >= a.effective_us) {
            *by_announcement = true;
            return true;
        }
    }
    return false;
}

bool Baseline::announce(const ZoneRecord& record, std::int64_t effective_us, const WatchSet& watch) {
    if (watch.find(record.owner) == nullptr) return false;
    std::vector<std::uint8_t> canonical;
    if (append_canonical_rdata(record.rdata, record.type, 0, record.rdata.size(), canonical) != MalformedKind::none) {
        return false;
    }
    KeyBuffer key_buffer;
    const std::string_view key = rrset_key(record.owner.key(), record.type, key_buffer);
    auto it = pools_.find(key);
    if (it == pools_.end()) it = pools_.emplace(std::string(key), RRsetPool{}).first;
    RRsetPool::Announced announced;
    announced.presentation = rdata_to_text(record.type, canonical);
    to_comparison_form(record.type, canonical);
    announced.comparison.assign(canonical.begin(), canonical.end());
    announced.effective_us = effective_us;
    it->second.announced.push_back(std::move(announced));
    return true;
}

std::size_t Baseline::add_zone_records(const std::vector<ZoneRecord>& records, const WatchSet& watch) {
    std::size_t added = 0;
    std::vector<std::uint8_t> canonical;
    KeyBuffer key_buffer;
    for (const ZoneRecord& record : records) {
        const WatchedZone* zone = watch.find(record.owner);
        if (zone == nullptr) continue;
        canonical.clear();
        if (append_canonical_rdata(record.rdata, record.type, 0, record.rdata.size(), canonical) !=
            MalformedKind::none) {
            continue;  // ldns wrote it, so this only happens for layouts ldns accepts and we do not
        }
        const std::string_view key = rrset_key(record.owner.key(), record.type, key_buffer);
        auto it = pools_.find(key);
        if (it == pools_.end()) it = pools_.emplace(std::string(key), RRsetPool{}).first;
        insert_sorted_unique(it->second.presentation, rdata_to_text(record.type, canonical));
        it->second.ttl = std::max(it->second.ttl, record.ttl);
        to_comparison_form(record.type, canonical);
        insert_sorted_unique(it->second.comparison_forms, std::string(canonical.begin(), canonical.end()));
        if (record.type == rrtype::NS && !(record.owner == zone->name)) {
            delegations_.emplace(record.owner.key());
        }
        ++added;
    }
    return added;
}

const RRsetPool* Baseline::find(const DnsName& owner, std::uint16_t type) const {
    KeyBuffer key_buffer;
    const auto it = pools_.find(rrset_key(owner.key(), type, key_buffer));
    return it == pools_.end() ? nullptr : &it->second;
}

const RRsetPool* Baseline::find_wildcard(const DnsName& owner, std::uint16_t type, const WatchedZone& zone) const {
    KeyBuffer key_buffer;
    std::array<char, kMaxNameLength + 2> wildcard{};
    // From the closest ancestor up to the apex: "*." + ancestor.
    for (unsigned skip = 1; skip + zone.name.label_count <= owner.label_count; ++skip) {
        const std::string_view ancestor = owner.suffix_key(skip);
        if (ancestor.size() + 2 > kMaxNameLength) continue;
        wildcard[0] = 1;
        wildcard[1] = '*';
        std::copy(ancestor.begin(), ancestor.end(), wildcard.begin() + 2);
        const std::string_view name(wildcard.data(), ancestor.size() + 2);
        const auto it = pools_.find(rrset_key(name, type, key_buffer));
        if (it != pools_.end()) return &it->second;
    }
    return nullptr;
}

bool Baseline::is_delegated(const DnsName& owner, const WatchedZone& zone) const {
    if (delegations_.empty()) return false;
    // Every ancestor strictly below the apex, the owner itself included.
    for (unsigned skip = 0; skip + zone.name.label_count < owner.label_count; ++skip) {
        if (delegations_.contains(owner.suffix_key(skip))) return true;
    }
    return false;
}

std::vector<std::size_t> Baseline::rrset_counts(const WatchSet& watch) const {
    std::vector<std::size_t> counts(watch.zones().size(), 0);
    for (const auto& [key, pool] : pools_) {
        DnsName owner;
        if (!rrset_key_owner(key, owner)) continue;
        if (const WatchedZone* zone = watch.find(owner)) ++counts[zone->index];
    }
    return counts;
}

}  // namespace dnswatch
