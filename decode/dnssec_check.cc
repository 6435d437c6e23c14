#include "decode/dnssec_check.h"

#include <ldns/ldns.h>

namespace dnswatch {
namespace {

struct RrDeleter {
    void operator()(ldns_rr* rr) const { ldns_rr_free(rr); }
};
struct RrListDeleter {
    void operator()(ldns_rr_list* list) const { ldns_rr_list_deep_free(list); }
};
using RrPtr = std::unique_ptr<ldns_rr, RrDeleter>;
using RrListPtr = std::unique_ptr<ldns_rr_list, RrListDeleter>;

std::uint32_t read32(std::span<const std::uint8_t> b, std::size_t at) {
    return std::uint32_t{b[at]} << 24 | std::uint32_t{b[at + 1]} << 16 | std::uint32_t{b[at + 2]} << 8 | b[at + 3];
}

// One record in wire form (owner, type, class IN, TTL, rdata) read back by
// ldns: the only way into an ldns_rr that checks the rdata's layout.
RrPtr make_rr(const DnsName& owner, std::uint16_t type, std::uint32_t ttl, std::span<const std::uint8_t> rdata,
              std::vector<std::uint8_t>& wire) {
    if (rdata.size() > 65535) return nullptr;
    wire.assign(owner.wire.begin(), owner.wire.begin() + owner.length);
    const std::uint8_t fixed[] = {static_cast<std::uint8_t>(type >> 8), static_cast<std::uint8_t>(type), 0, 1,
                                  static_cast<std::uint8_t>(ttl >> 24), static_cast<std::uint8_t>(ttl >> 16),
                                  static_cast<std::uint8_t>(ttl >> 8), static_cast<std::uint8_t>(ttl),
                                  static_cast<std::uint8_t>(rdata.size() >> 8),
                                  static_cast<std::uint8_t>(rdata.size())};
    wire.insert(wire.end(), std::begin(fixed), std::end(fixed));
    wire.insert(wire.end(), rdata.begin(), rdata.end());
    ldns_rr* raw = nullptr;
    std::size_t pos = 0;
    if (ldns_wire2rr(&raw, wire.data(), wire.size(), &pos, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK) return nullptr;
    return RrPtr(raw);
}

}  // namespace

bool read_rrsig_fields(std::span<const std::uint8_t> rdata, RrsigFields* out) {
    if (rdata.size() < 19) return false;  // 18 fixed bytes and at least the root label
    out->type_covered = static_cast<std::uint16_t>(rdata[0] << 8 | rdata[1]);
    out->algorithm = rdata[2];
    out->labels = rdata[3];
    out->original_ttl = read32(rdata, 4);
    out->expiration = read32(rdata, 8);
    out->inception = read32(rdata, 12);
    out->key_tag = static_cast<std::uint16_t>(rdata[16] << 8 | rdata[17]);
    // The signer's labels, uncompressed; stop at the root or the end.
    std::size_t at = 18;
    while (at < rdata.size() && rdata[at] != 0 && rdata[at] <= 63) at += 1 + rdata[at];
    if (at >= rdata.size() || rdata[at] != 0) return false;
    out->signer_wire = rdata.subspan(18, at + 1 - 18);
    return true;
}

SignatureTime rrsig_time_check(const RrsigFields& fields, std::int64_t time_s) {
    const auto now = static_cast<std::uint32_t>(time_s);
    if (static_cast<std::int32_t>(now - fields.inception) < 0) return SignatureTime::not_yet_valid;
    if (static_cast<std::int32_t>(fields.expiration - now) < 0) return SignatureTime::expired;
    return SignatureTime::valid;
}

struct TrustedKeys::Impl {
    RrListPtr keys{ldns_rr_list_new()};
};

TrustedKeys::TrustedKeys(const DnsName& apex, const std::vector<std::string_view>& dnskey_rdata)
    : impl_(std::make_unique<Impl>()) {
    std::vector<std::uint8_t> wire;
    for (const std::string_view rdata : dnskey_rdata) {
        const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(rdata.data()), rdata.size());
        RrPtr rr = make_rr(apex, 48 /* DNSKEY */, 3600, bytes, wire);
        if (!rr || !ldns_rr_list_push_rr(impl_->keys.get(), rr.get())) {
            ++skipped_;
            continue;
        }
        rr.release();  // owned by the list now
    }
}

TrustedKeys::~TrustedKeys() = default;

std::size_t TrustedKeys::size() const { return ldns_rr_list_rr_count(impl_->keys.get()); }

SignatureCheck TrustedKeys::verify(const DnsName& owner, std::uint16_t type,
                                   const std::vector<std::span<const std::uint8_t>>& rdatas,
                                   std::span<const std::uint8_t> rrsig_rdata) const {
    RrsigFields fields;
    if (rdatas.empty() || !read_rrsig_fields(rrsig_rdata, &fields) || fields.type_covered != type) {
        return SignatureCheck::malformed;
    }
    std::vector<std::uint8_t> wire;
    RrListPtr rrset(ldns_rr_list_new());
    for (const auto& rdata : rdatas) {
        RrPtr rr = make_rr(owner, type, fields.original_ttl, rdata, wire);
        if (!rr || !ldns_rr_list_push_rr(rrset.get(), rr.get())) return SignatureCheck::malformed;
        rr.release();
    }
    RrPtr rrsig = make_rr(owner, 46 /* RRSIG */, fields.original_ttl, rrsig_rdata, wire);
    if (!rrsig) return SignatureCheck::malformed;

    // ldns keeps pointers to the keys that verified in `good`; a shallow
    // list, freed without its records.
    ldns_rr_list* good = ldns_rr_list_new();
    const ldns_status status = ldns_verify_rrsig_keylist_notime(rrset.get(), rrsig.get(), impl_->keys.get(), good);
    ldns_rr_list_free(good);
    switch (status) {
        case LDNS_STATUS_OK:
            return SignatureCheck::valid;
        case LDNS_STATUS_CRYPTO_NO_MATCHING_KEYTAG_DNSKEY:
            return SignatureCheck::unknown_key;
        case LDNS_STATUS_CRYPTO_UNKNOWN_ALGO:
        case LDNS_STATUS_CRYPTO_ALGO_NOT_IMPL:
            return SignatureCheck::unsupported;
        case LDNS_STATUS_CRYPTO_TYPE_COVERED_ERR:
        case LDNS_STATUS_MISSING_RDATA_FIELDS_RRSIG:
            return SignatureCheck::malformed;
        default:
            // CRYPTO_BOGUS, and the SSL errors of a signature whose bytes do
            // not even decode for the key's algorithm: both fail validation.
            return SignatureCheck::bogus;
    }
}

}  // namespace dnswatch
