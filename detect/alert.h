// The value type detect/ hands to publish/: one alert record, schema
// dnswatch.alert/1 (DESIGN.md). Updates to an alert re-use its id with a new seq.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dnswatch {

enum class AlertState : std::uint8_t { open, reverted, accepted };
enum class Severity : std::uint8_t { low, medium, high, critical };

const char* to_string(AlertState state);
const char* to_string(Severity severity);

inline constexpr std::array<Severity, 4> kSeverities = {Severity::low, Severity::medium, Severity::high,
                                                        Severity::critical};

// Every alert kind the sensor emits (the schema's enum, tested): what the
// alert counters are declared with at start-up, so that a rule's
// increase() sees the first alert.
inline constexpr std::array<std::string_view, 11> kAlertKinds = {
    "rrset_divergence", "unexpected_rrset",        "resolver_divergence", "ds_removed",
    "dnssec_stripped",  "rrset_removed",           "dnssec_bogus",        "resolver_not_validating",
    "spoofing_attempt", "short_lived_change",      "suspicious_change"};

struct Tunnel;  // decode/dns_datagram.h

// The tunnel the response came through, the innermost when they nest: for
// GTP-U the TEID and the addresses of the eNodeB (or gNodeB) and the
// gateway, which is how an analyst finds the subscriber's bearer.
struct AlertTunnel {
    std::string protocol;   // "gtp_u", "gre", "gre_ppp", "vxlan", "geneve", "ip_in_ip"; "" = not tunnelled
    std::string id_name;    // "teid", "key", "call_id", "vni"; "" = the header carries none
    std::uint32_t id = 0;
    std::string outer_src;  // the tunnel's outer IP header
    std::string outer_dst;
    friend bool operator==(const AlertTunnel&, const AlertTunnel&) = default;
};

// The tunnel as an alert names it; empty for null (not tunnelled).
AlertTunnel alert_tunnel(const Tunnel* tunnel);

// An alert's id: 16 hex digits, the same for the same (sensor, key, first
// time), so that a restart that sees the same event again names it alike.
std::string alert_id(std::string_view sensor, std::string_view key, std::int64_t first_seen_us);

struct AlertVantage {
    std::string role;    // "authoritative", "referral", "resolver", "unknown"
    std::string server;  // responding address, e.g. "127.0.0.11"
    std::string client;  // address the response went to
    AlertTunnel tunnel = {};
};

// Where the packet that opened (or last updated) the alert was seen.
struct AlertEvidence {
    std::string source;           // capture file or interface
    std::uint64_t frame = 0;      // 1-based frame number in that source
    std::uint16_t dns_id = 0;     // DNS transaction id
    std::string qname;            // question name, lower case, no trailing dot
    std::string qtype;            // question type mnemonic
    std::string section;          // "answer", "authority", "additional"
    std::string pcap = {};        // the packets that opened the alert, when kept
    std::uint64_t pcap_bytes = 0;  // its size, and its SHA-256 (hex): a fetched copy can be checked
    std::string pcap_sha256 = {};
};

// What a restarted detector needs to carry on an open alert beyond the
// record itself (detect/detector.h OpenAlertState): kept with the record in
// the durable store (publish/alert_store.h), never sent to consumers.
struct AlertRestartState {
    std::string key;                          // binary lifecycle key; "" = not a detector's alert
    std::uint32_t signals = 0;                // SignalSet (detect/signals.h)
    std::vector<std::string> observed_forms;  // filled only while the record is emitted
};

struct Alert {
    std::string id;               // stable across updates of the same alert
    std::uint64_t seq = 0;        // increases with every record emitted
    std::string sensor;
    std::string kind;             // "rrset_divergence", "unexpected_rrset", ...
    Severity severity = Severity::medium;
    AlertState state = AlertState::open;
    std::string zone;             // watched zone, lower case, no trailing dot
    std::string name;             // owner, lower case, no trailing dot
    std::string rrtype;           // mnemonic, e.g. "NS"
    std::vector<std::string> baseline;  // presentation-format rdata, sorted
    std::vector<std::string> observed;  // presentation-format rdata, sorted
    // Past the cap on listed rdata (detect.max_observed_rdata) the rest are
    // counted, not listed: each divergent record not listed counts once.
    bool observed_truncated = false;
    std::uint64_t observed_omitted = 0;
    std::int64_t first_seen_us = 0;     // packet time, microseconds since epoch
    std::int64_t last_seen_us = 0;
    std::vector<std::string> signals;
    AlertVantage vantage;
    AlertEvidence evidence;
    std::int64_t tlog_index = -1;  // position in the transparency log; -1 when not logged
    // For alerts about the baseline's own changes (detect/change_watcher.h):
    // the seqs of the change records (dnswatch.change/1) they are about.
    std::vector<std::uint64_t> changes;
    // The incident (detect/incident.h) this alert belongs to; set by the
    // correlator before the alert is numbered and stored.
    std::string incident_id;
    AlertRestartState restart;  // not part of dnswatch.alert/1

    double duration_s() const { return static_cast<double>(last_seen_us - first_seen_us) / 1e6; }
};

}  // namespace dnswatch
