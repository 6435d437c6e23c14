// The title of an incident: what happened to the zone, in the words an
// analyst would use on the phone, made from the members' latest records.
// Each kind of change is one phrase, the delegation first (it explains the
// rest), then DS and DNSSEC, then the names re-pointed, grouped by where
// they point; phrases are joined by "; ".
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "detect/incident_correlator.h"

namespace dnswatch {
namespace {

std::string without_dot(std::string name) {
    if (name.size() > 1 && name.back() == '.') name.pop_back();
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return name;
}

// "www" for www.victim.test in victim.test; the zone itself by its name.
std::string relative(const std::string& name, const std::string& zone) {
    if (name.size() > zone.size() + 1 && name.compare(name.size() - zone.size(), zone.size(), zone) == 0 &&
        name[name.size() - zone.size() - 1] == '.') {
        return name.substr(0, name.size() - zone.size() - 1);
    }
    return name;
}

void add_unique(std::vector<std::string>& list, const std::string& item) {
    if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(item);
}

// "a", "a and b", "a, b and c", "a, b, c and 2 more".
std::string listing(const std::vector<std::string>& items) {
    constexpr std::size_t kShown = 3;
    std::string text;
    const std::size_t shown = items.size() > kShown + 1 ? kShown : items.size();
    for (std::size_t i = 0; i < shown; ++i) {
        if (i > 0) text += (i + 1 == shown && shown == items.size()) ? " and " : ", ";
        text += items[i];
    }
    if (shown < items.size()) text += " and " + std::to_string(items.size() - shown) + " more";
    return text;
}

std::string duration_text(std::int64_t us) {
    const std::int64_t seconds = std::max<std::int64_t>(us, 0) / 1000000;
    if (seconds == 0) return "under a second";
    if (seconds < 90) return std::to_string(seconds) + " s";
    const std::int64_t minutes = (seconds + 30) / 60;
    if (minutes < 120) return std::to_string(minutes) + " min";
    const std::int64_t hours = minutes / 60;
    if (hours < 48) {
        // Appended one piece at a time: GCC 12 at -O3 warns (-Wrestrict,
        // a false positive) on `" " + std::to_string(...)` inlined here.
        std::string text = std::to_string(hours) + " h";
        if (const std::int64_t rest = minutes % 60; rest != 0) {
            text += ' ';
            text += std::to_string(rest);
            text += " min";
        }
        return text;
    }
    return std::to_string((hours + 12) / 24) + " days";
}

// How a group of alerts ended: restored after a while, taken over by the
// baseline (announced), or nothing when it is still on.
std::string outcome(const std::vector<const Alert*>& group) {
    if (group.empty()) return {};
    bool open = false, reverted = false;
    std::int64_t first = group.front()->first_seen_us, last = group.front()->last_seen_us;
    for (const Alert* a : group) {
        open = open || a->state == AlertState::open;
        reverted = reverted || a->state == AlertState::reverted;
        first = std::min(first, a->first_seen_us);
        last = std::max(last, a->last_seen_us);
    }
    if (open) return {};
    if (reverted) return " for " + duration_text(last - first) + ", then restored";
    return " (announced, accepted)";
}

bool is_address_type(const std::string& rrtype) {
    return rrtype == "A" || rrtype == "AAAA" || rrtype == "CNAME" || rrtype == "DNAME";
}

}  // namespace

std::string incident_title(const std::string& zone, const std::vector<Alert>& members) {
    std::vector<std::string> phrases;

    // The delegation: what the referral says first, the attacker's own NS answers else.
    std::vector<std::string> ns_hosts;
    std::vector<const Alert*> delegation, referrals;
    // DS, DNSSEC, resolvers, spoofing.
    std::vector<const Alert*> ds_removed, stripped, not_validating;
    std::vector<std::string> bogus_names, spoofed_names, spoofed_at, removed, other;
    std::vector<const Alert*> removals;
    // Re-pointed names, by what they now say.
    struct Repoint {
        std::vector<std::string> names;
        std::vector<const Alert*> alerts;
    };
    std::vector<std::pair<std::string, Repoint>> repoints;  // in order of first appearance

    for (const Alert& a : members) {
        const std::string name = relative(a.name, zone);
        if (a.kind == "dnssec_bogus") {
            add_unique(bogus_names, name + " " + a.rrtype);
        } else if (a.kind == "ds_removed") {
            ds_removed.push_back(&a);
        } else if (a.kind == "dnssec_stripped") {
            stripped.push_back(&a);
        } else if (a.kind == "resolver_not_validating") {
            not_validating.push_back(&a);
        } else if (a.kind == "spoofing_attempt") {
            add_unique(spoofed_names, name + " " + a.rrtype);
            add_unique(spoofed_at, a.vantage.server);
        } else if (a.rrtype == "NS" && a.name == zone && !a.observed.empty()) {
            for (const std::string& host : a.observed) add_unique(ns_hosts, without_dot(host));
            delegation.push_back(&a);
            if (a.vantage.role == "referral" || a.vantage.role == "baseline") referrals.push_back(&a);
        } else if (!a.observed.empty()) {
            std::vector<std::string> rdata;
            for (const std::string& r : a.observed) rdata.push_back(is_address_type(a.rrtype) ? without_dot(r) : r);
            // Keys and digests say nothing to a reader: that they changed does.
            constexpr std::size_t kReadable = 60;
            const std::string shown = listing(rdata);
            const std::string what = is_address_type(a.rrtype) ? "pointed at " + shown
                                     : shown.size() > kReadable ? a.rrtype + " replaced"
                                                                : a.rrtype + " changed to " + shown;
            auto it = std::find_if(repoints.begin(), repoints.end(), [&](const auto& p) { return p.first == what; });
            if (it == repoints.end()) {
                repoints.push_back({what, {}});
                it = std::prev(repoints.end());
            }
            add_unique(it->second.names, name);
            it->second.alerts.push_back(&a);
        } else if (a.kind == "rrset_removed") {
            add_unique(removed, name + " " + a.rrtype);
            removals.push_back(&a);
        } else {
            add_unique(other, name + " " + a.rrtype + " " + a.kind);
        }
    }

    if (!delegation.empty()) {
        phrases.push_back(zone + " delegated to " + listing(ns_hosts) + outcome(referrals.empty() ? delegation : referrals));
    }
    if (!ds_removed.empty()) phrases.push_back("DS removed" + outcome(ds_removed));
    if (!stripped.empty()) phrases.push_back("DNSSEC stripped" + outcome(stripped));
    if (!bogus_names.empty()) phrases.push_back("forged signatures on " + listing(bogus_names));
    for (const auto& [what, group] : repoints) phrases.push_back(listing(group.names) + " " + what + outcome(group.alerts));
    if (!removed.empty()) phrases.push_back(listing(removed) + " removed" + outcome(removals));
    if (!spoofed_names.empty()) {
        phrases.push_back("blind spoofing of " + listing(spoofed_names) + " at " + listing(spoofed_at));
    }
    if (!not_validating.empty()) {
        std::vector<std::string> resolvers;
        for (const Alert* a : not_validating) add_unique(resolvers, a->vantage.server);
        phrases.push_back("resolver " + listing(resolvers) + " stopped validating" + outcome(not_validating));
    }
    if (!other.empty()) phrases.push_back(listing(other));

    std::string title;
    for (const std::string& phrase : phrases) {
        if (!title.empty()) title += "; ";
        title += phrase;
    }
    // Every title names the zone first: it is what the reader owns.
    if (title.rfind(zone + " ", 0) != 0 && title.rfind(zone + ":", 0) != 0) title = zone + ": " + title;
    return title;
}

}  // namespace dnswatch
