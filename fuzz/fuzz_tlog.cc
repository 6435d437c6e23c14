// libFuzzer target: the transparency log as a restarted sensor, `dnswatch
// tlog verify` and an auditor read it. Byte 0 picks:
//   0  a signed checkpoint note: open_note with the log's verifier, then
//      parse_checkpoint on the text (and on the raw input)
//   1  a log folder: the rest holds three parts (2-byte length each, see
//      fuzz_input.h): DIR/checkpoint, DIR/entries, DIR/hashes. verify_log
//      reads it as `tlog verify` does; then TransparencyLog opens it as a
//      restarted sensor does, and appends an entry.
// Checks: a note opens only when signed by the key (a fuzzed note is never
// signed, so open_note must refuse everything but the seeds' genuine ones);
// a refused folder is a TransparencyLogError or std::runtime_error; a log
// that opens has a root that verify_log then agrees with.
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_input.h"
#include "publish/log_files.h"
#include "publish/signed_note.h"
#include "publish/transparency_log.h"

namespace dnswatch {
namespace {

// The seeds' key (fuzz/make-input-seeds signs its notes with it): fixed,
// so that genuine notes in the corpus open and the fuzzer can mutate them.
const NoteSigner& signer() {
    static const NoteSigner key = *NoteSigner::parse(
        "PRIVATE+KEY+fuzz.dnswatch.test/log+98109bf0+AaqHZsWmGv2dCF0VJ0Ov4VVmecN1vcChyzkvZy3aOLTk");
    return key;
}

void note(std::string_view text) {
    if (const auto opened = open_note(text, signer().verifier())) {
        FUZZ_CHECK(text.starts_with(*opened));
        if (const auto checkpoint = parse_checkpoint(*opened)) FUZZ_CHECK(!checkpoint->origin.empty());
    }
    (void)parse_checkpoint(text);
}

void folder(std::span<const std::uint8_t> input) {
    const std::string dir = fuzz::scratch_dir("tlog") + "/log";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const auto parts = fuzz::parts_of(input);
    const std::string files[] = {log_checkpoint_path(dir), log_entries_path(dir, 0), log_hashes_path(dir)};
    for (std::size_t i = 0; i < parts.size() && i < 3; ++i) {
        if (!fuzz::write_file(files[i], parts[i])) return;
    }
    const LogVerification before = verify_log(dir, signer().verifier());
    FUZZ_CHECK(!before.message.empty());
    try {
        TransparencyLog log(dir, signer(), false);
        const std::uint64_t size = log.size();
        FUZZ_CHECK(log.append("{\"fuzz\":true}") == size);
        log.write_checkpoint();
        const LogVerification after = verify_log(dir, signer().verifier());
        FUZZ_CHECK(after.ok);
        FUZZ_CHECK(after.entries == size + 1);
    } catch (const std::runtime_error&) {
        // Refused at start, with its reason: the sensor does not sign over it.
    }
}

}  // namespace
}  // namespace dnswatch

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace dnswatch;
    if (size == 0) return 0;
    const std::span<const std::uint8_t> rest(data + 1, size - 1);
    if (data[0] % 2 == 0) {
        note(fuzz::text_of(rest));
    } else {
        folder(rest);
    }
    return 0;
}
