// libFuzzer target: one zone file, read by read_zone (baseline/zone_reader.h)
// under the origin "Fuzz.Test." and, where it accepts the file, by ldns
// (read_zone_file) too. Checks that a refusal names the file, line and
// column; that every record is well formed (rdata within 65,535 bytes, an
// owner that round-trips through its text form); that reading with
// zone "fuzz.test" refuses exactly the files with an owner outside it; and,
// where ldns accepts the file too, that both give the same records, byte
// for byte. The one place where the reader is right and ldns is not and
// both accept: "$TTL 0" (ldns gives 3600 to the records that follow).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "baseline/zone_reader.h"
#include "decode/ldns_glue.h"
#include "fuzz/fuzz_check.h"

namespace dnswatch {
namespace {

const std::string& input_path() {
    static const std::string path = "/tmp/fuzz_zone_reader." + std::to_string(::getpid()) + ".zone";
    return path;
}

bool write_input(const std::uint8_t* data, std::size_t size) {
    std::FILE* file = std::fopen(input_path().c_str(), "wb");
    if (file == nullptr) return false;
    const bool written = std::fwrite(data, 1, size, file) == size;
    return std::fclose(file) == 0 && written;
}

// read_zone_records, or nullopt when it refuses the file (checking how).
std::optional<std::vector<ZoneRecord>> read_ours(const ZoneReadOptions& options) {
    try {
        return read_zone_records(input_path(), options);
    } catch (const ZoneFileError& error) {
        const std::string what = error.what();
        FUZZ_CHECK(what.rfind(input_path() + ":", 0) == 0);
        FUZZ_CHECK(error.line() >= 1 && error.column() >= 1);
        FUZZ_CHECK(!error.reason().empty());
        return std::nullopt;
    }
}

void check_record(const ZoneRecord& record) {
    FUZZ_CHECK(record.type != 0);
    FUZZ_CHECK(record.rdata.size() <= 65535);
    FUZZ_CHECK(record.owner.length >= 1);
    const auto again = DnsName::from_text(record.owner.to_text());
    FUZZ_CHECK(again && *again == record.owner && again->label_count == record.owner.label_count);
}

}  // namespace
}  // namespace dnswatch

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace dnswatch;
    if (!write_input(data, size)) return 0;
    const std::string origin = "Fuzz.Test.";
    const auto ours = read_ours(ZoneReadOptions{origin, std::nullopt});
    const auto in_zone = read_ours(ZoneReadOptions{origin, std::string("fuzz.test")});
    if (!ours) {
        FUZZ_CHECK(!in_zone);
        return 0;
    }
    const DnsName zone = *DnsName::from_text("fuzz.test");
    bool all_in_zone = true;
    for (const ZoneRecord& record : *ours) {
        check_record(record);
        all_in_zone = all_in_zone && record.owner.is_at_or_below(zone);
    }
    FUZZ_CHECK(in_zone.has_value() == all_in_zone);
    if (in_zone) FUZZ_CHECK(in_zone->size() == ours->size());

    std::vector<ZoneRecord> theirs;
    try {
        theirs = read_zone_file(input_path(), origin);
    } catch (const ZoneFileError&) {
        return 0;  // stricter than ldns is fine; laxer is what the check below finds
    }
    FUZZ_CHECK(theirs.size() == ours->size());
    for (std::size_t i = 0; i < theirs.size(); ++i) {
        const ZoneRecord& a = (*ours)[i];
        const ZoneRecord& b = theirs[i];
        FUZZ_CHECK(a.owner == b.owner);
        FUZZ_CHECK(a.type == b.type);
        FUZZ_CHECK(a.rdata == b.rdata);
        FUZZ_CHECK(a.ttl == b.ttl || (a.ttl == 0 && b.ttl == 3600));
    }
    return 0;
}
