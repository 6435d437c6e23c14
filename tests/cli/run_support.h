// Helpers for the `dnswatch run` tests: scratch folders, configs, the
// spawned sensor, and (as root) a network namespace with NSD in it, so that
// live-capture tests send every packet to a loopback of their own.
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/ports.h"
#include "tests/support/scratch_dir.h"
#include "tests/support/run_command.h"

namespace dnswatch::test {

namespace fs = std::filesystem;


inline void write_file(const fs::path& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
}

inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) lines.push_back(line);
    }
    return lines;
}

// CI runs as root with every tool installed (scripts/setup): there, a
// missing piece is a failure, not a reason to skip.
inline bool in_ci() {
    const char* ci = std::getenv("CI");
    return ci != nullptr && std::string(ci) == "true";
}

// The sample's victim.test zone (samples/victim.test.zone) and the
// attacker's copy of it, in `dir`: victim.test.zone and forged.zone, where
// www has moved to 203.0.113.66 and the rest is untouched.
inline void write_victim_zones(const fs::path& source_dir, const fs::path& dir) {
    const fs::path zone = source_dir / "samples/victim.test.zone";
    fs::copy_file(zone, dir / "victim.test.zone");
    std::ifstream in(zone);
    std::string forged;
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("www     IN A    192.0.2.11", 0) == 0) continue;
        if (line.rfind("www     IN A    192.0.2.10", 0) == 0) line = "www     IN A    203.0.113.66";
        forged += line + "\n";
    }
    write_file(dir / "forged.zone", forged);
}


template <typename Predicate>
bool eventually(Predicate ready, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!ready()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

inline std::string find_program(const std::string& name) {
    for (const char* dir : {"/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/"}) {
        if (::access((dir + name).c_str(), X_OK) == 0) return dir + name;
    }
    return {};
}

// A sensor (or a server) running in the background; stopped (SIGTERM, then
// SIGKILL) if the test ends without stopping it.
class Spawned {
public:
    Spawned(const std::vector<std::string>& argv, const fs::path& out, const fs::path& err)
        : out_(out), err_(err), pid_(spawn_command(argv, out, err)) {}
    Spawned(const Spawned&) = delete;
    Spawned& operator=(const Spawned&) = delete;
    ~Spawned() {
        if (pid_ > 0) stop(SIGTERM);
    }
    pid_t pid() const { return pid_; }
    std::string out() const { return slurp(out_); }
    std::string err() const { return slurp(err_); }
    // Sends `signal` and returns the exit code (bounded: SIGKILL after 30 s).
    int stop(int signal = SIGTERM) {
        ::kill(pid_, signal);
        return wait();
    }
    bool running() const {
        if (pid_ <= 0) return false;
        siginfo_t info{};
        return ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0;
    }
    int wait(int tenths_of_seconds = 300) {
        for (int i = 0; i < tenths_of_seconds * 10; ++i) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        ::kill(pid_, SIGKILL);
        const int code = wait_command(pid_);
        pid_ = -1;
        return code;
    }

private:
    fs::path out_;
    fs::path err_;
    pid_t pid_;
};

// A network namespace with its loopback up, deleted at the end.
class Netns {
public:
    explicit Netns(const fs::path& scratch) : name_("dnswatch-run-" + std::to_string(::getpid())), scratch_(scratch) {
        ip_ = find_program("ip");
        if (::geteuid() != 0 || ip_.empty()) return;
        if (run_command({ip_, "netns", "add", name_}, scratch_).exit_code != 0) return;
        created_ = true;
        ok_ = run_command({ip_, "netns", "exec", name_, ip_, "link", "set", "lo", "up"}, scratch_).exit_code == 0;
    }
    Netns(const Netns&) = delete;
    Netns& operator=(const Netns&) = delete;
    ~Netns() {
        if (created_) run_command({ip_, "netns", "del", name_}, scratch_);
    }
    bool ok() const { return ok_; }
    std::vector<std::string> wrap(std::vector<std::string> argv) const {
        argv.insert(argv.begin(), {ip_, "netns", "exec", name_});
        return argv;
    }

private:
    std::string name_;
    fs::path scratch_;
    std::string ip_;
    bool created_ = false;
    bool ok_ = false;
};

// NSD serving one zone file on ADDRESS:53 inside `netns`.
class NsdInNetns {
public:
    NsdInNetns(const Netns& netns, const fs::path& dir, const std::string& address, const std::string& zone,
               const fs::path& zone_file)
        : netns_(netns), dir_(dir), address_(address), zone_(zone) {
        fs::create_directories(dir_);
        write_file(dir_ / "nsd.conf",
                   "server:\n    server-count: 1\n    ip-address: " + address + "\n    port: 53\n"
                   "    zonesdir: \"" + dir_.string() + "\"\n    pidfile: \"" + (dir_ / "nsd.pid").string() + "\"\n"
                   "    xfrdfile: \"" + (dir_ / "xfrd.state").string() + "\"\n"
                   "    zonelistfile: \"" + (dir_ / "zone.list").string() + "\"\n"
                   "    logfile: \"" + (dir_ / "nsd.log").string() + "\"\n"
                   "    database: \"\"\n    username: \"\"\n    chroot: \"\"\n"
                   "remote-control:\n    control-enable: no\n"
                   "zone:\n    name: " + zone + "\n    zonefile: \"" + zone_file.string() + "\"\n");
        process_ = std::make_unique<Spawned>(netns_.wrap({find_program("nsd"), "-d", "-c", (dir_ / "nsd.conf").string()}),
                                             dir_ / "nsd.out", dir_ / "nsd.err");
        ok_ = eventually([&] { return !dig(zone_, "SOA").empty(); }, std::chrono::seconds(15));
    }
    bool ok() const { return ok_; }
    // The answer section, one record per line (dig +short); "" when none came.
    std::string dig(const std::string& name, const std::string& type) const {
        const CommandResult r = run_command(netns_.wrap({find_program("dig"), "@" + address_, name, type, "+norec",
                                                         "+short", "+time=1", "+tries=1"}),
                                            dir_);
        return r.exit_code == 0 ? r.out : std::string();
    }
    void stop() { process_.reset(); }

private:
    const Netns& netns_;
    fs::path dir_;
    std::string address_;
    std::string zone_;
    std::unique_ptr<Spawned> process_;
    bool ok_ = false;
};

// The /metrics port a running sensor chose (it says so on stderr); 0 when it never did.
inline std::uint16_t metrics_port(const Spawned& run) {
    std::uint16_t port = 0;
    eventually(
        [&] {
            const std::string err = run.err();
            const auto at = err.find("metrics_port=");
            if (at != std::string::npos) port = static_cast<std::uint16_t>(std::stoi(err.substr(at + 13)));
            return port != 0;
        },
        std::chrono::seconds(20));
    return port;
}

// One series' value in a scrape body; -1 when absent.
inline double metric_value(const std::string& body, const std::string& series) {
    const auto at = body.find("\n" + series + " ");
    return at == std::string::npos ? -1 : std::stod(body.substr(at + series.size() + 2));
}

}  // namespace dnswatch::test
