#include "decode/ldns_glue.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <ldns/ldns.h>

namespace dnswatch {
namespace {

// RAII for the ldns handles used here (CONVENTIONS 9).
struct LdnsRrDeleter {
    void operator()(ldns_rr* rr) const { ldns_rr_free(rr); }
};
struct LdnsBufferDeleter {
    void operator()(ldns_buffer* buffer) const { ldns_buffer_free(buffer); }
};
struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }
};
struct CharFree {
    void operator()(char* text) const { std::free(text); }
};

std::string generic_rdata(std::span<const std::uint8_t> rdata) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string text = "\\# " + std::to_string(rdata.size());
    if (!rdata.empty()) text.push_back(' ');
    for (const std::uint8_t byte : rdata) {
        text.push_back(kHex[byte >> 4]);
        text.push_back(kHex[byte & 0xF]);
    }
    return text;
}

ZoneRecord to_zone_record(const ldns_rr* rr, ldns_buffer* buffer) {
    ZoneRecord record;
    const ldns_rdf* owner = ldns_rr_owner(rr);
    std::size_t next = 0;
    read_name({ldns_rdf_data(owner), ldns_rdf_size(owner)}, 0, &record.owner, &next);
    record.type = static_cast<std::uint16_t>(ldns_rr_get_type(rr));
    record.ttl = ldns_rr_ttl(rr);
    ldns_buffer_clear(buffer);
    if (ldns_rr_rdata2buffer_wire(buffer, rr) == LDNS_STATUS_OK) {
        const std::uint8_t* data = ldns_buffer_begin(buffer);
        record.rdata.assign(data, data + ldns_buffer_position(buffer));
    }
    return record;
}

}  // namespace

std::string rrtype_to_text(std::uint16_t type) {
    std::unique_ptr<char, CharFree> text(ldns_rr_type2str(static_cast<ldns_rr_type>(type)));
    return text ? std::string(text.get()) : "TYPE" + std::to_string(type);
}

std::string rdata_to_text(std::uint16_t type, std::span<const std::uint8_t> rdata) {
    // ldns parses rdata only as part of a record: wrap it in one (root owner,
    // class IN, TTL 0) and print each rdata field.
    std::vector<std::uint8_t> wire = {0, static_cast<std::uint8_t>(type >> 8), static_cast<std::uint8_t>(type),
                                      0, 1, 0, 0, 0, 0,
                                      static_cast<std::uint8_t>(rdata.size() >> 8),
                                      static_cast<std::uint8_t>(rdata.size())};
    wire.insert(wire.end(), rdata.begin(), rdata.end());
    ldns_rr* raw = nullptr;
    std::size_t pos = 0;
    if (rdata.size() > 65535 ||
        ldns_wire2rr(&raw, wire.data(), wire.size(), &pos, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK) {
        return generic_rdata(rdata);
    }
    std::unique_ptr<ldns_rr, LdnsRrDeleter> rr(raw);
    std::string text;
    for (std::size_t i = 0; i < ldns_rr_rd_count(rr.get()); ++i) {
        std::unique_ptr<char, CharFree> field(ldns_rdf2str(ldns_rr_rdf(rr.get(), i)));
        if (!field) return generic_rdata(rdata);
        if (i > 0) text.push_back(' ');
        text += field.get();
    }
    return text;
}

ZoneRecord record_from_text(const std::string& text) {
    ldns_rr* raw = nullptr;
    const ldns_status status = ldns_rr_new_frm_str(&raw, text.c_str(), 3600, nullptr, nullptr);
    if (status != LDNS_STATUS_OK) throw std::invalid_argument(ldns_get_errorstr_by_id(status));
    std::unique_ptr<ldns_rr, LdnsRrDeleter> rr(raw);
    std::unique_ptr<ldns_buffer, LdnsBufferDeleter> buffer(ldns_buffer_new(4096));
    return to_zone_record(rr.get(), buffer.get());
}

namespace {

std::string zone_file_location(const std::string& file, int line, int column) {
    // Appended piece by piece, not ":" + std::to_string(...): GCC 12 at
    // -O3 warns on that (-Wrestrict, a false positive of GCC 12).
    std::string where = file;
    where += ':';
    where += std::to_string(line);
    if (column > 0) {
        where += ':';
        where += std::to_string(column);
    }
    return where;
}

}  // namespace

ZoneFileError::ZoneFileError(const std::string& file, int line, const std::string& reason)
    : ZoneFileError(file, line, 0, reason) {}

ZoneFileError::ZoneFileError(const std::string& file, int line, int column, const std::string& reason)
    : std::runtime_error(zone_file_location(file, line, column) + ": " + reason),
      file_(file),
      line_(line),
      column_(column),
      reason_(reason) {}

std::optional<std::uint16_t> rrtype_from_text(std::string_view text) {
    // ldns answers 0 for a name it does not know; "TYPE0" is refused too.
    if (text.empty() || text.size() > 32) return std::nullopt;
    const std::string name(text);
    const ldns_rr_type type = ldns_get_rr_type_by_name(name.c_str());
    if (type == 0 || static_cast<unsigned>(type) > 0xFFFF) return std::nullopt;
    return static_cast<std::uint16_t>(type);
}

std::vector<std::uint8_t> rdata_from_text(std::uint16_t type, std::string_view rdata_text,
                                          const std::optional<std::string>& origin) {
    // The owner, TTL and class do not change how ldns reads rdata (the SOA's
    // owner stands in for a missing origin, but the caller passes one).
    const std::string text = ". 0 IN TYPE" + std::to_string(type) + " " + std::string(rdata_text);
    ldns_rdf* origin_rdf = nullptr;
    if (origin) {
        origin_rdf = ldns_dname_new_frm_str(origin->c_str());
        if (origin_rdf == nullptr) throw std::invalid_argument("bad origin '" + *origin + "'");
    }
    struct RdfDeleter {
        void operator()(ldns_rdf* rdf) const { ldns_rdf_deep_free(rdf); }
    };
    const std::unique_ptr<ldns_rdf, RdfDeleter> origin_owner(origin_rdf);
    ldns_rr* raw = nullptr;
    const ldns_status status = ldns_rr_new_frm_str(&raw, text.c_str(), 0, origin_rdf, nullptr);
    if (status != LDNS_STATUS_OK) throw std::invalid_argument(ldns_get_errorstr_by_id(status));
    const std::unique_ptr<ldns_rr, LdnsRrDeleter> rr(raw);
    const std::unique_ptr<ldns_buffer, LdnsBufferDeleter> buffer(ldns_buffer_new(4096));
    if (ldns_rr_rdata2buffer_wire(buffer.get(), rr.get()) != LDNS_STATUS_OK) {
        throw std::invalid_argument("ldns cannot write the rdata");
    }
    const std::uint8_t* data = ldns_buffer_begin(buffer.get());
    return {data, data + ldns_buffer_position(buffer.get())};
}

namespace {

// Reads record by record rather than with ldns_zone_new_frm_fp_l, which
// leaks the records read so far when it meets a bad one.
std::vector<ZoneRecord> read_zone_file_with(const std::string& path, const std::optional<std::string>& origin) {
    std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "r"));
    if (!file) throw ZoneFileError(path, 0, std::string("cannot open: ") + std::strerror(errno));

    // ldns replaces (and frees) these as $ORIGIN lines and owners go by.
    ldns_rdf* current_origin = nullptr;
    ldns_rdf* previous_owner = nullptr;
    if (origin) {
        current_origin = ldns_dname_new_frm_str(origin->c_str());
        if (current_origin == nullptr) throw ZoneFileError(path, 0, "bad origin '" + *origin + "'");
        previous_owner = ldns_rdf_clone(current_origin);
    }
    struct Names {
        ldns_rdf*& origin;
        ldns_rdf*& previous;
        ~Names() {
            if (origin) ldns_rdf_deep_free(origin);
            if (previous) ldns_rdf_deep_free(previous);
        }
    } names{current_origin, previous_owner};

    std::unique_ptr<ldns_buffer, LdnsBufferDeleter> buffer(ldns_buffer_new(4096));
    std::vector<ZoneRecord> records;
    std::uint32_t default_ttl = 3600;
    int line = 1;
    while (!std::feof(file.get())) {
        ldns_rr* raw = nullptr;
        const ldns_status status =
            ldns_rr_new_frm_fp_l(&raw, file.get(), &default_ttl, &current_origin, &previous_owner, &line);
        std::unique_ptr<ldns_rr, LdnsRrDeleter> rr(raw);
        if (status == LDNS_STATUS_OK) {
            records.push_back(to_zone_record(rr.get(), buffer.get()));
            continue;
        }
        if (status == LDNS_STATUS_SYNTAX_EMPTY || status == LDNS_STATUS_SYNTAX_TTL ||
            status == LDNS_STATUS_SYNTAX_ORIGIN) {
            continue;
        }
        // ldns reads past the bad record (its newline, and blank lines after
        // it) before giving up, and counts those lines: step back over them
        // so that the line named is the record's last line.
        for (long pos = std::ftell(file.get()) - 1; line > 1 && pos >= 0; --pos) {
            if (std::fseek(file.get(), pos, SEEK_SET) != 0) break;
            const int c = std::fgetc(file.get());
            if (c == '\n') {
                --line;
            } else if (c != ' ' && c != '\t' && c != '\r') {
                break;
            }
        }
        std::string reason = status == LDNS_STATUS_SYNTAX_INCLUDE ? std::string("$INCLUDE is not supported")
                                                                  : ldns_get_errorstr_by_id(status);
        throw ZoneFileError(path, line, reason);
    }
    return records;
}

bool same_records(const std::vector<ZoneRecord>& a, const std::vector<ZoneRecord>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (!(a[i].owner == b[i].owner) || a[i].type != b[i].type || a[i].rdata != b[i].rdata) return false;
    }
    return true;
}

}  // namespace

std::vector<ZoneRecord> read_zone_file(const std::string& path, const std::optional<std::string>& origin) {
    std::vector<ZoneRecord> records = read_zone_file_with(path, origin);
    if (!origin) {
        // Without an origin ldns silently reads relative names ("@", "www")
        // as children of the root. Read the file again under another origin:
        // if anything changes, the file relied on an origin it does not set.
        const auto probe = read_zone_file_with(path, std::string("origin-probe.dnswatch.invalid."));
        if (!same_records(records, probe)) {
            throw ZoneFileError(path, 1, "relative names but no $ORIGIN: add '$ORIGIN <zone>.' at the top");
        }
    }
    return records;
}

}  // namespace dnswatch
