// The effective configuration: what the YAML file said, with defaults filled
// in and relative paths resolved against the config file's folder.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/live_config.h"

namespace dnswatch {

// A later version of a watched zone's data, applied when the packet clock
// reaches `from_us` (watch.zones[].versions; baseline/zone_versions.h).
struct ZoneVersionConfig {
    std::int64_t from_us = 0;  // packet time it takes effect, microseconds since the epoch (UTC)
    std::string zone_file;     // resolved
};

struct WatchedZoneConfig {
    std::string name;       // lower case, no trailing dot ("victim.test")
    std::string zone_file;  // absolute or relative to the working directory, resolved; empty = none
    bool learn = false;     // learning mode: RRsets the sources do not hold are learned (baseline/learner.h)
    std::string primary;    // "ADDR[:PORT]" to transfer the zone from (AXFR, IXFR); empty = none
    std::vector<ZoneVersionConfig> versions;  // by packet time, increasing; replay applies them (run refuses)
};

// Baseline sources beyond zone files (baseline/shared_baseline.h).
struct BaselineSourceConfig {
    std::string feed_endpoint;                              // transparency feed over ZeroMQ SUB; empty = none
    std::string feed_server_key_file;                       // the registry's CURVE public key; empty = plaintext
    std::int64_t learn_stable_for_ms = 48LL * 3600 * 1000;  // learning: unchanged this long joins the pool
    std::string notify_listen;                              // UDP and TCP "ADDR:PORT" for NOTIFY; empty = none
    std::vector<std::string> allow_notify;                  // more NOTIFY sources: addresses or prefixes
    std::string tsig_key_file;                              // TSIG key for transfers and NOTIFY; empty = none
    std::int64_t transfer_refresh_ms = 0;                   // 0: the zone's SOA refresh
    std::int64_t transfer_timeout_ms = 10000;               // one transfer, connect to last message
};

struct ZmqPublishConfig {
    std::string endpoint;   // empty = ZeroMQ publishing off
    int linger_ms = 2000;   // how long close() waits for queued alerts
    int send_hwm = 100000;  // high-water mark of the PUB socket (messages), per subscriber
    std::int64_t heartbeat_interval_ms = 1000;  // heartbeat. messages with the last seq; 0 = none
    std::string catchup_endpoint;          // ROUTER serving stored alerts; empty = off
    std::string curve_key_file;            // this sensor's CURVE key pair; empty = plaintext
    std::vector<std::string> client_keys;  // public key files of the admitted consumers
    // The public feed (publish/public_feed.h): unvetted subscribers, creates
    // and deletes held back.
    std::string public_endpoint;                   // empty = off
    std::vector<std::string> public_client_keys;   // its own admitted consumers, under CURVE
    std::int64_t delay_creates_deletes_ms = 24LL * 3600 * 1000;
};

// publish.nats: alerts to NATS JetStream (publish/nats_forwarder.h).
struct NatsPublishConfig {
    std::vector<std::string> servers;  // empty = off
    std::string stream = "DNSWATCH";
    std::string subject_prefix = "dnswatch";
    int replicas = 1;
    std::string creds_file;
    std::string nkey;
    std::string nkey_seed_file;
    bool tls = false;
    std::string ca_file;
    std::string cert_file;
    std::string key_file;
    std::int64_t drain_timeout_ms = 5000;
};

// Where alerts are kept durably and audited.
struct StateConfig {
    std::string dir;                 // alert store, open alerts, evidence pcaps; empty = none
    std::string tlog_dir;            // the transparency log; empty = none
    std::string tlog_key_file;       // its Ed25519 signing key (dnswatch tlog keygen)
    std::string tlog_http;           // "ADDR:PORT" serving it as C2SP tlog-tiles; empty = off
    std::int64_t retention_ms = 0;   // records older than this are pruned (publish/retention.h); 0 = never
    std::string transparency_feed;   // announced changes (JSON lines); empty = none
    int max_open_alerts = 100000;    // open alerts kept; the least recent beyond are dropped
    bool fsync = true;               // store and log reach the disk before an alert is published
    std::int64_t max_held_records = 100000;  // held in memory while the store's disk fails
};

// Bounds of the transport layer's reassembly (decode/transport.h), all held
// in packet time and memory reserved up front.
struct ReassemblyConfig {
    int max_fragment_datagrams = 256;       // IP datagrams in reassembly at once
    int max_tcp_flows = 4096;               // TCP flows tracked at once
    std::int64_t tcp_flow_bytes = 65537;    // held per TCP flow direction
    std::int64_t total_bytes = 33554432;    // all held bytes (32 MiB)
    std::int64_t timeout_ms = 30000;        // fragments and idle flows
};

struct DecodeConfig {
    std::vector<int> dns_ports{53};       // UDP and TCP ports that carry DNS
    std::vector<int> gtpu_ports{2152};    // UDP ports of GTP-U; empty: not decapsulated
    ReassemblyConfig reassembly;
};

// Operating the sensor: the Prometheus endpoint (metrics/) and logs (log/).
struct MetricsConfig {
    std::string listen;  // "127.0.0.1:9153", "[::1]:9153"; empty = no /metrics endpoint
};

struct LogConfig {
    std::string level = "info";       // error | warn | info | debug
    std::string format = "keyvalue";  // keyvalue | json
};

// Detection beyond the baseline comparison (detect/query_tracker.h).
struct DetectConfig {
    int outstanding_queries = 65536;          // queries remembered until answered, per detection thread
    int max_observed_rdata = 64;              // rdata listed per alert; the rest counted (observed_omitted)
    int txid_burst_count = 10;                // unmatched responses for one (name, server) ...
    std::int64_t txid_burst_window_ms = 1000; // ... within this window: blind spoofing
    std::int64_t short_lived_change_window_ms = 7LL * 24 * 3600 * 1000;  // detect.short_lived_change.window
};

struct Config {
    std::string source_path;  // the config file itself
    std::string sensor_id;    // default: the host name
    std::vector<WatchedZoneConfig> zones;
    std::string zones_file;  // watch.zones_file, resolved; empty = none (baseline/sources.h reads it)
    std::string locked_domains_file;  // watch.locked_domains, resolved; empty = none
    std::vector<std::string> baseline_zone_files;  // resolved paths
    BaselineSourceConfig baseline;
    ZmqPublishConfig zmq;
    NatsPublishConfig nats;
    DecodeConfig decode;
    StateConfig state;
    DetectConfig detect;
    // dnswatch run (config/live_config.h)
    CaptureConfig capture;
    PipelineConfig pipeline;
    RunConfig run;
    MetricsConfig metrics;
    LogConfig log;
};

// One problem found in a config file, located in it.
struct ConfigIssue {
    std::string file;
    int line = 0;    // 1-based
    int column = 0;  // 1-based
    std::string message;

    // "file:line:col: message"; "file: message" when there is no position
    // (line 0: the file itself could not be read).
    std::string to_string() const;
};

// Thrown by load_config with every issue found, not just the first.
class ConfigError : public std::runtime_error {
public:
    explicit ConfigError(std::vector<ConfigIssue> issues);
    const std::vector<ConfigIssue>& issues() const { return issues_; }

private:
    std::vector<ConfigIssue> issues_;
};

// Loads and validates a config file. Throws ConfigError listing every issue
// (unknown key, wrong type, value out of range, missing required key, missing
// zone file, YAML syntax error), each with file:line:col.
Config load_config(const std::string& path);

// The effective config as YAML, defaults included (for `check-config`).
std::string to_yaml(const Config& config);

// Every key of the schema with its type, range, default and meaning: the
// generated reference (one key per entry, from the same table as the parser).
std::string config_reference();

}  // namespace dnswatch
