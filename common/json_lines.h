// State files kept as JSON lines (open alerts, learned RRsets): read one
// object a line, each failure named by file and line.
#pragma once

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "common/regular_file.h"

namespace dnswatch {

// Calls `read(object)` for each line of `path` that is not blank. An absent
// file has no lines. A line that is not JSON, or that `read` throws on,
// throws std::runtime_error "PATH:LINE: not WHAT (reason)"; a path that is
// there but not a regular file (a FIFO would block the start for ever)
// throws FileRefused "PATH: reason".
template <typename Read>
void read_json_lines(const std::string& path, const char* what, Read&& read) {
    std::error_code absent;
    if (!std::filesystem::exists(path, absent)) return;
    require_regular_file(path);
    std::ifstream in(path);
    if (!in) return;
    int line_number = 0;
    for (std::string line; std::getline(in, line);) {
        ++line_number;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        try {
            read(nlohmann::json::parse(line));
        } catch (const std::exception& e) {
            throw std::runtime_error(path + ":" + std::to_string(line_number) + ": not " + what + " (" + e.what() +
                                     ")");
        }
    }
}

}  // namespace dnswatch
