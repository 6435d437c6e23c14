#include "detect/query_tracker.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <random>

#include "decode/word_hash.h"

namespace dnswatch {
namespace {

constexpr std::uint8_t kAd = 1, kDo = 2, kCd = 4;

// A key's fields go into the hash straight from where they lie
// (decode/word_hash.h). The words encode the fields unambiguously: an
// address's first word says its family, hence how many words follow; a
// name's first word, its length.
void add_name(WordHasher& key, const DnsName& name) {
    key.add(name.length);
    key.add_name_bytes(name, 0);
}

}  // namespace

QueryTracker::QueryTracker(std::size_t capacity, TxidBurstOptions burst)
    : entries_(std::bit_ceil(std::max<std::size_t>(capacity, 64))),
      clients_(std::bit_ceil(std::max<std::size_t>(capacity / 16, 256))),
      burst_options_(burst),
      bursts_(256) {
    burst_options_.count = std::max<std::uint32_t>(burst_options_.count, 1);
    burst_times_.assign(bursts_.size() * burst_options_.count, 0);
    std::random_device random;
    hash_seed_ = (std::uint64_t{random()} << 32) ^ random();
}

std::uint64_t QueryTracker::query_key(const IpAddress& client, std::uint16_t client_port, const IpAddress& server,
                                      std::uint16_t server_port, const DnsMessageView& message) const {
    WordHasher key(hash_seed_);
    key.add(client);
    key.add(server);
    key.add(std::uint64_t{client_port} | std::uint64_t{server_port} << 16 | std::uint64_t{message.header.id} << 32 |
            std::uint64_t{message.qtype} << 48);
    add_name(key, message.qname);  // lower case: 0x20 echoes compare equal
    return key.finish();
}

std::uint64_t QueryTracker::pair_key(const IpAddress& a, const IpAddress& b, std::uint64_t salt) const {
    WordHasher key(hash_seed_);
    key.add(a);
    key.add(b);
    key.add(salt);
    return key.finish();
}

std::uint64_t QueryTracker::name_key(const DnsName& name, const IpAddress& server) const {
    WordHasher key(hash_seed_);
    key.add(server);
    add_name(key, name);
    return key.finish();
}

void QueryTracker::on_query(const DnsDatagram& datagram, const DnsMessageView& query, std::int64_t time_us) {
    commit_pending();
    if (!query.has_question) return;
    ++counters_.queries;
    std::uint8_t flags = 0;
    if (query.header.ad()) flags |= kAd;
    if (query.header.cd()) flags |= kCd;
    for (const RecordView& r : query.section(Section::additional)) {
        if (r.type == rrtype::OPT && (r.ttl & 0x8000) != 0) flags |= kDo;
    }
    const std::uint64_t key = query_key(datagram.src, datagram.src_port, datagram.dst, datagram.dst_port, query);
    const std::uint64_t client = pair_key(datagram.src, datagram.dst, 0);
    const Entry* bucket = &entries_[(key & (entries_.size() / kWays - 1)) * kWays];
    __builtin_prefetch(bucket, 1);
    __builtin_prefetch(reinterpret_cast<const char*>(bucket + kWays) - 1, 1);  // a bucket spans two lines
    __builtin_prefetch(&clients_[client & (clients_.size() - 1)], 1);
    pending_ = {key, client, time_us, flags, true};
}

void QueryTracker::commit_pending() const {
    if (!pending_.valid) return;
    pending_.valid = false;
    const std::uint64_t key = pending_.key;
    const std::int64_t time_us = pending_.time_us;
    Entry* bucket = &entries_[(key & (entries_.size() / kWays - 1)) * kWays];
    // The same query again (a retransmission), a free or expired slot, or
    // else the oldest: an unanswered one evicted is counted.
    Entry* slot = nullptr;
    for (std::size_t i = 0; i < kWays; ++i) {
        if (bucket[i].used && bucket[i].key == key) {
            slot = &bucket[i];
            break;
        }
    }
    if (slot == nullptr) {
        slot = &bucket[0];
        for (std::size_t i = 0; i < kWays; ++i) {
            Entry& e = bucket[i];
            if (!e.used || time_us - e.time_us > kQueryLifetimeUs) {
                slot = &e;
                break;
            }
            if (e.time_us < slot->time_us) slot = &e;
        }
        if (slot->used && !slot->answered && time_us - slot->time_us <= kQueryLifetimeUs) ++counters_.evicted;
    }
    *slot = {key, time_us, pending_.flags, true, false};
    clients_[pending_.client & (clients_.size() - 1)] = {pending_.client, time_us};
}

QueryTracker::Match QueryTracker::on_response(const DnsDatagram& datagram, const DnsMessageView& response,
                                              std::int64_t time_us) {
    commit_pending();
    Match match;
    if (!response.has_question) return match;
    const std::uint64_t key =
        query_key(datagram.dst, datagram.dst_port, datagram.src, datagram.src_port, response);
    Entry* bucket = &entries_[(key & (entries_.size() / kWays - 1)) * kWays];
    for (std::size_t i = 0; i < kWays; ++i) {
        Entry& e = bucket[i];
        if (e.used && e.key == key && time_us - e.time_us <= kQueryLifetimeUs) {
            e.answered = true;
            match.kind = Match::Kind::matched;
            match.query_ad = (e.flags & kAd) != 0;
            match.query_do = (e.flags & kDo) != 0;
            match.query_cd = (e.flags & kCd) != 0;
            ++counters_.matched;
            return match;
        }
    }
    // Only a client seen asking this server lately can be told to have
    // received something it did not ask for; of any other (a capture that
    // sees one direction, or started after the query) nothing is known.
    const std::uint64_t client = pair_key(datagram.dst, datagram.src, 0);
    const ClientSeen& seen = clients_[client & (clients_.size() - 1)];
    if (seen.key == client && time_us - seen.time_us <= kQueryLifetimeUs) {
        match.kind = Match::Kind::unsolicited;
        ++counters_.unsolicited;
    } else {
        ++counters_.unknown;
    }
    return match;
}

std::size_t QueryTracker::find_burst(std::uint64_t key) const {
    const std::size_t first = (key & (bursts_.size() / kBurstWays - 1)) * kBurstWays;
    for (std::size_t i = first; i < first + kBurstWays; ++i) {
        if (bursts_[i].last_use != 0 && bursts_[i].key == key) return i;
    }
    return kNoBurst;
}

// Buckets of ways, not one slot per key: the seed is random per tracker, so
// which names shared a slot differed between trackers, and a name taking a
// live burst's slot over made one tracker forget a burst another kept
// (`replay` and a sharded `run` disagreed on txid_mismatch_burst). Now a
// burst goes only when more than kBurstWays pairs share its bucket, and then
// the least recently used goes: by calls, not by packet time, which jumps
// back when captures are replayed one after another.
std::size_t QueryTracker::burst_slot(std::uint64_t key) {
    std::size_t slot = find_burst(key);
    if (slot == kNoBurst) {
        const std::size_t first = (key & (bursts_.size() / kBurstWays - 1)) * kBurstWays;
        slot = first;
        for (std::size_t i = first + 1; i < first + kBurstWays; ++i) {
            if (bursts_[i].last_use < bursts_[slot].last_use) slot = i;  // a free way has 0
        }
        bursts_[slot] = {key, 0, 0, 0, 0, 0};
    }
    bursts_[slot].last_use = ++burst_uses_;
    return slot;
}

QueryTracker::Burst QueryTracker::burst(const DnsName& qname, const IpAddress& server, std::int64_t time_us) const {
    Burst state;
    // Until a response goes unsolicited or a divergent one is matched, no
    // burst entry exists: every response would hash its question for
    // nothing (~145 instructions each on the registry bench).
    if (burst_uses_ == 0) return state;
    const std::size_t slot = find_burst(name_key(qname, server));
    if (slot == kNoBurst) return state;
    const BurstEntry& entry = bursts_[slot];
    state.active = entry.crossed_us != 0 && time_us - entry.crossed_us <= kBurstMemoryUs;
    state.poisoned = entry.poisoned_us != 0 && time_us - entry.poisoned_us <= kBurstMemoryUs;
    return state;
}

QueryTracker::Burst QueryTracker::count_unsolicited(const DnsName& qname, const IpAddress& server,
                                                    std::int64_t time_us) {
    const std::size_t index = burst_slot(name_key(qname, server));
    BurstEntry& entry = bursts_[index];
    Burst state = burst(qname, server, time_us);
    // A ring of the last `count` arrival times: the threshold is crossed
    // when the oldest of them lies within the window.
    std::int64_t* ring = &burst_times_[index * burst_options_.count];
    ring[entry.head] = time_us;
    entry.head = (entry.head + 1) % burst_options_.count;
    entry.filled = std::min(entry.filled + 1, burst_options_.count);
    if (entry.filled == burst_options_.count && time_us - ring[entry.head] <= burst_options_.window_us) {
        if (!state.active) {
            state.just_crossed = true;
            ++counters_.bursts;
        }
        entry.crossed_us = time_us;
        state.active = true;
    }
    return state;
}

void QueryTracker::mark_poisoned(const DnsName& qname, const IpAddress& server, std::int64_t time_us) {
    bursts_[burst_slot(name_key(qname, server))].poisoned_us = time_us;
}

}  // namespace dnswatch
