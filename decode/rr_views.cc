#include "decode/rr_views.h"

#include "decode/wire_reader.h"

namespace dnswatch {
namespace {

// Reads one record's rdata: a WireReader over the message cut at the rdata's
// end, so that neither a field nor a name can run past rdlength, while
// compression pointers may still reach back into the message.
class RdataCursor {
public:
    RdataCursor(std::span<const std::uint8_t> message, const RecordView& record)
        : reader_(bounded(message, record), record.rdata_offset) {
        const std::size_t end = std::size_t{record.rdata_offset} + record.rdata_length;
        if (end > message.size()) error_ = MalformedKind::dns_bad_rdata;
    }

    std::uint8_t u8() { return reader_.u8(); }
    std::uint16_t u16() { return reader_.u16(); }
    std::uint32_t u32() { return reader_.u32(); }
    std::span<const std::uint8_t> take(std::size_t n) { return reader_.take(n); }
    std::span<const std::uint8_t> rest() { return reader_.take(reader_.remaining()); }
    // A length octet and that many bytes.
    std::span<const std::uint8_t> counted() { return reader_.take(reader_.u8()); }
    std::size_t remaining() const { return reader_.remaining(); }

    void name(DnsName& out) {
        if (!ok()) return;
        std::size_t next = 0;
        const MalformedKind kind = read_name(reader_.bytes(), reader_.offset(), &out, &next);
        if (kind != MalformedKind::none) {
            error_ = kind;
            return;
        }
        reader_.seek(next);
    }
    // Marks the rdata malformed unless `condition` holds.
    void require(bool condition) {
        if (!condition && error_ == MalformedKind::none) error_ = MalformedKind::dns_bad_rdata;
    }
    bool ok() const { return error_ == MalformedKind::none && !reader_.failed(); }

    // The verdict: every field read, nothing left over.
    MalformedKind finish() const {
        if (error_ != MalformedKind::none) return error_;
        if (reader_.failed() || reader_.remaining() != 0) return MalformedKind::dns_bad_rdata;
        return MalformedKind::none;
    }

private:
    static std::span<const std::uint8_t> bounded(std::span<const std::uint8_t> message, const RecordView& record) {
        const std::size_t end = std::size_t{record.rdata_offset} + record.rdata_length;
        return end <= message.size() ? message.first(end) : std::span<const std::uint8_t>{};
    }

    WireReader reader_;
    MalformedKind error_ = MalformedKind::none;
};

template <typename View, typename Fill>
Parsed<View> read_with(std::span<const std::uint8_t> message, const RecordView& record, Fill fill) {
    Parsed<View> out;
    RdataCursor cursor(message, record);
    fill(cursor, out.view);
    out.error = cursor.finish();
    return out;
}

Parsed<AddressView> read_address(std::span<const std::uint8_t> message, const RecordView& record,
                                 std::size_t size) {
    return read_with<AddressView>(message, record, [size](RdataCursor& c, AddressView& v) {
        c.require(c.remaining() == size);
        v.address = c.take(size);
    });
}

// Digest sizes of the DS digest types with a fixed output (IANA registry).
std::optional<std::size_t> ds_digest_size(std::uint8_t digest_type) {
    switch (digest_type) {
        case 1: return 20;  // SHA-1
        case 2: return 32;  // SHA-256
        case 3: return 32;  // GOST R 34.11-94
        case 4: return 48;  // SHA-384
        case 5: return 32;  // GOST R 34.11-2012 (RFC 9558)
        default: return std::nullopt;
    }
}

bool is_letter_or_digit(std::uint8_t c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool valid_mandatory(std::span<const std::uint8_t> value, std::span<const std::uint8_t> params) {
    if (!FixedItems<2>::valid(value)) return false;
    const SvcParams all = SvcParams::of_valid(params);
    int previous = -1;
    for (const auto item : FixedItems<2>::of_valid(value)) {
        const int key = (item[0] << 8) | item[1];
        // Strictly increasing, never "mandatory" itself, and present (RFC 9460 8).
        if (key <= previous || key == svc_key::mandatory || !all.find(static_cast<std::uint16_t>(key))) {
            return false;
        }
        previous = key;
    }
    return true;
}

bool valid_alpn(std::span<const std::uint8_t> value) {
    if (value.empty() || !CharacterStrings::valid(value)) return false;
    for (const auto id : CharacterStrings::of_valid(value)) {
        if (id.empty()) return false;
    }
    return true;
}

// Checks SvcParams and decodes the cheap keys into `view`. In AliasMode the
// params are to be ignored (RFC 9460 2.4.2): only their framing is checked.
bool read_svc_params(std::span<const std::uint8_t> wire, SvcbView& view) {
    WireReader reader(wire);
    int previous = -1;
    std::span<const std::uint8_t> mandatory;
    bool has_mandatory = false;
    while (reader.remaining() > 0) {
        const std::uint16_t key = reader.u16();
        const std::span<const std::uint8_t> value = reader.take(reader.u16());
        if (reader.failed() || key <= previous) return false;
        previous = key;
        if (view.alias_mode()) continue;
        switch (key) {
            case svc_key::mandatory:
                mandatory = value;
                has_mandatory = true;
                break;
            case svc_key::alpn:
                if (!valid_alpn(value)) return false;
                view.alpn = CharacterStrings::of_valid(value);
                break;
            case svc_key::no_default_alpn:
                if (!value.empty()) return false;
                view.no_default_alpn = true;
                break;
            case svc_key::port:
                if (value.size() != 2) return false;
                view.port = static_cast<std::uint16_t>((value[0] << 8) | value[1]);
                break;
            case svc_key::ipv4hint:
                if (!FixedItems<4>::valid(value)) return false;
                view.ipv4hint = FixedItems<4>::of_valid(value);
                break;
            case svc_key::ech:
                view.ech = value;
                break;
            case svc_key::ipv6hint:
                if (!FixedItems<16>::valid(value)) return false;
                view.ipv6hint = FixedItems<16>::of_valid(value);
                break;
            case svc_key::ohttp:  // RFC 9540 4: no value
                if (!value.empty()) return false;
                break;
            default:  // dohpath and unknown keys: opaque
                break;
        }
    }
    view.params = SvcParams::of_valid(wire);
    if (has_mandatory) {
        if (!valid_mandatory(mandatory, wire)) return false;
        view.mandatory = FixedItems<2>::of_valid(mandatory);
    }
    return true;
}

}  // namespace

// ------------------------------------------------------------ ranges

bool CharacterStrings::valid(std::span<const std::uint8_t> wire) {
    std::size_t pos = 0;
    while (pos < wire.size()) {
        const std::size_t n = 1 + std::size_t{wire[pos]};
        if (n > wire.size() - pos) return false;
        pos += n;
    }
    return true;
}

bool TypeBitmap::valid(std::span<const std::uint8_t> wire) {
    std::size_t pos = 0;
    int previous = -1;
    while (pos < wire.size()) {
        if (wire.size() - pos < 2) return false;
        const int window = wire[pos];
        const std::size_t length = wire[pos + 1];
        if (window <= previous || length == 0 || length > 32 || length > wire.size() - pos - 2) return false;
        // Trailing zero bytes must be left out, so an empty window never appears.
        if (wire[pos + 1 + length] == 0) return false;
        previous = window;
        pos += 2 + length;
    }
    return true;
}

void TypeBitmap::iterator::settle() {
    while (window_ < wire_.size()) {
        const std::size_t length = wire_[window_ + 1];
        for (; bit_ < length * 8; ++bit_) {
            if (wire_[window_ + 2 + bit_ / 8] & (0x80u >> (bit_ % 8))) return;
        }
        window_ += 2 + length;
        bit_ = 0;
    }
}

bool TypeBitmap::contains(std::uint16_t type) const {
    const std::size_t window = type >> 8, bit = type & 0xFF;
    std::size_t pos = 0;
    while (pos < wire_.size()) {
        const std::size_t length = wire_[pos + 1];
        if (wire_[pos] == window) {
            return bit / 8 < length && (wire_[pos + 2 + bit / 8] & (0x80u >> (bit % 8)));
        }
        pos += 2 + length;
    }
    return false;
}


// ------------------------------------------------------------ readers

Parsed<AddressView> read_a(std::span<const std::uint8_t> message, const RecordView& record) {
    return read_address(message, record, 4);
}

Parsed<AddressView> read_aaaa(std::span<const std::uint8_t> message, const RecordView& record) {
    return read_address(message, record, 16);
}

Parsed<NameView> read_name_rdata(std::span<const std::uint8_t> message, const RecordView& record) {
    return read_with<NameView>(message, record, [](RdataCursor& c, NameView& v) { c.name(v.name); });
}

Parsed<SoaView> read_soa(std::span<const std::uint8_t> message, const RecordView& record) {
    return read_with<SoaView>(message, record, [](RdataCursor& c, SoaView& v) {
        c.name(v.mname);
        c.name(v.rname);
        v.serial = c.u32();
        v.refresh = c.u32();
        v.retry = c.u32();
        v.expire = c.u32();
        v.minimum = c.u32();
    });
}

Parsed<MxView> read_mx(std::span<const std::uint8_t> message, const RecordView& record) {
    return read_with<MxView>(message, record, [](RdataCursor& c, MxView& v) {
        v.preference = c.u16();
        c.name(v.exchange);
    });
}

Parsed<TxtView> read_txt(std::span<const std::uint8_t> message, const RecordView& record) {
    return read_with<TxtView>(message, record, [](RdataCursor& c, TxtView& v) {
        const auto strings = c.rest();
        c.require(!strings.empty() && CharacterStrings::valid(strings));  // one or more (RFC 1035 3.3.14)
        v.strings = CharacterStrings::of_valid(c.ok() ? strings : std::span<const std::uint8_t>{});
    });
}

Parsed<DsView> read_ds(std::span<const std::uint8_t> message, const RecordView& record) {
    return read_with<DsView>(message, record, [](RdataCursor& c, DsView& v) {
        v.key_tag = c.u16();
        v.algorithm = c.u8();
        v.digest_type = c.u8();
        v.digest = c.rest();
        const auto size = ds_digest_size(v.digest_type);
        c.require(size ? v.digest.size() == *size : !v.digest.empty());
    });
}

std::uint16_t dnskey_key_tag(std::span<const std::uint8_t> rdata) {
    if (rdata.size() < 4) return 0;
    if (rdata[3] == 1) {  // RSA/MD5: bits 16..31 of the modulus' low 24 bits
        return rdata.size() < 7 ? 0
                                : static_cast<std::uint16_t>((rdata[rdata.size() - 3] << 8) | rdata[rdata.size() - 2]);
    }
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < rdata.size(); ++i) sum += (i & 1) ? rdata[i] : std::uint32_t{rdata[i]} << 8;
    sum += (sum >> 16) & 0xFFFF;
    return static_cast<std::uint16_t>(sum & 0xFFFF);
}

Parsed<DnskeyView> read_dnskey(std::span<const std::uint8_t> message, const RecordView& record) {
    return read_with<DnskeyView>(message, record, [&](RdataCursor& c, DnskeyView& v) {
        v.flags = c.u16();
        v.protocol = c.u8();
        v.algorithm = c.u8();
        v.public_key = c.rest();
        c.require(!v.public_key.empty());
        if (c.ok()) v.key_tag = dnskey_key_tag(message.subspan(record.rdata_offset, record.rdata_length));
    });
}

Parsed<RrsigView> read_rrsig(std::span<const std::uint8_t> message, const RecordView& record) {
    return read_with<RrsigView>(message, record, [](RdataCursor& c, RrsigView& v) {
        v.type_covered = c.u16();
        v.algorithm = c.u8();
        v.labels = c.u8();
        v.original_ttl = c.u32();
        v.expiration = c.u32();
        v.inception = c.u32();
        v.key_tag = c.u16();
        c.name(v.signer);
        v.signature = c.rest();
        c.require(!v.signature.empty());
    });
}

Parsed<NsecView> read_nsec(std::span<const std::uint8_t> message, const RecordView& record) {
    return read_with<NsecView>(message, record, [](RdataCursor& c, NsecView& v) {
        c.name(v.next);
        const auto bitmap = c.rest();
        c.require(TypeBitmap::valid(bitmap));
        v.types = TypeBitmap::of_valid(c.ok() ? bitmap : std::span<const std::uint8_t>{});
    });
}

Parsed<Nsec3View> read_nsec3(std::span<const std::uint8_t> message, const RecordView& record) {
    return read_with<Nsec3View>(message, record, [](RdataCursor& c, Nsec3View& v) {
        v.hash_algorithm = c.u8();
        v.flags = c.u8();
        v.iterations = c.u16();
        v.salt = c.counted();
        v.next_hashed_owner = c.counted();
        // SHA-1 (the only algorithm, RFC 5155 11) hashes to 20 bytes.
        c.require(v.hash_algorithm == 1 ? v.next_hashed_owner.size() == 20 : !v.next_hashed_owner.empty());
        const auto bitmap = c.rest();
        c.require(TypeBitmap::valid(bitmap));
        v.types = TypeBitmap::of_valid(c.ok() ? bitmap : std::span<const std::uint8_t>{});
    });
}

Parsed<Nsec3ParamView> read_nsec3param(std::span<const std::uint8_t> message, const RecordView& record) {
    return read_with<Nsec3ParamView>(message, record, [](RdataCursor& c, Nsec3ParamView& v) {
        v.hash_algorithm = c.u8();
        v.flags = c.u8();
        v.iterations = c.u16();
        v.salt = c.counted();
    });
}

Parsed<TlsaView> read_tlsa(std::span<const std::uint8_t> message, const RecordView& record) {
    return read_with<TlsaView>(message, record, [](RdataCursor& c, TlsaView& v) {
        v.usage = c.u8();
        v.selector = c.u8();
        v.matching_type = c.u8();
        v.data = c.rest();
        // Matching types 1 and 2 carry a SHA-256 / SHA-512 digest (RFC 6698 2.1.3).
        c.require(v.matching_type == 1   ? v.data.size() == 32
                  : v.matching_type == 2 ? v.data.size() == 64
                                         : !v.data.empty());
    });
}

Parsed<CaaView> read_caa(std::span<const std::uint8_t> message, const RecordView& record) {
    return read_with<CaaView>(message, record, [](RdataCursor& c, CaaView& v) {
        v.flags = c.u8();
        v.tag = c.counted();
        v.value = c.rest();
        c.require(!v.tag.empty());  // RFC 8659 4.1: at least 1, letters and digits only
        for (const std::uint8_t ch : v.tag) c.require(is_letter_or_digit(ch));
    });
}

Parsed<SvcbView> read_svcb(std::span<const std::uint8_t> message, const RecordView& record) {
    return read_with<SvcbView>(message, record, [](RdataCursor& c, SvcbView& v) {
        v.priority = c.u16();
        c.name(v.target);
        if (c.ok()) c.require(read_svc_params(c.rest(), v));
    });
}

}  // namespace dnswatch
