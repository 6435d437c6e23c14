#include "decode/rdata.h"

#include <span>

#include "decode/dns_message.h"
#include "decode/dns_name.h"

namespace dnswatch {
namespace {

enum class Field : std::uint8_t { fixed, name, text, rest };
struct Step {
    Field field;
    std::uint8_t length = 0;  // bytes, for Field::fixed
};

constexpr Step kName{Field::name};
constexpr Step kText{Field::text};  // one <character-string>
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
constexpr Step kOpaque[] = {kRest};

// The layout of a type's rdata. Names are lower-cased for the types RFC 4034
// section 6.2 lists (and NSEC's next name too: comparison wants case folded);
// the other types are opaque. RFC 3597 lets only the older types compress,
// but a pointer is followed wherever a name is read.
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
        case 47: return kNsec;
        default: return kOpaque;
    }
}

}  // namespace

MalformedKind append_canonical_rdata(std::span<const std::uint8_t> message, std::uint16_t type,
                                     std::size_t rdata_offset, std::size_t rdata_length,
                                     std::vector<std::uint8_t>& out) {
    if (rdata_offset > message.size() || rdata_length > message.size() - rdata_offset) {
        return MalformedKind::dns_bad_rdata;
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
            out.insert(out.end(), message.begin() + static_cast<std::ptrdiff_t>(pos),
                       message.begin() + static_cast<std::ptrdiff_t>(pos + n));
            pos += n;
        } else if (step.field == Field::name) {
            DnsName name;
            std::size_t next = 0;
            // Pointers may reach back into the message, never past the rdata.
            const MalformedKind kind = read_name(message.first(end), pos, &name, &next);
            if (kind != MalformedKind::none) return fail(kind);
            const auto bytes = name.bytes();
            out.insert(out.end(), bytes.begin(), bytes.end());
            pos = next;
        } else if (step.field == Field::text) {
            if (pos >= end) return fail(MalformedKind::dns_bad_rdata);
            const std::size_t n = 1 + std::size_t{message[pos]};
            if (n > end - pos) return fail(MalformedKind::dns_bad_rdata);
            out.insert(out.end(), message.begin() + static_cast<std::ptrdiff_t>(pos),
                       message.begin() + static_cast<std::ptrdiff_t>(pos + n));
            pos += n;
        } else {  // Field::rest
            out.insert(out.end(), message.begin() + static_cast<std::ptrdiff_t>(pos),
                       message.begin() + static_cast<std::ptrdiff_t>(end));
            pos = end;
        }
    }
    if (pos != end) return fail(MalformedKind::dns_bad_rdata);  // bytes left over
    return MalformedKind::none;
}

}  // namespace dnswatch
