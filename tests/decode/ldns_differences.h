// The documented differences between ldns 1.8.3 and our decoder, each a
// named predicate that recognises it, and the tally that counts them: the
// vocabulary of ldns_differential_test.cc (which explains the comparison).
#pragma once

#include <gtest/gtest.h>

#include <ldns/ldns.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "decode/dns_message.h"
#include "decode/ldns_glue.h"
#include "decode/rdata.h"

namespace dnswatch::ldns_differential {

struct LdnsFree {
    void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
    void operator()(ldns_rr* r) const { ldns_rr_free(r); }
    void operator()(ldns_buffer* b) const { ldns_buffer_free(b); }
    void operator()(char* s) const { std::free(s); }
};
using PktPtr = std::unique_ptr<ldns_pkt, LdnsFree>;
using RrPtr = std::unique_ptr<ldns_rr, LdnsFree>;
using BufferPtr = std::unique_ptr<ldns_buffer, LdnsFree>;
using TextPtr = std::unique_ptr<char, LdnsFree>;

// ------------------------------------------------ the documented differences

enum class Difference : std::size_t {
    ldns_follows_forward_pointers,
    ldns_allows_long_pointer_chains,
    ldns_follows_pointers_into_header,
    ldns_refuses_message_for_one_rdata,
    ldns_checks_fields_of_types_we_keep_opaque,
    ldns_ignores_bytes_after_last_field,
    ldns_reads_rdata_names_past_rdlength,
    ldns_accepts_missing_fields,
    ldns_accepts_empty_rdata,
    ldns_keeps_case_we_fold,
    ldns_cannot_print_rdata_it_reads,
    ldns_moves_opt_and_tsig,
    ldns_reads_fewer_records_after_tsig,
    ldns_takes_last_of_several_opt,
    ldns_accepts_opt_with_non_root_owner,
    ldns_keeps_opt_outside_additional,
    views_check_values_ldns_does_not,
    edns_options_checked_ldns_does_not,
    count
};

struct DifferenceInfo {
    const char* name;
    const char* meaning;
};

inline constexpr std::array<DifferenceInfo, static_cast<std::size_t>(Difference::count)> kDifferences = {{
    {"ldns_follows_forward_pointers",
     "ldns follows compression pointers that point at or after themselves; we reject them (CONVENTIONS 1)"},
    {"ldns_allows_long_pointer_chains",
     "ldns follows up to 65,535 pointers and lets labels read after a jump run past the pointer; "
     "every jump must shrink our readable window, with a 128-hop cap (CONVENTIONS 1)"},
    {"ldns_follows_pointers_into_header",
     "ldns refuses a compression pointer to offset 0 only, and follows one to offsets 1..11, reading "
     "the header's id and counts as labels; we refuse every pointer into the 12-byte header"},
    {"ldns_refuses_message_for_one_rdata",
     "ldns refuses the whole message when one record's rdata does not fit its type; we decode the "
     "message and refuse that record's rdata when it is read (CONVENTIONS 4)"},
    {"ldns_checks_fields_of_types_we_keep_opaque",
     "ldns reads the fields of types whose rdata we compare as opaque bytes (TSIG, TKEY, LOC, HIP, "
     "IPSECKEY...) and refuses the message when one is cut short or holds a bad name"},
    {"ldns_ignores_bytes_after_last_field",
     "ldns stops reading rdata at the type's last field and reads the next record from there, ignoring "
     "rdlength; we refuse rdata with bytes after its last field and go by rdlength"},
    {"ldns_reads_rdata_names_past_rdlength",
     "ldns reads a name in rdata up to the end of the message; we bound every rdata field by rdlength"},
    {"ldns_accepts_missing_fields",
     "ldns reads rdata field by field until rdlength without checking the type's minimum (an MX "
     "without exchange, an SOA without timers); we refuse rdata that lacks fields"},
    {"ldns_accepts_empty_rdata",
     "rdlength 0 gives an ldns record without fields for any type (RFC 2136 UPDATE deletes and "
     "prerequisites use them with class ANY/NONE); such rdata has no canonical form for us"},
    {"ldns_keeps_case_we_fold",
     "ldns_rr2canonical keeps the case of the NSEC next name (RFC 6840 5.1) and of the SVCB/HTTPS "
     "target; our canonical rdata folds it, since case never makes a divergence"},
    {"ldns_cannot_print_rdata_it_reads",
     "ldns reads the rdata but ldns_rdf2str fails on a field (a LOC of the wrong size, SvcParams whose "
     "values break their layout); rdata_to_text then falls back to the RFC 3597 generic form"},
    {"ldns_moves_opt_and_tsig",
     "ldns takes OPT and TSIG out of the additional section (into ldns_pkt_edns_* and ldns_pkt_tsig) "
     "and lowers ARCOUNT; we keep every record in place (compared through read_edns instead)"},
    {"ldns_reads_fewer_records_after_tsig",
     "ldns lowers ARCOUNT for a TSIG while it reads the additional section, so it reads one record "
     "fewer than claimed after it: a message missing its last record passes; we refuse it"},
    {"ldns_takes_last_of_several_opt",
     "several OPT records (FORMERR, RFC 6891 6.1.1): ldns keeps the last one's fields; read_edns "
     "describes the first and reports multiple_opt"},
    {"ldns_accepts_opt_with_non_root_owner",
     "ldns takes an OPT record as EDNS whatever its owner; read_edns reports opt_not_root"},
    {"ldns_keeps_opt_outside_additional",
     "an OPT record in the answer or authority section: ldns keeps it there as a record; read_edns "
     "reports opt_outside_additional"},
    {"views_check_values_ldns_does_not",
     "rdata with a canonical form whose typed view refuses a value ldns 1.8.3 does not check when "
     "reading: DS/TLSA/NSEC3 digest sizes, CAA tag characters, type-bitmap windows, SvcParam order "
     "and values, empty keys or signatures"},
    {"edns_options_checked_ldns_does_not",
     "an EDNS option whose value breaks its RFC layout (ECS prefixes and address, COOKIE sizes, EDE, "
     "keepalive, expire, key-tag); ldns keeps options as opaque bytes"},
}};

// ------------------------------------------------ the tally

class Tally {
public:
    static inline std::size_t kMaxPrinted = 40;

    void count(Difference d, const std::string& where) {
        const auto i = static_cast<std::size_t>(d);
        if (counts_[i]++ == 0) examples_[i] = where;
    }
    void detail(const std::string& key) { ++details_[key]; }
    // `what` names the disagreement; `where` is the input it was seen in.
    void unexplained(const std::string& where, const std::string& what) {
        if (++unexplained_ <= kMaxPrinted) ADD_FAILURE() << where << ": " << what;
        std::string kind;  // what, without the numbers and quoted text that vary
        bool quoted = false;
        for (const char c : what) {
            if (c == '"') quoted = !quoted;
            if (!quoted && c != '"' && !(c >= '0' && c <= '9')) kind.push_back(c);
        }
        ++details_["  unexplained: " + kind];
    }
    std::size_t of(Difference d) const { return counts_[static_cast<std::size_t>(d)]; }
    std::size_t unexplained_count() const { return unexplained_; }

    void print() const {
        std::printf("documented differences (count, first seen):\n");
        for (std::size_t i = 0; i < kDifferences.size(); ++i) {
            std::printf("  %-38s %6zu  %s\n", kDifferences[i].name, counts_[i],
                        counts_[i] > 0 ? examples_[i].c_str() : "");
        }
        for (const auto& [key, n] : details_) std::printf("  %-60s %6zu\n", key.c_str(), n);
        std::printf("unexplained: %zu\n", unexplained_);
    }

    std::size_t records_in_compared_messages = 0, opt_records_not_compared = 0;
    std::size_t inputs = 0, messages_compared = 0, both_refuse = 0, records_compared = 0, rdata_equal = 0,
                text_equal = 0, views_checked = 0, edns_compared = 0, edns_options_compared = 0;
    std::map<std::string, std::size_t> inputs_by_source;

private:
    std::array<std::size_t, kDifferences.size()> counts_{};
    std::array<std::string, kDifferences.size()> examples_{};
    std::map<std::string, std::size_t> details_;
    std::size_t unexplained_ = 0;
};

// ------------------------------------------------ ldns helpers

inline std::string ldns_rdata_text(const ldns_rr* rr) {
    std::string text;
    for (std::size_t i = 0; i < ldns_rr_rd_count(rr); ++i) {
        TextPtr field(ldns_rdf2str(ldns_rr_rdf(rr, i)));
        if (i > 0) text.push_back(' ');
        text += field ? field.get() : "<?>";
    }
    return text;
}

inline std::vector<std::uint8_t> rdf_bytes(const ldns_rdf* rdf) {
    if (rdf == nullptr) return {};
    return {ldns_rdf_data(rdf), ldns_rdf_data(rdf) + ldns_rdf_size(rdf)};
}

inline std::vector<std::uint8_t> lower_name(const ldns_rdf* rdf) {
    std::vector<std::uint8_t> bytes = rdf_bytes(rdf);
    for (auto& c : bytes) {
        if (c >= 'A' && c <= 'Z') c = static_cast<std::uint8_t>(c | 0x20);  // label lengths are < 'A'
    }
    return bytes;
}

// ldns's canonical rdata of `rr`: ldns_rr2canonical, then optionally every
// name field lower-cased too, written uncompressed.
inline std::vector<std::uint8_t> ldns_canonical_rdata(const ldns_rr* rr, bool fold_every_name) {
    RrPtr clone(ldns_rr_clone(rr));
    ldns_rr2canonical(clone.get());
    if (fold_every_name) {
        for (std::size_t i = 0; i < ldns_rr_rd_count(clone.get()); ++i) {
            if (ldns_rdf_get_type(ldns_rr_rdf(clone.get(), i)) == LDNS_RDF_TYPE_DNAME) {
                ldns_dname2canonical(ldns_rr_rdf(clone.get(), i));
            }
        }
    }
    BufferPtr buffer(ldns_buffer_new(512));
    ldns_rr_rdata2buffer_wire(buffer.get(), clone.get());
    const std::uint8_t* data = ldns_buffer_begin(buffer.get());
    return {data, data + ldns_buffer_position(buffer.get())};
}

inline std::span<const std::uint8_t> bytes_of(const DnsName& name) { return name.bytes(); }
inline std::vector<std::uint8_t> vec(std::span<const std::uint8_t> s) { return {s.begin(), s.end()}; }

// ------------------------------------------------ the predicates

// CONVENTIONS 1: ldns_wire2dname accepts any pointer target inside the message.
inline bool ldns_follows_forward_pointers(MalformedKind ours) { return ours == MalformedKind::dns_forward_pointer; }

// CONVENTIONS 1: LDNS_MAX_POINTERS is 65,535, and ldns does not shrink the window.
inline bool ldns_allows_long_pointer_chains(MalformedKind ours) { return ours == MalformedKind::dns_pointer_loop; }

// ldns_wire2rdf fails the message on one field that does not fit; we fail
// that record's rdata only.
inline bool ldns_refuses_message_for_one_rdata(const DnsMessageView& view) {
    std::vector<std::uint8_t> scratch;
    for (const RecordView& r : view.records) {
        scratch.clear();
        if (append_canonical_rdata(view.wire, r.type, r.rdata_offset, r.rdata_length, scratch) !=
            MalformedKind::none) {
            return true;
        }
    }
    return false;
}

// ldns_wire2dname refuses pointer_target == 0 only; we refuse 0..11.
inline bool ldns_follows_pointers_into_header(MalformedKind ours) {
    return ours == MalformedKind::dns_pointer_into_header;
}

// A record whose canonical rdata is its bytes as they are (no name to
// decompress or fold) but that ldns_wire2rr cannot read: ldns checks a
// layout inside what we compare as opaque bytes.
inline bool ldns_checks_fields_of_types_we_keep_opaque(const DnsMessageView& view);

// Where ldns_wire2rr, started at a record's owner, stops reading it.
inline std::optional<std::size_t> ldns_record_end(std::span<const std::uint8_t> wire, const RecordView& r) {
    ldns_rr* raw = nullptr;
    std::size_t pos = r.owner_offset;
    if (ldns_wire2rr(&raw, wire.data(), wire.size(), &pos, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK) return std::nullopt;
    ldns_rr_free(raw);
    return pos;
}

// ldns_wire2rdf stops at the descriptor's maximum field count, not at rdlength.
inline bool ldns_ignores_bytes_after_last_field(std::span<const std::uint8_t> wire, const RecordView& r) {
    const auto end = ldns_record_end(wire, r);
    return end && *end < std::size_t{r.rdata_offset} + r.rdata_length;
}

// ldns_wire2dname is given the message's end, not the rdata's.
inline bool ldns_reads_rdata_names_past_rdlength(std::span<const std::uint8_t> wire, const RecordView& r) {
    const auto end = ldns_record_end(wire, r);
    return end && *end > std::size_t{r.rdata_offset} + r.rdata_length;
}

// Walks the records of a message the way our decoder does (by rdlength), as
// far as it can, and returns the first record where ldns_wire2rr, started at
// the same owner, ends elsewhere: from there on the two read different records.
inline std::optional<Difference> ldns_record_boundary_difference(std::span<const std::uint8_t> wire) {
    DnsDecoder decoder;
    DnsMessageView view;
    if (decoder.decode_question(wire, view) != MalformedKind::none) return std::nullopt;
    const DnsHeader& h = view.header;
    std::size_t pos = view.records_offset;
    for (std::size_t i = 0; i < std::size_t{h.ancount} + h.nscount + h.arcount; ++i) {
        std::size_t next = 0;
        if (read_name(wire, pos, nullptr, &next) != MalformedKind::none || next + 10 > wire.size()) break;
        RecordView r;
        r.owner_offset = static_cast<std::uint16_t>(pos);
        r.rdata_offset = static_cast<std::uint16_t>(next + 10);
        r.rdata_length = static_cast<std::uint16_t>((wire[next + 8] << 8) | wire[next + 9]);
        if (ldns_ignores_bytes_after_last_field(wire, r)) return Difference::ldns_ignores_bytes_after_last_field;
        if (ldns_reads_rdata_names_past_rdlength(wire, r)) return Difference::ldns_reads_rdata_names_past_rdlength;
        pos = std::size_t{r.rdata_offset} + r.rdata_length;
        if (pos > wire.size()) break;
    }
    return std::nullopt;
}

inline bool ldns_checks_fields_of_types_we_keep_opaque(const DnsMessageView& view) {
    std::vector<std::uint8_t> canonical;
    for (const RecordView& r : view.records) {
        canonical.clear();
        if (append_canonical_rdata(view.wire, r.type, r.rdata_offset, r.rdata_length, canonical) !=
            MalformedKind::none) {
            continue;
        }
        const auto raw = view.rdata(r);
        if (std::equal(raw.begin(), raw.end(), canonical.begin(), canonical.end()) && !ldns_record_end(view.wire, r)) {
            return true;
        }
    }
    return false;
}

// ldns_wire2pkt decrements ARCOUNT for each TSIG inside the loop bounded by
// it, so it reads fewer records than the header claims.
inline bool ldns_reads_fewer_records_after_tsig(const ldns_pkt* pkt, const DnsHeader& header) {
    if (ldns_pkt_tsig(pkt) == nullptr) return false;
    const std::size_t read = ldns_rr_list_rr_count(ldns_pkt_answer(pkt)) +
                             ldns_rr_list_rr_count(ldns_pkt_authority(pkt)) +
                             ldns_rr_list_rr_count(ldns_pkt_additional(pkt)) + 1 /* the TSIG */ +
                             (ldns_pkt_edns(pkt) ? 1 : 0);
    return read < std::size_t{header.ancount} + header.nscount + header.arcount;
}

// ldns_wire2rdf never checks ldns_rr_descriptor_minimum.
inline bool ldns_accepts_missing_fields(const ldns_rr* rr, const RecordView& r) {
    return r.rdata_length > 0 && ldns_rr_rd_count(rr) < ldns_rr_descriptor_minimum(ldns_rr_descript(r.type));
}

inline bool ldns_accepts_empty_rdata(const RecordView& r) { return r.rdata_length == 0; }

// RFC 6840 5.1 and RFC 9460 keep these names' case; our comparison form folds it.
inline bool ldns_keeps_case_we_fold(const RecordView& r, const std::vector<std::uint8_t>& ours, const ldns_rr* rr) {
    return (r.type == rrtype::NSEC || r.type == rrtype::SVCB || r.type == rrtype::HTTPS) &&
           ours == ldns_canonical_rdata(rr, true);
}

// ldns_rdf2str returns NULL for a field it cannot print; rdata_to_text then
// prints the whole rdata in the RFC 3597 generic form instead.
inline bool ldns_cannot_print_rdata_it_reads(const std::string& ours_text, const ldns_rr* rr) {
    for (std::size_t i = 0; i < ldns_rr_rd_count(rr); ++i) {
        TextPtr text(ldns_rdf2str(ldns_rr_rdf(rr, i)));
        if (!text) return ours_text.rfind("\\# ", 0) == 0;
    }
    return false;
}

}  // namespace dnswatch::ldns_differential
