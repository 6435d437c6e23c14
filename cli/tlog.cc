// `dnswatch tlog head|verify|prove|keygen|serve`: work on a transparency log
// directory without a running sensor, as an auditor would, or on a log
// served as tiles from another machine (verify --url).
#include <signal.h>
#include <sys/stat.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/options.h"
#include "publish/merkle.h"
#include "publish/signed_note.h"
#include "publish/tlog_http.h"
#include "publish/tlog_remote.h"
#include "publish/transparency_log.h"

namespace dnswatch {
namespace {

constexpr const char* kTlogUsage =
    "usage: dnswatch tlog head   --dir DIR\n"
    "       dnswatch tlog verify --dir DIR [--key VERIFIER_FILE] [--against CHECKPOINT]\n"
    "       dnswatch tlog verify --url URL --key VERIFIER_FILE\n"
    "       dnswatch tlog prove  --dir DIR --index I [--size N]\n"
    "       dnswatch tlog prove  --dir DIR --from M [--size N]\n"
    "       dnswatch tlog keygen --name NAME --key FILE\n"
    "       dnswatch tlog serve  --dir DIR --listen ADDR:PORT\n"
    "\n"
    "head    prints the signed checkpoint (origin, size, base64 root, signature)\n"
    "verify  recomputes the Merkle tree of every entry and checks the checkpoint's\n"
    "        signature and root; --key is the verifier key to trust (default:\n"
    "        DIR/log.pub — an auditor should pin their own copy); entries whose\n"
    "        contents retention pruned count by their kept leaf hashes.\n"
    "        With --url, the log served as C2SP tlog-tiles (transparency_log.http,\n"
    "        tlog serve) is fetched over HTTP: checkpoint, every hash tile, every\n"
    "        entry bundle not pruned. With --against, also checks the log against a\n"
    "        checkpoint an auditor kept: the log's checkpoint must be no smaller\n"
    "        (a rollback fails), the RFC 9162 consistency proof from the kept tree\n"
    "        to the log's must hold (a fork fails), and no entry may follow the\n"
    "        log's checkpoint unsigned\n"
    "prove   prints, as JSON, the RFC 9162 inclusion proof of entry I, or the\n"
    "        consistency proof from size M, in the tree of size N (default: the\n"
    "        checkpoint's size)\n"
    "keygen  writes a new Ed25519 signing key to FILE (mode 0600) and its\n"
    "        verifier key to FILE.pub\n"
    "serve   serves DIR read-only as C2SP tlog-tiles on ADDR:PORT (port 0: any;\n"
    "        the port is printed) until SIGINT or SIGTERM\n"
    "\n"
    "Exit status: 0 done (verify: the log verified), 1 verification or I/O\n"
    "failure, 2 bad usage.\n";

std::optional<std::string> read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::optional<std::uint64_t> parse_number(const std::optional<std::string>& text) {
    if (!text) return std::nullopt;
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (error != std::errc() || end != text->data() + text->size()) return std::nullopt;
    return value;
}

// The verifier to trust: --key FILE, else DIR/log.pub.
std::optional<NoteVerifier> load_verifier(const ParsedOptions& options, const std::string& dir, std::FILE* err) {
    const std::string path = options.get("--key").value_or(dir + "/log.pub");
    const auto text = read_text(path);
    if (!text) {
        std::fprintf(err, "dnswatch tlog: cannot read verifier key %s\n", path.c_str());
        return std::nullopt;
    }
    auto verifier = NoteVerifier::parse(first_line(*text));
    if (!verifier) std::fprintf(err, "dnswatch tlog: %s is not a verifier key (name+id+key)\n", path.c_str());
    return verifier;
}

nlohmann::json hex_list(const std::vector<merkle::Hash>& hashes) {
    nlohmann::json list = nlohmann::json::array();
    for (const merkle::Hash& h : hashes) list.push_back(merkle::to_hex(h));
    return list;
}

int keygen(const ParsedOptions& options, const CliStreams& streams) {
    const auto name = options.get("--name");
    const auto path = options.get("--key");
    if (!name || !path) {
        std::fputs(kTlogUsage, streams.err);
        return kExitUsage;
    }
    NoteSigner signer = NoteSigner::generate(*name);
    {
        const mode_t old_mask = ::umask(077);  // the secret key is never readable by others
        std::ofstream secret(*path, std::ios::trunc);
        ::umask(old_mask);
        if (!(secret << signer.to_string() << "\n")) {
            std::fprintf(streams.err, "dnswatch tlog keygen: cannot write %s\n", path->c_str());
            return kExitIoError;
        }
    }
    std::ofstream pub(*path + ".pub", std::ios::trunc);
    if (!(pub << signer.verifier().to_string() << "\n")) {
        std::fprintf(streams.err, "dnswatch tlog keygen: cannot write %s.pub\n", path->c_str());
        return kExitIoError;
    }
    std::fprintf(streams.out, "%s\n", signer.verifier().to_string().c_str());
    return kExitOk;
}

int serve(const ParsedOptions& options, const CliStreams& streams) {
    const auto dir = options.get("--dir");
    const auto listen = options.get("--listen");
    if (!dir || !listen) {
        std::fputs(kTlogUsage, streams.err);
        return kExitUsage;
    }
    if (!read_text(*dir + "/checkpoint")) {
        std::fprintf(streams.err, "dnswatch tlog serve: %s/checkpoint: no log there (no checkpoint)\n", dir->c_str());
        return kExitIoError;
    }
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before the server's thread exists
    std::unique_ptr<TlogHttpServer> server;
    try {
        server = std::make_unique<TlogHttpServer>(*dir, *listen);
    } catch (const std::exception& e) {
        std::fprintf(streams.err, "dnswatch tlog serve: %s\n", e.what());
        return kExitIoError;
    }
    std::fprintf(streams.err, "dnswatch tlog serve: %s as tlog-tiles on port %u\n", dir->c_str(),
                 static_cast<unsigned>(server->port()));
    std::fflush(streams.err);
    int signal = 0;
    sigwait(&signals, &signal);
    return kExitOk;
}

}  // namespace

int tlog_command(const std::vector<std::string>& args, const CliStreams& streams) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        std::fputs(kTlogUsage, args.empty() ? streams.err : streams.out);
        return args.empty() ? kExitUsage : kExitOk;
    }
    const std::string verb = args[0];
    ParsedOptions options;
    try {
        options = parse_options({args.begin() + 1, args.end()}, {"--dir", "--key", "--index", "--from", "--size", "--name", "--url", "--listen", "--against"});
    } catch (const std::invalid_argument& e) {
        std::fprintf(streams.err, "dnswatch tlog: %s\n\n%s", e.what(), kTlogUsage);
        return kExitUsage;
    }
    if (options.help) {
        std::fputs(kTlogUsage, streams.out);
        return kExitOk;
    }
    if (verb == "keygen") return keygen(options, streams);
    if (verb == "serve") return serve(options, streams);
    if (verb == "verify" && options.get("--url")) {
        if (!options.get("--key") || options.get("--dir") || !options.positional.empty()) {
            std::fputs(kTlogUsage, streams.err);
            return kExitUsage;
        }
        const auto verifier = load_verifier(options, "", streams.err);
        if (!verifier) return kExitIoError;
        const LogVerification result = verify_remote_log(*options.get("--url"), *verifier);
        std::fprintf(result.ok ? streams.out : streams.err, "dnswatch tlog verify: %s: %s\n",
                     result.ok ? "OK" : "FAILED", result.message.c_str());
        return result.ok ? kExitOk : kExitIoError;
    }
    const auto dir = options.get("--dir");
    if (!dir || !options.positional.empty() || (verb != "head" && verb != "verify" && verb != "prove")) {
        std::fputs(kTlogUsage, streams.err);
        return kExitUsage;
    }

    if (verb == "head") {
        const auto note = read_text(*dir + "/checkpoint");
        if (!note) {
            std::fprintf(streams.err, "dnswatch tlog head: cannot read %s/checkpoint\n", dir->c_str());
            return kExitIoError;
        }
        std::fputs(note->c_str(), streams.out);
        return kExitOk;
    }

    const auto verifier = load_verifier(options, *dir, streams.err);
    if (!verifier) return kExitIoError;
    if (verb == "verify") {
        LogVerification result;
        if (const auto against = options.get("--against")) {
            const auto note = read_text(*against);
            if (!note) {
                std::fprintf(streams.err, "dnswatch tlog verify: cannot read %s\n", against->c_str());
                return kExitIoError;
            }
            result = verify_log_against(*dir, *verifier, *note);
        } else {
            result = verify_log(*dir, *verifier);
        }
        std::fprintf(result.ok ? streams.out : streams.err, "dnswatch tlog verify: %s: %s\n",
                     result.ok ? "OK" : "FAILED", result.message.c_str());
        return result.ok ? kExitOk : kExitIoError;
    }

    // prove: only against a verified checkpoint, so that the proof's root is
    // one the log has signed.
    const LogVerification verified = verify_log(*dir, *verifier);
    if (!verified.ok) {
        std::fprintf(streams.err, "dnswatch tlog prove: the log does not verify: %s\n", verified.message.c_str());
        return kExitIoError;
    }
    const LogContents contents = read_log_entries(*dir);
    const std::uint64_t size = options.get("--size") ? parse_number(options.get("--size")).value_or(0)
                                                     : verified.checkpoint_size;
    const auto index = parse_number(options.get("--index"));
    const auto from = parse_number(options.get("--from"));
    if (size == 0 || size > contents.leaves.size() || index.has_value() == from.has_value() ||
        (index && *index >= size) || (from && (*from == 0 || *from > size))) {
        std::fprintf(streams.err, "dnswatch tlog prove: give --index I < N or --from M <= N, with 0 < N <= %zu\n",
                     contents.leaves.size());
        return kExitUsage;
    }
    const auto tree = std::span(contents.leaves).first(size);
    nlohmann::json proof;
    proof["tree_size"] = size;
    proof["root"] = merkle::to_hex(merkle::root(tree));
    if (index) {
        proof["leaf_index"] = *index;
        proof["leaf_hash"] = merkle::to_hex(contents.leaves[*index]);
        proof["inclusion_path"] = hex_list(merkle::inclusion_proof(tree, *index));
    } else {
        proof["first_size"] = *from;
        proof["first_root"] = merkle::to_hex(merkle::root(tree.first(*from)));
        proof["consistency_path"] = hex_list(merkle::consistency_proof(tree, *from));
    }
    std::fprintf(streams.out, "%s\n", proof.dump(2).c_str());
    return kExitOk;
}

}  // namespace dnswatch
