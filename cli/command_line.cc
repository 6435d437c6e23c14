#include "cli/command_line.h"

#include <algorithm>
#include <map>
#include <memory>
#include <sstream>

#include <CLI/CLI.hpp>

#include "cli/cli.h"
#include "cli/commands.h"

namespace dnswatch {
namespace {

constexpr const char* kSummary = "passive DNS hijack sensor";
constexpr const char* kDescription =
    "Passive DNS hijack sensor: compares the DNS answers it sees with a baseline of what each watched zone "
    "should hold, and alerts on every divergence.";

// What --help, the man page and completion show of a command beyond CLI11's
// own: its synopsis line(s) and a paragraph about it.
struct CommandDoc {
    std::string synopsis;
    std::string details;
};

// "usage: SYNOPSIS", the paragraph, the options, the commands: dnswatch's
// help layout, over CLI11's option listing.
class HelpFormatter : public CLI::Formatter {
public:
    HelpFormatter() {
        label("REQUIRED", "required");
        column_width(26);
    }

    std::map<const CLI::App*, CommandDoc> docs;

    std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override {
        std::ostringstream out;
        out << make_usage(app, name);
        if (const auto it = docs.find(app); it != docs.end() && !it->second.details.empty()) {
            out << "\n" << wrap(it->second.details, 78, "") << "\n";
        }
        out << make_positionals(app) << make_groups(app, mode) << make_subcommands(app, mode);
        const std::string footer = make_footer(app);
        if (!footer.empty()) out << "\n" << footer;
        return out.str();
    }

    std::string make_usage(const CLI::App* app, std::string) const override {
        const auto it = docs.find(app);
        std::string synopsis = it != docs.end() ? it->second.synopsis : app->get_name();
        std::string out = "usage: ";
        for (const char c : synopsis) {
            out += c;
            if (c == '\n') out += "       ";
        }
        return out + "\n";
    }

    std::string make_subcommand(const CLI::App* sub) const override {
        const auto it = docs.find(sub);
        const std::string synopsis = it != docs.end() ? it->second.synopsis.substr(0, it->second.synopsis.find('\n'))
                                                      : sub->get_name();
        return "  " + synopsis.substr(synopsis.find(' ') + 1) + "\n" + wrap(sub->get_description(), 78, "                       ");
    }

    static std::string wrap(const std::string& text, std::size_t width, const std::string& indent) {
        std::string out, line = indent;
        std::istringstream words(text);
        for (std::string word; words >> word;) {
            if (line.size() > indent.size() && line.size() + 1 + word.size() > width) {
                out += line + "\n";
                line = indent;
            }
            if (line.size() > indent.size()) line += ' ';
            line += word;
        }
        if (line.size() > indent.size()) out += line + "\n";
        return out;
    }
};

std::string exit_status_text() {
    std::string text = "exit status:\n";
    for (const ExitStatus& status : kExitStatuses) {
        text += "  " + std::to_string(status.code) + "  " + status.meaning + "\n";
    }
    return text;
}

// The whole command line, its option structs filled in by parsing.
struct CommandLine {
    CLI::App app{kDescription, "dnswatch"};
    std::shared_ptr<HelpFormatter> formatter = std::make_shared<HelpFormatter>();

    ReplayOptions replay;
    RunOptions run;
    CheckConfigOptions check_config;
    TailOptions tail;
    RelayOptions relay;
    KeygenOptions keygen;
    TlogOptions tlog;
    std::string completion_shell = "bash";

    CommandLine() {
        app.formatter(formatter);
        app.set_help_flag("-h,--help", "this text");
        app.set_version_flag("--version", std::string("dnswatch ") + DNSWATCH_VERSION, "the version");
        app.require_subcommand(1);
        app.footer(exit_status_text());
        formatter->docs[&app] = {"dnswatch COMMAND [OPTIONS]\ndnswatch COMMAND --help", ""};
        declare_replay();
        declare_run();
        declare_check_config();
        declare_tail();
        declare_relay();
        declare_keygen();
        declare_tlog();
        hidden("help", "this text");
        hidden("man", "the manual page dnswatch(1), in roff");
        hidden("completion", "a shell completion script")
            ->add_option("SHELL", completion_shell, "bash (the only one so far)")
            ->check(CLI::IsMember({"bash"}));
    }

    CLI::App* command(const std::string& name, const std::string& summary, CommandDoc doc) {
        CLI::App* sub = app.add_subcommand(name, summary);
        sub->footer("");
        formatter->docs[sub] = std::move(doc);
        return sub;
    }
    CLI::App* hidden(const std::string& name, const std::string& summary) {
        CLI::App* sub = app.add_subcommand(name, summary);
        sub->group("");
        return sub;
    }

    void declare_replay() {
        CLI::App* c = command(
            "replay", "read captures offline and write alerts as JSON lines",
            {"dnswatch replay --config FILE [--alerts FILE|-] PCAP...",
             "Reads pcap or pcapng captures (or dnstap files, .fstrm, as dnstap -w and Unbound write them), compares every DNS answer about a watched zone with its baseline, "
             "and writes alerts as JSON lines (schema dnswatch.alert/1), also on ZeroMQ when "
             "publish.zmq.endpoint is set. A progress bar is drawn on standard error when it is a terminal; a "
             "summary line and each incident's title end the run. A zone with watch.zones[].versions moves to "
             "each version when the packet clock reaches its time, as a reload would (change records, "
             "suspicious_change, short_lived_change). Exit status: 0 done, 2 bad usage or config, "
             "1 I/O failure."});
        c->add_option("--config", replay.config, "the YAML config (watched zones, zone files)")
            ->required()
            ->type_name("FILE");
        c->add_option("--alerts", replay.alerts,
                      "where alert lines go: '-' for standard output (the default), or a file, which is replaced")
            ->type_name("FILE|-");
        c->add_flag("--incidents", replay.incidents,
                    "write the incident records (schema dnswatch.incident/1: the alerts of one hijack grouped) on "
                    "the same lines");
        c->add_flag("--changes", replay.changes,
                    "write the change records of the baseline (schema dnswatch.change/1: what a zone's own data "
                    "said before and after, e.g. at each version of watch.zones[].versions) on the same lines");
        c->add_option("PCAP", replay.captures,
                      "a capture file (pcap, pcapng, or dnstap .fstrm), or '-' for a capture streamed on standard input "
                      "(e.g. tcpdump -w -)")
            ->required()
            ->type_name("PCAP");
    }

    void declare_run() {
        CLI::App* c = command(
            "run", "the live sensor: libpcap, DPDK, or captures replayed through the same multi-core pipeline",
            {"dnswatch run --config FILE [--alerts FILE|-]",
             "The live sensor: captures DNS traffic (capture.source: pcap_live, dpdk, dnstap from resolvers and "
             "name servers, or pcap_file to replay captures and dnstap files through the same pipeline), compares every answer about a watched zone with its "
             "baseline, and publishes alerts (JSON lines, ZeroMQ, the durable store and the transparency log, "
             "as the config says). SIGINT or SIGTERM stops the capture, drains the pipeline and prints a "
             "summary on standard error. SIGHUP, or a zone file written, reloads the watch list, the zone "
             "files and the feed file as a new baseline (a config that does not load is rejected and the "
             "running one kept), and reopens the --alerts file. Under systemd (Type=notify) it reports READY=1 "
             "once the capture is open and the baseline loaded, its packet rate as STATUS=, and pings the "
             "watchdog. Exit status: 0 done, 2 bad usage or config, 3 the capture cannot be opened, 4 an "
             "address to listen on cannot be bound, 1 another I/O failure."});
        c->add_option("--config", run.config, "the YAML config")->required()->type_name("FILE");
        c->add_option_function<std::string>(
             "--alerts", [this](const std::string& path) { run.alerts = path; },
             "where alert lines go: '-' for standard output, or a file, appended to and reopened on SIGHUP "
             "(logrotate); default: standard output, unless it is the journal (under systemd), where alerts "
             "do not belong")
            ->type_name("FILE|-");
    }

    void declare_check_config() {
        CLI::App* c = command("check-config",
                              "validate a config and print the effective config, or print every config key "
                              "(docs/config.md)",
                              {"dnswatch check-config --config FILE\ndnswatch check-config --reference",
                               "Checks a config as run and replay would load it (every zone file read) and prints "
                               "the effective config with every key, its default and what it means; --reference "
                               "prints the reference page of every key (Markdown). Exit status: 0 valid, 2 not."});
        CLI::Option* config = c->add_option("--config", check_config.config, "the YAML config")->type_name("FILE");
        c->add_flag("--reference", check_config.reference, "print every key: type, range, default, meaning (Markdown)")
            ->excludes(config);
    }

    void declare_tail() {
        CLI::App* c = command(
            "tail", "print a running sensor's (or relay's) alerts, catching up from SEQ",
            {"dnswatch tail --endpoint URL [--changes|--incidents] [--topic PREFIX] [--since SEQ] [--catchup URL] [--count N]\n"
             "              [--key FILE --server-key FILE] [--timeout SECONDS]\n"
             "dnswatch tail --endpoint URL --evidence ALERT-ID [--output FILE] [--catchup URL]\n"
             "dnswatch tail --nats URL[,URL...] --durable NAME [--stream S] [--subject SUBJ] [--count N]\n"
             "              [--creds FILE] [--ca FILE] [--idle-exit MS]",
             "Prints the alerts (or, with --changes, the changes of the baseline) of a running sensor or relay, "
             "one JSON object a line: with --since, every stored alert after SEQ first, then the live stream; "
             "each alert once, in order, a gap in the live stream filled from the store. When nothing is heard "
             "within --timeout seconds (no CURVE handshake, a key the sensor does not admit, nothing "
             "listening), tail says why and exits 1. With --nats, from a NATS JetStream stream (publish.nats), "
             "for fleets of sensors, through a durable consumer."});
        // One line per option: the lead's change records add theirs here.
        CLI::Option* endpoint =
            c->add_option("--endpoint", tail.endpoint, "the sensor's PUB endpoint (publish.zmq.endpoint)")
                ->type_name("URL");
        optional(c, "--topic", tail.topic, "PREFIX",
                 "only records whose topic starts with PREFIX, e.g. alert.test.victim. for victim.test and its "
                 "subdomains (default: alert.; with --changes, change.)");
        c->add_flag("--changes", tail.changes,
                    "the changes of the watched zones' own data (schema dnswatch.change/1: transfers, reloads, the "
                    "feed) instead of alerts");
        c->add_flag("--incidents", tail.incidents,
                    "one line per incident record (schema dnswatch.incident/1: the alerts of one hijack grouped): "
                    "id, severity, state, alerts and title; topic incident.<the zone's labels reversed>")
            ->excludes("--changes");
        optional(c, "--evidence", tail.evidence, "ID",
                 "fetch the evidence of alert ID (the query and the response that opened it, a pcap) over the "
                 "catch-up endpoint into ID.pcap here, or --output FILE, and print its size and SHA-256 (compare "
                 "with the alert's evidence.pcap_sha256)");
        optional(c, "--output", tail.output, "FILE", "with --evidence, where the file goes");
        optional(c, "--since", tail.since, "SEQ",
                 "first print every stored alert after SEQ (0: all), then follow; each alert is printed once, in "
                 "order");
        optional(c, "--catchup", tail.catchup, "URL",
                 "the catch-up endpoint (publish.zmq.catchup_endpoint; default: the endpoint's port + 1)");
        optional(c, "--count", tail.count, "N", "exit after printing N alerts");
        optional(c, "--key", tail.key, "FILE",
                 "this consumer's CURVE key pair (dnswatch keygen), when the sensor or relay uses CURVE");
        optional(c, "--server-key", tail.server_key, "FILE", "the sensor's or relay's public key file, with --key");
        c->add_option("--timeout", tail.silence_s,
                      "seconds to wait for a first sign of the sensor before giving up (default: 5)")
            ->type_name("SECONDS")
            ->check(CLI::PositiveNumber);
        // From a NATS JetStream stream instead (publish.nats).
        CLI::Option* nats = optional(c, "--nats", tail.nats, "URLS",
                                     "read from NATS JetStream (publish.nats) instead: the cluster's servers, "
                                     "comma-separated (nats://HOST:PORT)");
        nats->excludes(endpoint);
        optional(c, "--durable", tail.durable, "NAME",
                 "with --nats, the durable consumer: a restarted tail goes on where it left off; each message is "
                 "acknowledged once printed")
            ->needs(nats);
        c->add_option("--stream", tail.stream, "with --nats, the stream (default: DNSWATCH)")
            ->type_name("S")
            ->needs(nats);
        c->add_option("--subject", tail.subject,
                      "with --nats, a filter, e.g. dnswatch.alert.test.victim.> (default: all, dnswatch.>)")
            ->type_name("SUBJ")
            ->needs(nats);
        c->add_option("--creds", tail.creds, "with --nats, the NATS credentials file")->type_name("FILE")->needs(nats);
        c->add_option("--ca", tail.ca, "with --nats, the CA file for TLS")->type_name("FILE")->needs(nats);
        c->add_option("--idle-exit", tail.idle_exit_ms, "with --nats, exit after MS without a message")
            ->type_name("MS")
            ->check(CLI::NonNegativeNumber)
            ->needs(nats);
    }

    void declare_relay() {
        CLI::App* c = command(
            "relay", "fan several sensors into one feed, and serve catch-up for all of them",
            {"dnswatch relay --to URL (--from URL[#SENSOR_KEY_FILE]... | --listen URL)\n"
             "               [--key FILE --allow CLIENT_KEY_FILE...] [--catchup URL] [--store DIR] [--keep N]",
             "Subscribes to several sensors and republishes their alerts on one PUB endpoint, each keeping its "
             "sensor id. The relay numbers what passes through (seq, its own; sensor_seq keeps the sensor's), "
             "keeps the last --keep records, and answers catch-up (dnswatch tail --since) for all the sensors "
             "behind it. Runs until interrupted."});
        c->add_option("--to", relay.to, "where consumers subscribe (PUB, bound)")->required()->type_name("URL");
        c->add_option("--from", relay.from,
                      "a sensor's PUB endpoint to connect to (repeat for each); '#FILE' names the sensor's public "
                      "CURVE key file")
            ->type_name("URL");
        optional(c, "--listen", relay.listen, "URL", "also accept sensors that connect to the relay");
        optional(c, "--key", relay.key, "FILE",
                 "the relay's CURVE key pair (dnswatch keygen): consumers must then use CURVE, and it is the "
                 "relay's client key towards sensors");
        c->add_option("--allow", relay.allow, "a consumer public key file to admit (repeat)")->type_name("FILE");
        c->add_option("--publisher-key", relay.publishers,
                      "a sensor public key file admitted on --listen (repeat); with --key, --listen takes CURVE "
                      "only and refuses every other publisher (logged, counted); off loopback --listen needs them")
            ->type_name("FILE");
        optional(c, "--catchup", relay.catchup, "URL", "where catch-up is served (default: --to's port + 1)");
        optional(c, "--store", relay.store, "DIR",
                 "keep the relayed records in DIR/alerts.jsonl, so that a restarted relay still serves them "
                 "(default: in memory)");
        c->add_option("--keep", relay.keep, "how many records the relay keeps for catch-up (default: 100000)")
            ->type_name("N")
            ->check(CLI::PositiveNumber);
    }

    void declare_keygen() {
        CLI::App* c = command("keygen", "make a CURVE key pair for the ZeroMQ endpoints",
                              {"dnswatch keygen --out FILE",
                               "Writes a new CURVE key pair for ZeroMQ to FILE (mode 0600) and its public key to "
                               "FILE.pub (CZMQ zcert layout), and prints the public key."});
        c->add_option("--out", keygen.out, "the key pair file to write")->required()->type_name("FILE");
    }

    void declare_tlog() {
        CLI::App* c = command(
            "tlog", "audit a transparency log: its signed checkpoint, a full verification, inclusion and "
                    "consistency proofs; serve it as tiles",
            {"dnswatch tlog head   --dir DIR\n"
             "dnswatch tlog verify --dir DIR [--key VERIFIER_FILE]\n"
             "dnswatch tlog verify --url URL --key VERIFIER_FILE\n"
             "dnswatch tlog prove  --dir DIR --index I [--size N]\n"
             "dnswatch tlog prove  --dir DIR --from M [--size N]\n"
             "dnswatch tlog keygen --name NAME --key FILE\n"
             "dnswatch tlog serve  --dir DIR --listen ADDR:PORT",
             "Works on a transparency log directory without a running sensor, as an auditor would. Exit status: "
             "0 done (verify: the log verified), 1 verification or I/O failure, 2 bad usage."});
        c->require_subcommand(1);
        auto verb = [&](const std::string& name, const std::string& summary, const std::string& synopsis) {
            CLI::App* v = c->add_subcommand(name, summary);
            v->footer("");
            formatter->docs[v] = {synopsis, ""};
            v->callback([this, name] { tlog.verb = name; });
            return v;
        };
        CLI::App* head = verb("head", "prints the signed checkpoint (origin, size, base64 root, signature)",
                              "dnswatch tlog head --dir DIR");
        head->add_option("--dir", tlog.dir, "the log's folder")->required()->type_name("DIR");
        CLI::App* verify = verb("verify",
                                "recomputes the Merkle tree of every entry and checks the checkpoint's signature "
                                "and root; entries whose contents retention pruned count by their kept leaf "
                                "hashes. With --url, the log served as C2SP tlog-tiles (transparency_log.http, "
                                "tlog serve) is fetched over HTTP: checkpoint, every hash tile, every entry "
                                "bundle not pruned. With --against, also checks the log against a checkpoint an "
                                "auditor kept: the log's checkpoint must be no smaller (a rollback fails), the RFC "
                                "9162 consistency proof from the kept tree to the log's must hold (a fork fails), "
                                "and no entry may follow the log's checkpoint unsigned",
                                "dnswatch tlog verify --dir DIR [--key VERIFIER_FILE] [--against CHECKPOINT]\n"
                                "dnswatch tlog verify --url URL --key VERIFIER_FILE");
        CLI::Option* verify_dir = verify->add_option("--dir", tlog.dir, "the log's folder")->type_name("DIR");
        CLI::Option* verify_key =
            optional(verify, "--key", tlog.key, "FILE",
                     "the verifier key to trust (default: DIR/log.pub; an auditor should pin their own copy; "
                     "required with --url)");
        optional(verify, "--url", tlog.url, "URL", "the log's tiles over HTTP (http://HOST:PORT), instead of --dir")
            ->excludes(verify_dir)
            ->needs(verify_key);
        optional(verify, "--against", tlog.against, "CHECKPOINT",
                 "a checkpoint an auditor kept (a signed note file): the log must extend it")
            ->needs(verify_dir);
        CLI::App* prove = verb("prove",
                               "prints, as JSON, the RFC 9162 inclusion proof of entry I, or the consistency proof "
                               "from size M, in the tree of size N (default: the checkpoint's size)",
                               "dnswatch tlog prove --dir DIR (--index I | --from M) [--size N] [--key FILE]");
        prove->add_option("--dir", tlog.dir, "the log's folder")->required()->type_name("DIR");
        optional(prove, "--key", tlog.key, "FILE", "the verifier key to trust (default: DIR/log.pub)");
        CLI::Option* index = optional(prove, "--index", tlog.index, "I", "the entry to prove included");
        CLI::Option* from = optional(prove, "--from", tlog.from, "M", "the earlier tree size to prove consistent");
        index->excludes(from);
        optional(prove, "--size", tlog.size, "N", "the tree size (default: the checkpoint's)");
        CLI::App* key = verb("keygen", "writes a new Ed25519 signing key to FILE (mode 0600) and its verifier key to "
                                       "FILE.pub",
                             "dnswatch tlog keygen --name NAME --key FILE");
        key->add_option("--name", tlog.name, "the log's name, e.g. dnswatch.example/ns-fra-1")
            ->required()
            ->type_name("NAME");
        key->add_option_function<std::string>("--key", [this](const std::string& v) { tlog.key = v; },
                                              "the signing key file to write")
            ->required()
            ->type_name("FILE");
        CLI::App* serve = verb("serve",
                               "serves DIR read-only as C2SP tlog-tiles on ADDR:PORT (port 0: any; the port is "
                               "printed) until SIGINT or SIGTERM",
                               "dnswatch tlog serve --dir DIR --listen ADDR:PORT");
        serve->add_option("--dir", tlog.dir, "the log's folder")->required()->type_name("DIR");
        serve->add_option("--listen", tlog.listen, "the address and port to serve on, e.g. 127.0.0.1:8080")
            ->required()
            ->type_name("ADDR:PORT");
    }

    // An option that may be absent (std::optional), with its value's name.
    template <typename T>
    static CLI::Option* optional(CLI::App* app, const std::string& name, std::optional<T>& target,
                                 const std::string& value_name, const std::string& help) {
        return app->add_option_function<T>(name, [&target](const T& value) { target = value; }, help)
            ->type_name(value_name);
    }

    // The command the arguments chose, most specific last.
    std::vector<const CLI::App*> chosen() const {
        std::vector<const CLI::App*> path;
        const CLI::App* at = &app;
        while (true) {
            const auto subs = at->get_subcommands();
            if (subs.empty()) break;
            at = subs.front();
            path.push_back(at);
        }
        return path;
    }

    std::string command_name() const {
        std::string name = "dnswatch";
        for (const CLI::App* sub : chosen()) name += " " + sub->get_name();
        return name;
    }
};

// CLI11 says "The following argument was not expected: --bogus".
std::string parse_error_text(const CLI::ParseError& error) {
    if (dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr) {
        std::string what = error.what();
        const auto colon = what.find(": ");
        const std::string args = colon == std::string::npos ? what : what.substr(colon + 2);
        return (args.rfind('-', 0) == 0 && args != "-" ? "unknown option '" : "unexpected argument '") + args + "'";
    }
    return error.what();
}

// `word` after `text`, with `separator` between when `text` is not empty.
// (Appended: GCC 12 at -O3 warns on (cond ? "" : sep) + std::string, a
// -Wrestrict false positive.)
void append_word(std::string& text, const char* separator, const std::string& word) {
    if (!text.empty()) text += separator;
    text += word;
}

// roff: a backslash, and a line that would read as a request.
std::string roff(const std::string& text) {
    std::string out;
    for (const char c : text) {
        if (c == '\\') {
            out += "\\e";
        } else if (c == '-') {
            out += "\\-";
        } else {
            out += c;
        }
    }
    if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
    return out;
}

std::string option_heading(const CLI::Option* option) {
    std::string names;
    for (const std::string& n : option->get_snames()) append_word(names, ", ", "-" + n);
    for (const std::string& n : option->get_lnames()) append_word(names, ", ", "--" + n);
    if (option->get_positional()) return "\\fI" + roff(option->get_name()) + "\\fR";
    std::string heading = "\\fB" + roff(names) + "\\fR";
    if (option->get_type_size_max() > 0 && !option->get_type_name().empty()) {
        heading += " \\fI" + roff(option->get_type_name()) + "\\fR";
    }
    return heading;
}

void manual_options(std::ostringstream& out, const CLI::App* app) {
    for (const CLI::Option* option : app->get_options()) {
        if (option->get_lnames() == std::vector<std::string>{"help"}) continue;
        out << ".TP\n" << option_heading(option) << "\n" << roff(option->get_description()) << "\n";
    }
}

void manual_command(std::ostringstream& out, const CommandLine& line, const CLI::App* app) {
    const CommandDoc& doc = line.formatter->docs.at(app);
    std::istringstream synopses(doc.synopsis);
    bool first = true;
    for (std::string synopsis; std::getline(synopses, synopsis);) {
        out << (first ? ".SS \"" : ".br\n\\fB") << roff(synopsis) << (first ? "\"\n" : "\\fR\n");
        first = false;
    }
    out << roff(doc.details.empty() ? app->get_description() : doc.details) << "\n";
    manual_options(out, app);
}

}  // namespace

int run_cli(const std::vector<std::string>& args, const CliStreams& streams) {
    CommandLine line;
    if (!args.empty() && args[0].rfind('-', 0) != 0) {
        try {
            (void)line.app.get_subcommand(args[0]);
        } catch (const CLI::OptionNotFound&) {
            std::fprintf(streams.err, "dnswatch: unknown command '%s'\n\n%s", args[0].c_str(), line.app.help().c_str());
            return kExitUsage;
        }
    }
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
        line.app.parse(reversed);
    } catch (const CLI::CallForHelp&) {
        std::fputs(line.app.help().c_str(), streams.out);
        return kExitOk;
    } catch (const CLI::CallForAllHelp&) {
        std::fputs(line.app.help("", CLI::AppFormatMode::All).c_str(), streams.out);
        return kExitOk;
    } catch (const CLI::CallForVersion& version) {
        std::fprintf(streams.out, "%s\n", version.what());
        return kExitOk;
    } catch (const CLI::ParseError& error) {
        // Nothing given at all: the overview, as before CLI11.
        if (args.empty()) {
            std::fputs(line.app.help().c_str(), streams.err);
        } else {
            std::fprintf(streams.err, "%s: %s\n\n%s", line.command_name().c_str(), parse_error_text(error).c_str(),
                         line.app.help().c_str());
        }
        return kExitUsage;
    }
    const std::string command = line.app.get_subcommands().front()->get_name();
    try {
        if (command == "replay") return replay_command(line.replay, streams);
        if (command == "run") return run_command(line.run, streams);
        if (command == "check-config") return check_config_command(line.check_config, streams);
        if (command == "tail") return tail_command(line.tail, streams);
        if (command == "relay") return relay_command(line.relay, streams);
        if (command == "keygen") return keygen_command(line.keygen, streams);
        if (command == "tlog") return tlog_command(line.tlog, streams);
        if (command == "man") {
            std::fputs(manual_page().c_str(), streams.out);
            return kExitOk;
        }
        if (command == "completion") {
            std::fputs(bash_completion().c_str(), streams.out);
            return kExitOk;
        }
        std::fputs(line.app.help().c_str(), streams.out);  // help
        return kExitOk;
    } catch (const std::exception& e) {
        std::fprintf(streams.err, "dnswatch %s: %s\n", command.c_str(), e.what());
        return kExitIoError;
    }
}

std::string manual_page() {
    const CommandLine line;
    std::ostringstream out;
    out << ".\\\" Written by `dnswatch man` from the command line's own declarations (cli/command_line.cc).\n"
        << ".TH DNSWATCH 1 \"\" \"dnswatch " << DNSWATCH_VERSION << "\" \"User Commands\"\n"
        << ".SH NAME\ndnswatch \\- " << kSummary << "\n"
        << ".SH SYNOPSIS\n";
    for (const CLI::App* sub : line.app.get_subcommands({})) {
        if (sub->get_group().empty()) continue;
        std::istringstream synopses(line.formatter->docs.at(sub).synopsis);
        for (std::string synopsis; std::getline(synopses, synopsis);) out << "\\fB" << roff(synopsis) << "\\fR\n.br\n";
    }
    out << "\\fBdnswatch \\-\\-version\\fR\n"
        << ".SH DESCRIPTION\n" << roff(kDescription) << "\n"
        << ".PP\nThe configuration (YAML) is described key by key in "
           "/usr/share/doc/dnswatch/docs/config.md, which \\fBdnswatch check\\-config \\-\\-reference\\fR "
           "prints.\n"
        << ".SH OPTIONS\n";
    manual_options(out, &line.app);
    out << ".SH COMMANDS\n";
    for (const CLI::App* sub : line.app.get_subcommands({})) {
        if (sub->get_group().empty()) continue;
        manual_command(out, line, sub);
        for (const CLI::App* verb : sub->get_subcommands({})) manual_command(out, line, verb);
    }
    out << ".SH EXIT STATUS\n";
    for (const ExitStatus& status : kExitStatuses) {
        out << ".TP\n.B " << status.code << "\n" << roff(status.meaning) << "\n";
    }
    out << ".SH FILES\n"
        << ".TP\n/etc/dnswatch/dnswatch.yaml\nthe service's config\n"
        << ".TP\n/var/lib/dnswatch\nthe service's state: alert store, open alerts, evidence, transferred zones\n"
        << ".TP\n/var/log/dnswatch/alerts.jsonl\nthe service's alert lines (rotated by logrotate)\n"
        << ".SH SEE ALSO\n"
        << "/usr/share/doc/dnswatch/README.md, /usr/share/doc/dnswatch/docs/config.md, "
           "\\fBsystemd.service\\fR(5), \\fBjournalctl\\fR(1)\n";
    return out.str();
}

std::string bash_completion() {
    const CommandLine line;
    // For each command (and tlog's verbs): its options, and which of them
    // take a file or folder.
    std::ostringstream cases, file_options;
    std::vector<std::string> commands;
    std::vector<std::string> file_flags;
    auto options_of = [&](const CLI::App* app) {
        std::string words;
        for (const CLI::Option* option : app->get_options()) {
            for (const std::string& n : option->get_lnames()) {
                append_word(words, " ", "--" + n);
                const std::string type = option->get_type_name();
                if (type.find("FILE") != std::string::npos || type == "DIR" || type == "PCAP") {
                    if (std::find(file_flags.begin(), file_flags.end(), "--" + n) == file_flags.end()) {
                        file_flags.push_back("--" + n);
                    }
                }
            }
        }
        return words;
    };
    for (const CLI::App* sub : line.app.get_subcommands({})) {
        if (sub->get_group().empty()) continue;
        commands.push_back(sub->get_name());
        const auto verbs = sub->get_subcommands({});
        if (verbs.empty()) {
            cases << "        " << sub->get_name() << ") words=\"" << options_of(sub) << "\" ;;\n";
        } else {
            std::string names;
            for (const CLI::App* verb : verbs) {
                append_word(names, " ", verb->get_name());
                cases << "        " << sub->get_name() << "/" << verb->get_name() << ") words=\"" << options_of(verb)
                      << "\" ;;\n";
            }
            cases << "        " << sub->get_name() << ") words=\"" << names << " --help\" ;;\n";
        }
    }
    std::string command_words;
    for (const std::string& c : commands) command_words += c + " ";
    std::string flags;
    for (const std::string& f : file_flags) append_word(flags, "|", f);
    std::ostringstream out;
    out << "# bash completion for dnswatch, written by `dnswatch completion bash` from its own command line.\n"
        << "_dnswatch() {\n"
        << "    local cur prev words cword\n"
        << "    _init_completion -n = || return\n"
        << "    local command=\"\" i\n"
        << "    for ((i = 1; i < cword; i++)); do\n"
        << "        case \"${words[i]}\" in\n"
        << "            -*) ;;\n"
        << "            *) if [[ -z $command ]]; then command=${words[i]}; "
           "elif [[ $command == tlog ]]; then command=tlog/${words[i]}; break; fi ;;\n"
        << "        esac\n"
        << "    done\n"
        << "    if [[ $cur == --*=* ]]; then\n"
        << "        prev=${cur%%=*}; cur=${cur#*=}\n"
        << "    fi\n"
        << "    case \"$prev\" in\n"
        << "        " << flags << ") _filedir; return ;;\n"
        << "    esac\n"
        << "    local options\n"
        << "    case \"$command\" in\n"
        << "        \"\") options=\"" << command_words << "--help --version\" ;;\n";
    std::string case_text = cases.str();
    // words= in the generated cases is the option list.
    for (std::size_t at = 0; (at = case_text.find("words=", at)) != std::string::npos;) {
        case_text.replace(at, 6, "options=");
        at += 8;
    }
    out << case_text << "    esac\n"
        << "    if [[ $cur == -* || $command == \"\" || $command == tlog ]]; then\n"
        << "        COMPREPLY=($(compgen -W \"$options --help\" -- \"$cur\"))\n"
        << "    else\n"
        << "        _filedir\n"
        << "    fi\n"
        << "} &&\n"
        << "    complete -F _dnswatch dnswatch\n";
    return out.str();
}

}  // namespace dnswatch
