#include "detect/detector.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>

#include "decode/ldns_glue.h"
#include "decode/rdata.h"

namespace dnswatch {

// What one response says about itself, worked out once per message.
struct Detector::MessageFacts {
    const DnsMessageView* message = nullptr;
    const MessageContext* context = nullptr;
    const char* role = "unknown";  // authoritative, referral, resolver, unknown
    bool authoritative = false;    // an authoritative answer, not a resolver's
    bool dnssec_ok = false;        // the response's OPT echoes the DO bit
    bool conflicting = false;      // a different answer to the same query was seen
};

// The outcome of comparing one observation with the baseline.
struct Detector::Verdict {
    bool divergent = false;
    bool accepted = false;   // not divergent only thanks to an announced change
    bool absence = false;    // nothing observed: the RRset was proven absent
    const char* kind = "";   // when divergent
    const RRsetPool* pool = nullptr;
    SignalSet signals = 0;
};

namespace {

// Types that say nothing about the zone's content, or change by design:
// signatures and denial records are re-made at every re-signing; OPT, TSIG
// and TKEY belong to the transaction.
bool is_judged_type(std::uint16_t type) {
    switch (type) {
        case rrtype::OPT: case rrtype::RRSIG: case rrtype::NSEC: case rrtype::NSEC3:
        case rrtype::TSIG: case rrtype::TKEY: case 24 /* SIG */: case 30 /* NXT */:
        case rrtype::IXFR: case rrtype::AXFR: case rrtype::ANY:
            return false;
        default:
            return true;
    }
}

// The records a registrar-level hijack changes first weigh most.
Severity severity_of(std::uint16_t type) {
    switch (type) {
        case rrtype::NS: case rrtype::DS: case rrtype::DNSKEY: case rrtype::CDS: case rrtype::CDNSKEY:
            return Severity::critical;
        case rrtype::A: case rrtype::AAAA: case rrtype::MX: case rrtype::CNAME: case rrtype::DNAME:
        case rrtype::TLSA: case rrtype::CAA: case rrtype::SOA:
            return Severity::high;
        default:
            return Severity::medium;
    }
}

// A client asking for recursion and getting it is talking to a resolver,
// whatever the AA bit says (resolvers set it on local data); iterative
// resolvers querying authoritative servers clear RD.
const char* role_of(const DnsMessageView& message) {
    const DnsHeader& h = message.header;
    if (h.rd() && h.ra()) return "resolver";
    if (h.aa()) return "authoritative";
    if (h.ancount == 0) {
        for (const RecordView& r : message.section(Section::authority)) {
            if (r.type == rrtype::NS) return "referral";
        }
    }
    return "unknown";
}

// Key of the lifecycle of one RRset as one server answers it.
using LifecycleKey = std::array<char, kMaxNameLength + 2 + 1 + 16>;

std::string_view lifecycle_key(const DnsName& owner, std::uint16_t type, const IpAddress& server,
                               LifecycleKey& buffer) {
    const std::string_view name = owner.key();
    std::size_t n = 0;
    for (const char c : name) buffer[n++] = c;
    buffer[n++] = static_cast<char>(type >> 8);
    buffer[n++] = static_cast<char>(type & 0xFF);
    buffer[n++] = static_cast<char>(server.family);
    for (const std::uint8_t b : server.bytes) buffer[n++] = static_cast<char>(b);
    return {buffer.data(), n};
}

std::string alert_id(std::string_view sensor, std::string_view key, std::int64_t first_seen_us) {
    std::uint64_t h = hash_bytes(sensor);
    h = hash_bytes(key, h);
    h = hash_bytes(std::string_view(reinterpret_cast<const char*>(&first_seen_us), sizeof first_seen_us), h);
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
    return text;
}

void add_sorted_unique(std::vector<std::string>& values, std::string value) {
    const auto it = std::lower_bound(values.begin(), values.end(), value);
    if (it == values.end() || *it != value) values.insert(it, std::move(value));
}

// The query a response answers: client, server, ports, id and question.
std::uint64_t query_key(const DnsMessageView& message, const DnsDatagram& datagram) {
    std::array<char, 2 * sizeof(IpAddress) + 6> addressing{};
    std::size_t n = 0;
    auto put = [&](const void* data, std::size_t size) {
        std::memcpy(addressing.data() + n, data, size);
        n += size;
    };
    put(&datagram.src, sizeof(IpAddress));
    put(&datagram.dst, sizeof(IpAddress));
    put(&datagram.src_port, 2);
    put(&datagram.dst_port, 2);
    put(&message.header.id, 2);
    std::uint64_t h = hash_bytes({addressing.data(), n});
    h = hash_bytes(message.qname.key(), h);
    return hash_bytes(std::string_view(reinterpret_cast<const char*>(&message.qtype), 2), h);
}

}  // namespace

Detector::Detector(const WatchSet& watch, const Baseline& baseline, std::string sensor_id, AlertSink& sink,
                   std::size_t max_open_alerts)
    : watch_(watch), baseline_(baseline), sensor_id_(std::move(sensor_id)), sink_(sink),
      max_open_alerts_(std::max<std::size_t>(max_open_alerts, 1)), servers_(watch, baseline) {
    consumed_.reserve(512);
    rdata_bytes_.reserve(65536);
    rdata_spans_.reserve(512);
}

void Detector::observe(const DnsMessageView& message, const MessageContext& context) {
    const DnsHeader& h = message.header;
    // Only standard queries answered with data or a proven negative say
    // anything about the zone; SERVFAIL, REFUSED and the like carry none.
    if (!h.qr() || h.opcode() != 0 || (h.rcode() != 0 && h.rcode() != 3)) return;

    MessageFacts facts;
    facts.message = &message;
    facts.context = &context;
    facts.role = role_of(message);
    facts.authoritative = h.aa() && std::string_view(facts.role) != "resolver";
    for (const RecordView& r : message.section(Section::additional)) {
        if (r.type == rrtype::OPT) facts.dnssec_ok = (r.ttl & 0x8000) != 0;
    }
    // A fingerprint of the whole answer, independent of record order and of
    // name case or compression, to spot a second, different answer.
    std::uint64_t fingerprint = 0;
    for (const RecordView& r : message.section(Section::answer)) {
        rdata_bytes_.clear();
        append_canonical_rdata(message.wire, r.type, r.rdata_offset, r.rdata_length, rdata_bytes_);
        fingerprint += hash_bytes({reinterpret_cast<const char*>(rdata_bytes_.data()), rdata_bytes_.size()}, r.type);
    }
    facts.conflicting = answers_.conflicts(query_key(message, *context.datagram), fingerprint, context.packet->time_us);

    consumed_.assign(message.records.size(), 0);
    std::size_t base = 0;
    for (const Section section : {Section::answer, Section::authority, Section::additional}) {
        const std::span<const RecordView> records = message.section(section);
        for (std::size_t i = 0; i < records.size(); ++i) {
            if (consumed_[base + i]) continue;
            consumed_[base + i] = 1;
            const RecordView& first = records[i];
            if (!is_judged_type(first.type) || first.rrclass != 1 /* IN */) continue;
            const DnsName owner = message.owner(first);
            const WatchedZone* zone = watch_.find(owner);
            if (zone == nullptr) continue;

            // Gather the RRset: same owner and type within this section.
            rdata_bytes_.clear();
            rdata_spans_.clear();
            bool bad_rdata = false;
            std::uint32_t min_ttl = first.ttl;
            for (std::size_t j = i; j < records.size(); ++j) {
                const RecordView& r = records[j];
                if (j != i) {
                    if (consumed_[base + j] || r.type != first.type || r.owner_hash != first.owner_hash ||
                        r.rrclass != first.rrclass || !(message.owner(r) == owner)) {
                        continue;
                    }
                    consumed_[base + j] = 1;
                }
                min_ttl = std::min(min_ttl, r.ttl);
                const std::size_t offset = rdata_bytes_.size();
                if (append_canonical_rdata(message.wire, r.type, r.rdata_offset, r.rdata_length, rdata_bytes_) !=
                    MalformedKind::none) {
                    bad_rdata = true;
                    continue;
                }
                to_comparison_form(r.type, std::span(rdata_bytes_).subspan(offset));
                rdata_spans_.emplace_back(offset, rdata_bytes_.size() - offset);
            }
            if (bad_rdata) {
                ++counters_.bad_rdata;
                continue;
            }
            judge_rrset(facts, *zone, owner, first.type, section, records, min_ttl);
        }
        base += records.size();
    }

    if (message.has_question) {
        if (const WatchedZone* zone = watch_.find(message.qname)) {
            judge_absence(facts, *zone);
            judge_unsigned(facts, *zone);
        }
    }
}

void Detector::judge_rrset(const MessageFacts& facts, const WatchedZone& zone, const DnsName& owner,
                           std::uint16_t type, Section section, std::span<const RecordView> records,
                           std::uint32_t min_ttl) {
    const RRsetPool* pool = baseline_.find(owner, type);
    if (pool == nullptr) {
        if (baseline_.is_delegated(owner, zone)) {
            ++counters_.not_judged;
            return;
        }
        pool = baseline_.find_wildcard(owner, type, zone);
    }
    ++counters_.observations;

    const std::int64_t time_us = facts.context->packet->time_us;
    const IpAddress& server = facts.context->datagram->src;
    Verdict verdict;
    verdict.pool = pool;
    bool rogue_address = false;
    for (const auto& [offset, length] : rdata_spans_) {
        const std::string_view form(reinterpret_cast<const char*>(rdata_bytes_.data()) + offset, length);
        bool by_announcement = false;
        if (pool == nullptr || !pool->allows(form, time_us, &by_announcement)) {
            verdict.divergent = true;
            if ((type == rrtype::A || type == rrtype::AAAA) && servers_.is_rogue(zone, form)) rogue_address = true;
        } else if (by_announcement) {
            verdict.accepted = true;
        }
    }
    if (facts.conflicting && section == Section::answer) verdict.signals |= bit(Signal::conflicting_answers);
    if (verdict.divergent) {
        const std::string_view role = facts.role;
        verdict.accepted = false;
        verdict.kind = role == "resolver" ? "resolver_divergence"
                       : pool != nullptr  ? "rrset_divergence"
                                          : "unexpected_rrset";
        verdict.signals |= bit(pool != nullptr ? Signal::rdata_outside_baseline : Signal::rrset_not_in_baseline);
        if (role == "referral") verdict.signals |= bit(Signal::delegation_changed);
        if (rogue_address) verdict.signals |= bit(Signal::ns_address_matches_diverging_target);
        if (facts.authoritative && !servers_.is_expected(zone, server)) verdict.signals |= bit(Signal::unexpected_server);
        // TTLs count down at resolvers, so only an authoritative TTL says
        // the zone itself was changed to expire fast.
        if (facts.authoritative && pool != nullptr && pool->ttl > 0 && std::uint64_t{min_ttl} * 10 < pool->ttl &&
            min_ttl < 3600) {
            verdict.signals |= bit(Signal::ttl_collapse);
        }
        // A server handing out a diverging NS RRset as its own is a rogue
        // name server: remember its address (the Sea Turtle pattern points
        // the hijacked hosts at it).
        if (type == rrtype::NS && facts.authoritative) servers_.add_rogue(zone, server);
    }
    apply(facts, zone, owner, type, section, verdict, records);
}

void Detector::judge_absence(const MessageFacts& facts, const WatchedZone& zone) {
    const DnsMessageView& message = *facts.message;
    const DnsHeader& h = message.header;
    const bool negative = h.rcode() == 3 || (h.rcode() == 0 && h.ancount == 0);
    if (!facts.authoritative || !negative || !is_judged_type(message.qtype) || message.qclass != 1) return;
    const RRsetPool* pool = baseline_.find(message.qname, message.qtype);
    if (pool == nullptr || pool->comparison_forms.empty()) return;
    // A negative answer is a proof only from the zone that holds the RRset:
    // a DS lives in the parent (the child's own NODATA for its apex DS says
    // nothing), everything else in the watched zone.
    const DnsName* soa_owner = nullptr;
    DnsName owner;
    for (const RecordView& r : message.section(Section::authority)) {
        if (r.type == rrtype::SOA) {
            owner = message.owner(r);
            soa_owner = &owner;
        }
    }
    if (soa_owner == nullptr) return;
    const bool from_holder = message.qtype == rrtype::DS
                                 ? soa_owner->label_count < message.qname.label_count && message.qname.is_at_or_below(*soa_owner)
                                 : *soa_owner == zone.name;
    if (!from_holder) return;
    ++counters_.observations;

    Verdict verdict;
    verdict.divergent = true;
    verdict.absence = true;
    verdict.pool = pool;
    verdict.kind = message.qtype == rrtype::DS       ? "ds_removed"
                   : message.qtype == rrtype::DNSKEY ? "dnssec_stripped"
                                                     : "rrset_removed";
    verdict.signals = bit(Signal::proven_absent);
    if (!servers_.is_expected(zone, facts.context->datagram->src)) verdict.signals |= bit(Signal::unexpected_server);
    apply(facts, zone, message.qname, message.qtype, Section::answer, verdict, {});
}

void Detector::judge_unsigned(const MessageFacts& facts, const WatchedZone& zone) {
    // A signed zone (the baseline holds its DNSKEY) answering a query that
    // asked for DNSSEC (DO echoed) with data but no signature at all.
    if (!facts.dnssec_ok || !facts.authoritative) return;
    const RRsetPool* keys = baseline_.find(zone.name, rrtype::DNSKEY);
    if (keys == nullptr || keys->comparison_forms.empty()) return;
    bool data = false;
    for (const RecordView& r : facts.message->section(Section::answer)) {
        if (r.type == rrtype::RRSIG) return;
        data = data || is_judged_type(r.type);
    }
    if (!data) return;
    Verdict verdict;
    verdict.divergent = true;
    verdict.absence = true;
    verdict.pool = keys;
    verdict.kind = "dnssec_stripped";
    verdict.signals = bit(Signal::unsigned_answer);
    apply(facts, zone, zone.name, rrtype::DNSKEY, Section::answer, verdict, {});
}

void Detector::apply(const MessageFacts& facts, const WatchedZone& zone, const DnsName& owner, std::uint16_t type,
                     Section section, const Verdict& verdict, std::span<const RecordView> records) {
    const PacketView& packet = *facts.context->packet;
    const DnsDatagram& datagram = *facts.context->datagram;
    const DnsMessageView& message = *facts.message;
    LifecycleKey key_buffer;
    const std::string_view key = lifecycle_key(owner, type, datagram.src, key_buffer);
    const auto open = open_.find(key);

    if (!verdict.divergent) {
        if (open == open_.end()) return;
        // The same server answers with the baseline again: the change was
        // short-lived, the strongest sign of a hijack (DESIGN.md) — unless
        // the transparency feed announced it, which makes it legitimate.
        OpenAlert& entry = open->second;
        entry.signals |= verdict.signals;
        entry.alert.last_seen_us = packet.time_us;
        if (verdict.accepted) {
            entry.alert.state = AlertState::accepted;
            ++counters_.alerts_accepted;
        } else {
            entry.alert.state = AlertState::reverted;
            entry.alert.severity = Severity::critical;
            entry.signals |= bit(Signal::short_lived);
            ++counters_.alerts_reverted;
        }
        emit(entry);
        open_.erase(open);
        return;
    }
    ++counters_.divergent_observations;

    // The comparison forms of this observation not reported yet, and the
    // presentation form of the whole RRset — only now, at alert time, is
    // anything allocated.
    auto merge_observed = [&](OpenAlert& entry) {
        bool added = false;
        for (const auto& [offset, length] : rdata_spans_) {
            if (verdict.absence) break;
            std::string form(reinterpret_cast<const char*>(rdata_bytes_.data()) + offset, length);
            if (std::binary_search(entry.observed_forms.begin(), entry.observed_forms.end(), form)) continue;
            add_sorted_unique(entry.observed_forms, std::move(form));
            added = true;
        }
        if (!added) return false;
        std::vector<std::uint8_t> canonical;
        for (const RecordView& r : records) {
            if (r.type != type || !(message.owner(r) == owner)) continue;
            canonical.clear();
            if (append_canonical_rdata(message.wire, r.type, r.rdata_offset, r.rdata_length, canonical) ==
                MalformedKind::none) {
                add_sorted_unique(entry.alert.observed, rdata_to_text(r.type, canonical));
            }
        }
        return true;
    };

    if (open != open_.end()) {
        OpenAlert& entry = open->second;
        entry.alert.last_seen_us = packet.time_us;
        const bool more_rdata = merge_observed(entry);
        const bool more_signals = (verdict.signals & ~entry.signals) != 0;
        entry.signals |= verdict.signals;
        if (more_rdata || more_signals) {
            ++counters_.alerts_updated;
            emit(entry);
        }
        return;
    }

    OpenAlert entry;
    Alert& alert = entry.alert;
    alert.id = alert_id(sensor_id_, key, packet.time_us);
    alert.sensor = sensor_id_;
    alert.kind = verdict.kind;
    alert.severity = verdict.absence && type != rrtype::A && type != rrtype::AAAA ? Severity::critical
                                                                                : severity_of(type);
    alert.state = AlertState::open;
    alert.zone = zone.text;
    alert.name = owner.to_text();
    alert.rrtype = rrtype_to_text(type);
    if (verdict.pool != nullptr) alert.baseline = verdict.pool->presentation;
    alert.first_seen_us = alert.last_seen_us = packet.time_us;
    entry.signals = verdict.signals;
    alert.vantage = {facts.role, datagram.src.to_string(), datagram.dst.to_string()};
    alert.evidence = {std::string(facts.context->source), packet.frame_number, message.header.id,
                      message.has_question ? message.qname.to_text() : std::string(),
                      message.has_question ? rrtype_to_text(message.qtype) : std::string(),
                      to_string(section)};
    merge_observed(entry);
    if (evidence_ != nullptr) alert.evidence.pcap = evidence_->record(alert, packet);
    ++counters_.alerts_opened;
    emit(entry);
    if (open_.size() >= max_open_alerts_) {
        // Drop the alert seen least recently; rare, so a scan is fine.
        const auto oldest = std::min_element(open_.begin(), open_.end(), [](const auto& a, const auto& b) {
            return a.second.alert.last_seen_us < b.second.alert.last_seen_us;
        });
        open_.erase(oldest);
        ++counters_.alerts_evicted;
    }
    open_.emplace(std::string(key), std::move(entry));
}

std::vector<OpenAlertState> Detector::export_open_alerts() {
    std::vector<OpenAlertState> alerts;
    alerts.reserve(open_.size());
    for (const auto& [key, entry] : open_) alerts.push_back({key, entry.alert, entry.signals, entry.observed_forms});
    std::sort(alerts.begin(), alerts.end(),
              [](const OpenAlertState& a, const OpenAlertState& b) { return a.alert.first_seen_us < b.alert.first_seen_us; });
    changed_ = false;
    return alerts;
}

void Detector::import_open_alerts(std::vector<OpenAlertState> alerts) {
    for (OpenAlertState& state : alerts) {
        OpenAlert entry;
        entry.alert = std::move(state.alert);
        entry.signals = state.signals;
        entry.observed_forms = std::move(state.observed_forms);
        open_.insert_or_assign(std::move(state.key), std::move(entry));
    }
}

void Detector::emit(OpenAlert& entry) {
    changed_ = true;
    entry.alert.signals = signal_names(entry.signals);
    entry.alert.seq = next_seq_++;
    ++counters_.alerts_emitted;
    sink_.publish(entry.alert);
}

}  // namespace dnswatch
