// Where the decoder tests find their inputs: the shared corpus of captures
// (read in place), the bundled samples, and the fuzzers' seed corpora.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace dnswatch::test {

// Every regular file below `dir` (recursively) whose name ends with one of
// `suffixes` (all files when empty), sorted; empty when `dir` does not exist.
inline std::vector<std::string> files_under(const std::string& dir, const std::vector<std::string>& suffixes = {}) {
    namespace fs = std::filesystem;
    std::vector<std::string> files;
    std::error_code error;
    if (!fs::is_directory(dir, error)) return files;
    for (auto it = fs::recursive_directory_iterator(dir, error); !error && it != fs::recursive_directory_iterator();
         it.increment(error)) {
        if (!it->is_regular_file(error)) continue;
        const std::string path = it->path().string();
        const bool wanted = suffixes.empty() || std::any_of(suffixes.begin(), suffixes.end(), [&](const auto& s) {
                                return path.size() >= s.size() && path.compare(path.size() - s.size(), s.size(), s) == 0;
                            });
        if (wanted) files.push_back(path);
    }
    std::sort(files.begin(), files.end());
    return files;
}

inline std::vector<std::string> capture_files(const std::string& dir) {
    return files_under(dir, {".pcap", ".pcapng"});
}

inline std::vector<std::uint8_t> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace dnswatch::test
