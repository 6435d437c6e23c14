#include "baseline/baseline_table.h"

#include <algorithm>
#include <bit>
#include <stdexcept>

#include "decode/dns_message.h"
#include "decode/ldns_glue.h"

namespace dnswatch {

// ---------------------------------------------------------------- RRsets

void rrset_layout::append(std::vector<std::uint8_t>& out, std::uint16_t type, std::uint32_t ttl, SourceId source,
                          const std::vector<std::span<const std::uint8_t>>& items) {
    const std::size_t at = out.size();
    std::size_t size = kHeader;
    for (const auto& item : items) size += kItemHeader + item.size();
    out.resize(at + size);
    std::uint8_t* p = out.data() + at;
    store16(p, type);
    store16(p + 2, static_cast<std::uint16_t>(items.size()));
    store32(p + 4, ttl);
    store32(p + 8, source);
    p += kHeader;
    for (const auto& item : items) {
        store16(p, static_cast<std::uint16_t>(item.size()));
        std::memcpy(p + kItemHeader, item.data(), item.size());
        p += kItemHeader + item.size();
    }
}

void to_comparison_form(std::uint16_t type, std::span<std::uint8_t> canonical_rdata) {
    // SOA ends with serial, refresh, retry, expire, minimum (4 bytes each):
    // a new serial is routine, never a divergence.
    if (type == rrtype::SOA && canonical_rdata.size() >= 20) {
        std::fill_n(canonical_rdata.end() - 20, 4, std::uint8_t{0});
    }
}

bool same_comparison_form(std::uint16_t type, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
    if (a.size() != b.size()) return false;
    if (type == rrtype::SOA && a.size() >= 20) {
        const std::size_t serial = a.size() - 20;
        return std::memcmp(a.data(), b.data(), serial) == 0 &&
               std::memcmp(a.data() + serial + 4, b.data() + serial + 4, 16) == 0;
    }
    return bytes_equal(a.data(), b.data(), a.size());
}

bool RRsetPool::has_rdata() const {
    for (const std::uint8_t* rrset = first_; rrset != last_; rrset = rrset_layout::end(rrset)) {
        if (rrset_layout::item_count(rrset) > 0) return true;
    }
    return false;
}

std::size_t RRsetPool::rdata_count() const {
    std::size_t n = 0;
    for_each_rdata([&n](std::span<const std::uint8_t>) { ++n; });
    return n;
}

std::uint32_t RRsetPool::ttl() const {
    std::uint32_t ttl = 0;
    for (const std::uint8_t* rrset = first_; rrset != last_; rrset = rrset_layout::end(rrset)) {
        ttl = std::max(ttl, rrset_layout::ttl(rrset));
    }
    return ttl;
}

bool RRsetPool::contains(std::span<const std::uint8_t> form) const {
    // The pools of a zone hold a handful of rdata: a scan of bytes that are
    // already in the cache line the lookup brought in beats any index.
    for (const std::uint8_t* rrset = first_; rrset != last_;) {
        const std::uint8_t* p = rrset + rrset_layout::kHeader;
        for (std::uint16_t i = rrset_layout::item_count(rrset); i > 0; --i) {
            const std::uint16_t length = rrset_layout::load16(p);
            if (same_comparison_form(type_, {p + rrset_layout::kItemHeader, length}, form)) return true;
            p += rrset_layout::kItemHeader + length;
        }
        rrset = p;
    }
    return false;
}

bool RRsetPool::allows(std::span<const std::uint8_t> form, std::int64_t time_us, bool* by_announcement) const {
    *by_announcement = false;
    if (contains(form)) return true;
    if (announced_ == nullptr) return false;
    for (const AnnouncedRdata& a : *announced_) {
        if (!a.removal && time_us >= a.effective_us && same_comparison_form(type_, a.rdata, form)) {
            *by_announcement = true;
            return true;
        }
    }
    return false;
}

bool RRsetPool::removal_announced(std::int64_t time_us) const {
    if (announced_ == nullptr) return false;
    return std::any_of(announced_->begin(), announced_->end(),
                       [time_us](const AnnouncedRdata& a) { return a.removal && time_us >= a.effective_us; });
}

std::size_t RRsetPool::announced_in_effect(std::int64_t time_us) const {
    if (announced_ == nullptr) return 0;
    return static_cast<std::size_t>(std::count_if(announced_->begin(), announced_->end(), [time_us](const AnnouncedRdata& a) {
        return !a.removal && time_us >= a.effective_us;
    }));
}

std::vector<std::string> RRsetPool::presentation() const {
    std::vector<std::string> texts;
    for_each_rdata([&](std::span<const std::uint8_t> rdata) { texts.push_back(rdata_to_text(type_, rdata)); });
    std::sort(texts.begin(), texts.end());
    texts.erase(std::unique(texts.begin(), texts.end()), texts.end());
    return texts;
}

// ---------------------------------------------------------------- nodes

const std::uint8_t* node_layout::end(const std::uint8_t* node) {
    const std::uint8_t* p = rrsets(node);
    for (std::uint8_t i = rrset_count(node); i > 0; --i) p = rrset_layout::end(p);
    return p;
}

void node_layout::rrsets_of(const std::uint8_t* node, std::uint16_t type, const std::uint8_t** first,
                            const std::uint8_t** last) {
    const std::uint8_t* p = rrsets(node);
    std::uint8_t i = rrset_count(node);
    for (; i > 0 && rrset_layout::type(p) < type; --i) p = rrset_layout::end(p);
    *first = p;
    for (; i > 0 && rrset_layout::type(p) == type; --i) p = rrset_layout::end(p);
    *last = p;
}

std::size_t node_layout::append(TableBytes& out, std::span<const std::uint8_t> owner,
                                std::uint8_t label_count, std::span<const std::span<const std::uint8_t>> rrsets) {
    if (rrsets.size() > 255) throw std::length_error("more than 255 RRsets at one owner");
    const std::size_t at = (out.size() + 3) & ~std::size_t{3};
    std::size_t size = kHeader + owner.size();
    for (const auto& rrset : rrsets) size += rrset.size();
    out.resize(at + size);
    std::uint8_t* p = out.data() + at;
    std::uint8_t flags = 0;
    for (const auto& rrset : rrsets) {
        if (rrset_layout::type(rrset.data()) == rrtype::NS && rrset_layout::item_count(rrset.data()) > 0) {
            flags |= kHasNs;
        }
    }
    p[0] = static_cast<std::uint8_t>(owner.size());
    p[1] = static_cast<std::uint8_t>(rrsets.size());
    p[2] = flags;
    p[3] = label_count;
    std::memcpy(p + kHeader, owner.data(), owner.size());
    p += kHeader + owner.size();
    for (const auto& rrset : rrsets) {
        std::memcpy(p, rrset.data(), rrset.size());
        p += rrset.size();
    }
    return at;
}

// ---------------------------------------------------------------- the table

BaselineTable::BaselineTable(TableBytes arena) : arena_(std::move(arena)) {
    if (arena_.size() / 4 >= 0xFFFFFFFFull) throw std::length_error("baseline table over 16 GiB");
    std::vector<std::pair<std::uint32_t, std::uint32_t>> entries;  // hash, offset / 4 + 1
    std::uint32_t last_interior = 0;
    for_each_node([&](const std::uint8_t* node) {
        DnsName owner;
        owner.length = node_layout::owner_length(node);
        std::memcpy(owner.wire.data(), node + node_layout::kHeader, owner.length);
        entries.emplace_back(hash_name(owner), static_cast<std::uint32_t>((node - arena_.data()) / 4 + 1));
        if (node_layout::rrset_count(node) != 0) {
            // The names above the owner (the root aside) exist: empty
            // non-terminals where they hold nothing themselves. Siblings
            // share them, so the last one is not added again.
            std::size_t at = 0;
            while (at < owner.length && owner.wire[at] != 0) {
                at += 1 + owner.wire[at];
                if (at >= owner.length || owner.wire[at] == 0) break;
                DnsName ancestor;
                ancestor.length = static_cast<std::uint8_t>(owner.length - at);
                std::memcpy(ancestor.wire.data(), owner.wire.data() + at, ancestor.length);
                const std::uint32_t hash = hash_name(ancestor);
                if (hash != last_interior || interior_.empty()) interior_.push_back(hash);
                last_interior = hash;
            }
        }
        const std::uint8_t* p = node_layout::rrsets(node);
        for (std::uint8_t i = node_layout::rrset_count(node); i > 0; --i, p = rrset_layout::end(p)) ++rrsets_;
    });
    std::sort(interior_.begin(), interior_.end());
    interior_.erase(std::unique(interior_.begin(), interior_.end()), interior_.end());
    interior_.shrink_to_fit();
    nodes_ = entries.size();
    std::size_t size = 16;
    while (size * 5 < nodes_ * 8) size *= 2;  // at most 5/8 full
    index_.assign(size, 0);
    mask_ = size - 1;
    for (const auto& [hash, offset] : entries) {
        std::size_t slot = hash & mask_;
        while (index_[slot] != 0) slot = (slot + 1) & mask_;
        index_[slot] = std::uint64_t{hash} << 32 | offset;
    }
}

// ---------------------------------------------------------------- building

BaselineTableBuilder::BaselineTableBuilder() : buckets_(std::size_t{1} << kBucketBits) {}

void BaselineTableBuilder::stage(std::uint32_t hash, std::span<const std::uint8_t> owner, std::uint8_t labels,
                                 std::uint16_t type, std::uint32_t ttl, SourceId source,
                                 std::span<const std::uint8_t> rdata) {
    if (rdata.size() > 0xFFFF) throw std::length_error("rdata over 65535 bytes");
    Bucket& bucket = buckets_[hash >> (32 - kBucketBits)];
    const std::size_t at = bucket.staging.size();
    const std::size_t size = 1 + owner.size() + 1 + 2 + 4 + 4 + 2 + rdata.size();
    if (at + size > 0xFFFFFFFFull) throw std::length_error("over 4 GiB of staged records in one bucket");
    bucket.staging.resize(at + size);
    std::uint8_t* p = bucket.staging.data() + at;
    *p++ = static_cast<std::uint8_t>(owner.size());
    std::memcpy(p, owner.data(), owner.size());
    p += owner.size();
    *p++ = labels;
    rrset_layout::store16(p, type);
    rrset_layout::store32(p + 2, ttl);
    rrset_layout::store32(p + 6, source);
    rrset_layout::store16(p + 10, static_cast<std::uint16_t>(rdata.size()));
    if (!rdata.empty()) std::memcpy(p + 12, rdata.data(), rdata.size());
    bucket.refs.push_back({hash, type, static_cast<std::uint32_t>(at)});
}

std::size_t BaselineTableBuilder::records() const {
    std::size_t records = 0;
    for (const Bucket& bucket : buckets_) records += bucket.refs.size();
    return records;
}

void BaselineTableBuilder::add(const DnsName& owner, std::uint16_t type, std::uint32_t ttl, SourceId source,
                               std::span<const std::uint8_t> canonical_rdata) {
    stage(hash_name(owner), owner.bytes(), owner.label_count, type, ttl, source, canonical_rdata);
}

void BaselineTableBuilder::add_node(const std::uint8_t* node, std::uint32_t hash) {
    const std::span<const std::uint8_t> owner = node_layout::owner(node);
    const std::uint8_t labels = node[3];
    const std::uint8_t* rrset = node_layout::rrsets(node);
    for (std::uint8_t i = node_layout::rrset_count(node); i > 0; --i) {
        const std::uint16_t type = rrset_layout::type(rrset);
        const std::uint32_t ttl = rrset_layout::ttl(rrset);
        const SourceId source = rrset_layout::source(rrset);
        const std::uint8_t* p = rrset + rrset_layout::kHeader;
        const std::uint16_t items = rrset_layout::item_count(rrset);
        for (std::uint16_t j = 0; j < items; ++j) {
            const std::uint16_t length = rrset_layout::load16(p);
            stage(hash, owner, labels, type, ttl, source, {p + rrset_layout::kItemHeader, length});
            p += rrset_layout::kItemHeader + length;
        }
        rrset = p;
    }
}

namespace {

// A staged record, read back.
struct Staged {
    std::span<const std::uint8_t> owner;
    std::uint8_t labels;
    std::uint16_t type;
    std::uint32_t ttl;
    SourceId source;
    std::span<const std::uint8_t> rdata;

    explicit Staged(const std::uint8_t* p) {
        owner = {p + 1, p[0]};
        p += 1 + p[0];
        labels = *p++;
        type = rrset_layout::load16(p);
        ttl = rrset_layout::load32(p + 2);
        source = rrset_layout::load32(p + 6);
        rdata = {p + 12, rrset_layout::load16(p + 10)};
    }
};

bool bytes_less(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

}  // namespace

void BaselineTableBuilder::append_nodes(Bucket& bucket, TableBytes& arena) {
    auto& refs = bucket.refs;
    const std::uint8_t* staging = bucket.staging.data();
    // Sorted by (hash, type) on keys alone (no staged byte is read), then by
    // position: records of an owner and type end up together, in the order
    // they came. Owners that share a hash are told apart below.
    std::sort(refs.begin(), refs.end(), [](const Ref& a, const Ref& b) {
        if (a.hash != b.hash) return a.hash < b.hash;
        return a.type != b.type ? a.type < b.type : a.offset < b.offset;
    });
    std::vector<std::uint8_t> rrset_bytes;  // the RRsets of the node being built
    std::vector<std::span<const std::uint8_t>> rrsets;
    std::vector<std::span<const std::uint8_t>> items;
    std::vector<Staged> group;  // records of one hash
    std::vector<std::size_t> order;
    std::vector<std::size_t> rrset_offsets;

    // In hash order the staged records lie all over the bucket (hundreds of
    // MB for a TLD): each read would wait for a cache miss. The records some
    // way ahead are asked for first.
    constexpr std::size_t kAhead = 16;
    for (std::size_t r = 0; r < std::min(kAhead, refs.size()); ++r) prefetch_line(staging + refs[r].offset);
    for (std::size_t i = 0; i < refs.size();) {
        // One hash: usually one owner; split by owner (collisions are rare).
        const std::uint32_t hash = refs[i].hash;
        std::size_t j = i;
        group.clear();
        for (; j < refs.size() && refs[j].hash == hash; ++j) {
            if (j + kAhead < refs.size()) prefetch_line(staging + refs[j + kAhead].offset);
            group.emplace_back(staging + refs[j].offset);
        }
        i = j;
        order.resize(group.size());
        for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
        // By owner, type, source, rdata: a stable layout whatever the input order.
        std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            const Staged& x = group[a];
            const Staged& y = group[b];
            if (!std::equal(x.owner.begin(), x.owner.end(), y.owner.begin(), y.owner.end())) return bytes_less(x.owner, y.owner);
            if (x.type != y.type) return x.type < y.type;
            if (x.source != y.source) return x.source < y.source;
            return bytes_less(x.rdata, y.rdata);
        });
        for (std::size_t k = 0; k < order.size();) {
            const Staged& first = group[order[k]];
            rrset_bytes.clear();
            rrset_offsets.clear();
            std::size_t m = k;
            while (m < order.size() && std::equal(group[order[m]].owner.begin(), group[order[m]].owner.end(),
                                                  first.owner.begin(), first.owner.end())) {
                // One (type, source): one RRset.
                const Staged& head = group[order[m]];
                std::uint32_t ttl = 0;
                items.clear();
                std::size_t n = m;
                for (; n < order.size(); ++n) {
                    const Staged& r = group[order[n]];
                    if (r.type != head.type || r.source != head.source ||
                        !std::equal(r.owner.begin(), r.owner.end(), first.owner.begin(), first.owner.end())) {
                        break;
                    }
                    ttl = std::max(ttl, r.ttl);
                    if (!items.empty() && std::equal(items.back().begin(), items.back().end(), r.rdata.begin(),
                                                     r.rdata.end())) {
                        continue;  // the same rdata twice
                    }
                    items.push_back(r.rdata);
                }
                if (items.size() > 0xFFFF) throw std::length_error("more than 65535 rdata in one RRset");
                // Empty rdata is rdata too (RFC 3597 allows it); every staged record has an item.
                rrset_offsets.push_back(rrset_bytes.size());
                rrset_layout::append(rrset_bytes, head.type, ttl, head.source, items);
                m = n;
            }
            rrsets.clear();
            for (std::size_t r = 0; r < rrset_offsets.size(); ++r) {
                const std::size_t end = r + 1 < rrset_offsets.size() ? rrset_offsets[r + 1] : rrset_bytes.size();
                rrsets.emplace_back(rrset_bytes.data() + rrset_offsets[r], end - rrset_offsets[r]);
            }
            node_layout::append(arena, first.owner, first.labels, rrsets);
            k = m;
        }
    }
}

BaselineTable BaselineTableBuilder::build() {
    std::size_t staged = 0;
    for (const Bucket& bucket : buckets_) staged += bucket.staging.size();
    TableBytes arena;
    arena.reserve(staged - records() * 8);  // roughly: the staging headers are larger (untouched capacity costs nothing)
    // Buckets go by the hash's top bits, so the arena is in hash order throughout.
    for (Bucket& bucket : buckets_) {
        append_nodes(bucket, arena);
        bucket = {};  // its memory back before the arena grows further
    }
    // No shrink_to_fit: it would copy the whole arena (and fault in as many
    // new pages) to give back a tail that was never touched, so never
    // resident: large blocks are mapped (common/large_page_allocator.h).
    return BaselineTable(std::move(arena));
}

}  // namespace dnswatch
