#include "detect/dnssec_verifier.h"

#include <algorithm>
#include <cstring>
#include <random>
#include <string_view>

#include "decode/rdata.h"

namespace dnswatch {
namespace {

constexpr std::uint64_t rotl(std::uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

void sip_round(std::uint64_t& v0, std::uint64_t& v1, std::uint64_t& v2, std::uint64_t& v3) {
    v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
    v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
}

// Names in RRSIG rdata are sent as the signer wrote them; compare them with
// the zone's (lower-case) name without regard to case (RFC 4343).
bool same_name(std::span<const std::uint8_t> wire, const DnsName& name) {
    if (wire.size() != name.length) return false;
    for (std::size_t i = 0; i < wire.size(); ++i) {
        std::uint8_t c = wire[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<std::uint8_t>(c + 32);
        if (c != name.wire[i]) return false;
    }
    return true;
}

}  // namespace

std::uint64_t siphash24(const std::array<std::uint64_t, 2>& key, std::span<const std::uint8_t> data) {
    std::uint64_t v0 = key[0] ^ 0x736f6d6570736575ull;
    std::uint64_t v1 = key[1] ^ 0x646f72616e646f6dull;
    std::uint64_t v2 = key[0] ^ 0x6c7967656e657261ull;
    std::uint64_t v3 = key[1] ^ 0x7465646279746573ull;
    const std::size_t whole = data.size() / 8 * 8;
    for (std::size_t i = 0; i < whole; i += 8) {
        std::uint64_t m = 0;
        for (int b = 7; b >= 0; --b) m = (m << 8) | data[i + b];  // little endian
        v3 ^= m;
        sip_round(v0, v1, v2, v3);
        sip_round(v0, v1, v2, v3);
        v0 ^= m;
    }
    std::uint64_t last = static_cast<std::uint64_t>(data.size() & 0xFF) << 56;
    for (std::size_t i = whole; i < data.size(); ++i) last |= std::uint64_t{data[i]} << (8 * (i - whole));
    v3 ^= last;
    sip_round(v0, v1, v2, v3);
    sip_round(v0, v1, v2, v3);
    v0 ^= last;
    v2 ^= 0xff;
    for (int i = 0; i < 4; ++i) sip_round(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}

DnssecVerifier::DnssecVerifier(const WatchSet& watch)
    : zone_keys_(watch.zones().size()),
      cache_(std::make_unique<std::array<CacheEntry, kCacheEntries>>()) {
    std::random_device random;
    for (auto& word : hash_key_) word = (std::uint64_t{random()} << 32) ^ random();
    rdata_bytes_.reserve(4096);
    rdata_spans_.reserve(64);
    rdatas_.reserve(64);
}

DnssecVerifier::~DnssecVerifier() = default;

const TrustedKeys* DnssecVerifier::keys_for(const Baseline& baseline, const WatchedZone& zone) {
    const RRsetPool pool = baseline.find(zone.name, rrtype::DNSKEY);
    if (!pool || zone.index >= zone_keys_.size()) return nullptr;
    // A new baseline snapshot, or a key roll the transparency feed announced
    // while packets flow: rebuild, and forget verdicts made with the old keys.
    const std::size_t count = pool.rdata_count() + pool.announced_count();
    if (count == 0) return nullptr;
    ZoneKeys& zone_keys = zone_keys_[zone.index];
    if (!zone_keys.keys || zone_keys.generation != generation_ || zone_keys.pool != pool.identity() ||
        zone_keys.built_from != count) {
        std::vector<std::string_view> rdata;
        pool.for_each_rdata(
            [&rdata](std::span<const std::uint8_t> r) {
                rdata.emplace_back(reinterpret_cast<const char*>(r.data()), r.size());
            },
            /*with_announced=*/true);
        zone_keys.keys = std::make_unique<TrustedKeys>(zone.name, rdata);
        zone_keys.generation = generation_;
        zone_keys.pool = pool.identity();
        zone_keys.built_from = count;
        cache_->fill(CacheEntry{});
    }
    return zone_keys.keys->size() > 0 ? zone_keys.keys.get() : nullptr;
}

SignatureCheck DnssecVerifier::check(const TrustedKeys& keys, const DnsName& owner, std::uint16_t type,
                                     std::span<const std::uint8_t> rrsig_rdata, std::uint64_t rrset_hash) {
    const std::uint64_t key = rrset_hash ^ rotl(siphash24(hash_key_, rrsig_rdata), 23);
    // Two candidate slots from independent bits of the key: a verdict is
    // evicted only when both are taken, so a few hundred live RRsets almost
    // never push each other out (with one slot per key, 2% of the runs of a
    // 12-signature capture verified one signature twice); when both are
    // taken, the least recently used of the two goes.
    CacheEntry& first = (*cache_)[key % kCacheEntries];
    CacheEntry& second = (*cache_)[(key >> 32) % kCacheEntries];
    ++clock_;
    for (CacheEntry* candidate : {&first, &second}) {
        if (candidate->used && candidate->key == key) {
            ++counters_.cache_hits;
            candidate->last_used = clock_;
            return candidate->check;
        }
    }
    CacheEntry& entry = !first.used    ? first
                        : !second.used ? second
                        : first.last_used <= second.last_used ? first : second;
    if (entry.used) ++counters_.cache_evictions;
    ++counters_.verifications;
    rdatas_.clear();
    for (const auto& [offset, length] : rdata_spans_) rdatas_.emplace_back(rdata_bytes_.data() + offset, length);
    const SignatureCheck result = keys.verify(owner, type, rdatas_, rrsig_rdata);
    entry = {key, result, true, clock_};
    return result;
}

DnssecVerifier::Judgement DnssecVerifier::judge(const Baseline& baseline, const DnsMessageView& message,
                                                std::span<const RecordView> records, const WatchedZone& zone,
                                                const DnsName& owner, std::uint16_t type, std::int64_t time_us) {
    Judgement judgement;
    // Nothing to do unless the RRset carries a signature by its zone.
    const RecordView* first_signature = nullptr;
    RrsigFields fields;
    for (const RecordView& r : records) {
        if (r.type != rrtype::RRSIG || r.rrclass != 1 || !read_rrsig_fields(message.rdata(r), &fields)) continue;
        if (fields.type_covered == type && same_name(fields.signer_wire, zone.name) && message.owner(r) == owner) {
            first_signature = &r;
            break;
        }
    }
    if (first_signature == nullptr) return judgement;
    const TrustedKeys* keys = keys_for(baseline, zone);
    if (keys == nullptr) return judgement;

    // The RRset in canonical form, and an order-independent keyed hash of it.
    rdata_bytes_.clear();
    rdata_spans_.clear();
    std::uint64_t rrset_hash = siphash24(hash_key_, owner.bytes()) + type;
    for (const RecordView& r : records) {
        if (r.type != type || r.rrclass != 1 || !(message.owner(r) == owner)) continue;
        const std::size_t offset = rdata_bytes_.size();
        if (append_canonical_rdata(message.wire, r.type, r.rdata_offset, r.rdata_length, rdata_bytes_) !=
            MalformedKind::none) {
            return judgement;  // the detector counts bad rdata already
        }
        rdata_spans_.emplace_back(offset, rdata_bytes_.size() - offset);
        rrset_hash += siphash24(hash_key_, std::span(rdata_bytes_).subspan(offset));
    }
    if (rdata_spans_.empty()) return judgement;

    // Valid when any signature by the zone verifies with a baseline key and
    // is valid at packet time (RFC 4035 5.3: one suffices); else bogus, for
    // every reason found.
    ++counters_.rrsets_checked;
    bool any_valid = false;
    SignalSet reasons = 0;
    for (const RecordView* r = first_signature; r != records.data() + records.size(); ++r) {
        if (r->type != rrtype::RRSIG || r->rrclass != 1 || !read_rrsig_fields(message.rdata(*r), &fields)) continue;
        if (fields.type_covered != type || !same_name(fields.signer_wire, zone.name) || !(message.owner(*r) == owner)) {
            continue;
        }
        ++counters_.signatures;
        switch (check(*keys, owner, type, message.rdata(*r), rrset_hash)) {
            case SignatureCheck::valid:
                switch (rrsig_time_check(fields, time_us / 1'000'000)) {
                    case SignatureTime::valid: any_valid = true; break;
                    case SignatureTime::expired: reasons |= bit(Signal::rrsig_expired); break;
                    case SignatureTime::not_yet_valid: reasons |= bit(Signal::rrsig_not_yet_valid); break;
                }
                break;
            case SignatureCheck::bogus: reasons |= bit(Signal::rrsig_bogus); break;
            case SignatureCheck::unknown_key: reasons |= bit(Signal::rrsig_unknown_key); break;
            case SignatureCheck::unsupported:
            case SignatureCheck::malformed: ++counters_.unverifiable; break;
        }
    }
    if (any_valid || reasons == 0) {
        judgement.judged = any_valid;
        return judgement;
    }
    ++counters_.bogus_rrsets;
    judgement.judged = true;
    judgement.reasons = reasons;
    return judgement;
}

}  // namespace dnswatch
