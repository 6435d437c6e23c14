#include "baseline/learner.h"

#include <algorithm>
#include <array>

#include "decode/ldns_glue.h"
#include "baseline/rrset_key.h"

namespace dnswatch {
namespace {

using KeyBuffer = RRsetKeyBuffer;

std::string_view learner_key(const DnsName& owner, std::uint16_t type, KeyBuffer& buffer) {
    return rrset_key(owner.key(), type, buffer);
}

}  // namespace

Learner::Learner(const WatchSet& watch, LearningOptions options) : options_(std::move(options)) {
    watch_changed(watch);
}

void Learner::watch_changed(const WatchSet& watch) {
    learning_.assign(watch.zones().size(), false);
    for (const WatchedZone& zone : watch.zones()) {
        learning_[zone.index] =
            std::find(options_.zones.begin(), options_.zones.end(), zone.text) != options_.zones.end();
    }
}

RRsetPool Learner::find(const DnsName& owner, std::uint16_t type) const {
    if (rrsets_.empty()) return {};
    KeyBuffer buffer;
    const auto it = rrsets_.find(learner_key(owner, type, buffer));
    return it != rrsets_.end() && it->second.learned ? it->second.pool(type) : RRsetPool{};
}

RRsetPool Learner::observe(const DnsName& owner, std::uint16_t type, std::uint32_t ttl,
                                  const std::vector<std::uint8_t>& bytes,
                                  const std::vector<std::pair<std::size_t, std::size_t>>& forms,
                                  std::int64_t time_us) {
    KeyBuffer buffer;
    const std::string_view key = learner_key(owner, type, buffer);
    auto it = rrsets_.find(key);
    const bool fresh = it == rrsets_.end();
    if (fresh) {
        if (rrsets_.size() >= options_.max_rrsets) {
            ++counters_.full;
            return {};
        }
        Entry entry;
        entry.first_seen_us = entry.changed_us = time_us;
        it = rrsets_.emplace(std::string(key), std::move(entry)).first;
        changed_ = true;
    }
    Entry& entry = it->second;
    if (entry.learned) return entry.pool(type);
    entry.ttl = std::max(entry.ttl, ttl);
    bool new_rdata = false;
    for (const auto& [offset, length] : forms) {
        const std::string_view form(reinterpret_cast<const char*>(bytes.data()) + offset, length);
        // Only new rdata allocates; a settled RRset is looked up, not copied.
        const auto at = std::lower_bound(entry.forms.begin(), entry.forms.end(), form);
        if (at != entry.forms.end() && *at == form) continue;
        entry.forms.emplace(at, form);
        const std::string text = rdata_to_text(type, std::span(bytes).subspan(offset, length));
        const auto text_at = std::lower_bound(entry.presentation.begin(), entry.presentation.end(), text);
        if (text_at == entry.presentation.end() || *text_at != text) entry.presentation.insert(text_at, text);
        new_rdata = true;
    }
    if (new_rdata) {
        if (!fresh) ++counters_.restarts;
        entry.changed_us = time_us;
        changed_ = true;
        return {};
    }
    if (time_us - entry.changed_us < options_.stable_for_us) return {};
    entry.learned = true;
    lay_out(entry, type);
    ++counters_.learned;
    changed_ = true;
    return entry.pool(type);
}

void Learner::lay_out(Entry& entry, std::uint16_t type) {
    entry.rrset.clear();
    std::vector<std::span<const std::uint8_t>> items;
    for (const std::string& form : entry.forms) {
        items.emplace_back(reinterpret_cast<const std::uint8_t*>(form.data()), form.size());
    }
    rrset_layout::append(entry.rrset, type, entry.ttl, 0, items);
}

std::vector<LearnedRRsetState> Learner::export_state() {
    std::vector<LearnedRRsetState> states;
    states.reserve(rrsets_.size());
    for (const auto& [key, entry] : rrsets_) {
        states.push_back({key, entry.forms, entry.presentation, entry.ttl, entry.first_seen_us, entry.changed_us,
                          entry.learned});
    }
    std::sort(states.begin(), states.end(),
              [](const LearnedRRsetState& a, const LearnedRRsetState& b) { return a.key < b.key; });
    changed_ = false;
    return states;
}

void Learner::import_state(std::vector<LearnedRRsetState> states) {
    for (LearnedRRsetState& state : states) {
        if (rrset_key_type(state.key) == 0) continue;
        Entry entry;
        entry.forms = std::move(state.forms);
        std::sort(entry.forms.begin(), entry.forms.end());
        entry.presentation = std::move(state.presentation);
        entry.ttl = state.ttl;
        entry.first_seen_us = state.first_seen_us;
        entry.changed_us = state.changed_us;
        entry.learned = state.learned;
        if (entry.learned) lay_out(entry, rrset_key_type(state.key));
        rrsets_.insert_or_assign(std::move(state.key), std::move(entry));
    }
}

}  // namespace dnswatch
