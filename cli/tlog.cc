// `dnswatch tlog head|verify|prove|keygen|serve`: work on a transparency log
// directory without a running sensor, as an auditor would, or on a log
// served as tiles from another machine (verify --url).
#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/regular_file.h"
#include "publish/merkle.h"
#include "publish/signed_note.h"
#include "publish/tlog_http.h"
#include "publish/tlog_remote.h"
#include "publish/transparency_log.h"

namespace dnswatch {
namespace {

std::optional<std::string> read_text(const std::string& path) {
    if (!regular_file_problem(path).empty()) return std::nullopt;  // a FIFO would block, a device never end
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// The verifier to trust: --key FILE, else DIR/log.pub.
std::optional<NoteVerifier> load_verifier(const TlogOptions& options, const std::string& dir, std::FILE* err) {
    const std::string path = options.key.value_or(dir + "/log.pub");
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

int keygen(const TlogOptions& options, const CliStreams& streams) {
    const std::optional<std::string>& path = options.key;  // required by the command line
    NoteSigner signer = NoteSigner::generate(options.name);
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

int serve(const TlogOptions& options, const CliStreams& streams) {
    const std::string* dir = &options.dir;  // --dir and --listen: required by the command line
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
        server = std::make_unique<TlogHttpServer>(*dir, options.listen);
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

int tlog_command(const TlogOptions& options, const CliStreams& streams) {
    const std::string& verb = options.verb;
    if (verb == "keygen") return keygen(options, streams);
    if (verb == "serve") return serve(options, streams);
    if (verb == "verify" && options.url) {
        // --key is required with --url by the command line: there is no DIR/log.pub to fall back on.
        const auto verifier = load_verifier(options, "", streams.err);
        if (!verifier) return kExitIoError;
        const LogVerification result = verify_remote_log(*options.url, *verifier);
        std::fprintf(result.ok ? streams.out : streams.err, "dnswatch tlog verify: %s: %s\n",
                     result.ok ? "OK" : "FAILED", result.message.c_str());
        return result.ok ? kExitOk : kExitIoError;
    }
    if (options.dir.empty()) {
        std::fprintf(streams.err, "dnswatch tlog %s: --dir DIR is required%s\n", verb.c_str(),
                     verb == "verify" ? " (or --url URL --key FILE)" : "");
        return kExitUsage;
    }
    const std::string* dir = &options.dir;

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
        if (const auto& against = options.against) {
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
    const std::uint64_t size = options.size.value_or(verified.checkpoint_size);
    const auto index = options.index;
    const auto from = options.from;
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
