#include "publish/alert_json.h"

#include "publish/json_line_writer.h"

#include <cstdio>
#include <limits>
#include <stdexcept>

namespace dnswatch {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// Builds the record with either json (sorted keys) or ordered_json (schema order).
template <class Json>
Json build(const Alert& alert) {
    Json vantage = Json::object();
    vantage["role"] = alert.vantage.role;
    vantage["server"] = alert.vantage.server;
    vantage["client"] = alert.vantage.client;
    if (const AlertTunnel& t = alert.vantage.tunnel; !t.protocol.empty()) {  // only when tunnelled
        Json tunnel = Json::object();
        tunnel["protocol"] = t.protocol;
        if (!t.id_name.empty()) tunnel[t.id_name] = t.id;
        tunnel["outer_src"] = t.outer_src;
        tunnel["outer_dst"] = t.outer_dst;
        vantage["tunnel"] = std::move(tunnel);
    }

    Json evidence = Json::object();
    evidence["source"] = alert.evidence.source;
    evidence["frame"] = alert.evidence.frame;
    evidence["dns_id"] = alert.evidence.dns_id;
    evidence["qname"] = alert.evidence.qname;
    evidence["qtype"] = alert.evidence.qtype;
    evidence["section"] = alert.evidence.section;
    if (!alert.evidence.pcap.empty()) {
        evidence["pcap"] = alert.evidence.pcap;
        evidence["pcap_bytes"] = alert.evidence.pcap_bytes;
        evidence["pcap_sha256"] = alert.evidence.pcap_sha256;
    }

    Json j = Json::object();
    j["schema"] = kAlertSchema;
    j["id"] = alert.id;
    j["seq"] = alert.seq;
    j["sensor"] = alert.sensor;
    j["kind"] = alert.kind;
    j["severity"] = to_string(alert.severity);
    j["state"] = to_string(alert.state);
    j["zone"] = alert.zone;
    j["name"] = alert.name;
    j["rrtype"] = alert.rrtype;
    j["baseline"] = alert.baseline;
    j["observed"] = alert.observed;
    if (alert.observed_truncated) {  // only past detect.max_observed_rdata
        j["truncated"] = true;
        j["observed_omitted"] = alert.observed_omitted;
    }
    j["first_seen"] = format_rfc3339_us(alert.first_seen_us);
    j["last_seen"] = format_rfc3339_us(alert.last_seen_us);
    j["duration_s"] = alert.duration_s();
    j["signals"] = alert.signals;
    j["vantage"] = std::move(vantage);
    j["evidence"] = std::move(evidence);
    if (alert.tlog_index >= 0) j["tlog_index"] = alert.tlog_index;  // only when a log is kept
    if (!alert.changes.empty()) j["changes"] = alert.changes;       // only for alerts about changes
    if (!alert.incident_id.empty()) j["incident_id"] = alert.incident_id;  // set by the correlator
    return j;
}

// Field readers that name the field in their errors.
[[noreturn]] void bad_field(std::string_view field, const std::string& why) {
    throw std::invalid_argument("alert JSON: field '" + std::string(field) + "': " + why);
}

// `parent` names the enclosing object in messages ("vantage." for vantage.role).
const json& field(const json& object, const char* key, std::string_view parent = {}) {
    const std::string name = std::string(parent) + key;
    if (!object.is_object()) bad_field(name, std::string("not inside an object (got ") + object.type_name() + ")");
    const auto it = object.find(key);
    if (it == object.end()) bad_field(name, "missing");
    return *it;
}

std::string get_string(const json& object, const char* key, std::string_view parent = {}) {
    const json& value = field(object, key, parent);
    if (!value.is_string()) bad_field(std::string(parent) + key, std::string("expected a string, got ") + value.type_name());
    return value.get<std::string>();
}

std::uint64_t get_unsigned(const json& object, const char* key, std::uint64_t max,
                           std::string_view parent = {}) {
    const std::string name = std::string(parent) + key;
    const json& value = field(object, key, parent);
    if (!value.is_number_unsigned() && !(value.is_number_integer() && value.get<std::int64_t>() >= 0)) {
        bad_field(name, std::string("expected a non-negative integer, got ") + value.dump());
    }
    const auto number = value.get<std::uint64_t>();
    if (number > max) bad_field(name, value.dump() + " is out of range (0.." + std::to_string(max) + ")");
    return number;
}

std::vector<std::string> get_strings(const json& object, const char* key) {
    const json& value = field(object, key);
    if (!value.is_array()) bad_field(key, std::string("expected a list of strings, got ") + value.type_name());
    std::vector<std::string> out;
    out.reserve(value.size());
    for (const json& item : value) {
        if (!item.is_string()) bad_field(key, std::string("expected a list of strings, got a ") + item.type_name() + " in it");
        out.push_back(item.get<std::string>());
    }
    return out;
}

std::int64_t get_time(const json& object, const char* key) {
    const std::string text = get_string(object, key);
    try {
        return parse_rfc3339_us(text);
    } catch (const std::invalid_argument& e) {
        bad_field(key, e.what());
    }
}

}  // namespace

Severity severity_from_string(std::string_view text) {
    for (Severity s : {Severity::low, Severity::medium, Severity::high, Severity::critical}) {
        if (text == to_string(s)) return s;
    }
    throw std::invalid_argument("unknown severity '" + std::string(text) + "'");
}

AlertState alert_state_from_string(std::string_view text) {
    for (AlertState s : {AlertState::open, AlertState::reverted, AlertState::accepted}) {
        if (text == to_string(s)) return s;
    }
    throw std::invalid_argument("unknown alert state '" + std::string(text) + "'");
}

json to_json(const Alert& alert) { return build<json>(alert); }

// The same fields as build(), in the same order, written straight out
// (publish/json_line_writer.h says why); AlertJson tests hold the two equal.
std::string to_json_line(const Alert& alert) {
    std::string line;
    line.reserve(768);
    JsonLineWriter w(line);
    w.begin_object();
    w.member("schema", kAlertSchema);
    w.member("id", alert.id);
    w.member("seq", alert.seq);
    w.member("sensor", alert.sensor);
    w.member("kind", alert.kind);
    w.member("severity", to_string(alert.severity));
    w.member("state", to_string(alert.state));
    w.member("zone", alert.zone);
    w.member("name", alert.name);
    w.member("rrtype", alert.rrtype);
    w.member("baseline", alert.baseline);
    w.member("observed", alert.observed);
    if (alert.observed_truncated) {
        w.member("truncated", true);
        w.member("observed_omitted", alert.observed_omitted);
    }
    w.member("first_seen", format_rfc3339_us(alert.first_seen_us));
    w.member("last_seen", format_rfc3339_us(alert.last_seen_us));
    w.member("duration_s", alert.duration_s());
    w.member("signals", alert.signals);
    w.key("vantage");
    w.begin_object();
    w.member("role", alert.vantage.role);
    w.member("server", alert.vantage.server);
    w.member("client", alert.vantage.client);
    if (const AlertTunnel& t = alert.vantage.tunnel; !t.protocol.empty()) {
        w.key("tunnel");
        w.begin_object();
        w.member("protocol", t.protocol);
        if (!t.id_name.empty()) w.member(t.id_name, t.id);
        w.member("outer_src", t.outer_src);
        w.member("outer_dst", t.outer_dst);
        w.end_object();
    }
    w.end_object();
    w.key("evidence");
    w.begin_object();
    w.member("source", alert.evidence.source);
    w.member("frame", alert.evidence.frame);
    w.member("dns_id", alert.evidence.dns_id);
    w.member("qname", alert.evidence.qname);
    w.member("qtype", alert.evidence.qtype);
    w.member("section", alert.evidence.section);
    if (!alert.evidence.pcap.empty()) {
        w.member("pcap", alert.evidence.pcap);
        w.member("pcap_bytes", alert.evidence.pcap_bytes);
        w.member("pcap_sha256", alert.evidence.pcap_sha256);
    }
    w.end_object();
    if (alert.tlog_index >= 0) w.member("tlog_index", alert.tlog_index);
    if (!alert.changes.empty()) w.member("changes", alert.changes);
    if (!alert.incident_id.empty()) w.member("incident_id", alert.incident_id);
    w.end_object();
    return line;
}

std::string to_json_line_through_a_document(const Alert& alert) { return build<ordered_json>(alert).dump(); }

Alert alert_from_json(const json& j) {
    const std::string schema = get_string(j, "schema");
    if (schema != kAlertSchema) bad_field("schema", "'" + schema + "' is not " + kAlertSchema);

    Alert alert;
    alert.id = get_string(j, "id");
    alert.seq = get_unsigned(j, "seq", std::numeric_limits<std::uint64_t>::max());
    alert.sensor = get_string(j, "sensor");
    alert.kind = get_string(j, "kind");
    try {
        alert.severity = severity_from_string(get_string(j, "severity"));
    } catch (const std::invalid_argument& e) {
        bad_field("severity", e.what());
    }
    try {
        alert.state = alert_state_from_string(get_string(j, "state"));
    } catch (const std::invalid_argument& e) {
        bad_field("state", e.what());
    }
    alert.zone = get_string(j, "zone");
    alert.name = get_string(j, "name");
    alert.rrtype = get_string(j, "rrtype");
    alert.baseline = get_strings(j, "baseline");
    alert.observed = get_strings(j, "observed");
    if (j.contains("truncated")) {
        if (!j["truncated"].is_boolean()) bad_field("truncated", "expected true or false");
        alert.observed_truncated = j["truncated"].get<bool>();
        alert.observed_omitted = get_unsigned(j, "observed_omitted", std::numeric_limits<std::uint64_t>::max());
    }
    alert.first_seen_us = get_time(j, "first_seen");
    alert.last_seen_us = get_time(j, "last_seen");
    alert.signals = get_strings(j, "signals");

    const json& vantage = field(j, "vantage");
    alert.vantage.role = get_string(vantage, "role", "vantage.");
    alert.vantage.server = get_string(vantage, "server", "vantage.");
    alert.vantage.client = get_string(vantage, "client", "vantage.");
    if (vantage.contains("tunnel")) {
        const json& tunnel = field(vantage, "tunnel", "vantage.");
        AlertTunnel& t = alert.vantage.tunnel;
        t.protocol = get_string(tunnel, "protocol", "vantage.tunnel.");
        t.outer_src = get_string(tunnel, "outer_src", "vantage.tunnel.");
        t.outer_dst = get_string(tunnel, "outer_dst", "vantage.tunnel.");
        for (const char* id_name : {"teid", "key", "call_id", "vni"}) {  // as AlertTunnel::id_name names them
            if (!tunnel.contains(id_name)) continue;
            t.id_name = id_name;
            t.id = static_cast<std::uint32_t>(get_unsigned(tunnel, id_name, 0xffffffffu, "vantage.tunnel."));
        }
    }

    const json& evidence = field(j, "evidence");
    alert.evidence.source = get_string(evidence, "source", "evidence.");
    alert.evidence.frame = get_unsigned(evidence, "frame", std::numeric_limits<std::uint64_t>::max(), "evidence.");
    alert.evidence.dns_id = static_cast<std::uint16_t>(get_unsigned(evidence, "dns_id", 0xffff, "evidence."));
    alert.evidence.qname = get_string(evidence, "qname", "evidence.");
    alert.evidence.qtype = get_string(evidence, "qtype", "evidence.");
    alert.evidence.section = get_string(evidence, "section", "evidence.");
    if (evidence.contains("pcap")) alert.evidence.pcap = get_string(evidence, "pcap", "evidence.");
    if (evidence.contains("pcap_bytes")) {
        alert.evidence.pcap_bytes =
            get_unsigned(evidence, "pcap_bytes", std::numeric_limits<std::uint64_t>::max(), "evidence.");
    }
    if (evidence.contains("pcap_sha256")) alert.evidence.pcap_sha256 = get_string(evidence, "pcap_sha256", "evidence.");
    if (j.contains("tlog_index")) {
        alert.tlog_index = static_cast<std::int64_t>(
            get_unsigned(j, "tlog_index", static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())));
    }
    if (j.contains("changes")) {
        const json& changes = j["changes"];
        if (!changes.is_array()) bad_field("changes", "expected an array of seqs");
        for (const json& seq : changes) {
            if (!seq.is_number_unsigned()) bad_field("changes", "expected an array of seqs");
            alert.changes.push_back(seq.get<std::uint64_t>());
        }
    }
    if (j.contains("incident_id")) alert.incident_id = get_string(j, "incident_id");
    return alert;
}

}  // namespace dnswatch
