// Typed, validating views of a record's rdata (CONVENTIONS 4: records stay
// offsets into the packet; rdata is decoded only when a caller asks). Each
// read_* function checks the whole layout of its type once and returns a
// small struct of views into the message: names decoded into DnsName (via
// read_name, so lower case), everything else as spans of the message bytes or
// as ranges that iterate already-validated bytes. Nothing is allocated.
//
// Two levels of checking, on purpose:
//  - append_canonical_rdata (decode/rdata.h) checks that the bytes parse into
//    the type's fields; that is what comparison with the baseline needs.
//  - the views here also check what the fields must hold (a SHA-256 DS digest
//    is 32 bytes, CAA tags are letters and digits, SvcParamKeys increase, type
//    bitmap windows increase...), so a view may refuse rdata that has a
//    canonical form. Either refusal is MalformedKind::dns_bad_rdata (or the
//    name error read_name found), to be counted by the caller.
//
// A view reads the layout it is named for, whatever the record's type says,
// so that types sharing a layout share a function: read_ds for DS and CDS,
// read_dnskey for DNSKEY and CDNSKEY, read_svcb for SVCB and HTTPS,
// read_name_rdata for NS, CNAME, DNAME and PTR.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "decode/decode_counters.h"
#include "decode/dns_message.h"
#include "decode/dns_name.h"
#include "decode/wire_views.h"

namespace dnswatch {

// A run of <character-string>s (RFC 1035 3.3), already validated: iterating
// yields each string's bytes without its length octet.
struct CharacterStringLayout {
    using value_type = std::span<const std::uint8_t>;
    static value_type item(std::span<const std::uint8_t> wire, std::size_t pos) { return wire.subspan(pos + 1, wire[pos]); }
    static std::size_t length(std::span<const std::uint8_t> wire, std::size_t pos) { return 1 + std::size_t{wire[pos]}; }
};

class CharacterStrings : public WireRange<CharacterStringLayout> {
public:
    CharacterStrings() = default;
    // True when `wire` is exactly a sequence of length-prefixed strings.
    static bool valid(std::span<const std::uint8_t> wire);
    // `wire` must be valid().
    static CharacterStrings of_valid(std::span<const std::uint8_t> wire) { return CharacterStrings(wire); }

private:
    explicit CharacterStrings(std::span<const std::uint8_t> wire) : WireRange(wire) {}
};

// An NSEC / NSEC3 type bitmap (RFC 4034 4.1.2), already validated: windows
// strictly increasing, each 1..32 bytes whose last byte is not zero.
// Iterating yields the types present, in increasing order.
class TypeBitmap {
public:
    class iterator {
    public:
        using value_type = std::uint16_t;
        using difference_type = std::ptrdiff_t;
        iterator() = default;
        iterator(std::span<const std::uint8_t> wire, std::size_t window, std::size_t bit)
            : wire_(wire), window_(window), bit_(bit) {
            settle();
        }
        std::uint16_t operator*() const {
            return static_cast<std::uint16_t>((std::size_t{wire_[window_]} << 8) | bit_);
        }
        iterator& operator++() {
            ++bit_;
            settle();
            return *this;
        }
        iterator operator++(int) {
            iterator before = *this;
            ++*this;
            return before;
        }
        friend bool operator==(const iterator& a, const iterator& b) {
            return a.window_ == b.window_ && a.bit_ == b.bit_;
        }

    private:
        void settle();  // moves to the next set bit at or after (window_, bit_)
        std::span<const std::uint8_t> wire_;
        std::size_t window_ = 0;  // offset of the window's number byte
        std::size_t bit_ = 0;     // 0..255 within the window
    };

    TypeBitmap() = default;
    static bool valid(std::span<const std::uint8_t> wire);
    static TypeBitmap of_valid(std::span<const std::uint8_t> wire) { return TypeBitmap(wire); }

    iterator begin() const { return {wire_, 0, 0}; }
    iterator end() const { return {wire_, wire_.size(), 0}; }
    bool empty() const { return wire_.empty(); }
    bool contains(std::uint16_t type) const;
    std::span<const std::uint8_t> wire() const { return wire_; }

private:
    explicit TypeBitmap(std::span<const std::uint8_t> wire) : wire_(wire) {}
    std::span<const std::uint8_t> wire_;
};

// A list of fixed-size items (ipv4hint: 4 bytes, ipv6hint: 16, mandatory: 2).
template <std::size_t N>
struct FixedItemLayout {
    using value_type = std::span<const std::uint8_t>;
    static value_type item(std::span<const std::uint8_t> wire, std::size_t pos) { return wire.subspan(pos, N); }
    static std::size_t length(std::span<const std::uint8_t>, std::size_t) { return N; }
};

template <std::size_t N>
class FixedItems : public WireRange<FixedItemLayout<N>> {
public:
    FixedItems() = default;
    static bool valid(std::span<const std::uint8_t> wire) { return !wire.empty() && wire.size() % N == 0; }
    static FixedItems of_valid(std::span<const std::uint8_t> wire) { return FixedItems(wire); }

    std::size_t size() const { return this->wire_.size() / N; }
    std::span<const std::uint8_t> operator[](std::size_t i) const { return this->wire_.subspan(i * N, N); }

private:
    explicit FixedItems(std::span<const std::uint8_t> wire) : WireRange<FixedItemLayout<N>>(wire) {}
};

// ---------------------------------------------------------------- the views

struct AddressView {  // A (4 bytes) and AAAA (16 bytes)
    std::span<const std::uint8_t> address;
};

struct NameView {  // NS, CNAME, DNAME, PTR
    DnsName name;
};

struct SoaView {
    DnsName mname, rname;
    std::uint32_t serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0;
};

struct MxView {
    std::uint16_t preference = 0;
    DnsName exchange;
};

struct TxtView {  // one or more strings
    CharacterStrings strings;
};

struct DsView {  // DS and CDS (RFC 4034 5.1, RFC 7344)
    std::uint16_t key_tag = 0;
    std::uint8_t algorithm = 0;
    std::uint8_t digest_type = 0;
    std::span<const std::uint8_t> digest;
};

struct DnskeyView {  // DNSKEY and CDNSKEY (RFC 4034 2.1)
    std::uint16_t flags = 0;
    std::uint8_t protocol = 0;  // 3; anything else makes the key unusable, not the rdata malformed
    std::uint8_t algorithm = 0;
    std::span<const std::uint8_t> public_key;
    std::uint16_t key_tag = 0;  // RFC 4034 appendix B, computed over the rdata

    bool zone_key() const { return flags & 0x0100; }
    bool secure_entry_point() const { return flags & 0x0001; }
    bool revoked() const { return flags & 0x0080; }  // RFC 5011
};

struct RrsigView {  // RRSIG (RFC 4034 3.1)
    std::uint16_t type_covered = 0;
    std::uint8_t algorithm = 0;
    std::uint8_t labels = 0;
    std::uint32_t original_ttl = 0;
    std::uint32_t expiration = 0;  // seconds since the epoch, modulo 2^32 (RFC 4034 3.1.5)
    std::uint32_t inception = 0;
    std::uint16_t key_tag = 0;
    DnsName signer;
    std::span<const std::uint8_t> signature;
};

struct NsecView {
    DnsName next;
    TypeBitmap types;
};

struct Nsec3View {  // RFC 5155 3.2
    std::uint8_t hash_algorithm = 0;
    std::uint8_t flags = 0;
    std::uint16_t iterations = 0;
    std::span<const std::uint8_t> salt;
    std::span<const std::uint8_t> next_hashed_owner;  // raw hash, not base32
    TypeBitmap types;

    bool opt_out() const { return flags & 0x01; }
};

struct Nsec3ParamView {  // RFC 5155 4.2
    std::uint8_t hash_algorithm = 0;
    std::uint8_t flags = 0;
    std::uint16_t iterations = 0;
    std::span<const std::uint8_t> salt;
};

struct TlsaView {  // RFC 6698 2.1
    std::uint8_t usage = 0;
    std::uint8_t selector = 0;
    std::uint8_t matching_type = 0;
    std::span<const std::uint8_t> data;
};

struct CaaView {  // RFC 8659 4.1
    std::uint8_t flags = 0;
    std::span<const std::uint8_t> tag;    // ASCII letters and digits, "issue", "iodef", ...
    std::span<const std::uint8_t> value;

    bool critical() const { return flags & 0x80; }
};

namespace svc_key {  // RFC 9460 14.3.2
inline constexpr std::uint16_t mandatory = 0, alpn = 1, no_default_alpn = 2, port = 3, ipv4hint = 4, ech = 5,
                               ipv6hint = 6, dohpath = 7, ohttp = 8;
}

struct SvcParam {
    std::uint16_t key = 0;
    std::span<const std::uint8_t> value;
};

// SvcParams (RFC 9460 2.2), already validated: keys strictly increasing,
// every length inside the rdata, the keys below decoded well-formed.
using SvcParams = KeyLengthValueList<SvcParam>;

struct SvcbView {  // SVCB and HTTPS (RFC 9460 2.2)
    std::uint16_t priority = 0;  // 0: AliasMode (params present are to be ignored)
    DnsName target;              // the root name means "the owner" in ServiceMode
    SvcParams params;

    // The keys that are cheap to decode, decoded while validating.
    FixedItems<2> mandatory;             // key numbers, big endian
    CharacterStrings alpn;               // alpn-ids
    bool no_default_alpn = false;
    std::optional<std::uint16_t> port;
    FixedItems<4> ipv4hint;
    FixedItems<16> ipv6hint;
    std::optional<std::span<const std::uint8_t>> ech;  // ECHConfigList, opaque

    bool alias_mode() const { return priority == 0; }
};

// ------------------------------------------------------------ the readers
// `message` is the whole message (names in rdata may point back into it);
// `record` gives the rdata's offset and length within it. For rdata outside a
// message, pass the rdata as `message` and a record with rdata_offset 0.

Parsed<AddressView> read_a(std::span<const std::uint8_t> message, const RecordView& record);
Parsed<AddressView> read_aaaa(std::span<const std::uint8_t> message, const RecordView& record);
Parsed<NameView> read_name_rdata(std::span<const std::uint8_t> message, const RecordView& record);
Parsed<SoaView> read_soa(std::span<const std::uint8_t> message, const RecordView& record);
Parsed<MxView> read_mx(std::span<const std::uint8_t> message, const RecordView& record);
Parsed<TxtView> read_txt(std::span<const std::uint8_t> message, const RecordView& record);
Parsed<DsView> read_ds(std::span<const std::uint8_t> message, const RecordView& record);
Parsed<DnskeyView> read_dnskey(std::span<const std::uint8_t> message, const RecordView& record);
Parsed<RrsigView> read_rrsig(std::span<const std::uint8_t> message, const RecordView& record);
Parsed<NsecView> read_nsec(std::span<const std::uint8_t> message, const RecordView& record);
Parsed<Nsec3View> read_nsec3(std::span<const std::uint8_t> message, const RecordView& record);
Parsed<Nsec3ParamView> read_nsec3param(std::span<const std::uint8_t> message, const RecordView& record);
Parsed<TlsaView> read_tlsa(std::span<const std::uint8_t> message, const RecordView& record);
Parsed<CaaView> read_caa(std::span<const std::uint8_t> message, const RecordView& record);
Parsed<SvcbView> read_svcb(std::span<const std::uint8_t> message, const RecordView& record);

// The DNSKEY key tag of RFC 4034 appendix B over a DNSKEY's rdata (algorithm
// 1 included). The rdata must be at least 4 bytes.
std::uint16_t dnskey_key_tag(std::span<const std::uint8_t> rdata);

}  // namespace dnswatch
