#include "decode/edns.h"

#include "decode/wire_reader.h"

namespace dnswatch {

std::string_view name_of(EdnsStatus status) {
    switch (status) {
        case EdnsStatus::ok: return "ok";
        case EdnsStatus::multiple_opt: return "edns_multiple_opt";
        case EdnsStatus::opt_not_root: return "edns_opt_not_root";
        case EdnsStatus::opt_outside_additional: return "edns_opt_outside_additional";
        case EdnsStatus::bad_option_list: return "edns_bad_option_list";
        case EdnsStatus::bad_option: return "edns_bad_option";
    }
    return "ok";
}

// ------------------------------------------------------------ the OPT record

EdnsStatus read_edns(const DnsMessageView& message, Edns& out) {
    out = Edns{};
    EdnsStatus status = EdnsStatus::ok;
    auto worst = [&status](EdnsStatus s) {
        if (status == EdnsStatus::ok) status = s;
    };
    std::size_t found = 0;
    for (const RecordView& record : message.records) {
        if (record.type != rrtype::OPT) continue;
        ++found;
        if (record.section != Section::additional) worst(EdnsStatus::opt_outside_additional);
        // The first OPT of the additional section is the one described;
        // one elsewhere is described only when there is no other.
        if (out.record == nullptr ||
            (out.record->section != Section::additional && record.section == Section::additional)) {
            out.record = &record;
        }
    }
    if (found == 0) return EdnsStatus::ok;
    if (found > 1) worst(EdnsStatus::multiple_opt);

    const RecordView& opt = *out.record;
    out.present = true;
    // The owner is validated by the decoder: a root owner is a single zero
    // byte, or a pointer to one.
    DnsName owner;
    std::size_t next = 0;
    if (read_name(message.wire, opt.owner_offset, &owner, &next) != MalformedKind::none || owner.label_count != 0) {
        worst(EdnsStatus::opt_not_root);
    }
    out.udp_payload_size = opt.rrclass;
    out.extended_rcode_high = static_cast<std::uint8_t>(opt.ttl >> 24);
    out.version = static_cast<std::uint8_t>(opt.ttl >> 16);
    out.flags = static_cast<std::uint16_t>(opt.ttl);
    const auto rdata = message.rdata(opt);
    if (EdnsOptions::valid(rdata)) {
        out.options = EdnsOptions::of_valid(rdata);
    } else {
        worst(EdnsStatus::bad_option_list);
    }
    return status;
}

// ------------------------------------------------------------ option views

std::array<std::uint8_t, 16> ClientSubnet::padded_address() const {
    std::array<std::uint8_t, 16> bytes{};
    for (std::size_t i = 0; i < address.size() && i < bytes.size(); ++i) bytes[i] = address[i];
    return bytes;
}

Parsed<ClientSubnet, EdnsStatus> read_client_subnet(const EdnsOption& option) {
    Parsed<ClientSubnet, EdnsStatus> out;
    WireReader reader(option.data);
    ClientSubnet& ecs = out.view;
    ecs.family = reader.u16();
    ecs.source_prefix = reader.u8();
    ecs.scope_prefix = reader.u8();
    ecs.address = reader.take(reader.remaining());
    const unsigned max_prefix = ecs.family == 1 ? 32 : ecs.family == 2 ? 128 : 0;
    bool ok = !reader.failed() && max_prefix > 0 && ecs.source_prefix <= max_prefix &&
              ecs.scope_prefix <= max_prefix &&
              ecs.address.size() == (std::size_t{ecs.source_prefix} + 7) / 8;  // RFC 7871 6: no more, no less
    // Bits past the source prefix must be zero.
    if (ok && ecs.source_prefix % 8 != 0) {
        const std::uint8_t kept = static_cast<std::uint8_t>(0xFF00u >> (ecs.source_prefix % 8));
        ok = (ecs.address.back() & static_cast<std::uint8_t>(~kept)) == 0;
    }
    if (!ok) out.error = EdnsStatus::bad_option;
    return out;
}

Parsed<Cookie, EdnsStatus> read_cookie(const EdnsOption& option) {
    Parsed<Cookie, EdnsStatus> out;
    const std::size_t size = option.data.size();
    if (size != 8 && (size < 16 || size > 40)) {
        out.error = EdnsStatus::bad_option;
        return out;
    }
    out.view.client = option.data.first(8);
    out.view.server = option.data.subspan(8);
    return out;
}

Parsed<ExtendedError, EdnsStatus> read_extended_error(const EdnsOption& option) {
    Parsed<ExtendedError, EdnsStatus> out;
    if (option.data.size() < 2) {
        out.error = EdnsStatus::bad_option;
        return out;
    }
    out.view.info_code = static_cast<std::uint16_t>((option.data[0] << 8) | option.data[1]);
    out.view.extra_text = option.data.subspan(2);
    return out;
}

Parsed<TcpKeepalive, EdnsStatus> read_tcp_keepalive(const EdnsOption& option) {
    Parsed<TcpKeepalive, EdnsStatus> out;
    if (option.data.size() == 2) {
        out.view.timeout = static_cast<std::uint16_t>((option.data[0] << 8) | option.data[1]);
    } else if (!option.data.empty()) {
        out.error = EdnsStatus::bad_option;
    }
    return out;
}

EdnsStatus validate_options(const EdnsOptions& options) {
    for (const EdnsOption option : options) {
        bool ok = true;
        switch (option.code) {
            case edns_option::client_subnet: ok = read_client_subnet(option).ok(); break;
            case edns_option::cookie: ok = read_cookie(option).ok(); break;
            case edns_option::extended_error: ok = read_extended_error(option).ok(); break;
            case edns_option::tcp_keepalive: ok = read_tcp_keepalive(option).ok(); break;
            case edns_option::expire: ok = option.data.empty() || option.data.size() == 4; break;  // RFC 7314
            case edns_option::key_tag: ok = !option.data.empty() && option.data.size() % 2 == 0; break;  // RFC 8145
            default: break;  // NSID, padding and the rest: opaque
        }
        if (!ok) return EdnsStatus::bad_option;
    }
    return EdnsStatus::ok;
}

}  // namespace dnswatch
