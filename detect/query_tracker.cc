#include "detect/query_tracker.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <random>

#include "detect/fast_hash.h"

namespace dnswatch {
namespace {

constexpr std::uint8_t kAd = 1, kDo = 2, kCd = 4;

// Builds a key on the stack; no allocation.
class KeyBytes {
public:
    void put(const void* data, std::size_t size) {
        std::memcpy(bytes_.data() + size_, data, size);
        size_ += size;
    }
    void put(const IpAddress& address) {
        put(&address.family, sizeof address.family);
        put(address.bytes.data(), address.family == 4 ? 4 : 16);
    }
    std::span<const std::uint8_t> span() const { return {bytes_.data(), size_}; }

private:
    std::array<std::uint8_t, 2 * 17 + 2 * 2 + 2 + 2 + kMaxNameLength + 8> bytes_;  // only size_ bytes are read
    std::size_t size_ = 0;
};

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
    KeyBytes key;
    key.put(client);
    key.put(&client_port, 2);
    key.put(server);
    key.put(&server_port, 2);
    key.put(&message.header.id, 2);
    key.put(&message.qtype, 2);
    key.put(message.qname.wire.data(), message.qname.length);  // lower case: 0x20 echoes compare equal
    return fast_hash(key.span(), hash_seed_);
}

std::uint64_t QueryTracker::pair_key(const IpAddress& a, const IpAddress& b, std::uint64_t salt) const {
    KeyBytes key;
    key.put(a);
    key.put(b);
    key.put(&salt, sizeof salt);
    return fast_hash(key.span(), hash_seed_);
}

std::uint64_t QueryTracker::name_key(const DnsName& name, const IpAddress& server) const {
    KeyBytes key;
    key.put(server);
    key.put(name.wire.data(), name.length);
    return fast_hash(key.span(), hash_seed_);
}

void QueryTracker::on_query(const DnsDatagram& datagram, const DnsMessageView& query, std::int64_t time_us) {
    if (!query.has_question) return;
    ++counters_.queries;
    std::uint8_t flags = 0;
    if (query.header.ad()) flags |= kAd;
    if (query.header.cd()) flags |= kCd;
    for (const RecordView& r : query.section(Section::additional)) {
        if (r.type == rrtype::OPT && (r.ttl & 0x8000) != 0) flags |= kDo;
    }
    const std::uint64_t key = query_key(datagram.src, datagram.src_port, datagram.dst, datagram.dst_port, query);
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
    *slot = {key, time_us, flags, true, false};
    const std::uint64_t client = pair_key(datagram.src, datagram.dst, 0);
    clients_[client & (clients_.size() - 1)] = {client, time_us};
}

QueryTracker::Match QueryTracker::on_response(const DnsDatagram& datagram, const DnsMessageView& response,
                                              std::int64_t time_us) {
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

QueryTracker::Burst QueryTracker::burst(const DnsName& qname, const IpAddress& server, std::int64_t time_us) const {
    Burst state;
    const std::uint64_t key = name_key(qname, server);
    const BurstEntry& entry = bursts_[key % bursts_.size()];
    if (entry.key != key) return state;
    state.active = entry.crossed_us != 0 && time_us - entry.crossed_us <= kBurstMemoryUs;
    state.poisoned = entry.poisoned_us != 0 && time_us - entry.poisoned_us <= kBurstMemoryUs;
    return state;
}

QueryTracker::Burst QueryTracker::count_unsolicited(const DnsName& qname, const IpAddress& server,
                                                    std::int64_t time_us) {
    const std::uint64_t key = name_key(qname, server);
    const std::size_t index = key % bursts_.size();
    BurstEntry& entry = bursts_[index];
    if (entry.key != key) entry = {key, 0, 0, 0, 0};  // another name takes the slot over
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
    const std::uint64_t key = name_key(qname, server);
    BurstEntry& entry = bursts_[key % bursts_.size()];
    if (entry.key != key) entry = {key, 0, 0, 0, 0};
    entry.poisoned_us = time_us;
}

}  // namespace dnswatch
