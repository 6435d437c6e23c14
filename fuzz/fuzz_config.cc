// libFuzzer target: one config file (YAML), read by load_config as
// `dnswatch check-config` and every command read it. Beside it in its folder
// are the files a config may name (victim.test.zone, test.zone, feed.jsonl),
// so that inputs get past the file checks. Checks: a refusal is a
// ConfigError whose every issue names the file, a line and column within
// it (or 0:0 for the file as a whole) and a message; an accepted config
// printed by to_yaml (what check-config prints) reads back to the same
// text: the effective config is itself a valid config.
#include <cstdint>
#include <string>

#include "config/config.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_input.h"

namespace dnswatch {
namespace {

const std::string& folder() {
    static const std::string dir = [] {
        const std::string d = fuzz::scratch_dir("config");
        fuzz::write_file(d + "/victim.test.zone",
                         "$ORIGIN victim.test.\n@ 3600 IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
                         "@ 3600 IN NS ns1\nns1 3600 IN A 192.0.2.1\n");
        fuzz::write_file(d + "/test.zone", "test. 3600 IN SOA ns1.test. h.test. 1 7200 3600 1209600 300\n");
        fuzz::write_file(d + "/feed.jsonl", "");
        fuzz::write_file(d + "/zones.txt", "victim.test\n");
        return d;
    }();
    return dir;
}

std::size_t line_count(std::string_view text) {
    std::size_t lines = 1;
    for (const char c : text) lines += c == '\n';
    return lines;
}

}  // namespace
}  // namespace dnswatch

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace dnswatch;
    const std::string path = folder() + "/dnswatch.yaml";
    if (!fuzz::write_file(path, std::span(data, size))) return 0;
    const std::string text = fuzz::text_of(std::span(data, size));
    std::string printed;
    try {
        printed = to_yaml(load_config(path));
    } catch (const ConfigError& error) {
        FUZZ_CHECK(!error.issues().empty());
        for (const ConfigIssue& issue : error.issues()) {
            FUZZ_CHECK(issue.file == path);
            FUZZ_CHECK(!issue.message.empty());
            FUZZ_CHECK(issue.line >= 0 && issue.column >= 0);
            FUZZ_CHECK(static_cast<std::size_t>(issue.line) <= line_count(text) + 1);
        }
        return 0;
    }
    const std::string again_path = folder() + "/effective.yaml";
    FUZZ_CHECK(fuzz::write_file(again_path, printed));
    std::string printed_again;
    try {
        printed_again = to_yaml(load_config(again_path));
    } catch (const ConfigError& error) {
        std::fprintf(stderr, "the effective config is refused: %s\n%s", error.what(), printed.c_str());
        FUZZ_CHECK(false);
    }
    FUZZ_CHECK(printed_again == printed);
    return 0;
}
