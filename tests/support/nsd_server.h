// A real NSD for tests (CONVENTIONS 15): serves the given zone files on
// 127.0.0.1 and ::1 at a port chosen by the caller at run time, optionally
// inside a NetworkNamespace, and stops when the object goes away. Its
// config keeps every file in the test's own folder (NSD 4.6 needs its own
// zonesdir, pidfile, xfrdfile and zonelistfile, no database, no chroot).
#pragma once

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/background_process.h"
#include "tests/support/network_namespace.h"
#include "tests/support/run_command.h"

namespace dnswatch::test {

struct NsdZone {
    std::string name;                // "big.test"
    std::filesystem::path zone_file;  // absolute
    std::string options = {};         // more lines for the zone: section, e.g. "    provide-xfr: 127.0.0.1 NOKEY\n"
};

class NsdServer {
public:
    // `server_options`: more lines for the server: section, e.g.
    // "    ipv4-edns-size: 4096\n" (NSD's default is 1232, RFC 9715).
    NsdServer(const std::filesystem::path& dir, const std::vector<NsdZone>& zones, int port,
              const NetworkNamespace* ns = nullptr, const std::string& server_options = "")
        : dir_(dir), port_(port), ns_(ns) {
        if (!have_program("nsd") || !have_program("dig")) {
            why_ = "nsd or dig is not installed";
            return;
        }
        std::filesystem::create_directories(dir_);
        const std::filesystem::path conf = dir_ / "nsd.conf";
        {
            std::ofstream out(conf);
            out << "server:\n"
                << "    server-count: 1\n"
                << "    ip-address: 127.0.0.1\n"
                << "    ip-address: ::1\n"
                << "    port: " << port_ << "\n"
                << "    zonesdir: \"" << dir_.string() << "\"\n"
                << "    pidfile: \"" << (dir_ / "nsd.pid").string() << "\"\n"
                << "    xfrdfile: \"" << (dir_ / "xfrd.state").string() << "\"\n"
                << "    zonelistfile: \"" << (dir_ / "zone.list").string() << "\"\n"
                << "    logfile: \"" << (dir_ / "nsd.log").string() << "\"\n"
                << "    database: \"\"\n"
                << "    username: \"\"\n"
                << "    chroot: \"\"\n"
                << "    verbosity: 1\n"
                << server_options
                << "remote-control:\n"
                << "    control-enable: no\n";
            for (const NsdZone& zone : zones) {
                out << "zone:\n    name: " << zone.name << "\n    zonefile: \"" << zone.zone_file.string() << "\"\n"
                    << zone.options;
            }
        }
        // -d: stay in the foreground, so that the pid we hold is NSD's.
        process_ = BackgroundProcess(wrap({"nsd", "-d", "-c", conf.string()}), dir_ / "nsd.out", dir_ / "nsd.err");
        if (!process_.started()) {
            why_ = "cannot start nsd";
            return;
        }
        // Ready when it answers a SOA query for the first zone (bounded).
        const std::string zone = zones.empty() ? "." : zones.front().name;
        ok_ = wait_until(
            [&] {
                if (!process_.running()) return true;
                const CommandResult r = dig({"@127.0.0.1", zone, "SOA", "+short", "+time=1", "+tries=1"});
                return r.exit_code == 0 && !r.out.empty();
            },
            std::chrono::seconds(15));
        ok_ = ok_ && process_.running();
        if (!ok_) why_ = "nsd did not answer: " + slurp(dir_ / "nsd.err") + slurp(dir_ / "nsd.log");
    }
    NsdServer(const NsdServer&) = delete;
    NsdServer& operator=(const NsdServer&) = delete;
    ~NsdServer() { process_.stop(); }

    bool ok() const { return ok_; }
    const std::string& why() const { return why_; }
    int port() const { return port_; }

    // dig against this server (where it runs), its port filled in.
    CommandResult dig(std::vector<std::string> args) const {
        std::vector<std::string> argv = {"dig", "-p", std::to_string(port_)};
        argv.insert(argv.end(), args.begin(), args.end());
        return run_command(wrap_absolute(argv), dir_);
    }

private:
    std::vector<std::string> wrap(std::vector<std::string> argv) const {
        return ns_ != nullptr ? ns_->wrap(std::move(argv)) : argv;
    }
    // run_command wants an absolute program path; `ip netns exec` searches PATH itself.
    std::vector<std::string> wrap_absolute(std::vector<std::string> argv) const {
        if (ns_ != nullptr) return ns_->wrap(std::move(argv));
        for (const char* prefix : {"/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/"}) {
            if (::access((prefix + argv[0]).c_str(), X_OK) == 0) {
                argv[0] = prefix + argv[0];
                break;
            }
        }
        return argv;
    }

    std::filesystem::path dir_;
    int port_;
    const NetworkNamespace* ns_;
    BackgroundProcess process_;
    bool ok_ = false;
    std::string why_;
};

}  // namespace dnswatch::test
