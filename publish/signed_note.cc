#include "publish/signed_note.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

#include <sodium.h>

namespace dnswatch {
namespace {

constexpr std::uint8_t kEd25519 = 0x01;
constexpr std::string_view kSignaturePrefix = "\xE2\x80\x94 ";  // U+2014 EM DASH, space
constexpr std::string_view kSignerPrefix = "PRIVATE+KEY+";
constexpr long kMaxSignatures = 100;

void ensure_sodium() {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::array<std::uint8_t, 4> key_id_of(std::string_view name, const std::array<std::uint8_t, 32>& public_key) {
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init(&state);
    crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(name.data()), name.size());
    const std::uint8_t separator[] = {'\n', kEd25519};
    crypto_hash_sha256_update(&state, separator, sizeof separator);
    crypto_hash_sha256_update(&state, public_key.data(), public_key.size());
    std::array<std::uint8_t, 32> digest;
    crypto_hash_sha256_final(&state, digest.data());
    return {digest[0], digest[1], digest[2], digest[3]};
}

// A key name is non-empty and holds no space, '+' or control character.
bool valid_name(std::string_view name) {
    if (name.empty()) return false;
    for (const char c : name) {
        if (c == '+' || static_cast<unsigned char>(c) <= 0x20) return false;
    }
    return true;
}

std::string hex_id(const std::array<std::uint8_t, 4>& id) {
    char text[9];
    std::snprintf(text, sizeof text, "%02x%02x%02x%02x", id[0], id[1], id[2], id[3]);
    return text;
}

std::optional<std::array<std::uint8_t, 4>> parse_hex_id(std::string_view text) {
    if (text.size() != 8) return std::nullopt;
    std::array<std::uint8_t, 4> id{};
    for (std::size_t i = 0; i < 4; ++i) {
        unsigned value = 0;
        for (std::size_t j = 0; j < 2; ++j) {
            const char c = text[2 * i + j];
            value <<= 4;
            if (c >= '0' && c <= '9') value |= static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f') value |= static_cast<unsigned>(c - 'a' + 10);
            else return std::nullopt;
        }
        id[i] = static_cast<std::uint8_t>(value);
    }
    return id;
}

// Splits "name+hexid+base64" into its three parts; the base64 key may hold
// '+' itself, so only the first two separate.
bool split_key(std::string_view text, std::string_view& name, std::string_view& id, std::string_view& key) {
    const auto first = text.find('+');
    if (first == std::string_view::npos) return false;
    const auto second = text.find('+', first + 1);
    if (second == std::string_view::npos) return false;
    name = text.substr(0, first);
    id = text.substr(first + 1, second - first - 1);
    key = text.substr(second + 1);
    return valid_name(name);
}

}  // namespace

std::string base64_encode(const std::uint8_t* data, std::size_t size) {
    std::string out(sodium_base64_encoded_len(size, sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), data, size, sodium_base64_VARIANT_ORIGINAL);
    out.resize(std::strlen(out.c_str()));
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    std::string out(text.size(), '\0');
    std::size_t length = 0;
    const char* end = nullptr;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(),
                          nullptr, &length, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != text.data() + text.size()) {
        return std::nullopt;
    }
    out.resize(length);
    // Only the canonical text of those bytes: libsodium also takes bytes
    // above 0x7f (as if they were letters) and non-zero padding bits, and a
    // key or signature must have one spelling (fuzz_key_files found it).
    if (base64_encode(reinterpret_cast<const std::uint8_t*>(out.data()), out.size()) != text) return std::nullopt;
    return out;
}

std::optional<NoteVerifier> NoteVerifier::parse(std::string_view text) {
    std::string_view name, id_text, key_text;
    if (!split_key(text, name, id_text, key_text)) return std::nullopt;
    const auto id = parse_hex_id(id_text);
    const auto key = base64_decode(key_text);
    if (!id || !key || key->size() != 33 || static_cast<std::uint8_t>((*key)[0]) != kEd25519) return std::nullopt;
    NoteVerifier verifier;
    verifier.name = std::string(name);
    std::memcpy(verifier.public_key.data(), key->data() + 1, 32);
    verifier.key_id = key_id_of(verifier.name, verifier.public_key);
    if (verifier.key_id != *id) return std::nullopt;
    return verifier;
}

std::string NoteVerifier::to_string() const {
    std::array<std::uint8_t, 33> key{};
    key[0] = kEd25519;
    std::memcpy(key.data() + 1, public_key.data(), 32);
    return name + "+" + hex_id(key_id) + "+" + base64_encode(key.data(), key.size());
}

NoteSigner NoteSigner::generate(std::string name) {
    ensure_sodium();
    if (!valid_name(name)) throw std::invalid_argument("a key name may not be empty or hold spaces or '+'");
    NoteSigner signer;
    randombytes_buf(signer.seed_.data(), signer.seed_.size());
    std::array<std::uint8_t, crypto_sign_SECRETKEYBYTES> secret{};
    crypto_sign_seed_keypair(signer.verifier_.public_key.data(), secret.data(), signer.seed_.data());
    sodium_memzero(secret.data(), secret.size());
    signer.verifier_.name = std::move(name);
    signer.verifier_.key_id = key_id_of(signer.verifier_.name, signer.verifier_.public_key);
    return signer;
}

std::optional<NoteSigner> NoteSigner::parse(std::string_view text) {
    ensure_sodium();
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    if (text.substr(0, kSignerPrefix.size()) != kSignerPrefix) return std::nullopt;
    std::string_view name, id_text, key_text;
    if (!split_key(text.substr(kSignerPrefix.size()), name, id_text, key_text)) return std::nullopt;
    const auto id = parse_hex_id(id_text);
    const auto key = base64_decode(key_text);
    if (!id || !key || key->size() != 33 || static_cast<std::uint8_t>((*key)[0]) != kEd25519) return std::nullopt;
    NoteSigner signer;
    std::memcpy(signer.seed_.data(), key->data() + 1, 32);
    std::array<std::uint8_t, crypto_sign_SECRETKEYBYTES> secret{};
    crypto_sign_seed_keypair(signer.verifier_.public_key.data(), secret.data(), signer.seed_.data());
    sodium_memzero(secret.data(), secret.size());
    signer.verifier_.name = std::string(name);
    signer.verifier_.key_id = key_id_of(signer.verifier_.name, signer.verifier_.public_key);
    if (signer.verifier_.key_id != *id) return std::nullopt;
    return signer;
}

std::string NoteSigner::to_string() const {
    std::array<std::uint8_t, 33> key{};
    key[0] = kEd25519;
    std::memcpy(key.data() + 1, seed_.data(), 32);
    std::string text = std::string(kSignerPrefix) + verifier_.name + "+" + hex_id(verifier_.key_id) + "+" +
                       base64_encode(key.data(), key.size());
    sodium_memzero(key.data(), key.size());
    return text;
}

std::string NoteSigner::sign(std::string_view text) const {
    if (text.empty() || text.back() != '\n' || text.find("\n\n") != std::string_view::npos) {
        throw std::invalid_argument("a note's text must end in a newline and hold no blank line");
    }
    std::array<std::uint8_t, crypto_sign_SECRETKEYBYTES> secret{};
    std::array<std::uint8_t, 32> public_key{};
    crypto_sign_seed_keypair(public_key.data(), secret.data(), seed_.data());
    std::array<std::uint8_t, 4 + crypto_sign_BYTES> signature{};
    std::memcpy(signature.data(), verifier_.key_id.data(), 4);
    crypto_sign_detached(signature.data() + 4, nullptr, reinterpret_cast<const unsigned char*>(text.data()),
                         text.size(), secret.data());
    sodium_memzero(secret.data(), secret.size());
    return std::string(text) + "\n" + std::string(kSignaturePrefix) + verifier_.name + " " +
           base64_encode(signature.data(), signature.size()) + "\n";
}

std::optional<std::string> open_note(std::string_view note, const NoteVerifier& verifier) {
    ensure_sodium();
    const auto split = note.rfind("\n\n");
    if (split == std::string_view::npos || note.empty() || note.back() != '\n') return std::nullopt;
    // signed-note: no ASCII control character but newline, and a bound on
    // the signatures a verifier reads (it must take at least 16).
    for (const char c : note) {
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n') return std::nullopt;
    }
    const std::string_view text = note.substr(0, split + 1);
    std::string_view signatures = note.substr(split + 2);
    if (std::count(signatures.begin(), signatures.end(), '\n') > kMaxSignatures) return std::nullopt;
    while (!signatures.empty()) {
        const auto end = signatures.find('\n');
        const std::string_view line = signatures.substr(0, end);
        signatures.remove_prefix(end + 1);
        if (line.substr(0, kSignaturePrefix.size()) != kSignaturePrefix) return std::nullopt;
        const std::string_view rest = line.substr(kSignaturePrefix.size());
        const auto space = rest.rfind(' ');
        if (space == std::string_view::npos) return std::nullopt;
        if (rest.substr(0, space) != verifier.name) continue;  // another signer's line
        const auto signature = base64_decode(rest.substr(space + 1));
        if (!signature || signature->size() != 4 + crypto_sign_BYTES) return std::nullopt;
        if (std::memcmp(signature->data(), verifier.key_id.data(), 4) != 0) continue;
        // The first line of this (name, key id) decides, as in Go's note.Open.
        if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature->data()) + 4,
                                        reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                                        verifier.public_key.data()) != 0) {
            return std::nullopt;
        }
        return std::string(text);
    }
    return std::nullopt;
}

}  // namespace dnswatch
