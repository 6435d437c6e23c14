#include "baseline/baseline_input.h"

#include <mutex>

#include "decode/rdata.h"

namespace dnswatch {
namespace {

// Source names, interned: ids are indexes.
struct SourceNames {
    std::mutex mutex;
    std::map<std::string, SourceId, std::less<>> ids;
    std::vector<std::string> names;

    SourceId id(std::string name) {
        std::lock_guard lock(mutex);
        const auto it = ids.find(name);
        if (it != ids.end()) return it->second;
        const auto id = static_cast<SourceId>(names.size());
        ids.emplace(name, id);
        names.push_back(std::move(name));
        return id;
    }
    std::string name(SourceId id) {
        std::lock_guard lock(mutex);
        return id < names.size() ? names[id] : std::string();
    }
};

SourceNames& source_names() {
    static SourceNames names;
    return names;
}

constexpr std::string_view kTransferPrefix = "transfer:";

}  // namespace

SourceId zone_file_source(std::string_view zone) { return source_names().id("file:" + std::string(zone)); }
SourceId transfer_source(std::string_view zone) { return source_names().id(std::string(kTransferPrefix) + std::string(zone)); }
SourceId other_files_source() { return source_names().id("files"); }

std::string transfer_zone_of(SourceId source) {
    const std::string name = source_names().name(source);
    return name.starts_with(kTransferPrefix) ? name.substr(kTransferPrefix.size()) : std::string();
}

bool BaselineInput::add(const DnsName& owner, std::uint16_t type, std::uint32_t ttl,
                        std::span<const std::uint8_t> rdata, SourceId source) {
    if (watch_->find(owner) == nullptr) return false;
    canonical_.clear();
    if (append_canonical_rdata(rdata, type, 0, rdata.size(), canonical_) != MalformedKind::none) {
        return false;  // ldns wrote it, so this only happens for layouts ldns accepts and we do not
    }
    table_.add(owner, type, ttl, source, canonical_);
    return true;
}

std::size_t BaselineInput::add(std::span<const ZoneRecord> records, SourceId source) {
    std::size_t added = 0;
    for (const ZoneRecord& record : records) added += add(record.owner, record.type, record.ttl, record.rdata, source) ? 1 : 0;
    return added;
}

void BaselineInput::add_rrset(const DnsName& owner, const std::uint8_t* rrset) {
    const std::uint8_t* p = rrset + rrset_layout::kHeader;
    for (std::uint16_t i = rrset_layout::item_count(rrset); i > 0; --i) {
        const std::uint16_t length = rrset_layout::load16(p);
        table_.add(owner, rrset_layout::type(rrset), rrset_layout::ttl(rrset), rrset_layout::source(rrset),
                   {p + rrset_layout::kItemHeader, length});
        p += rrset_layout::kItemHeader + length;
    }
}

void for_each_announced(const Announcement& announcement, const WatchSet& watch,
                        const std::function<void(const DnsName&, std::uint16_t, AnnouncedRdata)>& f) {
    if (announcement.removal()) {
        if (watch.find(announcement.owner) != nullptr) {
            f(announcement.owner, announcement.type, AnnouncedRdata{{}, announcement.effective_us, /*removal=*/true});
        }
        return;
    }
    std::vector<std::uint8_t> canonical;
    for (const ZoneRecord& record : announcement.records) {
        if (watch.find(record.owner) == nullptr) continue;
        canonical.clear();
        if (append_canonical_rdata(record.rdata, record.type, 0, record.rdata.size(), canonical) != MalformedKind::none) {
            continue;  // ldns wrote it, so this only happens for layouts ldns accepts and we do not
        }
        f(record.owner, record.type, AnnouncedRdata{canonical, announcement.effective_us});
    }
}

void BaselineInput::announce(const Announcement& announcement) { announcements_.push_back(announcement); }

Baseline BaselineInput::build() {
    Baseline baseline(table_.build());
    for (const Announcement& announcement : announcements_) {
        for_each_announced(announcement, *watch_, [&](const DnsName& owner, std::uint16_t type, AnnouncedRdata rdata) {
            baseline = baseline.with_announcement(owner, type, std::move(rdata));
        });
    }
    announcements_.clear();
    return baseline;
}

void BaselineSources::add_to(BaselineInput& input) const {
    const std::vector<WatchedZone>& zones = input.watch().zones();
    for (std::size_t i = 0; i < zone_files.size() && i < zones.size(); ++i) {
        input.add(zone_files[i], zone_file_source(zones[i].text));
    }
    for (const auto& [zone, records] : transferred) {
        // Only while its zone is watched: a removed zone's last transfer
        // would otherwise land in a watched parent's baseline.
        if (input.watch().find_zone(zone) != nullptr) input.add(records, transfer_source(zone));
    }
    input.add(other_records, other_files_source());
    for (const Announcement& announcement : announcements) input.announce(announcement);
}

Baseline BaselineSources::build(const WatchSet& watch) const {
    BaselineInput input(watch);
    add_to(input);
    return input.build();
}

}  // namespace dnswatch
