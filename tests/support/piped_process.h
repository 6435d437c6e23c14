// A program whose standard input the test writes (a capture streamed to
// `dnswatch replay -`), its stdout and stderr in files; and splitting a
// classic pcap file into its header and records, to stream it in parts.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/run_command.h"

namespace dnswatch::test {

class PipedProcess {
public:
    PipedProcess(const std::vector<std::string>& argv, const std::filesystem::path& out,
                 const std::filesystem::path& err) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) return;
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[0], 0);
        posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        std::vector<char*> args;
        for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
        args.push_back(nullptr);
        if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) pid_ = -1;
        posix_spawn_file_actions_destroy(&actions);
        ::close(fds[0]);
        stdin_ = fds[1];
    }
    PipedProcess(const PipedProcess&) = delete;
    PipedProcess& operator=(const PipedProcess&) = delete;
    ~PipedProcess() {
        close_input();
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }

    bool started() const { return pid_ > 0 && stdin_ >= 0; }
    bool write(const std::string& bytes) {
        std::size_t done = 0;
        while (done < bytes.size()) {
            const ssize_t n = ::write(stdin_, bytes.data() + done, bytes.size() - done);
            if (n <= 0) return false;
            done += static_cast<std::size_t>(n);
        }
        return true;
    }
    void close_input() {
        if (stdin_ >= 0) ::close(stdin_);
        stdin_ = -1;
    }
    // Closes standard input and waits: the exit code.
    int finish() {
        close_input();
        const int code = wait_command(pid_);
        pid_ = -1;
        return code;
    }

private:
    pid_t pid_ = -1;
    int stdin_ = -1;
};

// A classic (microsecond, little-endian) pcap file: its 24-byte header and
// each record (16-byte record header + bytes) as it is in the file.
struct PcapParts {
    std::string header;
    std::vector<std::string> records;

    std::string join(std::size_t first, std::size_t last) const {  // records [first, last)
        std::string bytes = header;
        for (std::size_t i = first; i < last && i < records.size(); ++i) bytes += records[i];
        return bytes;
    }
};

inline PcapParts split_pcap(const std::filesystem::path& path) {
    const std::string bytes = slurp(path);
    PcapParts parts;
    if (bytes.size() < 24) return parts;
    parts.header = bytes.substr(0, 24);
    std::size_t at = 24;
    while (at + 16 <= bytes.size()) {
        std::uint32_t caplen = 0;
        std::memcpy(&caplen, bytes.data() + at + 8, 4);
        if (at + 16 + caplen > bytes.size()) break;
        parts.records.push_back(bytes.substr(at, 16 + caplen));
        at += 16 + caplen;
    }
    return parts;
}

}  // namespace dnswatch::test
