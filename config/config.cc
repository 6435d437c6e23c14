// Config loading, driven by one schema table: each key is declared once (path,
// type, required, default, range, doc) and that entry drives parsing,
// validation, defaults, to_yaml and config_reference. The walker checks the
// whole YAML tree against the table and collects every issue before throwing.
#include "config/config.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <sstream>
#include <string_view>
#include <system_error>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "common/host_port.h"
#include "common/regular_file.h"
#include "common/rfc3339.h"
#include "config/units.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;

enum class KeyType {
    mapping,           // nested keys
    list_of_mappings,  // a list whose elements hold the keys under "path[]"
    string,
    dns_name,          // stored lower case without the trailing dot
    file,              // path relative to the config file; must be readable
    file_list,         // list of such paths
    endpoint,          // ZeroMQ endpoint or empty
    directory,         // path relative to the config file; created when needed
    boolean,           // true or false
    integer,
    integer_list,      // a list of integers, each within min..max; non-empty unless may_be_empty
    string_list,       // a list of non-empty strings (interface names, EAL arguments)
    duration,          // "30s", "15m", "48h", "7d", "1h30m", "250ms"; held in ms (config/units.h)
    size,              // "64KiB", "64MiB", "1GiB", "10MB" or bytes; held in bytes
};

// One parsed value; which member counts depends on the KeyType.
struct Value {
    std::string text{};
    std::int64_t number = 0;  // integer value, or element count of a list_of_mappings
    std::vector<std::string> list{};
    std::vector<std::int64_t> numbers{};  // integer_list
};

// Positions in the enclosing lists: {2} while inside watch.zones[2].
using Index = std::span<const std::size_t>;

constexpr std::string_view kHostNameDefault = "the host name";

struct KeySpec {
    std::string_view path{};  // "publish.zmq.linger_ms"; "[]" stands for the elements of a list
    KeyType type{};
    bool required = false;
    bool unique = false;              // no two list elements may share the value
    bool may_be_empty = false;        // integer_list: [] is a value (turns something off)
    std::string_view default_value{};  // optional keys: the value when absent, as text
    std::int64_t min = 0;             // integer range, or a list's element count
    std::int64_t max = 0;
    // duration: what a bare number counts (1: ms, 1000: s), so that values
    // written before units existed keep their meaning; and the step a value
    // must be a multiple of (1000 where the setting is held in seconds).
    std::int64_t bare_ms = 1000;
    std::int64_t step_ms = 1;
    std::string_view doc{};
    void (*set)(Config&, Index, const Value&) = nullptr;  // null for mappings
    Value (*get)(const Config&, Index) = nullptr;
    // More checks of a string value: what is wrong with it, or nullptr.
    const char* (*check)(const std::string&) = nullptr;
};

Value text_value(std::string text) { return Value{.text = std::move(text)}; }
Value number_value(std::int64_t number) { return Value{.number = number}; }
Value list_value(const std::vector<std::string>& list) { return Value{.list = list}; }
Value bool_value(bool value) { return Value{.text = value ? "true" : "false"}; }
Value numbers_value(const std::vector<int>& numbers) {
    return Value{.numbers = std::vector<std::int64_t>(numbers.begin(), numbers.end())};
}

// "192.0.2.1", "192.0.2.1:5353", "::1", "[::1]:5353": what primaries and
// NOTIFY addresses look like (common/host_port.h); why not, or nullptr.
const char* host_port_problem(const std::string& text) {
    const auto parsed = parse_host_port(text);
    if (!parsed) return "expected an IP address, optionally with :PORT (IPv6 as [ADDR]:PORT), the port 1..65535";
    if (parsed->has_port && parsed->port < 1) return "the port must be 1..65535";
    return nullptr;
}

// An RFC 3339 time with its zone (watch.zones[].versions[].from); why not, or nullptr.
const char* rfc3339_problem(const std::string& text) {
    try {
        parse_rfc3339_us(text);
        return nullptr;
    } catch (const std::invalid_argument&) {
        return "expected an RFC 3339 time such as 2026-03-16T10:00:00Z";
    }
}

// clang-format off
constexpr KeySpec kSchema[] = {
    {.path = "sensor", .type = KeyType::mapping,
     .doc = "this sensor"},
    {.path = "sensor.id", .type = KeyType::string, .default_value = kHostNameDefault,
     .doc = "the sensor's name, put in every alert",
     .set = [](Config& c, Index, const Value& v) { c.sensor_id = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.sensor_id); }},
    {.path = "watch", .type = KeyType::mapping, .required = true,
     .doc = "what to watch"},
    {.path = "watch.zones", .type = KeyType::list_of_mappings, .min = 0, .max = 10000000,
     .doc = "the watched zones (this list or watch.zones_file, or both)",
     .set = [](Config& c, Index, const Value& v) { c.zones.resize(static_cast<std::size_t>(v.number)); },
     .get = [](const Config& c, Index) { return number_value(static_cast<std::int64_t>(c.zones.size())); }},
    {.path = "watch.zones[].name", .type = KeyType::dns_name, .required = true, .unique = true,
     .doc = "the zone's name, e.g. victim.test",
     .set = [](Config& c, Index i, const Value& v) { c.zones.at(i[0]).name = v.text; },
     .get = [](const Config& c, Index i) { return text_value(c.zones.at(i[0]).name); }},
    {.path = "watch.zones[].zone_file", .type = KeyType::file,
     .doc = "zone file with the zone's baseline (relative paths: from the config file's folder); "
            "a zone needs a zone_file, a primary or learn: true",
     .set = [](Config& c, Index i, const Value& v) { c.zones.at(i[0]).zone_file = v.text; },
     .get = [](const Config& c, Index i) { return text_value(c.zones.at(i[0]).zone_file); }},
    {.path = "watch.zones[].learn", .type = KeyType::boolean, .default_value = "false",
     .doc = "learning mode: an RRset the zone file and transfers do not hold joins the baseline once its "
            "servers have answered it unchanged for baseline.learning.stable_for; no alert for it before",
     .set = [](Config& c, Index i, const Value& v) { c.zones.at(i[0]).learn = v.number != 0; },
     .get = [](const Config& c, Index i) { return bool_value(c.zones.at(i[0]).learn); }},
    {.path = "watch.zones[].primary", .type = KeyType::string,
     .doc = "ADDR[:PORT] of a primary to transfer the zone from (AXFR at start, then IXFR on NOTIFY or at "
            "each refresh); the last transfer is kept in state.dir; empty: none",
     .set = [](Config& c, Index i, const Value& v) { c.zones.at(i[0]).primary = v.text; },
     .get = [](const Config& c, Index i) { return text_value(c.zones.at(i[0]).primary); },
     .check = host_port_problem},
    {.path = "watch.zones[].versions", .type = KeyType::list_of_mappings, .min = 0, .max = 100000,
     .doc = "later versions of the zone's data, each a zone file taking over from a packet time on (e.g. the "
            "registry's successive zone files, to judge a day's capture against the zone of each moment): when "
            "the packet clock reaches a version's time, the baseline moves to it as a reload does (change records "
            "with source zone_version and that packet time, suspicious_change and short_lived_change). Needs "
            "zone_file (the version before the first) and no primary; times increasing. dnswatch replay applies "
            "them; dnswatch run refuses them (its baseline follows the live zone)",
     .set = [](Config& c, Index i, const Value& v) {
         c.zones.at(i[0]).versions.resize(static_cast<std::size_t>(v.number));
     },
     .get = [](const Config& c, Index i) {
         return number_value(static_cast<std::int64_t>(c.zones.at(i[0]).versions.size()));
     }},
    {.path = "watch.zones[].versions[].from", .type = KeyType::string, .required = true,
     .doc = "RFC 3339 time (e.g. 2026-03-16T10:00:00Z) from which this version is the zone's data, by packet time",
     .set = [](Config& c, Index i, const Value& v) { c.zones.at(i[0]).versions.at(i[1]).from_us = parse_rfc3339_us(v.text); },
     .get = [](const Config& c, Index i) { return text_value(format_rfc3339_us(c.zones.at(i[0]).versions.at(i[1]).from_us)); },
     .check = rfc3339_problem},
    {.path = "watch.zones[].versions[].zone_file", .type = KeyType::file, .required = true,
     .doc = "the zone file of this version (relative paths: from the config file's folder)",
     .set = [](Config& c, Index i, const Value& v) { c.zones.at(i[0]).versions.at(i[1]).zone_file = v.text; },
     .get = [](const Config& c, Index i) { return text_value(c.zones.at(i[0]).versions.at(i[1]).zone_file); }},
    {.path = "watch.zones_file", .type = KeyType::file,
     .doc = "a file of more watched zones, one name a line ('#' starts a comment), e.g. a registry's million "
            "registry-locked or high-value names: each is watched for its delegation alone (NS, DS, glue), its "
            "baseline from the parent's data (a watched parent's zone file or transfer, or baseline.zone_files); "
            "nothing below its apex is judged unless that data holds it",
     .set = [](Config& c, Index, const Value& v) { c.zones_file = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.zones_file); }},
    {.path = "watch.locked_domains", .type = KeyType::file,
     .doc = "a file of registry-locked names, one a line ('#' starts a comment): any change of their data (or "
            "their glue's) in the baseline raises a critical suspicious_change at once",
     .set = [](Config& c, Index, const Value& v) { c.locked_domains_file = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.locked_domains_file); }},
    {.path = "baseline", .type = KeyType::mapping,
     .doc = "more sources of the baseline"},
    {.path = "baseline.zone_files", .type = KeyType::file_list,
     .doc = "more zone files, e.g. the parent's (delegation NS, glue, DS)",
     .set = [](Config& c, Index, const Value& v) { c.baseline_zone_files = v.list; },
     .get = [](const Config& c, Index) { return Value{.list = c.baseline_zone_files}; }},
    {.path = "publish", .type = KeyType::mapping,
     .doc = "where alerts go"},
    {.path = "publish.zmq", .type = KeyType::mapping,
     .doc = "ZeroMQ PUB socket (two frames: topic, JSON)"},
    {.path = "publish.zmq.endpoint", .type = KeyType::endpoint,
     .doc = "tcp://, ipc:// or inproc:// endpoint to bind; empty: off",
     .set = [](Config& c, Index, const Value& v) { c.zmq.endpoint = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.zmq.endpoint); }},
    {.path = "publish.zmq.linger_ms", .type = KeyType::duration, .default_value = "2s", .min = 0, .max = 60000,
     .bare_ms = 1,
     .doc = "how long closing waits for queued alerts (a bare number: ms)",
     .set = [](Config& c, Index, const Value& v) { c.zmq.linger_ms = static_cast<int>(v.number); },
     .get = [](const Config& c, Index) { return number_value(c.zmq.linger_ms); }},
    {.path = "publish.zmq.heartbeat_interval", .type = KeyType::duration, .default_value = "1s", .min = 0,
     .max = 3600000,
     .doc = "time between heartbeat. messages (dnswatch.heartbeat/1: the last seq published) on the PUB socket, "
            "so that a subscriber that lost messages at its high-water mark learns it even when nothing more is "
            "published (dnswatch tail then catches up); 0: none",
     .set = [](Config& c, Index, const Value& v) { c.zmq.heartbeat_interval_ms = v.number; },
     .get = [](const Config& c, Index) { return number_value(c.zmq.heartbeat_interval_ms); }},
    {.path = "publish.zmq.send_hwm", .type = KeyType::integer, .default_value = "100000", .min = 1, .max = 10000000,
     .doc = "alerts queued per subscriber before that subscriber loses new ones (the others do not; it sees the "
            "gap in seq and catches up)",
     .set = [](Config& c, Index, const Value& v) { c.zmq.send_hwm = static_cast<int>(v.number); },
     .get = [](const Config& c, Index) { return number_value(c.zmq.send_hwm); }},
    {.path = "baseline.transparency_feed", .type = KeyType::file,
     .doc = "the registry's feed of announced changes (JSON lines); empty: none",
     .set = [](Config& c, Index, const Value& v) { c.state.transparency_feed = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.state.transparency_feed); }},
    {.path = "baseline.transparency_feed_endpoint", .type = KeyType::endpoint,
     .doc = "the same feed over ZeroMQ: a SUB socket connected here, topic prefix 'feed.', frames topic + "
            "one feed line (JSON); received changes are kept in state.dir; empty: none",
     .set = [](Config& c, Index, const Value& v) { c.baseline.feed_endpoint = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.baseline.feed_endpoint); }},
    {.path = "baseline.transparency_feed_server_key", .type = KeyType::file,
     .doc = "the registry's CURVE public key file (zcert layout, e.g. from dnswatch keygen): the feed is then "
            "CURVE-encrypted and only a publisher holding that key is heard, the others are refused, counted and "
            "logged; required unless the feed endpoint is on loopback. This sensor's key pair is "
            "publish.zmq.curve_key_file when set, else one made at start",
     .set = [](Config& c, Index, const Value& v) { c.baseline.feed_server_key_file = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.baseline.feed_server_key_file); }},
    {.path = "baseline.learning", .type = KeyType::mapping,
     .doc = "learning mode of the zones with learn: true"},
    {.path = "baseline.learning.stable_for", .type = KeyType::duration, .default_value = "48h", .min = 1000,
     .max = 366LL * 86400 * 1000,
     .doc = "how long (packet time) an RRset must show no new rdata before it joins the baseline",
     .set = [](Config& c, Index, const Value& v) { c.baseline.learn_stable_for_ms = v.number; },
     .get = [](const Config& c, Index) { return number_value(c.baseline.learn_stable_for_ms); }},
    {.path = "baseline.transfer", .type = KeyType::mapping,
     .doc = "zone transfers from the zones' primaries (watch.zones[].primary)"},
    {.path = "baseline.transfer.notify_listen", .type = KeyType::string,
     .doc = "ADDR:PORT where primaries send NOTIFY, over UDP and TCP (answered, then the zone is transferred); "
            "empty: none",
     .set = [](Config& c, Index, const Value& v) { c.baseline.notify_listen = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.baseline.notify_listen); },
     .check = host_port_problem},
    {.path = "baseline.transfer.allow_notify", .type = KeyType::string_list,
     .doc = "addresses or prefixes (192.0.2.7, 192.0.2.0/24, 2001:db8::/32) whose NOTIFY is taken besides the "
            "zone's primary's (a primary may send from another of its addresses); every other NOTIFY is refused, "
            "logged and counted",
     .set = [](Config& c, Index, const Value& v) { c.baseline.allow_notify = v.list; },
     .get = [](const Config& c, Index) { return list_value(c.baseline.allow_notify); },
     .check = [](const std::string& text) -> const char* {
         return AddressPrefix::parse(text) ? nullptr : "expected an IP address or a prefix (ADDR/BITS)";
     }},
    {.path = "baseline.transfer.tsig_key_file", .type = KeyType::file,
     .doc = "a TSIG key (BIND's key \"NAME\" { algorithm hmac-sha256; secret \"...\"; }; or Knot's id, "
            "algorithm and secret) that signs every transfer request and must sign every answer and NOTIFY: "
            "what is unsigned or wrongly signed is refused, logged and counted; empty: none",
     .set = [](Config& c, Index, const Value& v) { c.baseline.tsig_key_file = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.baseline.tsig_key_file); }},
    {.path = "baseline.transfer.refresh", .type = KeyType::duration, .default_value = "0", .min = 0,
     .max = 86400LL * 1000 * 28,
     .doc = "how often each zone's serial is checked; 0: the SOA refresh of the zone",
     .set = [](Config& c, Index, const Value& v) { c.baseline.transfer_refresh_ms = v.number; },
     .get = [](const Config& c, Index) { return number_value(c.baseline.transfer_refresh_ms); }},
    {.path = "baseline.transfer.timeout", .type = KeyType::duration, .default_value = "10s", .min = 100,
     .max = 3600000,
     .doc = "how long one transfer may take",
     .set = [](Config& c, Index, const Value& v) { c.baseline.transfer_timeout_ms = v.number; },
     .get = [](const Config& c, Index) { return number_value(c.baseline.transfer_timeout_ms); }},
    {.path = "publish.zmq.catchup_endpoint", .type = KeyType::endpoint,
     .doc = "ROUTER endpoint serving stored alerts after a seq (dnswatch tail --since); empty: off",
     .set = [](Config& c, Index, const Value& v) { c.zmq.catchup_endpoint = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.zmq.catchup_endpoint); }},
    {.path = "publish.zmq.curve_key_file", .type = KeyType::file,
     .doc = "this sensor's CURVE key pair (dnswatch keygen); required unless every endpoint is on loopback",
     .set = [](Config& c, Index, const Value& v) { c.zmq.curve_key_file = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.zmq.curve_key_file); }},
    {.path = "publish.zmq.client_keys", .type = KeyType::file_list,
     .doc = "public key files of the consumers admitted under CURVE",
     .set = [](Config& c, Index, const Value& v) { c.zmq.client_keys = v.list; },
     .get = [](const Config& c, Index) { return Value{.list = c.zmq.client_keys}; }},
    {.path = "publish.zmq.public_endpoint", .type = KeyType::endpoint,
     .doc = "PUB endpoint of the public feed, for subscribers the registry has not vetted: the same alerts and "
            "changes, except that creates and deletes of domains (and alerts about them) come only after "
            "publish.delay_creates_deletes; needs state.dir; empty: off",
     .set = [](Config& c, Index, const Value& v) { c.zmq.public_endpoint = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.zmq.public_endpoint); }},
    {.path = "publish.zmq.public_client_keys", .type = KeyType::file_list,
     .doc = "public key files of the consumers admitted to the public endpoint under CURVE (its own list: "
            "client_keys admit nobody there)",
     .set = [](Config& c, Index, const Value& v) { c.zmq.public_client_keys = v.list; },
     .get = [](const Config& c, Index) { return Value{.list = c.zmq.public_client_keys}; }},
    {.path = "publish.delay_creates_deletes", .type = KeyType::duration, .default_value = "24h", .min = 0,
     .max = 86400LL * 1000 * 90,
     .doc = "how long after its time a domain's create or delete reaches the public endpoint (kept across "
            "restarts); the vetted endpoint, the store and NATS have it at once",
     .set = [](Config& c, Index, const Value& v) { c.zmq.delay_creates_deletes_ms = v.number; },
     .get = [](const Config& c, Index) { return number_value(c.zmq.delay_creates_deletes_ms); }},
    {.path = "publish.nats", .type = KeyType::mapping,
     .doc = "NATS JetStream, for fleets of sensors: every stored record on its topic under the prefix "
            "(<subject_prefix>.alert.<reversed labels>, <subject_prefix>.change.<reversed labels>), message id "
            "<sensor>-<seq>, marked delivered once the stream acknowledges it, and each stats message on "
            "<subject_prefix>.stats.<sensor>; needs state.dir (the store is the queue while the cluster is away, "
            "bounded by state.retention: what it prunes first is counted as expired)"},
    {.path = "publish.nats.servers", .type = KeyType::string_list,
     .doc = "nats://HOST:PORT or tls://HOST:PORT of the cluster's servers; empty: off",
     .set = [](Config& c, Index, const Value& v) { c.nats.servers = v.list; },
     .get = [](const Config& c, Index) { return list_value(c.nats.servers); }},
    {.path = "publish.nats.stream", .type = KeyType::string, .default_value = "DNSWATCH",
     .doc = "the JetStream stream; made over <subject_prefix>.> when missing",
     .set = [](Config& c, Index, const Value& v) { c.nats.stream = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.nats.stream); }},
    {.path = "publish.nats.subject_prefix", .type = KeyType::string, .default_value = "dnswatch",
     .doc = "the first label(s) of every subject",
     .set = [](Config& c, Index, const Value& v) { c.nats.subject_prefix = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.nats.subject_prefix); }},
    {.path = "publish.nats.replicas", .type = KeyType::integer, .default_value = "1", .min = 1, .max = 5,
     .doc = "replicas of a stream the sensor makes (3 on a three-node cluster)",
     .set = [](Config& c, Index, const Value& v) { c.nats.replicas = static_cast<int>(v.number); },
     .get = [](const Config& c, Index) { return number_value(c.nats.replicas); }},
    {.path = "publish.nats.creds_file", .type = KeyType::file,
     .doc = "a NATS credentials file (JWT and nkey seed); empty: none",
     .set = [](Config& c, Index, const Value& v) { c.nats.creds_file = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.nats.creds_file); }},
    {.path = "publish.nats.nkey", .type = KeyType::string,
     .doc = "a user nkey (public key, U...), with nkey_seed_file; empty: none",
     .set = [](Config& c, Index, const Value& v) { c.nats.nkey = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.nats.nkey); }},
    {.path = "publish.nats.nkey_seed_file", .type = KeyType::file,
     .doc = "the file holding that nkey's seed",
     .set = [](Config& c, Index, const Value& v) { c.nats.nkey_seed_file = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.nats.nkey_seed_file); }},
    {.path = "publish.nats.tls", .type = KeyType::boolean, .default_value = "false",
     .doc = "require TLS (implied by ca_file)",
     .set = [](Config& c, Index, const Value& v) { c.nats.tls = v.number != 0; },
     .get = [](const Config& c, Index) { return bool_value(c.nats.tls); }},
    {.path = "publish.nats.ca_file", .type = KeyType::file,
     .doc = "CA certificates the servers' certificates must chain to; empty: the system's",
     .set = [](Config& c, Index, const Value& v) { c.nats.ca_file = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.nats.ca_file); }},
    {.path = "publish.nats.cert_file", .type = KeyType::file,
     .doc = "a client certificate for TLS client authentication; empty: none",
     .set = [](Config& c, Index, const Value& v) { c.nats.cert_file = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.nats.cert_file); }},
    {.path = "publish.nats.key_file", .type = KeyType::file,
     .doc = "its private key",
     .set = [](Config& c, Index, const Value& v) { c.nats.key_file = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.nats.key_file); }},
    {.path = "publish.nats.drain_timeout", .type = KeyType::duration, .default_value = "5s", .min = 0,
     .max = 600000,
     .doc = "at exit, how long to wait for stored alerts to be acknowledged (the rest go at the next start)",
     .set = [](Config& c, Index, const Value& v) { c.nats.drain_timeout_ms = v.number; },
     .get = [](const Config& c, Index) { return number_value(c.nats.drain_timeout_ms); }},
    {.path = "state", .type = KeyType::mapping,
     .doc = "what the sensor keeps across restarts"},
    {.path = "state.dir", .type = KeyType::directory,
     .doc = "durable alert store, open alerts and evidence pcaps; empty: none (alerts are then only published)",
     .set = [](Config& c, Index, const Value& v) { c.state.dir = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.state.dir); }},
    {.path = "state.fsync", .type = KeyType::boolean, .default_value = "true",
     .doc = "fsync the store and the log before alerts are published, once per batch (group commit) (false: faster, "
            "a crash may lose the last alerts)",
     .set = [](Config& c, Index, const Value& v) { c.state.fsync = v.number != 0; },
     .get = [](const Config& c, Index) { return Value{.text = c.state.fsync ? "true" : "false"}; }},
    {.path = "state.max_open_alerts", .type = KeyType::integer, .default_value = "100000", .min = 1,
     .max = 10000000,
     .doc = "open alerts kept; beyond, the one seen least recently is dropped and counted",
     .set = [](Config& c, Index, const Value& v) { c.state.max_open_alerts = static_cast<int>(v.number); },
     .get = [](const Config& c, Index) { return number_value(c.state.max_open_alerts); }},
    {.path = "state.max_held_records", .type = KeyType::integer, .default_value = "100000", .min = 1,
     .max = 100000000,
     .doc = "records the durable store keeps in memory while its disk fails (full), written when it recovers; "
            "beyond, records are not stored (counted; every other output still gets them)",
     .set = [](Config& c, Index, const Value& v) { c.state.max_held_records = static_cast<std::int64_t>(v.number); },
     .get = [](const Config& c, Index) { return number_value(c.state.max_held_records); }},
    {.path = "state.retention", .type = KeyType::duration, .default_value = "0", .min = 0,
     .max = 100LL * 366 * 86400 * 1000, .bare_ms = 86400000,
     .doc = "records older than this (their time or last_seen) leave the store and the evidence folder, and "
            "the transparency log keeps only their leaf hashes (docs/deploy-registry.md); checked at start and "
            "periodically; a bare number counts days; 0: keep everything",
     .set = [](Config& c, Index, const Value& v) { c.state.retention_ms = v.number; },
     .get = [](const Config& c, Index) { return number_value(c.state.retention_ms); }},
    {.path = "detect", .type = KeyType::mapping,
     .doc = "detection beyond the baseline comparison"},
    {.path = "detect.outstanding_queries", .type = KeyType::integer, .default_value = "65536", .min = 64,
     .max = 16777216,
     .doc = "queries about watched names remembered until answered (per detection thread), to match responses "
            "with them; when full the oldest is dropped and counted",
     .set = [](Config& c, Index, const Value& v) { c.detect.outstanding_queries = static_cast<int>(v.number); },
     .get = [](const Config& c, Index) { return number_value(c.detect.outstanding_queries); }},
    {.path = "detect.max_observed_rdata", .type = KeyType::integer, .default_value = "64", .min = 1,
     .max = 65536,
     .doc = "divergent rdata listed in one alert's `observed`; past it the alert says `truncated: true` and counts "
            "the rest in `observed_omitted` (and is not re-sent for them), so forged answers cannot grow it",
     .set = [](Config& c, Index, const Value& v) { c.detect.max_observed_rdata = static_cast<int>(v.number); },
     .get = [](const Config& c, Index) { return number_value(c.detect.max_observed_rdata); }},
    {.path = "detect.txid_burst", .type = KeyType::mapping,
     .doc = "blind spoofing: responses for one watched name from one server that match no query of a client "
            "seen asking (transaction id, ports, question)"},
    {.path = "detect.txid_burst.count", .type = KeyType::integer, .default_value = "10", .min = 1, .max = 1000,
     .doc = "this many unmatched responses within the window are a burst: signal txid_mismatch_burst, and alert "
            "spoofing_attempt unless a divergent answer matched a query",
     .set = [](Config& c, Index, const Value& v) { c.detect.txid_burst_count = static_cast<int>(v.number); },
     .get = [](const Config& c, Index) { return number_value(c.detect.txid_burst_count); }},
    {.path = "detect.txid_burst.window", .type = KeyType::duration, .default_value = "1s", .min = 1000,
     .max = 3600000,
     .doc = "the sliding window (packet time) the count must fall within",
     .set = [](Config& c, Index, const Value& v) { c.detect.txid_burst_window_ms = v.number; },
     .get = [](const Config& c, Index) { return number_value(c.detect.txid_burst_window_ms); }},
    {.path = "detect.short_lived_change", .type = KeyType::mapping,
     .doc = "changes of the watched zones' own data (a transfer, a reload, the feed) that are undone soon: how "
            "hijacks made through a registrar account look at the registry"},
    {.path = "detect.short_lived_change.window", .type = KeyType::duration, .default_value = "7d", .min = 1000,
     .max = 31536000000,
     .doc = "an NS, DS, DNSKEY, A, AAAA, MX or TLSA RRset back to its earlier rdata within this window (wall "
            "clock) raises short_lived_change; signals of a suspicious_change look this far back",
     .set = [](Config& c, Index, const Value& v) { c.detect.short_lived_change_window_ms = v.number; },
     .get = [](const Config& c, Index) { return number_value(c.detect.short_lived_change_window_ms); }},
    {.path = "transparency_log", .type = KeyType::mapping,
     .doc = "the append-only Merkle log of alerts (RFC 9162), with signed checkpoints"},
    {.path = "transparency_log.dir", .type = KeyType::directory,
     .doc = "where the log lives; empty: no log",
     .set = [](Config& c, Index, const Value& v) { c.state.tlog_dir = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.state.tlog_dir); }},
    {.path = "transparency_log.key_file", .type = KeyType::file,
     .doc = "the log's Ed25519 signing key (dnswatch tlog keygen); required with dir",
     .set = [](Config& c, Index, const Value& v) { c.state.tlog_key_file = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.state.tlog_key_file); }},
    {.path = "transparency_log.http", .type = KeyType::string,
     .doc = "IPV4:PORT or [IPV6]:PORT serving the log read-only over HTTP as C2SP tlog-tiles (/checkpoint, "
            "/tile/<L>/<N>, /tile/entries/<N>), for auditors' tiles clients and dnswatch tlog verify --url; "
            "empty: off",
     .set = [](Config& c, Index, const Value& v) { c.state.tlog_http = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.state.tlog_http); },
     .check = [](const std::string& text) -> const char* {
         return parse_listen_address(text) ? nullptr : "expected IPV4:PORT or [IPV6]:PORT, e.g. 127.0.0.1:8080";
     }},
    {.path = "decode", .type = KeyType::mapping,
     .doc = "how packets become DNS messages"},
    {.path = "decode.dns_ports", .type = KeyType::integer_list, .default_value = "[53]", .min = 1, .max = 65535,
     .doc = "UDP and TCP ports that carry DNS (853, DNS over TLS, is never decoded)",
     .set = [](Config& c, Index, const Value& v) {
         c.decode.dns_ports.assign(v.numbers.begin(), v.numbers.end());
     },
     .get = [](const Config& c, Index) { return numbers_value(c.decode.dns_ports); }},
    {.path = "decode.gtpu_ports", .type = KeyType::integer_list, .may_be_empty = true, .default_value = "[2152]",
     .min = 1, .max = 65535,
     .doc = "UDP ports (either end) on which GTP-U (v1) is decapsulated, DNS ports first: a mobile core's user "
            "plane (S1-U, S5/S8, N3, Gn); the live capture's default filter takes them in; [] turns it off",
     .set = [](Config& c, Index, const Value& v) {
         c.decode.gtpu_ports.assign(v.numbers.begin(), v.numbers.end());
     },
     .get = [](const Config& c, Index) { return numbers_value(c.decode.gtpu_ports); }},
    {.path = "decode.reassembly", .type = KeyType::mapping,
     .doc = "bounds of IP fragment and TCP stream reassembly"},
    {.path = "decode.reassembly.max_fragment_datagrams", .type = KeyType::integer, .default_value = "256",
     .min = 1, .max = 16384,
     .doc = "IP datagrams reassembled at once; the oldest gives way",
     .set = [](Config& c, Index, const Value& v) {
         c.decode.reassembly.max_fragment_datagrams = static_cast<int>(v.number);
     },
     .get = [](const Config& c, Index) { return number_value(c.decode.reassembly.max_fragment_datagrams); }},
    {.path = "decode.reassembly.max_tcp_flows", .type = KeyType::integer, .default_value = "4096", .min = 1,
     .max = 262144,
     .doc = "TCP flows tracked at once; the least recently used gives way",
     .set = [](Config& c, Index, const Value& v) { c.decode.reassembly.max_tcp_flows = static_cast<int>(v.number); },
     .get = [](const Config& c, Index) { return number_value(c.decode.reassembly.max_tcp_flows); }},
    {.path = "decode.reassembly.tcp_flow_bytes", .type = KeyType::size, .default_value = "65537", .min = 1024,
     .max = 1048576,
     .doc = "bytes one direction of a TCP flow may hold (65537: any DNS message and its length); the frames "
            "of a message's segments are kept for its evidence up to twice this",
     .set = [](Config& c, Index, const Value& v) { c.decode.reassembly.tcp_flow_bytes = v.number; },
     .get = [](const Config& c, Index) { return number_value(c.decode.reassembly.tcp_flow_bytes); }},
    {.path = "decode.reassembly.total_bytes", .type = KeyType::size, .default_value = "32MiB",
     .min = 65536, .max = 17179869184,
     .doc = "memory for all held fragments and stream bytes, reserved at start",
     .set = [](Config& c, Index, const Value& v) { c.decode.reassembly.total_bytes = v.number; },
     .get = [](const Config& c, Index) { return number_value(c.decode.reassembly.total_bytes); }},
    {.path = "decode.reassembly.timeout_ms", .type = KeyType::duration, .default_value = "30s", .min = 100,
     .max = 3600000, .bare_ms = 1,
     .doc = "packet time after which an incomplete datagram or an idle flow is dropped (a bare number: ms)",
     .set = [](Config& c, Index, const Value& v) { c.decode.reassembly.timeout_ms = v.number; },
     .get = [](const Config& c, Index) { return number_value(c.decode.reassembly.timeout_ms); }},
    // ---- dnswatch run: where packets come from, the pipeline, the process ----
    {.path = "capture", .type = KeyType::mapping,
     .doc = "where dnswatch run gets its packets"},
    {.path = "capture.source", .type = KeyType::string, .default_value = "pcap_live",
     .doc = "pcap_live (libpcap), dpdk, dnstap (resolvers and name servers send their messages: capture.dnstap), "
            "or pcap_file (replays captures and dnstap files through the live pipeline)",
     .set = [](Config& c, Index, const Value& v) { c.capture.source = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.capture.source); },
     .check = [](const std::string& text) -> const char* {
         return text == "pcap_live" || text == "dpdk" || text == "pcap_file" || text == "dnstap"
                    ? nullptr
                    : "expected pcap_live, dpdk, dnstap or pcap_file";
     }},
    {.path = "capture.files", .type = KeyType::file_list,
     .doc = "pcap_file: the captures (pcap or pcapng), replayed in order",
     .set = [](Config& c, Index, const Value& v) { c.capture.files = v.list; },
     .get = [](const Config& c, Index) { return list_value(c.capture.files); }},
    {.path = "capture.speed", .type = KeyType::string, .default_value = "max",
     .doc = "pcap_file: max (as fast as possible, nothing dropped), recorded (the capture's pace), or a factor like 10x",
     .set = [](Config& c, Index, const Value& v) {
         c.capture.speed = v.text;
         c.capture.speed_factor = parse_replay_speed(v.text);
     },
     .get = [](const Config& c, Index) { return text_value(c.capture.speed); },
     .check = [](const std::string& text) -> const char* {
         return parse_replay_speed(text) >= 0 ? nullptr : "expected max, recorded or a factor such as 10x";
     }},
    {.path = "capture.interfaces", .type = KeyType::string_list,
     .doc = "pcap_live: interfaces to capture on (workers share one through PACKET_FANOUT)",
     .set = [](Config& c, Index, const Value& v) { c.capture.interfaces = v.list; },
     .get = [](const Config& c, Index) { return list_value(c.capture.interfaces); }},
    {.path = "capture.filter", .type = KeyType::string,
     .doc = "pcap_live: BPF filter; empty: the DNS ports over UDP and TCP, the GTP-U ports over UDP, and every "
            "IP fragment (other tunnels, GRE among them, need a filter that takes them in)",
     .set = [](Config& c, Index, const Value& v) { c.capture.filter = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.capture.filter); }},
    {.path = "capture.snaplen", .type = KeyType::integer, .default_value = "65535", .min = 64, .max = 262144,
     .doc = "pcap_live: bytes kept of each packet",
     .set = [](Config& c, Index, const Value& v) { c.capture.snaplen = static_cast<int>(v.number); },
     .get = [](const Config& c, Index) { return number_value(c.capture.snaplen); }},
    {.path = "capture.buffer_bytes", .type = KeyType::size, .default_value = "32MiB", .min = 65536,
     .max = 2147483647,
     .doc = "pcap_live: the kernel's packet ring per handle; what overflows it is counted as kernel-dropped",
     .set = [](Config& c, Index, const Value& v) { c.capture.buffer_bytes = v.number; },
     .get = [](const Config& c, Index) { return number_value(c.capture.buffer_bytes); }},
    {.path = "capture.timeout_ms", .type = KeyType::duration, .default_value = "0", .min = 0, .max = 10000,
     .bare_ms = 1,
     .doc = "pcap_live: 0 hands over each packet at once (immediate mode); more: batches of up to this age "
            "(a bare number: ms)",
     .set = [](Config& c, Index, const Value& v) { c.capture.timeout_ms = static_cast<int>(v.number); },
     .get = [](const Config& c, Index) { return number_value(c.capture.timeout_ms); }},
    {.path = "capture.promiscuous", .type = KeyType::boolean, .default_value = "false",
     .doc = "pcap_live: promiscuous mode (a SPAN or TAP port carries others' traffic)",
     .set = [](Config& c, Index, const Value& v) { c.capture.promiscuous = v.number != 0; },
     .get = [](const Config& c, Index) { return bool_value(c.capture.promiscuous); }},
    {.path = "capture.idle_exit_ms", .type = KeyType::duration, .default_value = "0", .min = 0, .max = 86400000,
     .bare_ms = 1,
     .doc = "stop after this long without a packet (replays through DPDK's net_pcap, tests); 0: never "
            "(a bare number: ms)",
     .set = [](Config& c, Index, const Value& v) { c.capture.idle_exit_ms = v.number; },
     .get = [](const Config& c, Index) { return number_value(c.capture.idle_exit_ms); }},
    {.path = "capture.dpdk", .type = KeyType::mapping,
     .doc = "capture.source dpdk: ports and queues"},
    {.path = "capture.dpdk.eal_args", .type = KeyType::string_list,
     .doc = "EAL arguments; Debian's drivers are plugins, each loaded with -d (librte_net_pcap.so.23, ...)",
     .set = [](Config& c, Index, const Value& v) { c.capture.dpdk.eal_args = v.list; },
     .get = [](const Config& c, Index) { return list_value(c.capture.dpdk.eal_args); }},
    {.path = "capture.dpdk.ports", .type = KeyType::string_list,
     .doc = "ports by device name (net_pcap0, net_af_packet0, 0000:03:00.0) or port id",
     .set = [](Config& c, Index, const Value& v) { c.capture.dpdk.ports = v.list; },
     .get = [](const Config& c, Index) { return list_value(c.capture.dpdk.ports); }},
    {.path = "capture.dpdk.rx_queues", .type = KeyType::integer, .default_value = "0", .min = 0, .max = 1024,
     .doc = "RX queues per port, flows spread over them by symmetric RSS; 0: enough for one per worker",
     .set = [](Config& c, Index, const Value& v) { c.capture.dpdk.rx_queues = static_cast<int>(v.number); },
     .get = [](const Config& c, Index) { return number_value(c.capture.dpdk.rx_queues); }},
    {.path = "capture.dpdk.rx_descriptors", .type = KeyType::integer, .default_value = "1024", .min = 32,
     .max = 65535,
     .doc = "descriptors per RX queue",
     .set = [](Config& c, Index, const Value& v) { c.capture.dpdk.rx_descriptors = static_cast<int>(v.number); },
     .get = [](const Config& c, Index) { return number_value(c.capture.dpdk.rx_descriptors); }},
    {.path = "capture.dpdk.burst", .type = KeyType::integer, .default_value = "32", .min = 1, .max = 64,
     .doc = "packets asked for per receive call",
     .set = [](Config& c, Index, const Value& v) { c.capture.dpdk.burst = static_cast<int>(v.number); },
     .get = [](const Config& c, Index) { return number_value(c.capture.dpdk.burst); }},
    {.path = "capture.dpdk.mbufs", .type = KeyType::integer, .default_value = "0", .min = 0, .max = 16777216,
     .doc = "packet buffers in the pool; 0: enough for every descriptor and burst",
     .set = [](Config& c, Index, const Value& v) { c.capture.dpdk.mbufs = v.number; },
     .get = [](const Config& c, Index) { return number_value(c.capture.dpdk.mbufs); }},
    {.path = "capture.dpdk.mbuf_cache", .type = KeyType::integer, .default_value = "256", .min = 0, .max = 512,
     .doc = "per-core cache of the pool",
     .set = [](Config& c, Index, const Value& v) { c.capture.dpdk.mbuf_cache = static_cast<int>(v.number); },
     .get = [](const Config& c, Index) { return number_value(c.capture.dpdk.mbuf_cache); }},
    {.path = "capture.dnstap", .type = KeyType::mapping,
     .doc = "capture.source dnstap: Frame Streams sockets where resolvers and name servers (Unbound, NSD, Knot, "
            "BIND, PowerDNS) send dnstap; bidirectional handshake, several writers at once"},
    {.path = "capture.dnstap.unix", .type = KeyType::string,
     .doc = "a unix socket to create (mode 0660, owned by run.user: put the writers in its group); empty: none",
     .set = [](Config& c, Index, const Value& v) { c.capture.dnstap.unix_path = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.capture.dnstap.unix_path); }},
    {.path = "capture.dnstap.tcp", .type = KeyType::string,
     .doc = "IPV4:PORT or [IPV6]:PORT to listen on for writers over TCP; empty: none",
     .set = [](Config& c, Index, const Value& v) { c.capture.dnstap.tcp = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.capture.dnstap.tcp); },
     .check = [](const std::string& text) -> const char* {
         return parse_listen_address(text) ? nullptr : "expected IPV4:PORT or [IPV6]:PORT, e.g. 127.0.0.1:6000";
     }},
    {.path = "capture.dnstap.max_frame_bytes", .type = KeyType::size, .default_value = "128KiB", .min = 1024,
     .max = 1048576,
     .doc = "the longest data frame a writer may send (a dnstap message holds up to two DNS messages); a longer "
            "one is a bad frame, and its writer is disconnected",
     .set = [](Config& c, Index, const Value& v) { c.capture.dnstap.max_frame_bytes = v.number; },
     .get = [](const Config& c, Index) { return number_value(c.capture.dnstap.max_frame_bytes); }},
    {.path = "capture.dnstap.max_writers", .type = KeyType::integer, .default_value = "64", .min = 1, .max = 4096,
     .doc = "writers connected at once (each holds a buffer of max_frame_bytes); more are refused and counted",
     .set = [](Config& c, Index, const Value& v) { c.capture.dnstap.max_writers = static_cast<int>(v.number); },
     .get = [](const Config& c, Index) { return number_value(c.capture.dnstap.max_writers); }},
    {.path = "pipeline", .type = KeyType::mapping,
     .doc = "dnswatch run's threads and the rings between them"},
    {.path = "pipeline.workers", .type = KeyType::integer, .default_value = "0", .min = 0, .max = 1024,
     .doc = "capture and decode threads, each with its own queue; 0: one per available core, less one",
     .set = [](Config& c, Index, const Value& v) { c.pipeline.workers = static_cast<int>(v.number); },
     .get = [](const Config& c, Index) { return number_value(c.pipeline.workers); }},
    {.path = "pipeline.shards", .type = KeyType::integer, .default_value = "0", .min = 0, .max = 1024,
     .doc = "detection threads, each owning a share of the watched zones; 0: as many as workers",
     .set = [](Config& c, Index, const Value& v) { c.pipeline.shards = static_cast<int>(v.number); },
     .get = [](const Config& c, Index) { return number_value(c.pipeline.shards); }},
    {.path = "pipeline.reader_ring_bytes", .type = KeyType::size, .default_value = "16MiB", .min = 262144,
     .max = 1073741824,
     .doc = "pcap_file with several workers: the ring from the file reader to each worker",
     .set = [](Config& c, Index, const Value& v) { c.pipeline.reader_ring_bytes = v.number; },
     .get = [](const Config& c, Index) { return number_value(c.pipeline.reader_ring_bytes); }},
    {.path = "pipeline.message_ring_bytes", .type = KeyType::size, .default_value = "4MiB", .min = 262144,
     .max = 1073741824,
     .doc = "the ring from each worker to each shard (responses about watched zones)",
     .set = [](Config& c, Index, const Value& v) { c.pipeline.message_ring_bytes = v.number; },
     .get = [](const Config& c, Index) { return number_value(c.pipeline.message_ring_bytes); }},
    {.path = "pipeline.alert_ring", .type = KeyType::integer, .default_value = "4096", .min = 16, .max = 1048576,
     .doc = "alert records queued from each shard to the publisher thread",
     .set = [](Config& c, Index, const Value& v) { c.pipeline.alert_ring = static_cast<int>(v.number); },
     .get = [](const Config& c, Index) { return number_value(c.pipeline.alert_ring); }},
    {.path = "run", .type = KeyType::mapping,
     .doc = "the dnswatch run process"},
    {.path = "run.user", .type = KeyType::string,
     .doc = "once the capture is open, run as this user, with no capability left; empty: stay",
     .set = [](Config& c, Index, const Value& v) { c.run.user = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.run.user); }},
    {.path = "stats", .type = KeyType::mapping,
     .doc = "the sensor's counters"},
    {.path = "stats.interval", .type = KeyType::duration, .default_value = "10s", .min = 0, .max = 86400000,
     .step_ms = 1000,
     .doc = "time between stats. messages (dnswatch.stats/1) on the ZeroMQ PUB socket, whole seconds "
            "(a bare number: seconds); 0: none",
     .set = [](Config& c, Index, const Value& v) { c.run.stats_interval_s = static_cast<int>(v.number / 1000); },
     .get = [](const Config& c, Index) { return number_value(std::int64_t{c.run.stats_interval_s} * 1000); }},
    // ---- operating the sensor: /metrics and logs ----
    {.path = "metrics", .type = KeyType::mapping,
     .doc = "the Prometheus endpoint of dnswatch run (docs/metrics.md)"},
    {.path = "metrics.listen", .type = KeyType::string,
     .doc = "IPV4:PORT or [IPV6]:PORT serving GET /metrics (text format 0.0.4), e.g. 127.0.0.1:9153; empty: off",
     .set = [](Config& c, Index, const Value& v) { c.metrics.listen = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.metrics.listen); },
     .check = [](const std::string& text) -> const char* {
         return parse_listen_address(text) ? nullptr : "expected IPV4:PORT or [IPV6]:PORT, e.g. 127.0.0.1:9153";
     }},
    {.path = "log", .type = KeyType::mapping,
     .doc = "operational log lines on standard error (journald under systemd)"},
    {.path = "log.level", .type = KeyType::string, .default_value = "info",
     .doc = "error, warn, info or debug: the least severe level written",
     .set = [](Config& c, Index, const Value& v) { c.log.level = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.log.level); },
     .check = [](const std::string& text) -> const char* {
         return text == "error" || text == "warn" || text == "info" || text == "debug"
                    ? nullptr
                    : "expected error, warn, info or debug";
     }},
    {.path = "log.format", .type = KeyType::string, .default_value = "keyvalue",
     .doc = "keyvalue (logfmt: ts=... level=... event=... key=value) or json (one object a line)",
     .set = [](Config& c, Index, const Value& v) { c.log.format = v.text; },
     .get = [](const Config& c, Index) { return text_value(c.log.format); },
     .check = [](const std::string& text) -> const char* {
         return text == "keyvalue" || text == "json" ? nullptr : "expected keyvalue or json";
     }},
};
// clang-format on

std::string_view parent_of(std::string_view path) {
    const auto dot = path.rfind('.');
    return dot == std::string_view::npos ? std::string_view{} : path.substr(0, dot);
}

std::string_view leaf_of(std::string_view path) {
    const auto dot = path.rfind('.');
    return dot == std::string_view::npos ? path : path.substr(dot + 1);
}

bool is_scalar_type(KeyType type) {
    return type != KeyType::mapping && type != KeyType::list_of_mappings && type != KeyType::file_list &&
           type != KeyType::integer_list && type != KeyType::string_list;
}

const KeySpec* find_spec(std::string_view path) {
    for (const KeySpec& spec : kSchema) {
        if (spec.path == path) return &spec;
    }
    return nullptr;
}

std::vector<const KeySpec*> children_of(std::string_view parent) {
    std::vector<const KeySpec*> children;
    for (const KeySpec& spec : kSchema) {
        if (parent_of(spec.path) == parent) children.push_back(&spec);
    }
    return children;
}

std::string join_path(std::string_view parent, std::string_view leaf) {
    return parent.empty() ? std::string(leaf) : std::string(parent) + "." + std::string(leaf);
}

const char* expected_name(KeyType type) {
    switch (type) {
        case KeyType::mapping: return "a mapping";
        case KeyType::list_of_mappings:
        case KeyType::file_list:
        case KeyType::integer_list:
        case KeyType::string_list: return "a list";
        case KeyType::integer: return "an integer";
        case KeyType::duration: return "a duration";
        case KeyType::size: return "a size";
        case KeyType::string:
        case KeyType::dns_name:
        case KeyType::file:
        case KeyType::endpoint:
        case KeyType::directory: return "a string";
        case KeyType::boolean: return "true or false";
    }
    return "a value";
}

// What the user wrote, for "expected X, got Y".
std::string describe(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined: return "nothing";
        case YAML::NodeType::Sequence: return "a sequence";
        case YAML::NodeType::Map: return "a mapping";
        case YAML::NodeType::Scalar: break;
    }
    std::string text = node.Scalar();
    if (text.empty()) return "an empty string";
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    return "'" + text + "'";
}

std::string host_name() {
    char buffer[256] = {};
    if (gethostname(buffer, sizeof buffer - 1) != 0 || buffer[0] == '\0') return "unknown";
    return buffer;
}

// Lower case, no trailing dot, labels of 1..63 bytes, at most 253 characters;
// letters, digits, '-' and '_' (underscore for names like _dmarc). Returns
// the reason it is not a name, or "" and the normalised name in `out`.
std::string normalise_dns_name(std::string_view text, std::string& out) {
    if (text.empty()) return "expected a DNS name, got an empty string";
    if (text == ".") return "the root zone cannot be watched";
    if (text.back() == '.') text.remove_suffix(1);
    if (text.size() > 253) return "'" + std::string(text.substr(0, 20)) + "...' is longer than 253 characters";
    out.clear();
    std::size_t label_start = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
        if (i == text.size() || text[i] == '.') {
            const std::size_t length = i - label_start;
            if (length == 0) return "'" + std::string(text) + "' has an empty label";
            if (length > 63) return "'" + std::string(text) + "' has a label longer than 63 bytes";
            label_start = i + 1;
            if (i < text.size()) out.push_back('.');
            continue;
        }
        const char c = text[i];
        const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        const bool digit = c >= '0' && c <= '9';
        if (!letter && !digit && c != '-' && c != '_') {
            return "'" + std::string(text) + "' is not a valid DNS name (character '" + std::string(1, c) +
                   "'; letters, digits, '-' and '_' only)";
        }
        out.push_back(letter && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    }
    return {};
}

// "[53, 5353]" -> {53, 5353}: the default of an integer list, as the schema writes it.
std::vector<std::int64_t> parse_default_numbers(std::string_view text) {
    std::vector<std::int64_t> numbers;
    const char* p = text.data();
    const char* end = text.data() + text.size();
    while (p < end) {
        std::int64_t n = 0;
        const auto [next, ec] = std::from_chars(p, end, n);
        if (ec == std::errc{}) {
            numbers.push_back(n);
            p = next;
        } else {
            ++p;
        }
    }
    return numbers;
}

// Empty if the file can be read, else why not. Never opens it: open(2) of
// a FIFO would wait for a writer, and check-config would hang.
std::string unreadable_reason(const fs::path& path) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) return std::strerror(EISDIR);  // as before: "Is a directory"
    if (std::string problem = regular_file_problem(path.string()); !problem.empty()) return problem;
    if (::access(path.c_str(), R_OK) != 0) return std::strerror(errno);
    return {};
}

// Empty if `dir` is a directory or can be created as one (its nearest
// existing ancestor is a directory), else why not: a state folder that is
// a regular file would otherwise pass check-config and fail the sensor.
std::string directory_problem(const fs::path& dir) {
    for (fs::path at = dir; !at.empty(); at = at.parent_path()) {
        std::error_code ec;
        const fs::file_status status = fs::status(at, ec);
        if (status.type() == fs::file_type::not_found) {
            if (at == at.parent_path()) break;
            continue;
        }
        if (ec) return ec.message();
        if (status.type() == fs::file_type::directory) return {};
        const std::string what = status.type() == fs::file_type::regular ? "a regular file, not a directory"
                                                                          : "not a directory";
        return at == dir ? "is " + what : "is under '" + at.string() + "', which is " + what;
    }
    return {};
}

// The config is small; this bounds what a wrong path (a log file, a disk
// image) makes us read and parse.
constexpr std::size_t kMaxConfigBytes = 16u << 20;

class Loader {
public:
    explicit Loader(std::string file) : file_(std::move(file)) {
        base_dir_ = fs::absolute(fs::path(file_)).parent_path();
        config_.source_path = file_;
        apply_defaults();
    }

    Config load() {
        std::string text;
        try {
            text = read_regular_file(file_, kMaxConfigBytes);
        } catch (const FileRefused& e) {
            // e.what() is "PATH: reason"; the issue names the file already.
            const std::string reason = std::string(e.what()).substr(file_.size() + 2);
            issues_.push_back({file_, 0, 0, "cannot read config file (" + reason + ")"});
            fail();
        }
        YAML::Node root;
        try {
            root = YAML::Load(text);
        } catch (const YAML::Exception& e) {
            issue(e.mark, "YAML syntax error: " + e.msg);
            fail();
        }
        if (root.IsNull()) {
            issues_.push_back({file_, 1, 1, "the file is empty (expected a mapping with at least 'watch')"});
        } else if (!root.IsMap()) {
            issue(root.Mark(), "expected a mapping at the top level, got " + describe(root));
        } else {
            check_mapping(root, "", "", root.Mark());
            check_zone_sources(root);
            if (issues_.empty()) check_together(root);
        }
        if (!issues_.empty()) fail();
        if (config_.sensor_id.empty()) config_.sensor_id = host_name();
        return std::move(config_);
    }

private:
    // A zone needs somewhere its baseline comes from (checked even when other
    // keys are wrong: a missing zone_file used to be a missing required key).
    void check_zone_sources(const YAML::Node& root) {
        const YAML::Node zones = root["watch"] && root["watch"].IsMap() ? root["watch"]["zones"] : YAML::Node();
        if (!zones || !zones.IsSequence()) return;
        for (std::size_t i = 0; i < config_.zones.size() && i < zones.size(); ++i) {
            const WatchedZoneConfig& zone = config_.zones[i];
            if (!zones[i].IsMap() || zones[i]["zone_file"] || zones[i]["primary"] || zone.learn) continue;
            issue(zones[i].Mark(), "watch.zones[" + std::to_string(i) +
                                       "]: expected zone_file, primary or learn: true (where its baseline comes from)");
        }
    }

    // watch.zones[].versions: a timeline of the zone file, so it starts from
    // one (zone_file: the version before the first), follows no primary (a
    // transfer would move the same data by another clock), and goes forward.
    void check_zone_versions(const YAML::Node& zones) {
        for (std::size_t i = 0; i < config_.zones.size() && i < zones.size(); ++i) {
            const WatchedZoneConfig& zone = config_.zones[i];
            if (!zones[i].IsMap() || !zones[i]["versions"] || zone.versions.empty()) continue;
            const YAML::Node versions = zones[i]["versions"];
            const std::string where = "watch.zones[" + std::to_string(i) + "].versions";
            if (!zones[i]["zone_file"]) {
                issue(versions.Mark(), where + ": needs zone_file (the zone's data before the first version)");
            }
            if (zones[i]["primary"]) {
                issue(versions.Mark(), where + ": not with primary (the zone's versions come from its transfers then)");
            }
            for (std::size_t j = 1; j < zone.versions.size() && j < versions.size(); ++j) {
                if (zone.versions[j].from_us > zone.versions[j - 1].from_us) continue;
                const YAML::Node from = versions[j].IsMap() && versions[j]["from"] ? versions[j]["from"] : versions[j];
                issue(from.Mark(), where + "[" + std::to_string(j) + "].from: " +
                                       format_rfc3339_us(zone.versions[j].from_us) + " is not after the version before (" +
                                       format_rfc3339_us(zone.versions[j - 1].from_us) + "): versions go forward in time");
            }
        }
    }

    // Rules that span keys, checked once each key is valid on its own.
    void check_together(const YAML::Node& root) {
        const auto mark_of = [&](std::initializer_list<const char*> path) {
            YAML::Node node = root;
            YAML::Mark mark = root.Mark();
            for (const char* key : path) {
                if (!node.IsMap() || !node[key]) break;
                // An empty value ("watch:") has no place of its own: its key's.
                for (const auto& entry : node) {
                    if (entry.first.Scalar() == key) mark = entry.second.IsNull() ? entry.first.Mark() : entry.second.Mark();
                }
                // reset(), not `=`: a YAML::Node is a reference, and
                // assigning to it would rewrite the document itself (the next
                // lookup then found the wrong place).
                node.reset(node[key]);
            }
            return mark;
        };
        if (const YAML::Node watch = root["watch"]; watch && watch.IsMap() && watch["zones"] && watch["zones"].IsSequence()) {
            check_zone_versions(watch["zones"]);
        }
        if (config_.zones.empty() && config_.zones_file.empty()) {
            issue(mark_of({"watch"}), "watch: expected zones, zones_file or both (what to watch)");
        }
        const StateConfig& state = config_.state;
        if (state.tlog_dir.empty() != state.tlog_key_file.empty()) {
            issue(mark_of({"transparency_log"}), "transparency_log: dir and key_file go together");
        }
        if (!state.tlog_http.empty() && state.tlog_dir.empty()) {
            issue(mark_of({"transparency_log", "http"}), "transparency_log.http needs transparency_log.dir");
        }
        if (state.retention_ms > 0 && state.dir.empty()) {
            issue(mark_of({"state", "retention"}), "state.retention needs state.dir (what it prunes)");
        }
        // Plaintext is for loopback only: anything reachable from elsewhere
        // is CURVE-encrypted and admits only listed consumers.
        const ZmqPublishConfig& zmq = config_.zmq;
        for (const auto& [key, endpoint] : {std::pair{"endpoint", zmq.endpoint}, {"catchup_endpoint", zmq.catchup_endpoint},
                                            {"public_endpoint", zmq.public_endpoint}}) {
            if (zmq.curve_key_file.empty() && endpoint.starts_with("tcp://") && !is_loopback_endpoint(endpoint)) {
                issue(mark_of({"publish", "zmq", key}),
                      std::string("publish.zmq.") + key + ": '" + endpoint +
                          "' is not a loopback address, so it needs publish.zmq.curve_key_file (dnswatch keygen)");
            }
        }
        // The feed changes verdicts: off loopback only a publisher holding
        // the registry's pinned key may speak.
        const std::string& feed = config_.baseline.feed_endpoint;
        if (config_.baseline.feed_server_key_file.empty() && feed.starts_with("tcp://") && !is_loopback_endpoint(feed)) {
            issue(mark_of({"baseline", "transparency_feed_endpoint"}),
                  "baseline.transparency_feed_endpoint: '" + feed +
                      "' is not a loopback address, so it needs baseline.transparency_feed_server_key (the "
                      "registry's CURVE public key)");
        }
        if (!zmq.client_keys.empty() && zmq.curve_key_file.empty()) {
            issue(mark_of({"publish", "zmq", "client_keys"}), "publish.zmq.client_keys: needs publish.zmq.curve_key_file");
        }
        if (!zmq.public_client_keys.empty() && zmq.curve_key_file.empty()) {
            issue(mark_of({"publish", "zmq", "public_client_keys"}),
                  "publish.zmq.public_client_keys: needs publish.zmq.curve_key_file");
        }
        if (!zmq.public_endpoint.empty() && state.dir.empty()) {
            issue(mark_of({"publish", "zmq", "public_endpoint"}),
                  "publish.zmq.public_endpoint needs state.dir (held creates and deletes wait in the store)");
        }
    }

    [[noreturn]] void fail() {
        std::stable_sort(issues_.begin(), issues_.end(), [](const ConfigIssue& a, const ConfigIssue& b) {
            return a.line != b.line ? a.line < b.line : a.column < b.column;
        });
        throw ConfigError(std::move(issues_));
    }

    void issue(const YAML::Mark& mark, std::string message) {
        const bool known = !mark.is_null();
        issues_.push_back({file_, known ? mark.line + 1 : 0, known ? mark.column + 1 : 0, std::move(message)});
    }

    void apply_defaults() {
        for (const KeySpec& spec : kSchema) {
            if (spec.required || spec.set == nullptr || spec.path.find("[]") != std::string_view::npos) continue;
            Value value;
            if (spec.type == KeyType::integer) {
                std::from_chars(spec.default_value.data(), spec.default_value.data() + spec.default_value.size(),
                                value.number);
            } else if (spec.type == KeyType::duration) {
                value.number = parse_duration_ms(spec.default_value, spec.bare_ms).value;
            } else if (spec.type == KeyType::size) {
                value.number = parse_size_bytes(spec.default_value).value;
            } else if (spec.type == KeyType::integer_list) {
                value.numbers = parse_default_numbers(spec.default_value);
            } else if (spec.type == KeyType::boolean) {
                value.number = spec.default_value == "true" ? 1 : 0;
                value.text = std::string(spec.default_value);
            } else if (spec.default_value != kHostNameDefault) {  // the host name is filled in last
                value.text = std::string(spec.default_value);
            }
            spec.set(config_, {}, value);
        }
    }

    // Checks every key of `node` against the children of `schema_path`.
    // `where` is the display path ("watch.zones[0]"); `at` locates missing keys.
    void check_mapping(const YAML::Node& node, std::string_view schema_path, const std::string& where,
                       const YAML::Mark& at) {
        const std::vector<const KeySpec*> children = children_of(schema_path);
        std::map<std::string, YAML::Mark> seen;
        for (const auto& entry : node) {
            const YAML::Node& key = entry.first;
            if (!key.IsScalar()) {
                issue(key.Mark(), "expected a key name " + in(where) + ", got " + describe(key));
                continue;
            }
            const std::string name = key.Scalar();
            const KeySpec* spec = find_spec(join_path(schema_path, name));
            if (spec == nullptr) {
                std::string expected;
                for (const KeySpec* child : children) {
                    expected += (expected.empty() ? "" : ", ") + std::string(leaf_of(child->path));
                }
                issue(key.Mark(), "unknown key '" + name + "' " + in(where) + " (expected one of: " + expected + ")");
                continue;
            }
            if (const auto first = seen.find(name); first != seen.end()) {
                issue(key.Mark(), "duplicate key '" + name + "' " + in(where) + " (first at " + position(first->second) +
                                      ")");
                continue;
            }
            seen.emplace(name, key.Mark());
            check_value(*spec, entry.second, key.Mark(), join_path(where, name));
        }
        for (const KeySpec* child : children) {
            if (child->required && !seen.contains(std::string(leaf_of(child->path)))) {
                issue(at, join_path(where, leaf_of(child->path)) + ": required key is missing");
            }
        }
    }

    void check_value(const KeySpec& spec, const YAML::Node& node, const YAML::Mark& key_mark,
                     const std::string& where) {
        // A null value ("key:" and nothing) has no useful mark; point at its key.
        const YAML::Mark mark = node.IsNull() || node.Mark().is_null() ? key_mark : node.Mark();
        const auto type_issue = [&] {
            issue(mark, where + ": expected " + expected_name(spec.type) + ", got " + describe(node));
        };
        if (spec.type == KeyType::mapping) {
            if (node.IsNull()) {
                check_mapping(YAML::Node(YAML::NodeType::Map), spec.path, where, key_mark);
            } else if (!node.IsMap()) {
                type_issue();
            } else {
                check_mapping(node, spec.path, where, node.Mark());
            }
            return;
        }
        if (node.IsNull() && !spec.required) return;  // as if absent: the default stands

        switch (spec.type) {
            case KeyType::list_of_mappings: {
                if (!node.IsSequence()) return type_issue();
                if (std::cmp_less(node.size(), spec.min) || std::cmp_greater(node.size(), spec.max)) {
                    return issue(mark, where + ": expected " + std::to_string(spec.min) + ".." +
                                           std::to_string(spec.max) + " entries, got " + std::to_string(node.size()));
                }
                spec.set(config_, index_, number_value(static_cast<std::int64_t>(node.size())));
                const std::string element_path = std::string(spec.path) + "[]";
                for (std::size_t i = 0; i < node.size(); ++i) {
                    const YAML::Node element = node[i];
                    const std::string element_where = where + "[" + std::to_string(i) + "]";
                    if (!element.IsMap()) {
                        issue(element.Mark().is_null() ? mark : element.Mark(),
                              element_where + ": expected a mapping, got " + describe(element));
                        continue;
                    }
                    index_.push_back(i);
                    check_mapping(element, element_path, element_where, element.Mark());
                    index_.pop_back();
                }
                return;
            }
            case KeyType::file_list: {
                if (!node.IsSequence()) return type_issue();
                Value value;
                for (std::size_t i = 0; i < node.size(); ++i) {
                    const YAML::Node element = node[i];
                    const std::string element_where = where + "[" + std::to_string(i) + "]";
                    const YAML::Mark element_mark = element.Mark().is_null() ? mark : element.Mark();
                    if (!element.IsScalar()) {
                        issue(element_mark, element_where + ": expected a string, got " + describe(element));
                        continue;
                    }
                    if (auto path = checked_file(element.Scalar(), element_mark, element_where)) {
                        value.list.push_back(std::move(*path));
                    }
                }
                spec.set(config_, index_, value);
                return;
            }
            case KeyType::string_list: {
                if (!node.IsSequence()) return type_issue();
                Value value;
                for (std::size_t i = 0; i < node.size(); ++i) {
                    const YAML::Node element = node[i];
                    const YAML::Mark element_mark = element.Mark().is_null() ? mark : element.Mark();
                    if (!element.IsScalar() || element.Scalar().empty()) {
                        issue(element_mark, where + "[" + std::to_string(i) + "]: expected a non-empty string, got " +
                                                describe(element));
                        continue;
                    }
                    if (spec.check != nullptr) {
                        if (const char* problem = spec.check(element.Scalar())) {
                            issue(element_mark,
                                  where + "[" + std::to_string(i) + "]: '" + element.Scalar() + "': " + problem);
                            continue;
                        }
                    }
                    value.list.push_back(element.Scalar());
                }
                spec.set(config_, index_, value);
                return;
            }
            case KeyType::integer_list: {
                if (!node.IsSequence()) return type_issue();
                if (node.size() == 0 && !spec.may_be_empty) {
                    return issue(mark, where + ": expected at least one integer, got an empty list");
                }
                Value value;
                bool ok = true;
                for (std::size_t i = 0; i < node.size(); ++i) {
                    const YAML::Node element = node[i];
                    const std::string element_where = where + "[" + std::to_string(i) + "]";
                    const YAML::Mark element_mark = element.Mark().is_null() ? mark : element.Mark();
                    if (!element.IsScalar()) {
                        issue(element_mark, element_where + ": expected an integer, got " + describe(element));
                        ok = false;
                        continue;
                    }
                    KeySpec element_spec = spec;
                    element_spec.type = KeyType::integer;
                    if (auto number = convert_scalar(element_spec, element.Scalar(), element_mark, element_where)) {
                        value.numbers.push_back(number->number);
                    } else {
                        ok = false;
                    }
                }
                if (ok) spec.set(config_, index_, value);
                return;
            }
            default: break;
        }

        if (!node.IsScalar()) return type_issue();
        if (auto value = convert_scalar(spec, node.Scalar(), mark, where)) {
            if (spec.unique) check_unique(spec, value->text, mark, where);
            spec.set(config_, index_, *value);
        }
    }

    std::optional<Value> convert_scalar(const KeySpec& spec, const std::string& text, const YAML::Mark& mark,
                                        const std::string& where) {
        Value value;
        switch (spec.type) {
            case KeyType::integer: {
                const char* end = text.data() + text.size();
                const auto [ptr, ec] = std::from_chars(text.data(), end, value.number);
                if (ptr != end || text.empty() || ec == std::errc::invalid_argument) {
                    issue(mark, where + ": expected an integer, got '" + text + "'");
                    return std::nullopt;
                }
                if (ec == std::errc::result_out_of_range || value.number < spec.min || value.number > spec.max) {
                    issue(mark, where + ": " + text + " is out of range (" + std::to_string(spec.min) + ".." +
                                    std::to_string(spec.max) + ")");
                    return std::nullopt;
                }
                return value;
            }
            case KeyType::duration:
            case KeyType::size: {
                const bool is_duration = spec.type == KeyType::duration;
                const UnitParse parsed = is_duration ? parse_duration_ms(text, spec.bare_ms) : parse_size_bytes(text);
                const auto shown = [&](std::int64_t n) {
                    return is_duration ? format_duration_ms(n) : format_size_bytes(n);
                };
                if (parsed.error == UnitError::malformed) {
                    issue(mark, where + (is_duration ? ": expected a duration such as 30s, 15m, 48h or 7d (a bare number "
                                                       "counts " + std::string(spec.bare_ms == 1 ? "ms" : "seconds") + ")"
                                                     : ": expected a size such as 64KiB, 64MiB or 1GiB (a bare "
                                                       "number counts bytes)") +
                                    ", got '" + text + "'");
                    return std::nullopt;
                }
                if (parsed.error || parsed.value < spec.min || parsed.value > spec.max) {
                    issue(mark, where + ": " + text + " is out of range (" + shown(spec.min) + ".." + shown(spec.max) +
                                    ")");
                    return std::nullopt;
                }
                if (is_duration && parsed.value % spec.step_ms != 0) {
                    issue(mark, where + ": " + text + " is not a whole number of seconds");
                    return std::nullopt;
                }
                value.number = parsed.value;
                value.text = shown(parsed.value);
                return value;
            }
            case KeyType::dns_name: {
                if (std::string why = normalise_dns_name(text, value.text); !why.empty()) {
                    issue(mark, where + ": " + why);
                    return std::nullopt;
                }
                return value;
            }
            case KeyType::file: {
                if (text.empty() && !spec.required) return value;  // an optional file left empty: none
                auto path = checked_file(text, mark, where);
                if (!path) return std::nullopt;
                value.text = std::move(*path);
                return value;
            }
            case KeyType::boolean: {
                if (text != "true" && text != "false") {
                    issue(mark, where + ": expected true or false, got '" + text + "'");
                    return std::nullopt;
                }
                value.number = text == "true" ? 1 : 0;
                value.text = text;
                return value;
            }
            case KeyType::directory: {
                if (text.empty() && !spec.required) return value;  // an optional path left empty: none
                if (text.empty()) {
                    issue(mark, where + ": expected a directory path, got an empty string");
                    return std::nullopt;
                }
                value.text = (base_dir_ / fs::path(text)).lexically_normal().string();
                if (std::string why = directory_problem(value.text); !why.empty()) {
                    issue(mark, where + ": '" + text + "' " + why);
                    return std::nullopt;
                }
                return value;
            }
            case KeyType::endpoint: {
                const bool known_transport = text.starts_with("tcp://") || text.starts_with("ipc://") ||
                                             text.starts_with("inproc://");
                if (!text.empty() && !known_transport) {
                    issue(mark, where + ": '" + text + "' must start with tcp://, ipc:// or inproc://");
                    return std::nullopt;
                }
                value.text = text;
                return value;
            }
            case KeyType::string:
                if (text.empty() && !spec.required && spec.default_value.empty()) return value;  // "" means off
                if (text.empty()) {
                    issue(mark, where + ": expected a non-empty string");
                    return std::nullopt;
                }
                if (spec.check != nullptr) {
                    if (const char* problem = spec.check(text)) {
                        issue(mark, where + ": '" + text + "': " + problem);
                        return std::nullopt;
                    }
                }
                value.text = text;
                return value;
            default: return std::nullopt;
        }
    }

    // Resolves `text` against the config file's folder and checks it can be read.
    std::optional<std::string> checked_file(const std::string& text, const YAML::Mark& mark,
                                            const std::string& where) {
        if (text.empty()) {
            issue(mark, where + ": expected a file path, got an empty string");
            return std::nullopt;
        }
        const fs::path resolved = (base_dir_ / fs::path(text)).lexically_normal();
        if (std::string why = unreadable_reason(resolved); !why.empty()) {
            issue(mark, where + ": cannot read '" + text + "' (" + why + ")");
            return std::nullopt;
        }
        return resolved.string();
    }

    void check_unique(const KeySpec& spec, const std::string& value, const YAML::Mark& mark,
                      const std::string& where) {
        auto& seen = unique_values_[std::string(spec.path)];
        if (const auto first = seen.find(value); first != seen.end()) {
            issue(mark, where + ": '" + value + "' is listed twice (first at " + position(first->second) + ")");
        } else {
            seen.emplace(value, mark);
        }
    }

    static std::string in(const std::string& where) {
        return where.empty() ? "at the top level" : "in " + where;
    }

    static std::string position(const YAML::Mark& mark) {
        return "line " + std::to_string(mark.line + 1) + ", column " + std::to_string(mark.column + 1);
    }

    std::string file_;
    fs::path base_dir_;
    Config config_;
    std::vector<ConfigIssue> issues_;
    std::vector<std::size_t> index_;
    std::map<std::string, std::map<std::string, YAML::Mark>> unique_values_;
};

void emit_mapping(YAML::Emitter& out, const Config& config, std::string_view schema_path,
                  std::vector<std::size_t>& index) {
    out << YAML::BeginMap;
    for (const KeySpec* spec : children_of(schema_path)) {
        out << YAML::Key << std::string(leaf_of(spec->path)) << YAML::Value;
        switch (spec->type) {
            case KeyType::mapping:
                emit_mapping(out, config, spec->path, index);
                break;
            case KeyType::list_of_mappings: {
                const std::string element_path = std::string(spec->path) + "[]";
                const auto count = static_cast<std::size_t>(spec->get(config, index).number);
                out << YAML::BeginSeq;
                for (std::size_t i = 0; i < count; ++i) {
                    index.push_back(i);
                    emit_mapping(out, config, element_path, index);
                    index.pop_back();
                }
                out << YAML::EndSeq;
                break;
            }
            case KeyType::file_list: {
                const Value value = spec->get(config, index);
                if (value.list.empty()) out << YAML::Flow;
                out << YAML::BeginSeq;
                for (const std::string& item : value.list) out << item;
                out << YAML::EndSeq;
                // After a block list the comment would sit on its last item.
                if (value.list.empty()) out << YAML::Comment(std::string(spec->doc));
                break;
            }
            case KeyType::integer:
                out << spec->get(config, index).number << YAML::Comment(std::string(spec->doc));
                break;
            case KeyType::duration:
                out << format_duration_ms(spec->get(config, index).number) << YAML::Comment(std::string(spec->doc));
                break;
            case KeyType::size:
                out << format_size_bytes(spec->get(config, index).number) << YAML::Comment(std::string(spec->doc));
                break;
            case KeyType::integer_list: {
                out << YAML::Flow << YAML::BeginSeq;
                for (std::int64_t n : spec->get(config, index).numbers) out << n;
                out << YAML::EndSeq << YAML::Comment(std::string(spec->doc));
                break;
            }
            case KeyType::string_list: {
                out << YAML::Flow << YAML::BeginSeq;
                for (const std::string& item : spec->get(config, index).list) out << item;
                out << YAML::EndSeq << YAML::Comment(std::string(spec->doc));
                break;
            }
            default: {
                const std::string text = spec->get(config, index).text;
                if (text.empty()) out << YAML::DoubleQuoted;
                out << text << YAML::Comment(std::string(spec->doc));
            }
        }
    }
    out << YAML::EndMap;
}

const char* type_doc(KeyType type) {
    switch (type) {
        case KeyType::mapping: return "mapping";
        case KeyType::list_of_mappings: return "list of mappings";
        case KeyType::string: return "string";
        case KeyType::dns_name: return "DNS name";
        case KeyType::file: return "file path";
        case KeyType::file_list: return "list of file paths";
        case KeyType::endpoint: return "ZeroMQ endpoint";
        case KeyType::directory: return "directory path";
        case KeyType::boolean: return "boolean";
        case KeyType::integer: return "integer";
        case KeyType::duration: return "duration";
        case KeyType::size: return "size";
        case KeyType::integer_list: return "list of integers";
        case KeyType::string_list: return "list of strings";
    }
    return "value";
}

}  // namespace

std::string ConfigIssue::to_string() const {
    if (line <= 0) return file + ": " + message;
    return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

namespace {
std::string join_issues(const std::vector<ConfigIssue>& issues) {
    std::string text;
    for (const ConfigIssue& issue : issues) {
        // Appended, not "\n" + issue.to_string(): GCC 12 at -O3 warns on
        // that (-Wrestrict, a false positive of GCC 12).
        if (!text.empty()) text += '\n';
        text += issue.to_string();
    }
    return text.empty() ? "invalid config" : text;
}
}  // namespace

ConfigError::ConfigError(std::vector<ConfigIssue> issues)
    : std::runtime_error(join_issues(issues)), issues_(std::move(issues)) {}

Config load_config(const std::string& path) { return Loader(path).load(); }

std::string to_yaml(const Config& config) {
    YAML::Emitter out;
    std::vector<std::size_t> index;
    emit_mapping(out, config, "", index);
    return std::string(out.c_str()) + "\n";
}

namespace {

// A table cell: '|' would end the cell, a newline the row.
std::string cell(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c == '|') out += "\\|";
        else if (c == '\n') out += ' ';
        else out += c;
    }
    return out;
}

std::string range_of(const KeySpec& spec) {
    std::string range;
    switch (spec.type) {
        case KeyType::integer: range = std::to_string(spec.min) + ".." + std::to_string(spec.max); break;
        case KeyType::integer_list:
            range = "each " + std::to_string(spec.min) + ".." + std::to_string(spec.max);
            if (spec.may_be_empty) range += ", or none";
            break;
        case KeyType::list_of_mappings:
            range = std::to_string(spec.min) + ".." + std::to_string(spec.max) + " entries";
            break;
        case KeyType::duration:
            range = format_duration_ms(spec.min) + ".." + format_duration_ms(spec.max);
            if (spec.step_ms == 1000) range += ", whole seconds";
            break;
        case KeyType::size: range = format_size_bytes(spec.min) + ".." + format_size_bytes(spec.max); break;
        default: break;
    }
    if (spec.unique) range += range.empty() ? "unique" : ", unique";
    return range;
}

std::string default_of(const KeySpec& spec) {
    if (spec.required) return "required";
    if (!is_scalar_type(spec.type) && spec.type != KeyType::integer_list) return "";
    if (spec.default_value.empty()) return "`\"\"`";
    if (spec.default_value == kHostNameDefault) return std::string(kHostNameDefault);
    if (spec.type == KeyType::duration) {
        return "`" + format_duration_ms(parse_duration_ms(spec.default_value, spec.bare_ms).value) + "`";
    }
    if (spec.type == KeyType::size) return "`" + format_size_bytes(parse_size_bytes(spec.default_value).value) + "`";
    return "`" + std::string(spec.default_value) + "`";
}

}  // namespace

std::string config_reference() {
    std::ostringstream out;
    out << "# dnswatch configuration reference\n\n"
           "Generated from the schema table in `config/config.cc` by `dnswatch check-config --reference`;\n"
           "do not edit by hand: `scripts/gen-docs` rewrites it, and the `config_reference_doc` test fails\n"
           "when it differs from what the binary prints.\n\n"
           "Paths are relative to the config file's folder. `[]` stands for each element of a list.\n"
           "A **duration** is one or more number-unit pairs: `250ms`, `30s`, `15m`, `48h`, `7d`, `1w`,\n"
           "`1h30m`; a bare number keeps its old meaning (milliseconds for keys named `*_ms`,\n"
           "seconds otherwise). A **size** is a number with `B`, `KiB`, `MiB`, `GiB`, `TiB` (powers\n"
           "of 1024) or `kB`, `MB`, `GB`, `TB` (powers of 1000); a bare number is bytes.\n"
           "`dnswatch check-config --config FILE` prints the effective config, or every problem as\n"
           "`file:line:col: message` (exit status 2).\n\n"
           "| key | type | range | default | description |\n"
           "|---|---|---|---|---|\n";
    for (const KeySpec& spec : kSchema) {
        out << "| `" << spec.path << "` | " << type_doc(spec.type) << " | " << cell(range_of(spec)) << " | "
            << cell(default_of(spec)) << " | " << cell(spec.doc) << " |\n";
    }
    return out.str();
}

}  // namespace dnswatch
