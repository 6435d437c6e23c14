#include "baseline/zone_rdata.h"

#include <string>

namespace dnswatch {
namespace {

enum RrType : std::uint16_t {
    kA = 1, kNs = 2, kCname = 5, kSoa = 6, kPtr = 12, kMx = 15, kTxt = 16, kAaaa = 28, kSrv = 33,
    kDname = 39, kDs = 43, kRrsig = 46, kNsec = 47, kDnskey = 48, kNsec3 = 50, kNsec3param = 51,
    kTlsa = 52, kCds = 59, kCdnskey = 60, kCaa = 257,
};

// Hands out a record's rdata tokens field by field.
class Fields {
public:
    Fields(std::span<const ZoneToken> tokens, RdataEnd end) : tokens_(tokens), end_(end) {}

    const ZoneToken& next(const char* what) {
        if (at_ == tokens_.size()) throw ZoneSyntaxError(end_.line, end_.column, std::string("missing ") + what);
        return tokens_[at_++];
    }
    // The remaining tokens, at least one: a last field that may hold spaces.
    std::span<const ZoneToken> rest(const char* what) {
        if (at_ == tokens_.size()) throw ZoneSyntaxError(end_.line, end_.column, std::string("missing ") + what);
        return rest_or_none();
    }
    std::span<const ZoneToken> rest_or_none() {
        const auto rest = tokens_.subspan(at_);
        at_ = tokens_.size();
        return rest;
    }
    bool done() const { return at_ == tokens_.size(); }
    void finish() const {
        if (!done()) throw ZoneSyntaxError(tokens_[at_], "unexpected '" + std::string(tokens_[at_].text) + "' after the rdata");
    }

private:
    std::span<const ZoneToken> tokens_;
    std::size_t at_ = 0;
    RdataEnd end_;
};

void append_rdata_name(Fields& fields, const char* what, const WireName* origin, std::vector<std::uint8_t>& out) {
    WireName name;
    parse_name(fields.next(what), origin, name);
    append_name(out, name);
}

void append_number(Fields& fields, std::uint32_t max, const char* what, std::vector<std::uint8_t>& out) {
    const std::uint32_t value = parse_number(fields.next(what), max, what);
    if (max == 0xFF) {
        append_u8(out, value);
    } else if (max == 0xFFFF) {
        append_u16(out, value);
    } else {
        append_u32(out, value);
    }
}

// What NSEC3 and NSEC3PARAM start with: hash algorithm, flags, iterations, salt.
void append_nsec3_parameters(Fields& fields, std::vector<std::uint8_t>& out) {
    append_number(fields, 0xFF, "hash algorithm", out);
    append_number(fields, 0xFF, "flags", out);
    append_number(fields, 0xFFFF, "iterations", out);
    append_salt(fields.next("salt"), out);
}

}  // namespace

bool has_rdata_parser(std::uint16_t type) {
    switch (type) {
        case kA: case kNs: case kCname: case kSoa: case kPtr: case kMx: case kTxt: case kAaaa: case kSrv:
        case kDname: case kDs: case kRrsig: case kNsec: case kDnskey: case kNsec3: case kNsec3param:
        case kTlsa: case kCds: case kCdnskey: case kCaa:
            return true;
        default:
            return false;
    }
}

void parse_rdata(std::uint16_t type, std::span<const ZoneToken> tokens, const WireName* origin, RdataEnd end,
                 std::vector<std::uint8_t>& out) {
    Fields fields(tokens, end);
    switch (type) {
        case kA:
            append_ipv4(fields.next("address"), out);
            break;
        case kAaaa:
            append_ipv6(fields.next("address"), out);
            break;
        case kNs: case kCname: case kPtr: case kDname:
            append_rdata_name(fields, "name", origin, out);
            break;
        case kMx:
            append_number(fields, 0xFFFF, "preference", out);
            append_rdata_name(fields, "exchange", origin, out);
            break;
        case kSoa:
            append_rdata_name(fields, "primary name server", origin, out);
            append_rdata_name(fields, "mailbox", origin, out);
            append_number(fields, 0xFFFFFFFF, "serial", out);
            append_u32(out, parse_ttl(fields.next("refresh"), "refresh"));
            append_u32(out, parse_ttl(fields.next("retry"), "retry"));
            append_u32(out, parse_ttl(fields.next("expire"), "expire"));
            append_u32(out, parse_ttl(fields.next("minimum"), "minimum"));
            break;
        case kTxt:
            append_character_string(fields.next("text"), out);
            while (!fields.done()) append_character_string(fields.next("text"), out);
            break;
        case kSrv:
            append_number(fields, 0xFFFF, "priority", out);
            append_number(fields, 0xFFFF, "weight", out);
            append_number(fields, 0xFFFF, "port", out);
            append_rdata_name(fields, "target", origin, out);
            break;
        case kDs: case kCds:
            append_number(fields, 0xFFFF, "key tag", out);
            append_u8(out, parse_algorithm(fields.next("algorithm")));
            append_number(fields, 0xFF, "digest type", out);
            append_hex(fields.rest("digest"), out);
            break;
        case kDnskey: case kCdnskey:
            append_number(fields, 0xFFFF, "flags", out);
            append_number(fields, 0xFF, "protocol", out);
            append_u8(out, parse_algorithm(fields.next("algorithm")));
            append_base64(fields.rest("public key"), out);
            break;
        case kTlsa:
            append_u8(out, parse_tlsa_usage(fields.next("certificate usage")));
            append_u8(out, parse_tlsa_selector(fields.next("selector")));
            append_u8(out, parse_tlsa_matching_type(fields.next("matching type")));
            append_hex(fields.rest("certificate association data"), out);
            break;
        case kCaa:
            append_number(fields, 0xFF, "flags", out);
            append_tag(fields.next("tag"), out);
            append_long_string(fields.next("value"), out);
            break;
        case kRrsig: {
            const ZoneToken& covered = fields.next("type covered");
            const auto covered_type = covered.quoted ? std::nullopt : parse_type(covered.text);
            if (!covered_type) throw ZoneSyntaxError(covered, "unknown type '" + std::string(covered.text) + "'");
            append_u16(out, *covered_type);
            append_u8(out, parse_algorithm(fields.next("algorithm")));
            append_number(fields, 0xFF, "labels", out);
            append_number(fields, 0xFFFFFFFF, "original TTL", out);
            append_u32(out, parse_signature_time(fields.next("expiration")));
            append_u32(out, parse_signature_time(fields.next("inception")));
            append_number(fields, 0xFFFF, "key tag", out);
            append_rdata_name(fields, "signer", origin, out);
            append_base64(fields.rest("signature"), out);
            break;
        }
        case kNsec:
            append_rdata_name(fields, "next name", origin, out);
            append_type_bitmap(fields.rest_or_none(), out);
            break;
        case kNsec3:
            append_nsec3_parameters(fields, out);
            append_base32hex(fields.next("next hashed owner"), out);
            append_type_bitmap(fields.rest_or_none(), out);
            break;
        case kNsec3param:
            append_nsec3_parameters(fields, out);
            break;
        default:
            throw ZoneSyntaxError(end.line, end.column, "no parser for type " + std::to_string(type));
    }
    fields.finish();
}

}  // namespace dnswatch
