#include "publish/merkle.h"

#include <bit>

#include <sodium.h>

namespace dnswatch::merkle {
namespace {

Hash sha256(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b = {},
            std::span<const std::uint8_t> c = {}) {
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init(&state);
    crypto_hash_sha256_update(&state, a.data(), a.size());
    crypto_hash_sha256_update(&state, b.data(), b.size());
    crypto_hash_sha256_update(&state, c.data(), c.size());
    Hash out;
    crypto_hash_sha256_final(&state, out.data());
    return out;
}

constexpr std::uint8_t kLeafPrefix[] = {0x00};
constexpr std::uint8_t kNodePrefix[] = {0x01};

// The largest power of two smaller than n (n > 1): the split point of RFC 9162.
std::uint64_t split(std::uint64_t n) { return std::bit_floor(n - 1); }

void path(std::span<const Hash> leaves, std::uint64_t m, std::vector<Hash>& out) {
    const std::uint64_t n = leaves.size();
    if (n <= 1) return;
    const std::uint64_t k = split(n);
    if (m < k) {
        path(leaves.first(k), m, out);
        out.push_back(root(leaves.subspan(k)));
    } else {
        path(leaves.subspan(k), m - k, out);
        out.push_back(root(leaves.first(k)));
    }
}

void subproof(std::span<const Hash> leaves, std::uint64_t m, bool complete, std::vector<Hash>& out) {
    const std::uint64_t n = leaves.size();
    if (m == n) {
        if (!complete) out.push_back(root(leaves));
        return;
    }
    const std::uint64_t k = split(n);
    if (m <= k) {
        subproof(leaves.first(k), m, complete, out);
        out.push_back(root(leaves.subspan(k)));
    } else {
        subproof(leaves.subspan(k), m - k, false, out);
        out.push_back(root(leaves.first(k)));
    }
}

}  // namespace

Hash leaf_hash(std::span<const std::uint8_t> entry) { return sha256(kLeafPrefix, entry); }

Hash node_hash(const Hash& left, const Hash& right) { return sha256(kNodePrefix, left, right); }

Hash empty_root() { return sha256({}); }

Hash root(std::span<const Hash> leaves) {
    if (leaves.empty()) return empty_root();
    if (leaves.size() == 1) return leaves[0];
    const std::uint64_t k = split(leaves.size());
    return node_hash(root(leaves.first(k)), root(leaves.subspan(k)));
}

std::vector<Hash> inclusion_proof(std::span<const Hash> leaves, std::uint64_t index) {
    std::vector<Hash> out;
    if (index < leaves.size()) path(leaves, index, out);
    return out;
}

std::vector<Hash> consistency_proof(std::span<const Hash> leaves, std::uint64_t first) {
    std::vector<Hash> out;
    if (first > 0 && first < leaves.size()) subproof(leaves, first, true, out);
    return out;
}

bool verify_inclusion(std::uint64_t index, std::uint64_t size, const Hash& leaf, std::span<const Hash> proof,
                      const Hash& expected_root) {
    if (index >= size) return false;
    std::uint64_t fn = index;
    std::uint64_t sn = size - 1;
    Hash r = leaf;
    for (const Hash& p : proof) {
        if (sn == 0) return false;
        if ((fn & 1) != 0 || fn == sn) {
            r = node_hash(p, r);
            while ((fn & 1) == 0 && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(r, p);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && r == expected_root;
}

bool verify_consistency(std::uint64_t first, std::uint64_t second, std::span<const Hash> proof,
                        const Hash& first_root, const Hash& second_root) {
    if (first > second) return false;
    if (first == second) return proof.empty() && first_root == second_root;
    if (first == 0) return proof.empty();  // the empty tree is a prefix of every tree
    if (proof.empty()) return false;
    std::vector<Hash> path(proof.begin(), proof.end());
    if (std::has_single_bit(first)) path.insert(path.begin(), first_root);
    std::uint64_t fn = first - 1;
    std::uint64_t sn = second - 1;
    while ((fn & 1) != 0) {
        fn >>= 1;
        sn >>= 1;
    }
    Hash fr = path[0];
    Hash sr = path[0];
    for (std::size_t i = 1; i < path.size(); ++i) {
        const Hash& c = path[i];
        if (sn == 0) return false;
        if ((fn & 1) != 0 || fn == sn) {
            fr = node_hash(c, fr);
            sr = node_hash(c, sr);
            while ((fn & 1) == 0 && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(sr, c);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return fr == first_root && sr == second_root && sn == 0;
}

void CompactRange::append(const Hash& leaf) {
    subtrees_.push_back(leaf);
    ++size_;
    // Each trailing zero bit of the new size merges two equal subtrees.
    for (std::uint64_t s = size_; (s & 1) == 0; s >>= 1) {
        const Hash right = subtrees_.back();
        subtrees_.pop_back();
        subtrees_.back() = node_hash(subtrees_.back(), right);
    }
}

Hash CompactRange::root() const {
    if (subtrees_.empty()) return empty_root();
    // Fold right to left: the smaller subtrees hang off the right edge.
    Hash r = subtrees_.back();
    for (std::size_t i = subtrees_.size() - 1; i-- > 0;) r = node_hash(subtrees_[i], r);
    return r;
}

std::string to_hex(const Hash& hash) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string text;
    for (const std::uint8_t b : hash) {
        text.push_back(kHex[b >> 4]);
        text.push_back(kHex[b & 0xF]);
    }
    return text;
}

}  // namespace dnswatch::merkle
