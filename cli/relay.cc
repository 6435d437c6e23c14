// `dnswatch relay`: fans many sensors into one feed, XSUB to XPUB. Each
// record keeps its sensor id and is numbered anew by the relay (the
// sensor's seq kept as sensor_seq), kept in the relay's bounded store
// (publish/relay_store.h) and served for catch-up, so that consumers
// subscribe to the relay and catch up through it (tail --since) exactly as
// they would with one sensor. The relay subscribes to everything.
// `dnswatch keygen` makes the CURVE keys.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/host_port.h"
#include "log/log.h"
#include "publish/catch_up.h"
#include "publish/relay_store.h"
#include "publish/zmq_publisher.h"
#include "publish/zmq_security.h"

namespace dnswatch {
namespace {

std::atomic<bool> relay_stopping{false};

// A loopback address in any spelling (common/host_port.h), or not TCP at
// all (ipc://, inproc://: this machine only).
bool stays_on_this_machine(const std::string& endpoint) {
    return !endpoint.starts_with("tcp://") || is_loopback_endpoint(endpoint);
}
extern "C" void stop_relay(int) { relay_stopping = true; }

}  // namespace

int keygen_command(const KeygenOptions& options, const CliStreams& streams) {
    const CurveKeyPair keys = CurveKeyPair::generate();
    keys.save(options.out);
    std::fprintf(streams.out, "%s\n", keys.public_key.c_str());
    return kExitOk;
}

int relay_command(const RelayOptions& options, const CliStreams& streams) {
    const std::vector<std::string>& froms = options.from;
    const std::vector<std::string>& allows = options.allow;
    const std::optional<std::string>& listen = options.listen;
    log::Logger logger(streams.err);
    if (froms.empty() && !listen) {
        logger.error("usage", {{"msg", "relay needs --from URL or --listen URL"}});
        return kExitUsage;
    }
    if (!allows.empty() && !options.key) {
        logger.error("usage", {{"msg", "--allow needs --key"}});
        return kExitUsage;
    }
    // What a sensor publishes changes what consumers are told: on --listen,
    // with --key, only the listed sensors' keys are admitted; off loopback
    // --listen is never plaintext.
    if (!options.publishers.empty() && !options.key) {
        logger.error("usage", {{"msg", "--publisher-key needs --key"}});
        return kExitUsage;
    }
    if (listen && options.key && options.publishers.empty()) {
        logger.error("usage", {{"msg", "--listen with --key needs --publisher-key FILE for each sensor admitted"}});
        return kExitUsage;
    }
    if (listen && !options.key && !stays_on_this_machine(*listen)) {
        logger.error("usage", {{"msg", "--listen " + *listen +
                                           " is not a loopback address, so it needs --key and --publisher-key "
                                           "(plaintext publishers only on loopback)"}});
        return kExitUsage;
    }
    zmq::context_t context;
    std::optional<CurveKeyPair> keys;
    std::set<std::string> allowed, publishers;
    try {
        if (options.key) {
            keys = CurveKeyPair::load(*options.key);
            for (const std::string& file : allows) allowed.insert(CurveKeyPair::load(file).public_key);
            for (const std::string& file : options.publishers) publishers.insert(CurveKeyPair::load(file).public_key);
        }
    } catch (const std::exception& e) {
        logger.error("relay_setup_failed", {{"error", e.what()}});
        return kExitUsage;
    }
    // Consumers are authenticated only when the relay has keys.
    std::optional<ZapAuthenticator> zap;
    if (keys) zap.emplace(context, allowed, /*allow_plaintext=*/false, &logger);
    // Sensors that connect (--listen) have a context of their own, so that
    // its ZAP handler admits the publishers' keys, not the consumers'.
    zmq::context_t publisher_context;
    std::optional<ZapAuthenticator> publisher_zap;
    if (keys && listen) publisher_zap.emplace(publisher_context, publishers, /*allow_plaintext=*/false, &logger);

    zmq::socket_t frontend(publisher_context, zmq::socket_type::xsub);
    zmq::socket_t backend(context, zmq::socket_type::xpub);
    // A record is a few KB: a sensor (or anyone on --listen) sending more is
    // cut off before it is buffered.
    frontend.set(zmq::sockopt::maxmsgsize, kMaxRecordBytes);
    // Publishers refused at the handshake (a keyless one never reaches the
    // ZAP handler: its mechanism does not match), counted and logged.
    zmq::socket_t frontend_events(publisher_context, zmq::socket_type::pair);
    std::uint64_t publishers_refused = 0;
    if (zmq_socket_monitor(frontend.handle(), "inproc://relay-frontend-monitor", kHandshakeFailures) != 0) {
        logger.error("relay_setup_failed", {{"error", "cannot watch the sensors' handshakes"}});
        return kExitIoError;
    }
    frontend_events.connect("inproc://relay-frontend-monitor");
    try {
        // Bound before any CURVE client option is set: those would apply to
        // the listening side too.
        if (listen && keys) make_curve_server(frontend, *keys);
        if (listen) frontend.bind(*listen);
        if (listen && keys) frontend.set(zmq::sockopt::curve_server, false);
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
        backend.bind(options.to);
    } catch (const std::exception& e) {
        logger.error("relay_setup_failed", {{"error", e.what()}});
        return kExitUsage;
    }
    // The store: in --store, or in a folder of its own removed at exit.
    std::string store_dir;
    std::string scratch;
    if (options.store) {
        store_dir = *options.store;
    } else {
        std::string pattern = (std::filesystem::temp_directory_path() / "dnswatch-relay-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            logger.error("relay_setup_failed", {{"error", "cannot make a folder for the store in " + pattern}});
            return kExitIoError;
        }
        store_dir = scratch = pattern;
    }
    struct RemoveScratch {
        const std::string& dir;
        ~RemoveScratch() {
            std::error_code ignored;
            if (!dir.empty()) std::filesystem::remove_all(dir, ignored);
        }
    } remove_scratch{scratch};
    std::optional<RelayStore> store;
    std::optional<CatchUpServer> catchup;
    const std::optional<std::string> catchup_endpoint =
        options.catchup ? options.catchup : default_catchup_endpoint(backend.get(zmq::sockopt::last_endpoint));
    try {
        store.emplace(store_dir, options.keep);
        if (!catchup_endpoint) throw std::runtime_error("--to has no port: give --catchup URL");
        catchup.emplace(context, store->path(), *catchup_endpoint, keys);
    } catch (const std::exception& e) {
        logger.error("relay_setup_failed", {{"error", e.what()}});
        return kExitIoError;
    }
    logger.info("relay_started", {{"sensors", froms.size() + (listen ? 1 : 0)},
                                  {"endpoint", backend.get(zmq::sockopt::last_endpoint)},
                                  {"catchup_endpoint", catchup->endpoint()},
                                  {"store", store->path()},
                                  {"keep", options.keep},
                                  {"last_seq", store->last_seq()}});
    // Everything every sensor publishes, whether a consumer listens now or
    // not: the store must hold it for those who catch up later.
    frontend.send(zmq::str_buffer("\x01"), zmq::send_flags::none);
    // Records down, numbered and stored first.
    zmq::pollitem_t items[] = {{frontend.handle(), 0, ZMQ_POLLIN, 0},
                               {backend.handle(), 0, ZMQ_POLLIN, 0},
                               {frontend_events.handle(), 0, ZMQ_POLLIN, 0}};
    // SIGINT and SIGTERM end the loop, so that a scratch store is removed.
    struct sigaction stop {};
    stop.sa_handler = stop_relay;
    ::sigaction(SIGINT, &stop, nullptr);
    ::sigaction(SIGTERM, &stop, nullptr);
    // The relay's own heartbeat: its last seq, so that a consumer that lost
    // records at its high-water mark learns it (publish/zmq_publisher.h).
    auto next_heartbeat = std::chrono::steady_clock::now();
    while (!relay_stopping) {
        if (std::chrono::steady_clock::now() >= next_heartbeat) {
            const std::string beat = nlohmann::json{{"schema", kHeartbeatSchema},
                                                    {"sensor", "relay"},
                                                    {"last_seq", store->last_seq()}}
                                         .dump();
            backend.send(zmq::str_buffer("heartbeat."), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
            backend.send(zmq::buffer(beat), zmq::send_flags::dontwait);
            next_heartbeat = std::chrono::steady_clock::now() + std::chrono::seconds(1);
        }
        try {
            if (zmq::poll(items, 3, std::chrono::milliseconds(200)) == 0) continue;
        } catch (const zmq::error_t& e) {
            if (e.num() == EINTR) continue;
            throw;
        }
        if (items[2].revents & ZMQ_POLLIN) {
            if (const std::optional<SocketEvent> event = read_socket_event(frontend_events)) {
                logger.warn("relay_publisher_refused", {{"endpoint", event->endpoint},
                                                        {"reason", handshake_failure(*event)},
                                                        {"refused", ++publishers_refused}});
            }
        }
        if (items[0].revents & ZMQ_POLLIN) {
            std::vector<zmq::message_t> frames;
            do {
                zmq::message_t frame;
                if (!frontend.recv(frame)) break;
                frames.push_back(std::move(frame));
            } while (frontend.get(zmq::sockopt::rcvmore));
            // A sensor's heartbeat says its own last seq, not the relay's:
            // the relay sends its own below.
            if (frames.size() == 2 && frames[0].to_string_view() == kHeartbeatTopic) continue;
            if (frames.size() == 2) {
                try {
                    const std::string line = store->add(frames[1].to_string());
                    frames[1] = zmq::message_t(line.data(), line.size());
                } catch (const std::exception& e) {
                    logger.error("relay_store_failed", {{"error", e.what()}});
                }
            }
            for (std::size_t i = 0; i < frames.size(); ++i) {
                backend.send(frames[i], i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
            }
        }
        if (items[1].revents & ZMQ_POLLIN) {
            // A consumer's (un)subscription: the relay takes everything
            // anyway, and the XPUB filters for each consumer by itself.
            zmq::message_t subscription;
            (void)backend.recv(subscription);
        }
    }
    logger.info("relay_stopped", {{"last_seq", store->last_seq()},
                                  {"publishers_refused", publishers_refused},
                                  {"publisher_keys_denied", publisher_zap ? publisher_zap->denied() : 0}});
    return kExitOk;
}

}  // namespace dnswatch
