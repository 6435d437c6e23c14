// A real Knot DNS primary for tests (CONVENTIONS 15): serves one zone file on
// 127.0.0.1 at a port chosen at run time, keeps its journal of changes (so
// that a reloaded zone file becomes an IXFR), and sends NOTIFY to the given
// address, as Knot does, over TCP. Every file stays in the test's folder;
// stops when the object goes away.
#pragma once

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/background_process.h"
#include "tests/support/run_command.h"

namespace dnswatch::test {

class KnotServer {
public:
    static constexpr const char* kKnotd = "/usr/sbin/knotd";
    static constexpr const char* kKnotc = "/usr/sbin/knotc";

    KnotServer(const std::filesystem::path& dir, const std::string& zone, const std::filesystem::path& zone_file,
               int port, int notify_port)
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
                << "remote:\n  - id: sensor\n    address: 127.0.0.1@" << notify_port << "\n"
                << "acl:\n  - id: xfr\n    address: 127.0.0.1\n    action: transfer\n"
                << "zone:\n  - domain: " << zone_ << "\n    storage: \"" << zone_file.parent_path().string()
                << "\"\n    file: \"" << zone_file.filename().string() << "\"\n"
                << "    notify: sensor\n    acl: xfr\n"
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
    ~KnotServer() { process_.stop(); }

    bool ok() const { return ok_; }
    const std::string& why() const { return why_; }
    std::string log() const { return slurp(dir_ / "knot.log"); }

    // Reads the zone file again; a new serial is journaled and notified.
    bool reload() const {
        return run_command({kKnotc, "-s", socket().string(), "zone-reload", zone_}, dir_).exit_code == 0;
    }

    CommandResult dig(std::vector<std::string> args) const {
        std::vector<std::string> argv = {"/usr/bin/dig", "-p", std::to_string(port_)};
        argv.insert(argv.end(), args.begin(), args.end());
        return run_command(argv, dir_);
    }

private:
    std::filesystem::path socket() const { return dir_ / "knot.sock"; }

    std::filesystem::path dir_;
    std::string zone_;
    int port_;
    BackgroundProcess process_;
    bool ok_ = false;
    std::string why_;
};

}  // namespace dnswatch::test
