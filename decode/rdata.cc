#include "decode/rdata.h"

#include <cstring>
#include <span>

#include "decode/dns_message.h"
#include "decode/dns_name.h"

namespace dnswatch {
namespace {

enum class Field : std::uint8_t { fixed, name, text, texts, rest };
struct Step {
    Field field;
    std::uint8_t length = 0;  // bytes, for Field::fixed
};

constexpr Step kName{Field::name};
constexpr Step kText{Field::text};  // one <character-string>
constexpr Step kTexts{Field::texts};  // one or more <character-string>s up to the end of the rdata
constexpr Step kRest{Field::rest};  // opaque up to the end of the rdata
constexpr Step fixed(std::uint8_t n) { return {Field::fixed, n}; }

constexpr Step kA[] = {fixed(4)};
constexpr Step kAaaa[] = {fixed(16)};
constexpr Step kOneName[] = {kName};
constexpr Step kSoa[] = {kName, kName, fixed(20)};
constexpr Step kTwoNames[] = {kName, kName};
constexpr Step kPreferenceName[] = {fixed(2), kName};
constexpr Step kPx[] = {fixed(2), kName, kName};
constexpr Step kSrv[] = {fixed(6), kName};
constexpr Step kNaptr[] = {fixed(4), kText, kText, kText, kName};
constexpr Step kRrsig[] = {fixed(18), kName, kRest};
constexpr Step kNsec[] = {kName, kRest};
constexpr Step kTxt[] = {kTexts};
constexpr Step kHinfo[] = {kText, kText};
constexpr Step kNsec3[] = {fixed(4), kText, kText, kRest};  // salt and next hashed owner are length-prefixed
constexpr Step kNsec3Param[] = {fixed(4), kText};
constexpr Step kCaa[] = {fixed(1), kText, kRest};           // the tag is length-prefixed
constexpr Step kUri[] = {fixed(4), kRest};
constexpr Step kSvcb[] = {fixed(2), kName, kRest};
// Types without names: only their fixed-size head is checked.
constexpr Step kHead2[] = {fixed(2), kRest};   // SSHFP
constexpr Step kHead3[] = {fixed(3), kRest};   // TLSA, SMIMEA
constexpr Step kHead4[] = {fixed(4), kRest};   // DS, CDS, DLV; DNSKEY, CDNSKEY, KEY, RKEY
constexpr Step kHead5[] = {fixed(5), kRest};   // WKS, CERT
constexpr Step kHead6[] = {fixed(6), kRest};   // CSYNC, ZONEMD
constexpr Step kOpaque[] = {kRest};

// The layout of a type's rdata. Names are lower-cased for the types RFC 4034
// section 6.2 lists, and for NSEC's next name and the SVCB/HTTPS target too:
// comparison wants case folded (RFC 6840 5.1 and RFC 9460 keep their case in
// DNSSEC's canonical form, which this is not meant for). Length-prefixed
// fields and fixed-size heads are checked so that malformed rdata has no
// canonical form; the other types are opaque. RFC 3597 lets only the older
// types compress, but a pointer is followed wherever a name is read.
std::span<const Step> layout_of(std::uint16_t type) {
    switch (type) {
        case 1: return kA;
        case 28: return kAaaa;
        case 2: case 3: case 4: case 5: case 7: case 8:      // NS MD MF CNAME MB MG
        case 9: case 12: case 39:                            // MR PTR DNAME
            return kOneName;
        case 6: return kSoa;
        case 14: case 17: return kTwoNames;                  // MINFO, RP
        case 15: case 18: case 21: case 36: return kPreferenceName;  // MX AFSDB RT KX
        case 26: return kPx;
        case 33: return kSrv;
        case 35: return kNaptr;
        case 24: case 46: return kRrsig;                     // SIG, RRSIG
        case 30: case 47: return kNsec;                      // NXT (RFC 2535), NSEC
        case 13: return kHinfo;
        case 16: case 99: return kTxt;                       // TXT, SPF
        case 50: return kNsec3;
        case 51: return kNsec3Param;
        case 64: case 65: return kSvcb;                      // SVCB, HTTPS
        case 256: return kUri;
        case 257: return kCaa;
        case 44: return kHead2;
        case 52: case 53: return kHead3;
        case 43: case 59: case 32769:                        // DS CDS DLV
        case 48: case 60: case 25: case 57:                  // DNSKEY CDNSKEY KEY RKEY
            return kHead4;
        case 11: case 37: return kHead5;                     // WKS CERT
        case 62: case 63: return kHead6;                     // CSYNC ZONEMD
        default: return kOpaque;
    }
}

// out.insert() of a byte range costs ~60 instructions of generic code; a
// resize and a memcpy into the room reserved for every message is what it
// comes down to (an answer's rdata are appended per record on the packet path).
inline void append_bytes(std::vector<std::uint8_t>& out, const std::uint8_t* from, std::size_t n) {
    const std::size_t at = out.size();
    out.resize(at + n);
    if (n != 0) std::memcpy(out.data() + at, from, n);
}

}  // namespace

MalformedKind append_canonical_rdata(std::span<const std::uint8_t> message, std::uint16_t type,
                                     std::size_t rdata_offset, std::size_t rdata_length,
                                     std::vector<std::uint8_t>& out) {
    if (rdata_offset > message.size() || rdata_length > message.size() - rdata_offset) {
        return MalformedKind::dns_bad_rdata;
    }
    // The addresses, most of what a referral's glue holds: their bytes are
    // their canonical form.
    if (type == 1 || type == 28) {
        if (rdata_length != (type == 1 ? 4u : 16u)) return MalformedKind::dns_bad_rdata;
        append_bytes(out, message.data() + rdata_offset, rdata_length);
        return MalformedKind::none;
    }
    const std::size_t start_size = out.size();
    const std::size_t end = rdata_offset + rdata_length;
    std::size_t pos = rdata_offset;
    auto fail = [&](MalformedKind kind) {
        out.resize(start_size);
        return kind;
    };
    for (const Step& step : layout_of(type)) {
        if (step.field == Field::fixed) {
            const std::size_t n = step.length;
            if (n > end - pos) return fail(MalformedKind::dns_bad_rdata);
            append_bytes(out, message.data() + pos, n);
            pos += n;
        } else if (step.field == Field::name) {
            DnsName name;
            std::size_t next = 0;
            // Pointers may reach back into the message, never past the rdata.
            const MalformedKind kind = read_name(message.first(end), pos, &name, &next);
            if (kind != MalformedKind::none) return fail(kind);
            append_bytes(out, name.wire.data(), name.length);
            pos = next;
        } else if (step.field == Field::text) {
            if (pos >= end) return fail(MalformedKind::dns_bad_rdata);
            const std::size_t n = 1 + std::size_t{message[pos]};
            if (n > end - pos) return fail(MalformedKind::dns_bad_rdata);
            append_bytes(out, message.data() + pos, n);
            pos += n;
        } else if (step.field == Field::texts) {
            const std::size_t first = pos;
            if (pos >= end) return fail(MalformedKind::dns_bad_rdata);
            while (pos < end) {
                const std::size_t n = 1 + std::size_t{message[pos]};
                if (n > end - pos) return fail(MalformedKind::dns_bad_rdata);
                pos += n;
            }
            append_bytes(out, message.data() + first, end - first);
        } else {  // Field::rest
            append_bytes(out, message.data() + pos, end - pos);
            pos = end;
        }
    }
    if (pos != end) return fail(MalformedKind::dns_bad_rdata);  // bytes left over
    return MalformedKind::none;
}

}  // namespace dnswatch
