// EDNS (RFC 6891): the OPT pseudo-record of a message, its header fields and
// its options, as views into the message. Nothing is allocated.
//
// What is wrong with an OPT record is reported as an EdnsStatus rather than a
// MalformedKind: the caller decides what to count (the malformed-kind table is
// declared once, in decode/decode_counters.h).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "decode/dns_message.h"
#include "decode/dns_name.h"
#include "decode/wire_views.h"

namespace dnswatch {

enum class EdnsStatus : std::uint8_t {
    ok = 0,                  // one OPT record (or none: see Edns::present)
    multiple_opt,            // more than one OPT record (RFC 6891 6.1.1: FORMERR)
    opt_not_root,            // an OPT record whose owner is not the root name
    opt_outside_additional,  // an OPT record in the answer or authority section
    bad_option_list,         // an option's length runs past the rdata
    bad_option,              // a known option whose value breaks its layout
};
std::string_view name_of(EdnsStatus status);

namespace edns_option {  // IANA "DNS EDNS0 Option Codes (OPT)"
inline constexpr std::uint16_t llq = 1, update_lease = 2, nsid = 3, dau = 5, dhu = 6, n3u = 7,
                               client_subnet = 8, expire = 9, cookie = 10, tcp_keepalive = 11, padding = 12,
                               chain = 13, key_tag = 14, extended_error = 15, report_channel = 18,
                               zone_version = 19;
}

struct EdnsOption {
    std::uint16_t code = 0;
    std::span<const std::uint8_t> data;
};

// The options of an OPT record, already validated: iterating cannot fail.
using EdnsOptions = KeyLengthValueList<EdnsOption>;

struct Edns {
    bool present = false;
    const RecordView* record = nullptr;      // the OPT record (valid while the message view is)
    std::uint16_t udp_payload_size = 0;      // the OPT class
    std::uint8_t extended_rcode_high = 0;    // upper 8 bits of the 12-bit RCODE
    std::uint8_t version = 0;
    std::uint16_t flags = 0;                 // DO and the Z bits
    EdnsOptions options;                     // empty when the list is malformed

    bool dnssec_ok() const { return flags & 0x8000; }
};

// Finds the message's OPT record and reads it. With no OPT record, returns ok
// and `present` false. With several, `out` describes the first one found in
// the additional section (or the first at all) and the status says what is
// wrong; `out` is filled as far as possible whatever the status.
EdnsStatus read_edns(const DnsMessageView& message, Edns& out);

// The full 12-bit RCODE: EDNS's upper 8 bits above the header's 4 (RFC 6891 6.1.3).
inline unsigned extended_rcode(const DnsHeader& header, const Edns& edns) {
    return edns.present ? (unsigned{edns.extended_rcode_high} << 4) | header.rcode() : header.rcode();
}

// ----------------------------------------------------------- option views

struct ClientSubnet {  // RFC 7871 6
    std::uint16_t family = 0;  // 1 IPv4, 2 IPv6
    std::uint8_t source_prefix = 0;
    std::uint8_t scope_prefix = 0;
    std::span<const std::uint8_t> address;  // ceil(source_prefix / 8) bytes, bits past the prefix zero

    // The address padded with zeros to 4 or 16 bytes.
    std::array<std::uint8_t, 16> padded_address() const;
};

struct Cookie {  // RFC 7873 4
    std::span<const std::uint8_t> client;  // 8 bytes
    std::span<const std::uint8_t> server;  // empty, or 8 to 32 bytes
};

struct ExtendedError {  // RFC 8914 2
    std::uint16_t info_code = 0;
    std::span<const std::uint8_t> extra_text;  // UTF-8, not NUL-terminated (a trailing NUL is kept)
};

struct TcpKeepalive {  // RFC 7828 3.1
    std::optional<std::uint16_t> timeout;  // units of 100 ms; absent in queries
};

// Each reads the option it is named for, whatever its code, and fails with
// EdnsStatus::bad_option. NSID, padding and unknown options are EdnsOption::data.
Parsed<ClientSubnet, EdnsStatus> read_client_subnet(const EdnsOption& option);
Parsed<Cookie, EdnsStatus> read_cookie(const EdnsOption& option);
Parsed<ExtendedError, EdnsStatus> read_extended_error(const EdnsOption& option);
Parsed<TcpKeepalive, EdnsStatus> read_tcp_keepalive(const EdnsOption& option);

// Every option of a known code read with its view: ok, or bad_option for the
// first that is not well formed.
EdnsStatus validate_options(const EdnsOptions& options);

}  // namespace dnswatch
