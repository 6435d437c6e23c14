#include "detect/detector.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include "decode/ldns_glue.h"
#include "decode/rdata.h"

namespace dnswatch {

struct Detector::RRsetObservation {
    const WatchedZone* zone = nullptr;
    DnsName owner;
    std::uint16_t type = 0;
    Section section = Section::answer;
    const char* role = "unknown";
    const DnsMessageView* message = nullptr;
    std::span<const RecordView> section_records;  // the records of `section`
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

const char* role_of(const DnsMessageView& message) {
    const DnsHeader& h = message.header;
    if (h.aa()) return "authoritative";
    if (h.ancount == 0) {
        for (const RecordView& r : message.section(Section::authority)) {
            if (r.type == rrtype::NS) return "referral";
        }
    }
    return h.ra() ? "resolver" : "unknown";
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
    std::uint64_t h = 14695981039346656037ull;  // FNV-1a, 64 bit
    auto mix = [&h](std::string_view bytes) {
        for (const char c : bytes) {
            h ^= static_cast<std::uint8_t>(c);
            h *= 1099511628211ull;
        }
    };
    mix(sensor);
    mix(key);
    mix(std::string_view(reinterpret_cast<const char*>(&first_seen_us), sizeof first_seen_us));
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
    return text;
}

void add_sorted_unique(std::vector<std::string>& values, std::string value) {
    const auto it = std::lower_bound(values.begin(), values.end(), value);
    if (it == values.end() || *it != value) values.insert(it, std::move(value));
}

}  // namespace

Detector::Detector(const WatchSet& watch, const Baseline& baseline, std::string sensor_id, AlertSink& sink)
    : watch_(watch), baseline_(baseline), sensor_id_(std::move(sensor_id)), sink_(sink) {
    consumed_.reserve(512);
    rdata_bytes_.reserve(65536);
    rdata_spans_.reserve(512);
}

void Detector::observe(const DnsMessageView& message, const MessageContext& context) {
    const DnsHeader& h = message.header;
    // Only standard queries answered with data or a proven negative say
    // anything about the zone; SERVFAIL, REFUSED and the like carry none.
    if (!h.qr() || h.opcode() != 0 || (h.rcode() != 0 && h.rcode() != 3)) return;

    RRsetObservation observation;
    observation.role = role_of(message);
    observation.message = &message;
    consumed_.assign(message.records.size(), 0);
    std::size_t base = 0;
    for (const Section section : {Section::answer, Section::authority, Section::additional}) {
        const std::span<const RecordView> records = message.section(section);
        observation.section = section;
        observation.section_records = records;
        for (std::size_t i = 0; i < records.size(); ++i) {
            if (consumed_[base + i]) continue;
            consumed_[base + i] = 1;
            const RecordView& first = records[i];
            if (!is_judged_type(first.type) || first.rrclass != 1 /* IN */) continue;
            observation.owner = message.owner(first);
            observation.zone = watch_.find(observation.owner);
            if (observation.zone == nullptr) continue;
            observation.type = first.type;

            // Gather the RRset: same owner and type within this section.
            rdata_bytes_.clear();
            rdata_spans_.clear();
            bool bad_rdata = false;
            for (std::size_t j = i; j < records.size(); ++j) {
                const RecordView& r = records[j];
                if (j != i) {
                    if (consumed_[base + j] || r.type != first.type || r.owner_hash != first.owner_hash ||
                        r.rrclass != first.rrclass || !(message.owner(r) == observation.owner)) {
                        continue;
                    }
                    consumed_[base + j] = 1;
                }
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
            judge(observation, context);
        }
        base += records.size();
    }
}

void Detector::judge(const RRsetObservation& observation, const MessageContext& context) {
    const RRsetPool* pool = baseline_.find(observation.owner, observation.type);
    if (pool == nullptr) {
        if (baseline_.is_delegated(observation.owner, *observation.zone)) {
            ++counters_.not_judged;
            return;
        }
        pool = baseline_.find_wildcard(observation.owner, observation.type, *observation.zone);
    }
    ++counters_.observations;

    auto comparison = [this](std::size_t k) {
        const auto [offset, length] = rdata_spans_[k];
        return std::string_view(reinterpret_cast<const char*>(rdata_bytes_.data()) + offset, length);
    };
    bool divergent = false;
    for (std::size_t k = 0; k < rdata_spans_.size() && !divergent; ++k) {
        divergent = pool == nullptr || !pool->contains(comparison(k));
    }

    const PacketView& packet = *context.packet;
    const DnsDatagram& datagram = *context.datagram;
    LifecycleKey key_buffer;
    const std::string_view key = lifecycle_key(observation.owner, observation.type, datagram.src, key_buffer);
    const auto open = open_.find(key);

    if (!divergent) {
        if (open == open_.end()) return;
        // The same server answers with the baseline again: the change was
        // short-lived, the strongest sign of a hijack (DESIGN.md).
        Alert& alert = open->second.alert;
        alert.state = AlertState::reverted;
        alert.last_seen_us = packet.time_us;
        alert.severity = Severity::critical;
        alert.signals.push_back("short_lived");
        ++counters_.alerts_reverted;
        emit(alert);
        open_.erase(open);
        return;
    }
    ++counters_.divergent_observations;

    // Presentation form of the rdata not yet reported; only now, at alert
    // time, is anything allocated.
    auto new_rdata = [&](OpenAlert& entry) {
        bool added = false;
        std::vector<std::uint8_t> canonical;
        const DnsMessageView& message = *observation.message;
        for (std::size_t k = 0; k < rdata_spans_.size(); ++k) {
            std::string form(comparison(k));
            if (std::binary_search(entry.observed_forms.begin(), entry.observed_forms.end(), form)) continue;
            add_sorted_unique(entry.observed_forms, std::move(form));
            added = true;
        }
        if (!added) return false;
        entry.alert.observed.clear();
        for (const RecordView& r : observation.section_records) {
            if (r.type != observation.type || !(message.owner(r) == observation.owner)) continue;
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
        // Keep what was reported before, add what is new.
        const std::vector<std::string> reported = entry.alert.observed;
        if (new_rdata(entry)) {
            for (const std::string& text : reported) add_sorted_unique(entry.alert.observed, text);
            ++counters_.alerts_updated;
            emit(entry.alert);
        }
        return;
    }

    OpenAlert entry;
    Alert& alert = entry.alert;
    alert.id = alert_id(sensor_id_, key, packet.time_us);
    alert.sensor = sensor_id_;
    alert.kind = pool != nullptr ? "rrset_divergence" : "unexpected_rrset";
    alert.severity = severity_of(observation.type);
    alert.state = AlertState::open;
    alert.zone = observation.zone->text;
    alert.name = observation.owner.to_text();
    alert.rrtype = rrtype_to_text(observation.type);
    if (pool != nullptr) alert.baseline = pool->presentation;
    alert.first_seen_us = alert.last_seen_us = packet.time_us;
    alert.signals.push_back(pool != nullptr ? "rdata_outside_baseline" : "rrset_not_in_baseline");
    if (std::string_view(observation.role) == "referral") alert.signals.push_back("delegation_changed");
    alert.vantage = {observation.role, datagram.src.to_string(), datagram.dst.to_string()};
    const DnsMessageView& message = *observation.message;
    alert.evidence = {std::string(context.source), packet.frame_number, message.header.id,
                      message.has_question ? message.qname.to_text() : std::string(),
                      message.has_question ? rrtype_to_text(message.qtype) : std::string(),
                      to_string(observation.section)};
    new_rdata(entry);
    if (evidence_ != nullptr) alert.evidence.pcap = evidence_->record(alert, packet);
    ++counters_.alerts_opened;
    emit(alert);
    open_.emplace(std::string(key), std::move(entry));
}

void Detector::emit(Alert& alert) {
    alert.seq = next_seq_++;
    ++counters_.alerts_emitted;
    sink_.publish(alert);
}

}  // namespace dnswatch
