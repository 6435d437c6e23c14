// `dnswatch relay`: fans many sensors into one feed through a ZeroMQ
// XSUB/XPUB proxy. Alerts pass unchanged (each keeps its sensor id), and
// subscriptions flow back, so consumers subscribe to the relay exactly as
// they would to one sensor. `dnswatch keygen` makes the CURVE keys.
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "cli/cli.h"
#include "cli/options.h"
#include "log/log.h"
#include "publish/zmq_security.h"

namespace dnswatch {
namespace {

constexpr const char* kRelayUsage =
    "usage: dnswatch relay --to URL (--from URL[#SENSOR_KEY_FILE] ... | --listen URL)\n"
    "                      [--key FILE --allow CLIENT_KEY_FILE ...]\n"
    "\n"
    "  --from URL      a sensor's PUB endpoint to connect to (repeat for each);\n"
    "                  '#FILE' names the sensor's public CURVE key file\n"
    "  --listen URL    also accept sensors that connect to the relay\n"
    "  --to URL        where consumers subscribe (XPUB, bound)\n"
    "  --key FILE      the relay's CURVE key pair (dnswatch keygen): consumers\n"
    "                  must then use CURVE, and it is the relay's client key\n"
    "                  towards sensors\n"
    "  --allow FILE    a consumer public key file to admit (repeat)\n"
    "\n"
    "Runs until interrupted.\n";

constexpr const char* kKeygenUsage =
    "usage: dnswatch keygen --out FILE\n"
    "\n"
    "Writes a new CURVE key pair for ZeroMQ to FILE (mode 0600) and its public\n"
    "key to FILE.pub (CZMQ zcert layout), and prints the public key.\n";

}  // namespace

int keygen_command(const std::vector<std::string>& args, const CliStreams& streams) {
    ParsedOptions options;
    try {
        options = parse_options(args, {"--out"});
    } catch (const std::invalid_argument& e) {
        std::fprintf(streams.err, "dnswatch keygen: %s\n\n%s", e.what(), kKeygenUsage);
        return kExitUsage;
    }
    if (options.help || !options.get("--out") || !options.positional.empty()) {
        std::fputs(kKeygenUsage, options.help ? streams.out : streams.err);
        return options.help ? kExitOk : kExitUsage;
    }
    const CurveKeyPair keys = CurveKeyPair::generate();
    keys.save(*options.get("--out"));
    std::fprintf(streams.out, "%s\n", keys.public_key.c_str());
    return kExitOk;
}

int relay_command(const std::vector<std::string>& args, const CliStreams& streams) {
    // --from and --allow repeat, which parse_options does not allow: gather
    // them first.
    std::vector<std::string> froms, allows, rest;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if ((args[i] == "--from" || args[i] == "--allow") && i + 1 < args.size()) {
            std::vector<std::string>& list = args[i] == "--from" ? froms : allows;
            list.push_back(args[i + 1]);
            ++i;
        } else {
            rest.push_back(args[i]);
        }
    }
    ParsedOptions options;
    try {
        options = parse_options(rest, {"--to", "--listen", "--key"});
    } catch (const std::invalid_argument& e) {
        std::fprintf(streams.err, "dnswatch relay: %s\n\n%s", e.what(), kRelayUsage);
        return kExitUsage;
    }
    if (options.help) {
        std::fputs(kRelayUsage, streams.out);
        return kExitOk;
    }
    const auto to = options.get("--to");
    const auto listen = options.get("--listen");
    if (!to || (froms.empty() && !listen) || !options.positional.empty() || (!allows.empty() && !options.get("--key"))) {
        std::fputs(kRelayUsage, streams.err);
        return kExitUsage;
    }

    log::Logger logger(streams.err);
    zmq::context_t context;
    std::optional<CurveKeyPair> keys;
    std::set<std::string> allowed;
    if (options.get("--key")) {
        keys = CurveKeyPair::load(*options.get("--key"));
        for (const std::string& file : allows) allowed.insert(CurveKeyPair::load(file).public_key);
    }
    // Consumers are authenticated only when the relay has keys.
    std::optional<ZapAuthenticator> zap;
    if (keys) zap.emplace(context, allowed, /*allow_plaintext=*/false);

    zmq::socket_t frontend(context, zmq::socket_type::xsub);
    zmq::socket_t backend(context, zmq::socket_type::xpub);
    try {
        // Bound before any CURVE client option is set: those would apply to
        // the listening side too.
        if (listen) frontend.bind(*listen);
        for (const std::string& from : froms) {
            const auto hash = from.find('#');
            if (hash != std::string::npos) {
                if (!keys) throw std::runtime_error("--from " + from + " names a sensor key, so --key is needed");
                // libzmq copies the socket's options into each connection when
                // it is made, so each sensor gets the server key set just before.
                make_curve_client(frontend, *keys, CurveKeyPair::load(from.substr(hash + 1)).public_key);
            }
            frontend.connect(from.substr(0, hash));
        }
        if (keys) make_curve_server(backend, *keys);
        backend.bind(*to);
    } catch (const std::exception& e) {
        logger.error("relay_setup_failed", {{"error", e.what()}});
        return kExitUsage;
    }
    logger.info("relay_started", {{"sensors", froms.size() + (listen ? 1 : 0)},
                                  {"endpoint", backend.get(zmq::sockopt::last_endpoint)}});
    zmq::proxy(frontend, backend);
    return kExitOk;
}

}  // namespace dnswatch
