#include "detect/change_watcher.h"

#include <algorithm>
#include <set>

#include "detect/severity.h"

namespace dnswatch {
namespace {

// The RRsets whose brief change is how a hijack shows (the list).
bool watched_type(std::string_view rrtype) {
    static const std::set<std::string_view> kTypes = {"NS", "DS", "DNSKEY", "A", "AAAA", "MX", "TLSA"};
    return kTypes.contains(rrtype);
}

// The registered domain of a name server ("ns1.evil-dns.example." ->
// "evil-dns.example"): its last two labels. (Without the public suffix
// list this groups "a.co.uk" hosts by "co.uk"; the signal then errs
// towards silence, never towards a false page.)
std::string provider_of(std::string host) {
    if (!host.empty() && host.back() == '.') host.pop_back();
    const auto last = host.rfind('.');
    if (last == std::string::npos) return host;
    const auto second = host.rfind('.', last - 1);
    return second == std::string::npos ? host : host.substr(second + 1);
}

bool in_bailiwick(const std::string& host, const std::string& name) {
    std::string h = host;
    if (!h.empty() && h.back() == '.') h.pop_back();
    return h == name || (h.size() > name.size() && h.compare(h.size() - name.size(), name.size(), name) == 0 &&
                         h[h.size() - name.size() - 1] == '.');
}

// The NS targets of `after` served by a provider none of `before` used
// (in-bailiwick names, whose glue says more, aside).
bool provider_changed(const std::vector<std::string>& before, const std::vector<std::string>& after,
                      const std::string& name) {
    std::set<std::string> was;
    for (const std::string& host : before) {
        if (!in_bailiwick(host, name)) was.insert(provider_of(host));
    }
    for (const std::string& host : after) {
        if (!in_bailiwick(host, name) && !was.contains(provider_of(host))) return true;
    }
    return false;
}

// The name or a parent of it is locked (a lock on bank.reg.test covers its glue).
bool is_locked(const std::unordered_set<std::string>& locked, const std::string& name) {
    for (std::string_view n = name;;) {
        if (locked.contains(std::string(n))) return true;
        const auto dot = n.find('.');
        if (dot == std::string_view::npos) return false;
        n.remove_prefix(dot + 1);
    }
}

}  // namespace

ChangeWatcher::ChangeWatcher(ChangeWatchOptions options, std::string sensor, AlertSink& emit)
    : options_(std::move(options)), sensor_(std::move(sensor)), emit_(emit) {}

void ChangeWatcher::forget_old(std::deque<Seen>& history, std::int64_t now_us) const {
    while (!history.empty() && now_us - history.front().time_us > options_.window_us) history.pop_front();
}

const std::deque<ChangeWatcher::Seen>* ChangeWatcher::history_of(const std::string& name,
                                                                 const std::string& rrtype) const {
    const auto it = history_.find(name + "/" + rrtype);
    return it == history_.end() ? nullptr : &it->second;
}

void ChangeWatcher::publish_change(const BaselineChange& change) {
    ++counters_.changes;
    const std::string key = change.name + "/" + change.rrtype;
    auto [it, fresh] = history_.try_emplace(key);
    if (fresh) {
        order_.push_back(key);
        if (history_.size() > options_.max_tracked) {
            history_.erase(order_.front());
            order_.pop_front();
            ++counters_.forgotten;
        }
    }
    std::deque<Seen>& history = it->second;
    forget_old(history, change.time_us);

    // Back to what it was before an earlier change of the window.
    const Seen* reverted = nullptr;
    if (watched_type(change.rrtype) && !change.after.empty()) {
        for (const Seen& seen : history) {
            if (seen.before == change.after) {
                reverted = &seen;
                break;
            }
        }
    }
    if (reverted != nullptr) {
        ++counters_.short_lived;
        Alert alert;
        alert.id = alert_id(sensor_, "short_lived_change/" + key, reverted->time_us);
        alert.sensor = sensor_;
        alert.kind = "short_lived_change";
        alert.state = AlertState::reverted;
        alert.zone = change.zone;
        alert.name = change.name;
        alert.rrtype = change.rrtype;
        alert.baseline = change.after;     // what it is again
        alert.observed = reverted->after;  // what it was for a while
        alert.first_seen_us = reverted->time_us;
        alert.last_seen_us = change.time_us;
        alert.signals = {"short_lived"};
        alert.severity = change_severity(alert.kind, is_locked(options_.locked, change.name)
                                                         ? std::vector<std::string>{"short_lived", "locked"}
                                                         : alert.signals);
        alert.vantage.role = "baseline";
        alert.evidence.source = to_string(change.source);
        alert.changes = {reverted->seq, change.seq};
        emit_.publish(alert);
        // The suspicious alert of that change, if any, ends with it.
        if (auto open = open_.find(change.name); open != open_.end()) {
            Alert closed = open->second.alert;
            closed.state = AlertState::reverted;
            closed.last_seen_us = change.time_us;
            closed.changes.push_back(change.seq);
            emit_.publish(closed);
            open_.erase(open);
        }
    } else if (watched_type(change.rrtype) && !change.announced &&
               (change.op != ChangeOp::create || is_locked(options_.locked, change.name))) {
        std::vector<std::string> signals;
        bool strong = false;
        if (change.rrtype == "NS" && provider_changed(change.before, change.after, change.name)) {
            signals.push_back("ns_provider_changed");
            strong = true;
        }
        const bool ds_gone = change.rrtype == "DS" && change.after.size() < change.before.size();
        bool ns_changed_too = change.rrtype == "NS";
        if (const auto* ns = history_of(change.name, "NS"); ns != nullptr && !ns->empty()) {
            ns_changed_too = ns_changed_too || change.time_us - ns->back().time_us <= options_.window_us;
        }
        bool ds_gone_before = false;
        if (const auto* ds = history_of(change.name, "DS"); ds != nullptr && !ds->empty()) {
            const Seen& last = ds->back();
            ds_gone_before = change.time_us - last.time_us <= options_.window_us && last.after.size() < last.before.size();
        }
        if ((ds_gone && ns_changed_too) || (change.rrtype == "NS" && ds_gone_before)) {
            signals.push_back("ds_removed");
            strong = true;
        }
        for (const Seen& seen : history) {
            if (seen.ttl_after < seen.ttl_before && seen.after == change.before) {
                signals.push_back("ttl_lowered_before_change");
                strong = true;
                break;
            }
        }
        const bool locked = is_locked(options_.locked, change.name);
        if (locked) signals.push_back("locked");
        if (options_.feed_configured) signals.push_back("unannounced");
        const bool unannounced_matters =
            options_.feed_configured && (change.rrtype == "NS" || change.rrtype == "DS" || change.rrtype == "DNSKEY");
        if (strong || locked || unannounced_matters) suspicious(change, std::move(signals));
    }
    history.push_back({change.seq, change.time_us, change.before, change.after, change.ttl_before, change.ttl_after});
}

void ChangeWatcher::suspicious(const BaselineChange& change, std::vector<std::string> signals) {
    auto open = open_.find(change.name);
    if (open != open_.end() && change.time_us - open->second.alert.first_seen_us > options_.window_us) {
        open_.erase(open);
        open = open_.end();
    }
    if (open == open_.end()) {
        ++counters_.suspicious;
        Alert alert;
        alert.id = alert_id(sensor_, "suspicious_change/" + change.name, change.time_us);
        alert.sensor = sensor_;
        alert.kind = "suspicious_change";
        alert.state = AlertState::open;
        alert.zone = change.zone;
        alert.name = change.name;
        alert.first_seen_us = change.time_us;
        alert.vantage.role = "baseline";
        open = open_.emplace(change.name, Open{std::move(alert)}).first;
    }
    // The same alert grows with each change of the name in its window.
    Alert& alert = open->second.alert;
    alert.rrtype = change.rrtype;
    alert.baseline = change.before;
    alert.observed = change.after;
    alert.last_seen_us = change.time_us;
    alert.evidence.source = to_string(change.source);
    for (std::string& signal : signals) {
        if (std::find(alert.signals.begin(), alert.signals.end(), signal) == alert.signals.end()) {
            alert.signals.push_back(std::move(signal));
        }
    }
    alert.severity = change_severity(alert.kind, alert.signals);
    alert.changes.push_back(change.seq);
    emit_.publish(alert);
}

}  // namespace dnswatch
