#include "detect/detector.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstring>

#include "decode/ldns_glue.h"
#include "decode/rdata.h"
#include "detect/fast_hash.h"
#include "detect/severity.h"

namespace dnswatch {

// What one response says about itself, worked out once per message.
struct Detector::MessageFacts {
    const DnsMessageView* message = nullptr;
    const MessageContext* context = nullptr;
    const char* role = "unknown";  // authoritative, referral, resolver, unknown
    bool authoritative = false;    // an authoritative answer, not a resolver's
    bool dnssec_ok = false;        // the response's OPT echoes the DO bit
    bool conflicting = false;      // a different answer to the same query was seen
    bool matched = false;          // answers a query the sensor saw (detect/query_tracker.h)
    bool ad_missing = false;       // a resolver asked for authentic data of a signed zone did not set AD
    bool txid_burst = false;       // a burst of unmatched responses for the question hit this server lately
    bool signed_records = false;   // the message holds an RRSIG: only then are signatures judged
};

// The outcome of comparing one observation with the baseline.
struct Detector::Verdict {
    bool divergent = false;
    bool accepted = false;   // not divergent only thanks to an announced change
    bool absence = false;    // nothing observed: the RRset was proven absent
    const char* kind = "";   // when divergent
    RRsetPool pool;  // empty: the baseline says nothing of it
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

// RFC 8482 section 4.2: a server may answer QTYPE=ANY with one synthesised
// HINFO at the question name, CPU "RFC8482" and an empty OS (dnsdist,
// Cloudflare). It is no RRset of the zone: judged, it would open an
// unexpected_rrset for every name ever asked ANY.
bool is_rfc8482_synthesis(const DnsMessageView& message, const RecordView& record) {
    constexpr std::uint16_t kHinfo = 13;
    if (message.qtype != rrtype::ANY || record.type != kHinfo || !message.has_question) return false;
    const std::span<const std::uint8_t> rdata = message.rdata(record);
    static constexpr std::string_view kCpu = "RFC8482";
    if (rdata.size() != 1 + kCpu.size() + 1 || rdata[0] != kCpu.size() || rdata.back() != 0) return false;
    for (std::size_t i = 0; i < kCpu.size(); ++i) {
        if (std::toupper(rdata[1 + i]) != kCpu[i]) return false;
    }
    return message.owner(record) == message.qname;
}

bool is_referral(const DnsMessageView& message) {
    if (message.header.ancount != 0) return false;
    for (const RecordView& r : message.section(Section::authority)) {
        if (r.type == rrtype::NS) return true;
    }
    return false;
}

// A packet: a client asking for recursion and getting it is talking to a
// resolver, whatever the AA bit says (resolvers set it on local data);
// iterative resolvers querying authoritative servers clear RD.
// A dnstap message says who answered (DnsDatagram::responder): a resolver
// answering its client is one even without RA; a server answering the
// resolver is judged by AA first, and is a resolver itself only when it
// offers recursion without authority (an upstream the resolver forwards to).
const char* role_of(const DnsMessageView& message, Responder responder) {
    const DnsHeader& h = message.header;
    if (responder == Responder::resolver) return "resolver";
    if (responder == Responder::from_flags && h.rd() && h.ra()) return "resolver";
    if (h.aa()) return "authoritative";
    if (is_referral(message)) return "referral";
    if (h.rd() && h.ra()) return "resolver";
    return "unknown";
}

// Key of the lifecycle of one RRset as one server answers it. A lane other
// than the data's (0) keeps a second judgement of the same RRset — its
// signatures — from opening or closing the data's alert; lane 0 adds no byte,
// so that keys (and alert ids) saved before lanes existed still match.
using LifecycleKey = std::array<char, kMaxNameLength + 2 + 1 + 16 + 1>;

std::string_view lifecycle_key(const DnsName& owner, std::uint16_t type, const IpAddress& server,
                               LifecycleKey& buffer, std::uint8_t lane = 0) {
    const std::string_view name = owner.key();
    std::size_t n = 0;
    for (const char c : name) buffer[n++] = c;
    buffer[n++] = static_cast<char>(type >> 8);
    buffer[n++] = static_cast<char>(type & 0xFF);
    buffer[n++] = static_cast<char>(server.family);
    for (const std::uint8_t b : server.bytes) buffer[n++] = static_cast<char>(b);
    if (lane != 0) buffer[n++] = static_cast<char>(lane);
    return {buffer.data(), n};
}

// True when record `b` has the owner `a_owner` of record `a`: two
// compression pointers to the same place say so without decoding (most
// records of an RRset point at the question or at each other).
bool same_owner(const DnsMessageView& message, const RecordView& a, const RecordView& b, const DnsName& a_owner) {
    const std::uint8_t* wire = message.wire.data();
    if ((wire[a.owner_offset] & 0xC0) == 0xC0 && wire[a.owner_offset] == wire[b.owner_offset] &&
        wire[a.owner_offset + 1] == wire[b.owner_offset + 1]) {
        return true;
    }
    return message.owner(b) == a_owner;
}

std::span<const std::uint8_t> bytes_of(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
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

// True when every rdata an open alert reported (outside the pool when it
// opened) is now allowed by `pool`: the baseline took the change over (a
// zone transfer brought it), so its end is an acceptance, not a revert.
bool baseline_now_holds(const RRsetPool& pool, const std::vector<std::string>& observed_forms, std::int64_t time_us) {
    if (!pool || observed_forms.empty()) return false;
    bool announced = false;
    return std::all_of(observed_forms.begin(), observed_forms.end(),
                       [&](const std::string& form) { return pool.allows(bytes_of(form), time_us, &announced); });
}

}  // namespace

Detector::Detector(const WatchSet& watch, const Baseline& baseline, std::string sensor_id, AlertSink& sink,
                   std::size_t max_open_alerts, std::size_t max_observed_rdata)
    : watch_(&watch), baseline_(&baseline), sensor_id_(std::move(sensor_id)), sink_(sink),
      max_open_alerts_(std::max<std::size_t>(max_open_alerts, 1)),
      max_observed_rdata_(std::max<std::size_t>(max_observed_rdata, 1)), servers_(watch, baseline), dnssec_(watch),
      queries_(kDefaultOutstandingQueries) {
    consumed_.reserve(512);
    rdata_bytes_.reserve(65536);
    rdata_spans_.reserve(512);
}

bool Detector::follow(BaselineFollower& follower) {
    if (!follower.refresh()) return false;
    set_baseline(follower.local_watch(), follower.snapshot().baseline);
    return true;
}

void Detector::set_baseline(const WatchSet& watch, const Baseline& baseline) {
    presentation_cache_ = {};  // its pool lay in the old snapshot
    if (&watch != watch_) {
        // A reloaded watch list. Open alerts, outstanding queries and learned
        // RRsets are keyed by name and stay; what is kept by zone index
        // starts again.
        watch_ = &watch;
        servers_.forget_rogues();
        dnssec_.watch_changed(watch);
        if (learner_) learner_->watch_changed(watch);
    }
    baseline_ = &baseline;
    servers_.set_expected(watch, baseline);
    dnssec_.baseline_changed();
    ++counters_.baseline_swaps;
}

// An RRset that just joined the baseline by learning is a change of the
// baseline like a transfer's: a record (source learned), numbered and kept
// by the publishing side. Its time is the packet's that completed it.
void Detector::publish_learned(const WatchedZone& zone, const DnsName& owner, std::uint16_t type,
                               const RRsetPool& learned, std::int64_t time_us) {
    BaselineChange change;
    change.sensor = sensor_id_;
    change.zone = zone.text;
    change.name = owner.to_text();
    change.type = type;
    change.rrtype = rrtype_to_text(type);
    change.op = is_delegation(owner, type, zone) ? ChangeOp::create : ChangeOp::update;
    change.source = ChangeSource::learned;
    change.after = learned.presentation();
    change.ttl_after = learned.ttl();
    change.time_us = time_us;
    sink_.publish_change(change);
}

void Detector::observe(const DnsMessageView& message, const MessageContext& context) {
    const DnsHeader& h = message.header;
    // Only standard queries answered with data or a proven negative say
    // anything about the zone; SERVFAIL, REFUSED and the like carry none.
    if (!h.qr() || h.opcode() != 0 || (h.rcode() != 0 && h.rcode() != 3)) return;

    MessageFacts facts;
    facts.message = &message;
    facts.context = &context;
    facts.role = role_of(message, context.datagram->responder);
    facts.authoritative = h.aa() && std::string_view(facts.role) != "resolver";
    for (const RecordView& r : message.section(Section::additional)) {
        if (r.type == rrtype::OPT) facts.dnssec_ok = (r.ttl & 0x8000) != 0;
    }
    for (const RecordView& r : message.records) facts.signed_records = facts.signed_records || r.type == rrtype::RRSIG;
    // Without a look-ahead in front (the shards), the misses of this
    // message's lookups still overlap with each other and with the query
    // bookkeeping below; after one, these find the lines there already.
    prefetch_index(message);
    const WatchedZone* question_zone = message.has_question ? watch_->find(message.qname) : nullptr;
    const QueryTracker::Match match = queries_.on_response(*context.datagram, message, context.packet->time_us);
    // A pipeline shard also sees responses whose question belongs to another
    // shard (for the owners it holds); queries are tracked where the
    // question's zone is, so only there can a response be unsolicited.
    if (match.kind == QueryTracker::Match::Kind::unsolicited && question_zone != nullptr) {
        // The client asked this server, but not this: it drops the response,
        // whose data changes nothing there. Many of them are blind spoofing.
        judge_unsolicited(facts, *question_zone);
        return;
    }
    facts.matched = match.kind == QueryTracker::Match::Kind::matched;
    if (question_zone != nullptr) {
        facts.txid_burst = queries_.burst(message.qname, context.datagram->src, context.packet->time_us).active;
        facts.ad_missing = judge_validation(facts, *question_zone, match);
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
    prefetch_nodes(message);

    consumed_.assign(message.records.size(), 0);
    DnsName owner;
    const RecordView* last_first = nullptr;  // the first record of the last RRset whose owner was decoded
    const WatchedZone* last_zone = nullptr;
    std::size_t base = 0;
    for (const Section section : {Section::answer, Section::authority, Section::additional}) {
        const std::span<const RecordView> records = message.section(section);
        for (std::size_t i = 0; i < records.size(); ++i) {
            if (consumed_[base + i]) continue;
            consumed_[base + i] = 1;
            const RecordView& first = records[i];
            if (!is_judged_type(first.type) || first.rrclass != 1 /* IN */) continue;
            // Consecutive RRsets of one owner (a referral's NS and DS, glue's
            // A and AAAA) share its name and zone: decoded and looked up once
            // (their owners are mostly one compression pointer, which
            // same_owner() compares without decoding).
            if (last_first == nullptr || first.owner_hash != last_first->owner_hash ||
                !same_owner(message, *last_first, first, owner)) {
                owner = message.owner(first);
                last_zone = watch_->find(owner);
            }
            last_first = &first;
            const WatchedZone* zone = last_zone;
            if (zone == nullptr) continue;
            if (section == Section::answer && is_rfc8482_synthesis(message, first)) {
                ++counters_.not_judged;
                continue;
            }

            // Gather the RRset: same owner and type within this section.
            rdata_bytes_.clear();
            rdata_spans_.clear();
            bool bad_rdata = false;
            std::uint32_t min_ttl = first.ttl;
            for (std::size_t j = i; j < records.size(); ++j) {
                const RecordView& r = records[j];
                if (j != i) {
                    if (consumed_[base + j] || r.type != first.type || r.owner_hash != first.owner_hash ||
                        r.rrclass != first.rrclass || !same_owner(message, first, r, owner)) {
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
            judge_rrset(facts, *zone, owner, first.owner_hash, first.type, section, records, min_ttl);
        }
        base += records.size();
    }

    if (question_zone != nullptr) {
        judge_absence(facts, *question_zone);
        judge_unsigned(facts, *question_zone);
    }
}

void Detector::judge_rrset(const MessageFacts& facts, const WatchedZone& zone, const DnsName& owner,
                           std::uint32_t owner_hash, std::uint16_t type, Section section, std::span<const RecordView> records,
                           std::uint32_t min_ttl) {
    RRsetPool pool = baseline_->find(owner, owner_hash, type);
    if (!pool) {
        // A zone watched for its delegation alone (the parent's NS, DS and
        // glue) says nothing of the rest of the child's data.
        if (zone.delegation_only || baseline_->is_delegated(owner, zone)) {
            ++counters_.not_judged;
            return;
        }
        pool = baseline_->find_wildcard(owner, type, zone);
    }
    const std::int64_t time_us = facts.context->packet->time_us;
    const IpAddress& server = facts.context->datagram->src;
    if (!pool && learner_ != nullptr && learner_->learns(zone)) {
        // What the configured sources do not hold is learned, from the
        // zone's own servers (a parent's referral included), never from a
        // resolver's answer; it raises nothing until it has joined the pool.
        pool = learner_->find(owner, type);
        if (!pool) {
            const bool from_zone = std::string_view(facts.role) != "resolver" &&
                                   (!facts.authoritative || servers_.is_expected(zone, server));
            if (from_zone) {
                const RRsetPool learned = learner_->observe(owner, type, min_ttl, rdata_bytes_, rdata_spans_, time_us);
                if (learned) publish_learned(zone, owner, type, learned, time_us);
            }
            ++counters_.learning;
            return;
        }
    }
    ++counters_.observations;

    Verdict verdict;
    verdict.pool = pool;
    bool rogue_address = false;
    for (const auto& [offset, length] : rdata_spans_) {
        const std::string_view form(reinterpret_cast<const char*>(rdata_bytes_.data()) + offset, length);
        bool by_announcement = false;
        if (!pool || !pool.allows(bytes_of(form), time_us, &by_announcement)) {
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
                       : pool             ? "rrset_divergence"
                                          : "unexpected_rrset";
        verdict.signals |= bit(pool ? Signal::rdata_outside_baseline : Signal::rrset_not_in_baseline);
        if (role == "referral") verdict.signals |= bit(Signal::delegation_changed);
        if (rogue_address) verdict.signals |= bit(Signal::ns_address_matches_diverging_target);
        if (facts.ad_missing) verdict.signals |= bit(Signal::ad_missing);
        if (facts.txid_burst) verdict.signals |= bit(Signal::txid_mismatch_burst);
        // A divergent answer the client accepted (it matched its query):
        // during a burst of forged ones, the poisoning may have worked.
        if (facts.matched) queries_.mark_poisoned(facts.message->qname, server, time_us);
        if (facts.authoritative && !servers_.is_expected(zone, server, owner, type, is_glue(facts, zone, owner, type, section))) {
            verdict.signals |= bit(Signal::unexpected_server);
        }
        // TTLs count down at resolvers, so only an authoritative TTL says
        // the zone itself was changed to expire fast.
        if (facts.authoritative && pool && pool.ttl() > 0 && std::uint64_t{min_ttl} * 10 < pool.ttl() &&
            min_ttl < 3600) {
            verdict.signals |= bit(Signal::ttl_collapse);
        }
        // A server handing out a diverging NS RRset as its own is a rogue
        // name server: remember its address (the Sea Turtle pattern points
        // the hijacked hosts at it).
        if (type == rrtype::NS && facts.authoritative) servers_.add_rogue(zone, server);
    }
    apply(facts, zone, owner, type, section, verdict, records);
    // Most responses carry no signature at all: no RRSIG to look for per RRset.
    if (facts.signed_records) judge_signatures(facts, zone, owner, type, section, records);
}

void Detector::judge_signatures(const MessageFacts& facts, const WatchedZone& zone, const DnsName& owner,
                                std::uint16_t type, Section section, std::span<const RecordView> records) {
    // The RRSIGs by the zone over this RRset, checked against the baseline's
    // DNSKEYs: a forged or stale signature opens dnssec_bogus, a valid one
    // from the same server reverts it. Its own lane: the data may be the
    // baseline's while the signature is forged, or the other way round.
    const DnssecVerifier::Judgement judgement =
        dnssec_.judge(*baseline_, *facts.message, records, zone, owner, type, facts.context->packet->time_us);
    if (!judgement.judged) return;
    Verdict verdict;
    verdict.divergent = judgement.reasons != 0;
    verdict.kind = "dnssec_bogus";
    verdict.pool = baseline_->find(owner, type);
    verdict.signals = judgement.reasons;
    if (verdict.divergent && facts.authoritative &&
        !servers_.is_expected(zone, facts.context->datagram->src, owner, type,
                              is_glue(facts, zone, owner, type, section))) {
        verdict.signals |= bit(Signal::unexpected_server);
    }
    apply(facts, zone, owner, type, section, verdict, records, kSignatureLane);
}

bool Detector::judge_validation(const MessageFacts& facts, const WatchedZone& zone, const QueryTracker::Match& match) {
    // A resolver asked for authentic data (AD or DO in the query; the DO
    // echoed in the response when the query was not seen) about a zone the
    // baseline knows to be signed must set AD (RFC 6840 5.7, RFC 4035 3.2.3)
    // — unless the client disabled checking (CD). Without AD it does not
    // validate: forged answers would pass it.
    const DnsHeader& h = facts.message->header;
    if (std::string_view(facts.role) != "resolver" || match.query_cd || h.cd()) return false;
    const bool asked = facts.matched ? match.query_ad || match.query_do : facts.dnssec_ok;
    if (!asked) return false;
    const RRsetPool keys = baseline_->find(zone.name, rrtype::DNSKEY);
    const RRsetPool ds = baseline_->find(zone.name, rrtype::DS);
    const bool by_keys = keys.has_rdata();
    const RRsetPool evidence = by_keys ? keys : ds;
    if (!evidence.has_rdata()) return false;
    // One lifecycle per (resolver, zone): opened at the first answer without
    // AD, reverted when the resolver sets AD again.
    Verdict verdict;
    verdict.divergent = !h.ad();
    verdict.absence = true;  // nothing observed to list: the AD bit is what is missing
    verdict.kind = "resolver_not_validating";
    verdict.pool = evidence;
    verdict.signals = verdict.divergent ? bit(Signal::ad_missing) : 0;
    apply(facts, zone, zone.name, by_keys ? rrtype::DNSKEY : rrtype::DS, Section::answer, verdict, {},
          kValidationLane);
    return verdict.divergent;
}

void Detector::judge_unsolicited(const MessageFacts& facts, const WatchedZone& zone) {
    // Unsolicited responses for one (name, server), counted in a sliding
    // window: past the threshold it is blind spoofing (many forged answers
    // racing the real one with guessed transaction ids). Unless a divergent
    // answer matched a query meanwhile — then the data alert says it, with
    // txid_mismatch_burst — the attempt is an alert of its own.
    const DnsMessageView& message = *facts.message;
    const IpAddress& server = facts.context->datagram->src;
    const std::int64_t time_us = facts.context->packet->time_us;
    const QueryTracker::Burst burst = queries_.count_unsolicited(message.qname, server, time_us);
    if (!burst.active || burst.poisoned) return;
    Verdict verdict;
    verdict.divergent = true;
    verdict.absence = true;  // the forged data was never accepted: nothing observed at the client
    verdict.kind = "spoofing_attempt";
    verdict.pool = baseline_->find(message.qname, message.qtype);
    verdict.signals = bit(Signal::txid_mismatch_burst) | bit(Signal::unsolicited_response);
    apply(facts, zone, message.qname, message.qtype, Section::answer, verdict, {}, kSpoofingLane);
}

void Detector::prefetch_index(const DnsMessageView& message) const {
    std::uint32_t previous_hash = 0;
    for (const RecordView& r : message.records) {
        if (r.owner_hash != previous_hash) baseline_->prefetch(r.owner_hash);
        previous_hash = r.owner_hash;
    }
}

void Detector::prefetch_nodes(const DnsMessageView& message) const {
    std::uint32_t previous_hash = 0;
    for (const RecordView& r : message.records) {
        if (r.owner_hash != previous_hash) baseline_->prefetch_node(r.owner_hash);
        previous_hash = r.owner_hash;
    }
}

void Detector::observe_query(const DnsMessageView& query, const DnsDatagram& datagram, std::int64_t time_us) {
    queries_.on_query(datagram, query, time_us);
}

void Detector::configure_query_tracking(std::size_t capacity, TxidBurstOptions burst) {
    queries_ = QueryTracker(capacity, burst);
}

void Detector::judge_absence(const MessageFacts& facts, const WatchedZone& zone) {
    const DnsMessageView& message = *facts.message;
    const DnsHeader& h = message.header;
    const bool negative = h.rcode() == 3 || (h.rcode() == 0 && h.ancount == 0);
    if (!facts.authoritative || !negative || !is_judged_type(message.qtype) || message.qclass != 1) return;
    const RRsetPool pool = baseline_->find(message.qname, message.qtype);
    if (!pool.has_rdata()) return;
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
    verdict.absence = true;
    verdict.pool = pool;
    if (pool.removal_announced(facts.context->packet->time_us)) {
        // The feed announced the removal (`"rdata": []`): the absence is
        // legitimate, and ends an alert it had opened as accepted.
        verdict.accepted = true;
        apply(facts, zone, message.qname, message.qtype, Section::answer, verdict, {});
        return;
    }
    verdict.divergent = true;
    verdict.kind = message.qtype == rrtype::DS       ? "ds_removed"
                   : message.qtype == rrtype::DNSKEY ? "dnssec_stripped"
                                                     : "rrset_removed";
    verdict.signals = bit(Signal::proven_absent);
    // The parent's servers are where a DS comes from (ZoneServers::is_expected).
    if (!servers_.is_expected(zone, facts.context->datagram->src, message.qname, message.qtype,
                              is_glue(facts, zone, message.qname, message.qtype, Section::answer))) {
        verdict.signals |= bit(Signal::unexpected_server);
    }
    apply(facts, zone, message.qname, message.qtype, Section::answer, verdict, {});
}

void Detector::judge_unsigned(const MessageFacts& facts, const WatchedZone& zone) {
    // A signed zone (the baseline holds its DNSKEY) answering a query that
    // asked for DNSSEC (DO echoed) with data but no signature at all.
    if (!facts.dnssec_ok || !facts.authoritative) return;
    const RRsetPool keys = baseline_->find(zone.name, rrtype::DNSKEY);
    if (!keys.has_rdata()) return;
    bool data = false;
    for (const RecordView& r : facts.message->section(Section::answer)) {
        if (r.type == rrtype::RRSIG) return;
        data = data || (is_judged_type(r.type) && !is_rfc8482_synthesis(*facts.message, r));
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
                     Section section, const Verdict& verdict, std::span<const RecordView> records,
                     std::uint8_t lane) {
    const PacketView& packet = *facts.context->packet;
    const DnsDatagram& datagram = *facts.context->datagram;
    const DnsMessageView& message = *facts.message;
    if (!verdict.divergent) {
        const std::size_t bit = open_filter_bit(owner.key(), type);
        if (((open_filter_[bit / 64] >> (bit % 64)) & 1) == 0) return;  // no alert of this RRset is open
    }
    LifecycleKey key_buffer;
    const std::string_view key = lifecycle_key(owner, type, datagram.src, key_buffer, lane);
    const auto open = open_.find(key);

    if (!verdict.divergent) {
        if (open == open_.end()) return;
        // The same server answers with the baseline again: the change was
        // short-lived, the strongest sign of a hijack (DESIGN.md) — unless
        // the transparency feed announced it, which makes it legitimate.
        OpenAlert& entry = open->second;
        entry.signals |= verdict.signals;
        entry.alert.last_seen_us = packet.time_us;
        const bool outside_pool =
            (entry.signals & (bit(Signal::rdata_outside_baseline) | bit(Signal::rrset_not_in_baseline))) != 0;
        if (verdict.accepted ||
            (outside_pool && !entry.alert.observed_truncated &&
             baseline_now_holds(verdict.pool, entry.observed_forms, packet.time_us))) {
            entry.alert.state = AlertState::accepted;
            ++counters_.alerts_accepted;
        } else {
            entry.alert.state = AlertState::reverted;
            // An advisory (a resolver not validating) is no hijack: its end
            // is no sign of a short-lived one. Whether short_lived raises
            // the severity is the table's to say (detect/severity.h): a
            // revert alone never does.
            if (entry.alert.kind != "resolver_not_validating") entry.signals |= bit(Signal::short_lived);
            ++counters_.alerts_reverted;
        }
        entry.alert.severity = max_severity(
            entry.alert.severity, severity_of(facts, zone, owner, type, section, entry.alert.kind, entry.signals,
                                              vantages(key)));
        emit(entry);
        recency_.erase(entry.recency);
        forget_vantage(open->first);
        open_.erase(open);
        if (open_.empty()) std::fill(open_filter_.begin(), open_filter_.end(), 0);
        return;
    }
    ++counters_.divergent_observations;

    // The comparison forms of this observation not reported yet, and the
    // presentation form of the whole RRset — only now, at alert time, is
    // anything allocated.
    // Past max_observed_rdata_ forms an alert lists no more: the rest are
    // counted (observed_omitted) and the alert says it is truncated, so that
    // a flood of forged rdata neither grows it nor re-sends it without end.
    // True when the alert has something new to say.
    auto merge_observed = [&](OpenAlert& entry) {
        if (verdict.absence) return false;
        std::vector<std::string> added;
        bool newly_truncated = false;
        for (const auto& [offset, length] : rdata_spans_) {
            std::string form(reinterpret_cast<const char*>(rdata_bytes_.data()) + offset, length);
            if (std::binary_search(entry.observed_forms.begin(), entry.observed_forms.end(), form)) continue;
            if (entry.observed_forms.size() >= max_observed_rdata_) {
                newly_truncated = newly_truncated || !entry.alert.observed_truncated;
                entry.alert.observed_truncated = true;
                ++entry.alert.observed_omitted;
                ++counters_.observed_rdata_omitted;
                continue;
            }
            add_sorted_unique(entry.observed_forms, form);
            added.push_back(std::move(form));
        }
        if (added.empty()) return newly_truncated;
        std::vector<std::uint8_t> canonical;
        for (const RecordView& r : records) {
            if (r.type != type || !(message.owner(r) == owner)) continue;
            canonical.clear();
            if (append_canonical_rdata(message.wire, r.type, r.rdata_offset, r.rdata_length, canonical) !=
                MalformedKind::none) {
                continue;
            }
            std::string text = rdata_to_text(r.type, canonical);
            to_comparison_form(r.type, canonical);
            const std::string_view form(reinterpret_cast<const char*>(canonical.data()), canonical.size());
            if (std::find(added.begin(), added.end(), form) != added.end()) {
                add_sorted_unique(entry.alert.observed, std::move(text));
            }
        }
        return true;
    };

    if (open != open_.end()) {
        OpenAlert& entry = open->second;
        entry.alert.last_seen_us = packet.time_us;
        recency_.splice(recency_.end(), recency_, entry.recency);
        const bool more_rdata = merge_observed(entry);
        const bool more_signals = (verdict.signals & ~entry.signals) != 0;
        entry.signals |= verdict.signals;
        if (more_rdata || more_signals) {
            entry.alert.severity = max_severity(
                entry.alert.severity, severity_of(facts, zone, owner, type, section, entry.alert.kind, entry.signals,
                                                  vantages(key)));
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
    // This server joins those answering the RRset divergently.
    alert.severity = severity_of(facts, zone, owner, type, section, verdict.kind, verdict.signals, vantages(key) + 1);
    alert.state = AlertState::open;
    alert.zone = zone.text;
    alert.name = owner.to_text();
    alert.rrtype = rrtype_to_text(type);
    if (verdict.pool) alert.baseline = baseline_presentation(verdict.pool);
    alert.first_seen_us = alert.last_seen_us = packet.time_us;
    entry.signals = verdict.signals;
    alert.vantage = {facts.role, datagram.src.to_string(), datagram.dst.to_string(), alert_tunnel(datagram.tunnel)};
    alert.evidence = {std::string(facts.context->source), packet.frame_number, message.header.id,
                      message.has_question ? message.qname.to_text() : std::string(),
                      message.has_question ? rrtype_to_text(message.qtype) : std::string(),
                      to_string(section)};
    merge_observed(entry);
    if (evidence_ != nullptr) {
        PacketView query;
        std::span<const std::uint8_t> query_carriers;
        const bool have_query = query_frames_.find(datagram, message, query, query_carriers);
        EvidenceFile file = evidence_->record(
            alert, EvidencePackets{&packet, facts.context->carriers, have_query ? &query : nullptr, query_carriers});
        alert.evidence.pcap = std::move(file.path);
        alert.evidence.pcap_bytes = file.bytes;
        alert.evidence.pcap_sha256 = std::move(file.sha256);
    }
    ++counters_.alerts_opened;
    entry.alert.restart.key = std::string(key);
    emit(entry);
    if (open_.size() >= max_open_alerts_) {
        // Drop the alert seen least recently: the front of recency_.
        const auto oldest = open_.find(*recency_.front());
        recency_.pop_front();
        forget_vantage(oldest->first);
        open_.erase(oldest);
        ++counters_.alerts_evicted;
    }
    note_open(key);
    insert_open(std::string(key), std::move(entry));
}

void Detector::insert_open(std::string key, OpenAlert entry) {
    if (const auto old = open_.find(key); old != open_.end()) {
        recency_.erase(old->second.recency);  // replaced: the old entry's place goes
        open_.erase(old);
    }
    ++vantages_[vantage_key(key)];
    const auto it = open_.emplace(std::move(key), std::move(entry)).first;
    it->second.recency = recency_.insert(recency_.end(), &it->first);
}

const std::vector<std::string>& Detector::baseline_presentation(const RRsetPool& pool) {
    // Many alerts about one RRset (forged answers from many servers) list
    // the same baseline: ldns formats it once per snapshot, not per alert.
    PresentationCache& cache = presentation_cache_;
    if (cache.identity != pool.identity() || cache.rdata != pool.rdata_count() ||
        cache.announced != pool.announced_count() || cache.type != pool.type()) {
        cache = {pool.identity(), pool.rdata_count(), pool.announced_count(), pool.type(), pool.presentation()};
    }
    return cache.text;
}

const Alert* Detector::least_recently_seen() const {
    if (recency_.empty()) return nullptr;
    return &open_.find(*recency_.front())->second.alert;
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
    // Least recently seen first, so that the bound evicts in the same order
    // as before the restart.
    std::stable_sort(alerts.begin(), alerts.end(), [](const OpenAlertState& a, const OpenAlertState& b) {
        return a.alert.last_seen_us < b.alert.last_seen_us;
    });
    for (OpenAlertState& state : alerts) {
        OpenAlert entry;
        entry.alert = std::move(state.alert);
        entry.signals = state.signals;
        entry.observed_forms = std::move(state.observed_forms);
        entry.alert.restart.key = state.key;
        note_open(state.key);
        insert_open(std::move(state.key), std::move(entry));
    }
}

std::size_t Detector::open_filter_bit(std::string_view owner_wire, std::uint16_t type) {
    return static_cast<std::size_t>(
        fast_hash({reinterpret_cast<const std::uint8_t*>(owner_wire.data()), owner_wire.size()}, type) %
        kOpenFilterBits);
}

void Detector::note_open(std::string_view key) {
    // A lifecycle key starts with the owner's wire form, then the type.
    std::size_t at = 0;
    while (at < key.size() && key[at] != 0) at += 1 + static_cast<std::uint8_t>(key[at]);
    if (at + 3 > key.size()) return;
    const std::string_view owner = key.substr(0, at + 1);
    const auto type = static_cast<std::uint16_t>((static_cast<std::uint8_t>(key[at + 1]) << 8) |
                                                 static_cast<std::uint8_t>(key[at + 2]));
    const std::size_t bit = open_filter_bit(owner, type);
    open_filter_[bit / 64] |= std::uint64_t{1} << (bit % 64);
}

std::string Detector::vantage_key(std::string_view key) {
    // A lifecycle key: owner (wire form), type (2), server (family + 16
    // bytes), lane (1, absent for the data's): all but the server.
    std::size_t at = 0;
    while (at < key.size() && key[at] != 0) at += 1 + static_cast<std::uint8_t>(key[at]);
    const std::size_t owner_and_type = std::min(key.size(), at + 3);
    std::string vantage(key.substr(0, owner_and_type));
    const std::size_t server_end = owner_and_type + 17;
    vantage.push_back(key.size() > server_end ? key[server_end] : '\0');
    return vantage;
}

std::size_t Detector::vantages(std::string_view key) const {
    const auto it = vantages_.find(vantage_key(key));
    return it == vantages_.end() ? 0 : it->second;
}

void Detector::forget_vantage(std::string_view key) {
    const auto it = vantages_.find(vantage_key(key));
    if (it == vantages_.end()) return;
    if (--it->second == 0) vantages_.erase(it);
}

bool Detector::is_glue(const MessageFacts& facts, const WatchedZone& zone, const DnsName& owner, std::uint16_t type,
                       Section section) const {
    if (type != rrtype::A && type != rrtype::AAAA) return false;
    if (section == Section::additional && std::string_view(facts.role) == "referral") return true;
    // The address of a name server the baseline names: of the zone's apex
    // or of a delegation between it and the owner.
    for (unsigned skip = 1; skip + zone.name.label_count <= owner.label_count; ++skip) {
        const std::string_view ancestor_key = owner.suffix_key(skip);
        DnsName ancestor;
        std::copy(ancestor_key.begin(), ancestor_key.end(), ancestor.wire.begin());
        ancestor.length = static_cast<std::uint8_t>(ancestor_key.size());
        ancestor.label_count = static_cast<std::uint8_t>(owner.label_count - skip);
        bool named = false;
        baseline_->find(ancestor, rrtype::NS).for_each_rdata([&](std::span<const std::uint8_t> target_wire) {
            DnsName target;
            std::size_t next = 0;
            if (!named && read_name(target_wire, 0, &target, &next) == MalformedKind::none) named = target == owner;
        });
        if (named) return true;
    }
    return false;
}

Severity Detector::severity_of(const MessageFacts& facts, const WatchedZone& zone, const DnsName& owner,
                               std::uint16_t type, Section section, std::string_view kind, SignalSet signals,
                               std::size_t vantages) const {
    return severity_from_evidence(
        {.kind = kind, .rrtype = type, .glue = is_glue(facts, zone, owner, type, section), .signals = signals,
         .vantages = std::max<std::size_t>(vantages, 1)});
}

void Detector::emit(OpenAlert& entry) {
    changed_ = true;
    entry.alert.signals = signal_names(entry.signals);
    entry.alert.seq = next_seq_++;
    ++counters_.alerts_emitted;
    // The store keeps what a restart needs with the record itself, so that
    // no second file can lag behind it (publish/alert_store.h).
    entry.alert.restart.signals = entry.signals;
    entry.alert.restart.observed_forms = entry.observed_forms;
    sink_.publish(entry.alert);
    entry.alert.restart.observed_forms.clear();
}

void Detector::reset() {
    open_.clear();
    recency_.clear();
    vantages_.clear();
    std::fill(open_filter_.begin(), open_filter_.end(), 0);
    counters_ = {};
    next_seq_ = 1;
    changed_ = false;
    answers_ = AnswerHistory();
    servers_.forget_rogues();
    queries_ = QueryTracker(queries_.capacity(), queries_.burst_options());
}

}  // namespace dnswatch
