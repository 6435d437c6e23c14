#include "baseline/tsig.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "decode/dns_name.h"

// Last: ldns's common.h redefines true and false, which C++ headers after it trip on.
#include <ldns/ldns.h>

namespace dnswatch {
namespace {

constexpr std::uint16_t kTypeTsig = 250;
constexpr std::uint16_t kClassAny = 255;
constexpr std::uint16_t kFudgeS = 300;
constexpr std::size_t kMaxUnsigned = 99;  // RFC 8945 5.3.1

std::uint16_t u16(std::span<const std::uint8_t> wire, std::size_t at) {
    return static_cast<std::uint16_t>((wire[at] << 8) | wire[at + 1]);
}
void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}

std::string lower(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}
std::string absolute(std::string name) {
    if (name.empty() || name.back() != '.') name += '.';
    return lower(std::move(name));
}

const EVP_MD* digest_of(const std::string& algorithm) {
    if (algorithm == "hmac-md5.sig-alg.reg.int.") return EVP_md5();
    if (algorithm == "hmac-sha1.") return EVP_sha1();
    if (algorithm == "hmac-sha224.") return EVP_sha224();
    if (algorithm == "hmac-sha256.") return EVP_sha256();
    if (algorithm == "hmac-sha384.") return EVP_sha384();
    if (algorithm == "hmac-sha512.") return EVP_sha512();
    return nullptr;
}

// ldns decodes base64 only inside its own rdata (ldns_b64_pton is not
// exported by Debian's build), so OpenSSL does it.
std::vector<std::uint8_t> base64_decode(const std::string& text) {
    if (text.empty() || text.size() % 4 != 0) return {};
    std::vector<std::uint8_t> bytes(text.size() / 4 * 3);
    const int n = EVP_DecodeBlock(bytes.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                  static_cast<int>(text.size()));
    if (n < 0) return {};
    // EVP_DecodeBlock counts the padding's zero bytes too.
    std::size_t size = static_cast<std::size_t>(n);
    if (text.back() == '=') --size;
    if (text.size() >= 2 && text[text.size() - 2] == '=') --size;
    bytes.resize(size);
    return bytes;
}

// The words of a key file: names, values and punctuation ({ } ; :) apart,
// quotes removed, comments (# // ;-less) dropped.
std::vector<std::string> tokens_of(const std::string& text) {
    std::vector<std::string> tokens;
    std::string current;
    auto flush = [&] {
        if (!current.empty()) tokens.push_back(current);
        current.clear();
    };
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"') {
                quoted = false;
                tokens.push_back(current);
                current.clear();
            } else {
                current += c;
            }
            continue;
        }
        if (c == '#' || (c == '/' && i + 1 < text.size() && text[i + 1] == '/')) {
            flush();
            while (i < text.size() && text[i] != '\n') ++i;
            continue;
        }
        if (c == '"') {
            flush();
            quoted = true;
        } else if (std::isspace(static_cast<unsigned char>(c)) || c == '{' || c == '}' || c == ';' || c == ':' ||
                   c == '-') {
            // '-' only as YAML's list mark: a key name may hold one, so keep it inside a word.
            if (c == '-' && !current.empty()) {
                current += c;
                continue;
            }
            flush();
        } else {
            current += c;
        }
    }
    flush();
    return tokens;
}

}  // namespace

TsigKey TsigKey::load(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error(path + ": cannot read the TSIG key file");
    std::ostringstream text;
    text << in.rdbuf();
    const std::vector<std::string> tokens = tokens_of(text.str());
    TsigKey key;
    for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
        const std::string word = lower(tokens[i]);
        const std::string following = lower(tokens[i + 1]);
        const bool keyword_follows = following == "id" || following == "name" || following == "algorithm";
        if ((word == "key" || word == "id" || word == "name") && !keyword_follows && key.name.empty()) {
            key.name = tokens[i + 1];
        }
        if (word == "algorithm") key.algorithm = tokens[i + 1];
        if (word == "secret") key.secret = tokens[i + 1];
    }
    if (key.name.empty()) throw std::runtime_error(path + ": no key name (key \"NAME\" { ... } or id: NAME)");
    if (key.algorithm.empty()) throw std::runtime_error(path + ": no algorithm");
    if (key.secret.empty() || base64_decode(key.secret).empty()) {
        throw std::runtime_error(path + ": no secret in base64");
    }
    key.name = absolute(key.name);
    key.algorithm = absolute(key.algorithm);
    if (key.algorithm == "hmac-md5.") key.algorithm = "hmac-md5.sig-alg.reg.int.";
    if (digest_of(key.algorithm) == nullptr) {
        throw std::runtime_error(path + ": algorithm " + key.algorithm +
                                 " is not one of hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, "
                                 "hmac-sha512");
    }
    return key;
}

void tsig_sign(ldns_pkt* message, const TsigKey& key, const ldns_rdf* request_mac) {
    const ldns_status status = ldns_pkt_tsig_sign(message, key.name.c_str(), key.secret.c_str(), kFudgeS,
                                                  key.algorithm.c_str(), request_mac);
    if (status != LDNS_STATUS_OK) {
        throw std::runtime_error(std::string("TSIG signing failed: ") + ldns_get_errorstr_by_id(status));
    }
}

const ldns_rdf* tsig_mac(const ldns_pkt* message) {
    const ldns_rr* tsig = ldns_pkt_tsig(message);
    return tsig != nullptr && ldns_rr_rd_count(tsig) > 3 ? ldns_rr_rdf(tsig, 3) : nullptr;
}

TsigVerifier::TsigVerifier(const TsigKey& key, const ldns_rdf* request_mac, std::time_t now)
    : key_(key), answer_(request_mac != nullptr), now_(now) {
    if (request_mac != nullptr) {
        // ldns holds a MAC with its 16-bit length first, as it is digested.
        const std::uint8_t* data = ldns_rdf_data(request_mac);
        prior_mac_.assign(data, data + ldns_rdf_size(request_mac));
    }
}

std::string TsigVerifier::check(std::span<const std::uint8_t> wire) {
    if (wire.size() < kDnsHeaderSize) return "a message shorter than its header";
    const std::uint16_t counts[4] = {u16(wire, 4), u16(wire, 6), u16(wire, 8), u16(wire, 10)};
    // Walk to the last record, where a TSIG must be.
    std::size_t at = kDnsHeaderSize;
    std::size_t last = 0;
    std::uint16_t last_type = 0;
    std::size_t rdata_at = 0;
    DnsName owner;
    const std::size_t records = std::size_t{counts[1]} + counts[2] + counts[3];
    for (std::size_t i = 0; i < counts[0] + records; ++i) {
        const std::size_t start = at;
        std::size_t next = 0;
        if (read_name(wire, at, &owner, &next) != MalformedKind::none) return "a message that does not decode";
        at = next;
        const bool question = i < counts[0];
        if (at + (question ? 4 : 10) > wire.size()) return "a message that does not decode";
        if (question) {
            at += 4;
            continue;
        }
        last = start;
        last_type = u16(wire, at);
        rdata_at = at + 10;
        at = rdata_at + u16(wire, at + 8);
        if (at > wire.size()) return "a message that does not decode";
    }
    const bool is_signed = counts[3] > 0 && last_type == kTypeTsig;
    if (!is_signed) {
        if (!answer_ || first_) return answer_ ? "the answer is not signed (TSIG)" : "not signed (TSIG)";
        if (unsigned_.size() > kMaxUnsigned * 65535 + 65535) return "too many unsigned messages in a row";
        unsigned_.insert(unsigned_.end(), wire.begin(), wire.end());
        last_signed_ = false;
        return "";
    }
    // The TSIG record: owner = key name; rdata = algorithm, time (48 bits),
    // fudge, MAC size, MAC, original id, error, other length, other data.
    std::size_t next = 0;
    if (read_name(wire, last, &owner, &next) != MalformedKind::none) return "a TSIG that does not decode";
    const std::string key_name = owner.to_text() + ".";
    DnsName algorithm;
    if (read_name(wire, rdata_at, &algorithm, &next) != MalformedKind::none || next + 10 > wire.size()) {
        return "a TSIG that does not decode";
    }
    std::size_t p = next;
    const std::uint64_t time_signed = (std::uint64_t{u16(wire, p)} << 32) | (std::uint64_t{u16(wire, p + 2)} << 16) |
                                      u16(wire, p + 4);
    const std::uint16_t fudge = u16(wire, p + 6);
    const std::uint16_t mac_size = u16(wire, p + 8);
    p += 10;
    if (p + mac_size + 6 > wire.size()) return "a TSIG that does not decode";
    const std::span<const std::uint8_t> mac = wire.subspan(p, mac_size);
    p += mac_size;
    const std::uint16_t original_id = u16(wire, p);
    const std::uint16_t error = u16(wire, p + 2);
    const std::uint16_t other_size = u16(wire, p + 4);
    if (p + 6 + other_size > wire.size()) return "a TSIG that does not decode";
    const std::span<const std::uint8_t> other = wire.subspan(p + 6, other_size);

    if (lower(key_name) != key_.name) return "signed with key " + key_name + ", not " + key_.name;
    if (algorithm.to_text() + "." != key_.algorithm) return "signed with " + algorithm.to_text() + ", not " + key_.algorithm;
    if (error != 0) {
        const char* what = error == 16 ? "BADSIG" : error == 17 ? "BADKEY" : error == 18 ? "BADTIME" : "an error";
        return std::string("the peer answered TSIG ") + what + " (" + std::to_string(error) + "): it does not "
               "accept our key";
    }
    // What the MAC covers.
    std::vector<std::uint8_t> digested;
    if (!prior_mac_.empty()) digested.insert(digested.end(), prior_mac_.begin(), prior_mac_.end());
    digested.insert(digested.end(), unsigned_.begin(), unsigned_.end());
    const std::size_t message_at = digested.size();
    digested.insert(digested.end(), wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(last));
    digested[message_at] = static_cast<std::uint8_t>(original_id >> 8);
    digested[message_at + 1] = static_cast<std::uint8_t>(original_id);
    const std::uint16_t arcount = static_cast<std::uint16_t>(counts[3] - 1);
    digested[message_at + 10] = static_cast<std::uint8_t>(arcount >> 8);
    digested[message_at + 11] = static_cast<std::uint8_t>(arcount);
    const bool timers_only = answer_ && !first_;
    if (!timers_only) {
        digested.insert(digested.end(), owner.bytes().begin(), owner.bytes().end());
        put16(digested, kClassAny);
        for (int i = 0; i < 4; ++i) digested.push_back(0);  // TTL
        digested.insert(digested.end(), algorithm.bytes().begin(), algorithm.bytes().end());
    }
    for (int shift = 40; shift >= 0; shift -= 8) digested.push_back(static_cast<std::uint8_t>(time_signed >> shift));
    put16(digested, fudge);
    if (!timers_only) {
        put16(digested, error);
        put16(digested, other_size);
        digested.insert(digested.end(), other.begin(), other.end());
    }
    const std::vector<std::uint8_t> secret = base64_decode(key_.secret);
    unsigned char computed[EVP_MAX_MD_SIZE];
    unsigned int computed_size = 0;
    if (HMAC(digest_of(key_.algorithm), secret.data(), static_cast<int>(secret.size()), digested.data(),
             digested.size(), computed, &computed_size) == nullptr) {
        return "HMAC failed";
    }
    if (mac_size != computed_size || CRYPTO_memcmp(mac.data(), computed, computed_size) != 0) {
        return "the TSIG signature does not verify (another secret?)";
    }
    const std::time_t now = now_ != 0 ? now_ : std::time(nullptr);
    const auto difference = static_cast<std::int64_t>(now) - static_cast<std::int64_t>(time_signed);
    if (difference > fudge || -difference > fudge) {
        return "signed at " + std::to_string(time_signed) + ", " + std::to_string(difference) +
               " s from our clock, beyond its fudge of " + std::to_string(fudge) + " s";
    }
    prior_mac_.clear();
    put16(prior_mac_, mac_size);
    prior_mac_.insert(prior_mac_.end(), mac.begin(), mac.end());
    unsigned_.clear();
    first_ = false;
    last_signed_ = true;
    return "";
}

std::string TsigVerifier::finish() const {
    return last_signed_ ? "" : "the last message of the answer is not signed (TSIG)";
}

}  // namespace dnswatch
