#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "publish/merkle.h"

namespace dnswatch::merkle {
namespace {

Hash from_hex(const std::string& hex) {
    Hash out{};
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
    return out;
}

std::vector<std::uint8_t> bytes_of_hex(const std::string& hex) {
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return out;
}

// The reference vectors of RFC 6962's tree (the same hashing as RFC 9162),
// as published with the Certificate Transparency reference implementation.
const std::vector<std::string> kEntries = {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                           "606162636465666768696a6b6c6d6e6f"};
const std::vector<std::string> kRoots = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

std::vector<Hash> reference_leaves() {
    std::vector<Hash> leaves;
    for (const auto& entry : kEntries) leaves.push_back(leaf_hash(bytes_of_hex(entry)));
    return leaves;
}

std::vector<std::string> hex_of(const std::vector<Hash>& proof) {
    std::vector<std::string> out;
    for (const Hash& h : proof) out.push_back(to_hex(h));
    return out;
}

TEST(Merkle, RootsMatchTheReferenceTreeForEverySize) {
    const auto leaves = reference_leaves();
    CompactRange range;
    EXPECT_EQ(to_hex(range.root()), kRoots[0]);
    for (std::size_t n = 0; n <= leaves.size(); ++n) {
        EXPECT_EQ(to_hex(root(std::span(leaves).first(n))), kRoots[n]) << "size " << n;
        if (n > 0) {
            range.append(leaves[n - 1]);
            EXPECT_EQ(to_hex(range.root()), kRoots[n]) << "compact range, size " << n;
        }
    }
}

TEST(Merkle, InclusionProofsMatchTheReferenceVectors) {
    const auto leaves = reference_leaves();
    struct Vector {
        std::uint64_t index, size;
        std::vector<std::string> proof;
    };
    const std::vector<Vector> vectors = {
        {0, 8, {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
        {5, 8, {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
        {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
        {1, 5, {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    };
    for (const Vector& v : vectors) {
        const auto tree = std::span(leaves).first(v.size);
        const auto proof = inclusion_proof(tree, v.index);
        EXPECT_EQ(hex_of(proof), v.proof) << "leaf " << v.index << " of " << v.size;
        EXPECT_TRUE(verify_inclusion(v.index, v.size, leaves[v.index], proof, from_hex(kRoots[v.size])));
        EXPECT_FALSE(verify_inclusion(v.index, v.size, leaves[v.index], proof, from_hex(kRoots[0])));
        EXPECT_FALSE(verify_inclusion(v.index, v.size, leaves[(v.index + 1) % v.size], proof, from_hex(kRoots[v.size])));
    }
}

TEST(Merkle, ConsistencyProofsMatchTheReferenceVectors) {
    const auto leaves = reference_leaves();
    struct Vector {
        std::uint64_t first, second;
        std::vector<std::string> proof;
    };
    const std::vector<Vector> vectors = {
        {1, 1, {}},
        {1, 8, {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
        {6, 8, {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
        {2, 5, {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    };
    for (const Vector& v : vectors) {
        const auto proof = consistency_proof(std::span(leaves).first(v.second), v.first);
        EXPECT_EQ(hex_of(proof), v.proof) << v.first << " -> " << v.second;
        EXPECT_TRUE(verify_consistency(v.first, v.second, proof, from_hex(kRoots[v.first]), from_hex(kRoots[v.second])));
        if (v.first != v.second) {
            EXPECT_FALSE(verify_consistency(v.first, v.second, proof, from_hex(kRoots[v.first - 1]),
                                            from_hex(kRoots[v.second])));
        }
    }
}

// Every leaf of every tree size up to 70, and every pair of sizes: the
// generators and the RFC's verifiers (written independently) agree, and any
// tampering is caught.
TEST(Merkle, GeneratedProofsVerifyForEveryShapeAndTamperingFails) {
    std::mt19937 random(9162);
    std::vector<Hash> leaves;
    for (int i = 0; i < 70; ++i) {
        std::vector<std::uint8_t> entry(static_cast<std::size_t>(random() % 40));
        for (auto& b : entry) b = static_cast<std::uint8_t>(random());
        leaves.push_back(leaf_hash(entry));
    }
    for (std::uint64_t n = 1; n <= leaves.size(); ++n) {
        const auto tree = std::span(leaves).first(n);
        const Hash r = root(tree);
        for (std::uint64_t i = 0; i < n; ++i) {
            auto proof = inclusion_proof(tree, i);
            ASSERT_TRUE(verify_inclusion(i, n, leaves[i], proof, r)) << i << "/" << n;
            if (!proof.empty()) {
                proof[random() % proof.size()][0] ^= 1;
                EXPECT_FALSE(verify_inclusion(i, n, leaves[i], proof, r)) << i << "/" << n;
            }
        }
        for (std::uint64_t m = 1; m <= n; ++m) {
            const Hash rm = root(std::span(leaves).first(m));
            auto proof = consistency_proof(tree, m);
            ASSERT_TRUE(verify_consistency(m, n, proof, rm, r)) << m << " -> " << n;
            if (!proof.empty()) {
                proof[random() % proof.size()][31] ^= 0x80;
                EXPECT_FALSE(verify_consistency(m, n, proof, rm, r)) << m << " -> " << n;
            }
        }
    }
}

}  // namespace
}  // namespace dnswatch::merkle
