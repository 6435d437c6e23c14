// What the file- and message-shaped fuzz targets share: a scratch folder of
// their own (per process, so that parallel fuzzers do not meet), writing
// the input (or a part of it) there, and cutting an input into parts.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dnswatch::fuzz {

// /tmp/dnswatch-fuzz-<target>.<pid>/, created once, emptied of nothing: the
// targets overwrite the files they use.
inline const std::string& scratch_dir(const char* target) {
    static const std::string dir = [target] {
        const std::string path = "/tmp/dnswatch-fuzz-" + std::string(target) + "." + std::to_string(::getpid());
        std::filesystem::create_directories(path);
        return path;
    }();
    return dir;
}

inline bool write_file(const std::string& path, std::span<const std::uint8_t> bytes) {
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (file == nullptr) return false;
    const bool written = bytes.empty() || std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size();
    return std::fclose(file) == 0 && written;
}

inline bool write_file(const std::string& path, std::string_view text) {
    return write_file(path, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

// The input's parts: each a 2-byte big-endian length and that many bytes
// (fewer when the input ends first), as fuzz_packet_path reads its frames.
inline std::vector<std::span<const std::uint8_t>> parts_of(std::span<const std::uint8_t> input) {
    std::vector<std::span<const std::uint8_t>> parts;
    std::size_t pos = 0;
    while (input.size() - pos >= 2) {
        const std::size_t length =
            std::min<std::size_t>((std::size_t{input[pos]} << 8) | input[pos + 1], input.size() - pos - 2);
        parts.push_back(input.subspan(pos + 2, length));
        pos += 2 + length;
    }
    return parts;
}

inline std::string text_of(std::span<const std::uint8_t> bytes) {
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

}  // namespace dnswatch::fuzz
