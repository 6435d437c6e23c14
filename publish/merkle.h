// RFC 9162 (Certificate Transparency v2) Merkle tree hashing and proofs:
// leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left || right).
// Pure functions over leaf hashes; storage lives in transparency_log.h.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace dnswatch::merkle {

using Hash = std::array<std::uint8_t, 32>;

Hash leaf_hash(std::span<const std::uint8_t> entry);
Hash node_hash(const Hash& left, const Hash& right);
Hash empty_root();  // SHA-256 of the empty string

// MTH over the first `size` leaf hashes (RFC 9162 2.1.1).
Hash root(std::span<const Hash> leaves);

// PATH(index, D[n]) of RFC 9162 2.1.3.1, for the tree of all `leaves`.
std::vector<Hash> inclusion_proof(std::span<const Hash> leaves, std::uint64_t index);
// PROOF(first, D[n]) of RFC 9162 2.1.4.1, from the tree of size `first` to
// the tree of all `leaves`.
std::vector<Hash> consistency_proof(std::span<const Hash> leaves, std::uint64_t first);

// The verification algorithms of RFC 9162 2.1.3.2 and 2.1.4.2, written from
// the RFC text rather than from the proof generators above, so that each
// checks the other.
bool verify_inclusion(std::uint64_t index, std::uint64_t size, const Hash& leaf, std::span<const Hash> proof,
                      const Hash& root);
bool verify_consistency(std::uint64_t first, std::uint64_t second, std::span<const Hash> proof,
                        const Hash& first_root, const Hash& second_root);

// Keeps the root of an append-only tree in O(log n) memory and time per
// append: the roots of the perfect subtrees the leaves so far fall into.
class CompactRange {
public:
    void append(const Hash& leaf);
    Hash root() const;
    std::uint64_t size() const { return size_; }

private:
    std::vector<Hash> subtrees_;  // left to right, strictly decreasing sizes
    std::uint64_t size_ = 0;
};

std::string to_hex(const Hash& hash);

}  // namespace dnswatch::merkle
