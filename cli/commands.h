// What each `dnswatch` command takes, as plain structs that the command line
// (cli/command_line.cc, CLI11) fills in, and the function that runs it.
// Adding an option: a field here and one declaration in command_line.cc;
// --help, the man page and shell completion follow from that declaration.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/cli.h"

namespace dnswatch {

struct ReplayOptions {
    std::string config;
    std::string alerts = "-";
    std::vector<std::string> captures;  // "-": standard input
    bool incidents = false;             // incident records (dnswatch.incident/1) on the same lines
    bool changes = false;               // change records of the baseline (dnswatch.change/1) on the same lines
};
int replay_command(const ReplayOptions& options, const CliStreams& streams);

struct RunOptions {
    std::string config;
    std::optional<std::string> alerts;  // unset: outputs.alerts of the config, else standard output
};
int run_command(const RunOptions& options, const CliStreams& streams);

struct CheckConfigOptions {
    std::string config;
    bool reference = false;
};
int check_config_command(const CheckConfigOptions& options, const CliStreams& streams);

struct TailOptions {
    std::string endpoint;
    std::optional<std::string> topic;  // default: alert., or change. with --changes
    bool changes = false;              // the baseline's change records instead of alerts
    bool incidents = false;            // incident titles (dnswatch.incident/1) instead of alerts
    std::optional<std::string> evidence;  // an alert id: fetch its evidence pcap and exit
    std::optional<std::string> output;    // where --evidence writes (default: ID.pcap here)
    std::optional<std::uint64_t> since;
    std::optional<std::string> catchup;  // default: the endpoint's port + 1
    std::optional<std::uint64_t> count;
    std::optional<std::string> key;
    std::optional<std::string> server_key;
    // How long to wait for a first sign of life (a handshake, an answer)
    // before giving up with the reason.
    double silence_s = 5;
    // From a NATS JetStream stream instead (publish.nats), when set: the
    // cluster's servers, comma-separated.
    std::optional<std::string> nats;
    std::optional<std::string> durable;  // the durable consumer, required with --nats
    std::string stream = "DNSWATCH";
    std::string subject = "dnswatch.>";
    std::string creds;
    std::string ca;
    std::int64_t idle_exit_ms = 0;  // 0: never
};
int tail_command(const TailOptions& options, const CliStreams& streams);

struct RelayOptions {
    std::string to;
    std::vector<std::string> from;  // URL[#SENSOR_KEY_FILE]
    std::optional<std::string> listen;
    std::optional<std::string> key;
    std::vector<std::string> allow;
    std::vector<std::string> publishers;  // --publisher-key: sensors admitted on --listen (CURVE, ZAP)
    std::optional<std::string> catchup;  // default: --to's port + 1
    std::optional<std::string> store;    // a folder for the relay's own store; unset: memory
    std::uint64_t keep = 100000;         // records the store keeps
};
int relay_command(const RelayOptions& options, const CliStreams& streams);

struct KeygenOptions {
    std::string out;
};
int keygen_command(const KeygenOptions& options, const CliStreams& streams);

struct TlogOptions {
    std::string verb;  // head, verify, prove, keygen, serve
    std::string dir;
    std::optional<std::string> url;  // verify: a log served as tlog-tiles, instead of --dir
    std::optional<std::string> against;  // verify: a checkpoint an auditor kept
    std::string listen;              // serve: ADDR:PORT
    std::optional<std::string> key;
    std::optional<std::uint64_t> index;
    std::optional<std::uint64_t> from;
    std::optional<std::uint64_t> size;
    std::string name;
};
int tlog_command(const TlogOptions& options, const CliStreams& streams);

}  // namespace dnswatch
