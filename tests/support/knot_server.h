// A real Knot DNS primary for tests (CONVENTIONS 15): serves one zone file on
// 127.0.0.1 at a port chosen at run time, keeps its journal of changes (so
// that a reloaded zone file or a knotc transaction becomes an IXFR), and
// sends NOTIFY to the given addresses, as Knot does, over TCP. Optionally it
// signs the zone itself (a registry's hidden signer). Every file stays in the
// test's folder; stops when the object goes away.
#pragma once

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/background_process.h"
#include "tests/support/run_command.h"

namespace dnswatch::test {

struct KnotOptions {
    std::vector<int> more_notify_ports = {};  // more secondaries on 127.0.0.1 to NOTIFY (a public NSD)
    bool sign = false;                        // dnssec-signing with Knot's default policy (ECDSA P-256, NSEC)
};

class KnotServer {
public:
    static constexpr const char* kKnotd = "/usr/sbin/knotd";
    static constexpr const char* kKnotc = "/usr/sbin/knotc";

    KnotServer(const std::filesystem::path& dir, const std::string& zone, const std::filesystem::path& zone_file,
               int port, int notify_port, const KnotOptions& options = {})
        : dir_(dir), zone_(zone), port_(port) {
        if (!have_program(kKnotd) || !have_program(kKnotc) || !have_program("dig")) {
            why_ = "knotd, knotc or dig is not installed";
            return;
        }
        std::filesystem::create_directories(dir_ / "db");
        const std::filesystem::path conf = dir_ / "knot.conf";
        {
            std::ofstream out(conf);
            out << "server:\n    rundir: \"" << dir_.string() << "\"\n    listen: 127.0.0.1@" << port_ << "\n"
                << "    background-workers: 1\n    udp-workers: 1\n    tcp-workers: 1\n"
                << "control:\n    listen: \"" << socket().string() << "\"\n"
                << "database:\n    storage: \"" << (dir_ / "db").string() << "\"\n"
                << "log:\n  - target: \"" << (dir_ / "knot.log").string() << "\"\n    any: info\n"
                << "remote:\n  - id: sensor\n    address: 127.0.0.1@" << notify_port << "\n";
            std::string notify = "[sensor";
            for (std::size_t i = 0; i < options.more_notify_ports.size(); ++i) {
                out << "  - id: secondary" << i << "\n    address: 127.0.0.1@" << options.more_notify_ports[i] << "\n";
                notify += ", secondary" + std::to_string(i);
            }
            notify += "]";
            out
                << "acl:\n  - id: xfr\n    address: 127.0.0.1\n    action: transfer\n"
                << "zone:\n  - domain: " << zone_ << "\n    storage: \"" << zone_file.parent_path().string()
                << "\"\n    file: \"" << zone_file.filename().string() << "\"\n"
                << "    notify: " << notify << "\n    acl: xfr\n"
                << (options.sign ? "    dnssec-signing: on\n" : "")
                // The zone file stays as the test wrote it (a signed zone
                // written back would be a change of its own on reload).
                << "    zonefile-sync: -1\n"
                // A changed zone file is loaded as its difference, kept in the
                // journal: what an IXFR is answered from.
                << "    zonefile-load: difference\n    journal-content: changes\n";
        }
        process_ = BackgroundProcess({kKnotd, "-c", conf.string()}, dir_ / "knotd.out", dir_ / "knotd.err");
        if (!process_.started()) {
            why_ = "cannot start knotd";
            return;
        }
        ok_ = wait_until(
            [&] {
                if (!process_.running()) return true;
                const CommandResult r = dig({"@127.0.0.1", zone_, "SOA", "+short", "+time=1", "+tries=1"});
                return r.exit_code == 0 && !r.out.empty();
            },
            std::chrono::seconds(15));
        ok_ = ok_ && process_.running();
        if (!ok_) why_ = "knotd did not answer: " + slurp(dir_ / "knotd.err") + slurp(dir_ / "knot.log");
    }
    KnotServer(const KnotServer&) = delete;
    KnotServer& operator=(const KnotServer&) = delete;
    ~KnotServer() {
        process_.stop();
        std::error_code ignored;
        std::filesystem::remove(socket(), ignored);
    }

    bool ok() const { return ok_; }
    const std::string& why() const { return why_; }
    std::string log() const { return slurp(dir_ / "knot.log"); }

    // Reads the zone file again; a new serial is journaled and notified.
    bool reload() const {
        return run_command({kKnotc, "-s", socket().string(), "zone-reload", zone_}, dir_).exit_code == 0;
    }

    // One transaction through knotc, as a registrar's EPP update reaches
    // the registry's database: `unset` ("bank DS") RRsets go, `set`
    // ("bank 3600 NS ns1.example.") records come; the commit bumps the
    // serial, re-signs, journals the difference and notifies.
    bool change(const std::vector<std::string>& unset, const std::vector<std::string>& set) const {
        if (!knotc({"zone-begin", zone_})) return false;
        bool ok = true;
        for (const std::string& rrset : unset) ok = ok && knotc(with_words({"zone-unset", zone_}, rrset));
        for (const std::string& record : set) ok = ok && knotc(with_words({"zone-set", zone_}, record));
        if (!ok) {
            knotc({"zone-abort", zone_});
            return false;
        }
        return knotc({"zone-commit", zone_});
    }

    // The SOA serial it serves now; 0 when it does not answer.
    unsigned long serial() const {
        const CommandResult r = dig({"@127.0.0.1", zone_, "SOA", "+short", "+time=1", "+tries=1"});
        std::istringstream words(r.out);
        std::string mname, rname;
        unsigned long value = 0;
        words >> mname >> rname >> value;
        return r.exit_code == 0 ? value : 0;
    }

    CommandResult dig(std::vector<std::string> args) const {
        std::vector<std::string> argv = {"/usr/bin/dig", "-p", std::to_string(port_)};
        argv.insert(argv.end(), args.begin(), args.end());
        return run_command(argv, dir_);
    }

private:
    // A UNIX socket's path must fit sun_path (108 bytes); a test's scratch
    // folder (named after the test) may not leave room for it.
    std::filesystem::path socket() const {
        const std::filesystem::path in_dir = dir_ / "knot.sock";
        if (in_dir.string().size() < 100) return in_dir;
        return std::filesystem::temp_directory_path() /
               ("dnswatch-knot-" + std::to_string(::getpid()) + "-" + std::to_string(port_) + ".sock");
    }
    bool knotc(const std::vector<std::string>& args) const {
        std::vector<std::string> argv = {kKnotc, "-s", socket().string()};
        argv.insert(argv.end(), args.begin(), args.end());
        const CommandResult r = run_command(argv, dir_);
        return r.exit_code == 0;
    }
    static std::vector<std::string> with_words(std::vector<std::string> head, const std::string& words) {
        std::istringstream in(words);
        for (std::string word; in >> word;) head.push_back(word);
        return head;
    }

    std::filesystem::path dir_;
    std::string zone_;
    int port_;
    BackgroundProcess process_;
    bool ok_ = false;
    std::string why_;
};

}  // namespace dnswatch::test
