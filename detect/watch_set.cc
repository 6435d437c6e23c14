#include "detect/watch_set.h"

#include <stdexcept>

namespace dnswatch {

const WatchedZone& WatchSet::add(std::string_view zone_name) {
    const auto name = DnsName::from_text(zone_name);
    if (!name) throw std::invalid_argument("'" + std::string(zone_name) + "' is not a DNS name");
    if (by_key_.contains(name->key())) {
        throw std::invalid_argument("zone '" + std::string(zone_name) + "' is watched twice");
    }
    zones_.push_back(WatchedZone{*name, name->to_text(), zones_.size()});
    // Indexes, not pointers, in the map: push_back may move the zones.
    by_key_.emplace(std::string(name->key()), zones_.size() - 1);
    min_labels_ = std::min<unsigned>(min_labels_, name->label_count);
    max_labels_ = std::max<unsigned>(max_labels_, name->label_count);
    return zones_.back();
}

const WatchedZone* WatchSet::find(const DnsName& name) const {
    if (zones_.empty() || name.label_count < min_labels_) return nullptr;
    // Longest suffix first, so that a watched child zone wins over its parent.
    const unsigned longest = std::min<unsigned>(name.label_count, max_labels_);
    for (unsigned labels = longest + 1; labels-- > min_labels_;) {
        const auto it = by_key_.find(name.suffix_key(name.label_count - labels));
        if (it != by_key_.end()) return &zones_[it->second];
    }
    return nullptr;
}

}  // namespace dnswatch
