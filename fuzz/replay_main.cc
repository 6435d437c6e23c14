// Runs a fuzz target without libFuzzer, on every file of its seed corpus
// (DNSWATCH_SEED_DIR, searched recursively) or of the files and folders
// named on the command line. This is how ctest keeps the seeds and every
// minimised crash reproducer passing, with any compiler, under ASan+UBSan.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/fuzz_check.h"

namespace {

std::vector<std::filesystem::path> inputs_of(const std::filesystem::path& path) {
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(path)) {
        for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
            if (entry.is_regular_file()) files.push_back(entry.path());
        }
        std::sort(files.begin(), files.end());
    } else {
        files.push_back(path);
    }
    return files;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::filesystem::path> roots;
    for (int i = 1; i < argc; ++i) roots.emplace_back(argv[i]);
    if (roots.empty()) roots.emplace_back(DNSWATCH_SEED_DIR);

    std::size_t count = 0, bytes = 0;
    for (const auto& root : roots) {
        if (!std::filesystem::exists(root)) {
            std::fprintf(stderr, "%s: no such file or folder\n", root.c_str());
            return 2;
        }
        for (const auto& file : inputs_of(root)) {
            std::ifstream in(file, std::ios::binary);
            const std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            if (!in.good() && !in.eof()) {
                std::fprintf(stderr, "%s: cannot read\n", file.c_str());
                return 2;
            }
            // A copy of exactly the input's size, so that ASan sees a read past its end.
            const std::vector<std::uint8_t> data(raw.begin(), raw.end());
            LLVMFuzzerTestOneInput(data.data(), data.size());
            ++count;
            bytes += data.size();
        }
    }
    if (count == 0) {
        std::fprintf(stderr, "no inputs found\n");
        return 2;
    }
    std::printf("%zu inputs (%zu bytes) ran without a failure\n", count, bytes);
    return 0;
}
