// One message read by ldns and by us, compared field by field, every
// disagreement either recognised as a documented difference
// (ldns_differences.h) or reported; our typed rdata views and EDNS reader
// are checked against ldns's reading of the same records on the way.
#pragma once

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
#include "decode/edns.h"
#include "decode/ldns_glue.h"
#include "decode/rdata.h"
#include "decode/rr_views.h"
#include "tests/decode/ldns_differences.h"

namespace dnswatch::ldns_differential {

// ------------------------------------------------ typed views against ldns

inline const ldns_rdf* field(const ldns_rr* rr, std::size_t i) {
    return i < ldns_rr_rd_count(rr) ? ldns_rr_rdf(rr, i) : nullptr;
}
inline std::uint32_t int_field(const ldns_rr* rr, std::size_t i) {
    const ldns_rdf* f = field(rr, i);
    if (f == nullptr) return 0xFFFFFFFF;
    switch (ldns_rdf_size(f)) {
        case 1: return ldns_rdf2native_int8(f);
        case 2: return ldns_rdf2native_int16(f);
        case 4: return ldns_rdf2native_int32(f);
        default: return 0xFFFFFFFF;
    }
}
// A length-prefixed field (STR, NSEC3_SALT, TAG, NSEC3_NEXT_OWNER) without its length byte.
inline std::vector<std::uint8_t> counted_field(const ldns_rr* rr, std::size_t i) {
    auto bytes = rdf_bytes(field(rr, i));
    if (!bytes.empty()) bytes.erase(bytes.begin());
    return bytes;
}

// Compares our view of one record with ldns's fields; returns what differs,
// empty when all agree, or nullopt when our view refuses the rdata.
inline std::optional<std::string> check_view(std::span<const std::uint8_t> wire, const RecordView& r, const ldns_rr* rr,
                                      bool& checked) {
    checked = true;
    std::string diff;
    auto expect = [&diff](bool same, const char* what) {
        if (!same) diff += std::string(diff.empty() ? "" : ", ") + what;
    };
    auto name_is = [&](const DnsName& ours, std::size_t i) { return vec(bytes_of(ours)) == lower_name(field(rr, i)); };
    switch (r.type) {
        case rrtype::A:
        case rrtype::AAAA: {
            const auto v = r.type == rrtype::A ? read_a(wire, r) : read_aaaa(wire, r);
            if (!v) return std::nullopt;
            expect(vec(v->address) == rdf_bytes(field(rr, 0)), "address");
            break;
        }
        case rrtype::NS:
        case rrtype::CNAME:
        case rrtype::DNAME:
        case rrtype::PTR: {
            const auto v = read_name_rdata(wire, r);
            if (!v) return std::nullopt;
            expect(name_is(v->name, 0), "name");
            break;
        }
        case rrtype::SOA: {
            const auto v = read_soa(wire, r);
            if (!v) return std::nullopt;
            expect(name_is(v->mname, 0) && name_is(v->rname, 1), "names");
            expect(v->serial == int_field(rr, 2) && v->refresh == int_field(rr, 3) && v->retry == int_field(rr, 4) &&
                       v->expire == int_field(rr, 5) && v->minimum == int_field(rr, 6),
                   "timers");
            break;
        }
        case rrtype::MX: {
            const auto v = read_mx(wire, r);
            if (!v) return std::nullopt;
            expect(v->preference == int_field(rr, 0), "preference");
            expect(name_is(v->exchange, 1), "exchange");
            break;
        }
        case rrtype::TXT: {
            const auto v = read_txt(wire, r);
            if (!v) return std::nullopt;
            std::size_t i = 0;
            bool same = true;
            for (const auto s : v->strings) same = same && vec(s) == counted_field(rr, i++);
            expect(same && i == ldns_rr_rd_count(rr), "strings");
            break;
        }
        case rrtype::DS:
        case rrtype::CDS: {
            const auto v = read_ds(wire, r);
            if (!v) return std::nullopt;
            expect(v->key_tag == int_field(rr, 0) && v->algorithm == int_field(rr, 1) &&
                       v->digest_type == int_field(rr, 2),
                   "key tag/algorithm/digest type");
            expect(vec(v->digest) == rdf_bytes(field(rr, 3)), "digest");
            break;
        }
        case rrtype::DNSKEY:
        case rrtype::CDNSKEY: {
            const auto v = read_dnskey(wire, r);
            if (!v) return std::nullopt;
            expect(v->flags == int_field(rr, 0) && v->protocol == int_field(rr, 1) && v->algorithm == int_field(rr, 2),
                   "flags/protocol/algorithm");
            expect(vec(v->public_key) == rdf_bytes(field(rr, 3)), "key");
            const auto rdata = wire.subspan(r.rdata_offset, r.rdata_length);
            expect(v->key_tag == (r.type == rrtype::DNSKEY ? ldns_calc_keytag(rr)
                                                           : ldns_calc_keytag_raw(rdata.data(), rdata.size())),
                   "key tag");
            break;
        }
        case rrtype::RRSIG: {
            const auto v = read_rrsig(wire, r);
            if (!v) return std::nullopt;
            expect(v->type_covered == int_field(rr, 0) && v->algorithm == int_field(rr, 1) &&
                       v->labels == int_field(rr, 2) && v->original_ttl == int_field(rr, 3),
                   "type/algorithm/labels/ttl");
            expect(v->expiration == int_field(rr, 4) && v->inception == int_field(rr, 5) &&
                       v->key_tag == int_field(rr, 6),
                   "times/key tag");
            expect(name_is(v->signer, 7), "signer");
            expect(vec(v->signature) == rdf_bytes(field(rr, 8)), "signature");
            break;
        }
        case rrtype::NSEC: {
            const auto v = read_nsec(wire, r);
            if (!v) return std::nullopt;
            expect(name_is(v->next, 0), "next");
            expect(vec(v->types.wire()) == rdf_bytes(field(rr, 1)), "bitmap");
            std::size_t n = 0;
            bool covered = true;
            for (const std::uint16_t type : v->types) {
                ++n;
                covered = covered && ldns_nsec_bitmap_covers_type(field(rr, 1), static_cast<ldns_rr_type>(type));
                expect(v->types.contains(type), "contains");
            }
            std::size_t bits = 0;
            const auto bitmap = rdf_bytes(field(rr, 1));
            for (std::size_t pos = 0; pos + 1 < bitmap.size(); pos += 2 + bitmap[pos + 1]) {
                for (std::size_t i = 0; i < bitmap[pos + 1] && pos + 2 + i < bitmap.size(); ++i) {
                    bits += static_cast<std::size_t>(__builtin_popcount(bitmap[pos + 2 + i]));
                }
            }
            expect(covered && n == bits, "types");
            break;
        }
        case rrtype::NSEC3: {
            const auto v = read_nsec3(wire, r);
            if (!v) return std::nullopt;
            expect(v->hash_algorithm == int_field(rr, 0) && v->flags == int_field(rr, 1) &&
                       v->iterations == int_field(rr, 2),
                   "algorithm/flags/iterations");
            expect(vec(v->salt) == counted_field(rr, 3), "salt");
            expect(vec(v->next_hashed_owner) == counted_field(rr, 4), "next hashed owner");
            expect(vec(v->types.wire()) == rdf_bytes(field(rr, 5)), "bitmap");
            break;
        }
        case rrtype::NSEC3PARAM: {
            const auto v = read_nsec3param(wire, r);
            if (!v) return std::nullopt;
            expect(v->hash_algorithm == int_field(rr, 0) && v->flags == int_field(rr, 1) &&
                       v->iterations == int_field(rr, 2),
                   "algorithm/flags/iterations");
            expect(vec(v->salt) == counted_field(rr, 3), "salt");
            break;
        }
        case rrtype::TLSA: {
            const auto v = read_tlsa(wire, r);
            if (!v) return std::nullopt;
            expect(v->usage == int_field(rr, 0) && v->selector == int_field(rr, 1) &&
                       v->matching_type == int_field(rr, 2),
                   "usage/selector/matching type");
            expect(vec(v->data) == rdf_bytes(field(rr, 3)), "data");
            break;
        }
        case rrtype::CAA: {
            const auto v = read_caa(wire, r);
            if (!v) return std::nullopt;
            expect(v->flags == int_field(rr, 0), "flags");
            expect(vec(v->tag) == counted_field(rr, 1), "tag");
            expect(vec(v->value) == rdf_bytes(field(rr, 2)), "value");
            break;
        }
        case rrtype::SVCB:
        case rrtype::HTTPS: {
            const auto v = read_svcb(wire, r);
            if (!v) return std::nullopt;
            expect(v->priority == int_field(rr, 0), "priority");
            expect(name_is(v->target, 1), "target");
            expect(vec(v->params.wire()) == rdf_bytes(field(rr, 2)), "params");
            break;
        }
        default:
            checked = false;
            break;
    }
    return diff;
}

// ------------------------------------------------ one message

// One option's own bytes (code, length, data) within an option list.
inline std::span<const std::uint8_t> option_wire(const EdnsOptions& options, const EdnsOption& option) {
    const auto all = options.wire();
    const std::size_t start = static_cast<std::size_t>(option.data.data() - all.data()) - 4;
    return all.subspan(start, 4 + option.data.size());
}

inline std::string ldns_status_text(ldns_status s) { return ldns_get_errorstr_by_id(s); }

struct Question {
    DnsName name;
    std::uint16_t type = 0, rrclass = 0;
};

inline std::vector<Question> our_questions(const DnsMessageView& view) {
    std::vector<Question> out;
    std::size_t pos = 12;
    for (unsigned i = 0; i < view.header.qdcount; ++i) {
        Question q;
        std::size_t next = 0;
        if (read_name(view.wire, pos, &q.name, &next) != MalformedKind::none || next + 4 > view.wire.size()) break;
        q.type = static_cast<std::uint16_t>((view.wire[next] << 8) | view.wire[next + 1]);
        q.rrclass = static_cast<std::uint16_t>((view.wire[next + 2] << 8) | view.wire[next + 3]);
        out.push_back(q);
        pos = next + 4;
    }
    return out;
}

class MessageComparison {
public:
    MessageComparison(const DnsMessageView& view, ldns_pkt* pkt, const std::string& where, Tally& tally)
        : view_(view), pkt_(pkt), where_(where), tally_(tally) {}

    void run() {
        ++tally_.messages_compared;
        tally_.records_in_compared_messages += view_.records.size();
        compare_header();
        compare_questions();
        // ldns reads records one after the other; where it loses its place
        // (a documented difference), its later records are not ours.
        std::size_t aligned = view_.records.size();
        for (std::size_t i = 0; i < view_.records.size(); ++i) {
            const RecordView& r = view_.records[i];
            if (ldns_ignores_bytes_after_last_field(view_.wire, r)) {
                tally_.count(Difference::ldns_ignores_bytes_after_last_field, at(r));
                aligned = i;
                break;
            }
            if (ldns_reads_rdata_names_past_rdlength(view_.wire, r)) {
                tally_.count(Difference::ldns_reads_rdata_names_past_rdlength, at(r));
                aligned = i;
                break;
            }
        }
        compare_section(Section::answer, ldns_pkt_answer(pkt_), aligned);
        compare_section(Section::authority, ldns_pkt_authority(pkt_), aligned);
        compare_additional(aligned);
        if (aligned == view_.records.size()) compare_edns();
    }

private:
    std::string record(const RecordView& r) const {
        return "record@" + std::to_string(r.owner_offset) + " " + rrtype_to_text(r.type);
    }
    std::string at(const RecordView& r) const { return where_ + " " + record(r); }
    void fail(const std::string& what) { tally_.unexplained(where_, what); }

    void compare_header() {
        const DnsHeader& h = view_.header;
        const bool same = h.id == ldns_pkt_id(pkt_) && h.qr() == ldns_pkt_qr(pkt_) &&
                          h.opcode() == ldns_pkt_get_opcode(pkt_) && h.aa() == ldns_pkt_aa(pkt_) &&
                          h.tc() == ldns_pkt_tc(pkt_) && h.rd() == ldns_pkt_rd(pkt_) && h.ra() == ldns_pkt_ra(pkt_) &&
                          h.ad() == ldns_pkt_ad(pkt_) && h.cd() == ldns_pkt_cd(pkt_) &&
                          h.rcode() == ldns_pkt_get_rcode(pkt_) && h.qdcount == ldns_pkt_qdcount(pkt_) &&
                          h.ancount == ldns_pkt_ancount(pkt_) && h.nscount == ldns_pkt_nscount(pkt_);
        if (!same) fail("header differs");
    }

    void compare_questions() {
        const auto ours = our_questions(view_);
        const ldns_rr_list* theirs = ldns_pkt_question(pkt_);
        if (ours.size() != ldns_rr_list_rr_count(theirs)) {
            fail("question count differs");
            return;
        }
        for (std::size_t i = 0; i < ours.size(); ++i) {
            const ldns_rr* rr = ldns_rr_list_rr(theirs, i);
            if (vec(bytes_of(ours[i].name)) != lower_name(ldns_rr_owner(rr)) || ours[i].type != ldns_rr_get_type(rr) ||
                ours[i].rrclass != ldns_rr_get_class(rr)) {
                fail("question " + std::to_string(i) + " differs");
            }
        }
        if (!ours.empty() && (!view_.has_question || !(view_.qname == ours[0].name) || view_.qtype != ours[0].type ||
                              view_.qclass != ours[0].rrclass)) {
            fail("the view's first question differs from the question section");
        }
    }

    void compare_section(Section section, const ldns_rr_list* theirs, std::size_t aligned) {
        const auto ours = view_.section(section);
        std::size_t first = static_cast<std::size_t>(ours.data() - view_.records.data());
        if (first >= aligned) return;
        const std::size_t n = std::min(ours.size(), aligned - first);
        if (aligned == view_.records.size() && ours.size() != ldns_rr_list_rr_count(theirs)) {
            fail(std::string(to_string(section)) + " count differs");
            return;
        }
        for (std::size_t i = 0; i < n && i < ldns_rr_list_rr_count(theirs); ++i) {
            compare_record(ours[i], ldns_rr_list_rr(theirs, i));
        }
    }

    void compare_additional(std::size_t aligned) {
        const auto ours = view_.section(Section::additional);
        const std::size_t first = static_cast<std::size_t>(ours.data() - view_.records.data());
        std::size_t opt = 0, tsig = 0;
        std::vector<const RecordView*> kept;
        for (std::size_t i = 0; i < ours.size() && first + i < aligned; ++i) {
            const RecordView& r = ours[i];
            if (r.type == rrtype::OPT) {
                ++opt;
                ++tally_.opt_records_not_compared;  // through read_edns instead
            } else if (r.type == rrtype::TSIG) {
                ++tsig;
            } else {
                kept.push_back(&r);
            }
        }
        if (opt + tsig > 0) tally_.count(Difference::ldns_moves_opt_and_tsig, where_);
        const ldns_rr_list* theirs = ldns_pkt_additional(pkt_);
        if (aligned == view_.records.size()) {
            if (view_.header.arcount - opt - tsig != ldns_pkt_arcount(pkt_) || kept.size() != ldns_rr_list_rr_count(theirs)) {
                if (ldns_reads_fewer_records_after_tsig(pkt_, view_.header)) {
                    tally_.count(Difference::ldns_reads_fewer_records_after_tsig, where_);
                } else {
                    fail("additional count differs");
                }
                return;
            }
            if (tsig > 0) {
                const RecordView* last_tsig = nullptr;
                for (const RecordView& r : ours) {
                    if (r.type == rrtype::TSIG) last_tsig = &r;
                }
                if (ldns_pkt_tsig(pkt_) == nullptr) {
                    fail("ldns lost the TSIG record");
                } else {
                    compare_record(*last_tsig, ldns_pkt_tsig(pkt_));
                }
            }
        }
        for (std::size_t i = 0; i < kept.size() && i < ldns_rr_list_rr_count(theirs); ++i) {
            compare_record(*kept[i], ldns_rr_list_rr(theirs, i));
        }
    }

    void compare_record(const RecordView& r, const ldns_rr* rr) {
        ++tally_.records_compared;
        if (vec(bytes_of(view_.owner(r))) != lower_name(ldns_rr_owner(rr)) || r.type != ldns_rr_get_type(rr) ||
            r.rrclass != ldns_rr_get_class(rr) || r.ttl != ldns_rr_ttl(rr)) {
            fail(record(r) + ": owner/type/class/ttl differ");
            return;
        }
        std::vector<std::uint8_t> ours;
        const MalformedKind kind = append_canonical_rdata(view_.wire, r.type, r.rdata_offset, r.rdata_length, ours);
        if (kind != MalformedKind::none) {
            if (ldns_follows_forward_pointers(kind)) {
                tally_.count(Difference::ldns_follows_forward_pointers, at(r));
            } else if (ldns_follows_pointers_into_header(kind)) {
                tally_.count(Difference::ldns_follows_pointers_into_header, at(r));
            } else if (ldns_allows_long_pointer_chains(kind)) {
                tally_.count(Difference::ldns_allows_long_pointer_chains, at(r));
            } else if (ldns_accepts_empty_rdata(r)) {
                tally_.count(Difference::ldns_accepts_empty_rdata, at(r));
            } else if (ldns_accepts_missing_fields(rr, r)) {
                tally_.count(Difference::ldns_accepts_missing_fields, at(r));
            } else {
                fail(record(r) + ": we refuse the rdata (" + std::string(name_of(kind)) + "), ldns reads \"" +
                     ldns_rdata_text(rr) + "\"");
            }
            return;
        }
        const auto theirs = ldns_canonical_rdata(rr, false);
        if (ours != theirs) {
            if (ldns_keeps_case_we_fold(r, ours, rr)) {
                tally_.count(Difference::ldns_keeps_case_we_fold, at(r));
            } else {
                fail(record(r) + ": rdata differs: ours \"" + rdata_to_text(r.type, ours) + "\", ldns \"" +
                     ldns_rdata_text(rr) + "\"");
                return;
            }
        } else {
            ++tally_.rdata_equal;
            // Second, the text forms: ours goes through the ldns glue.
            RrPtr canonical(ldns_rr_clone(rr));
            ldns_rr2canonical(canonical.get());
            const std::string ours_text = rdata_to_text(r.type, ours);
            if (ours_text == ldns_rdata_text(canonical.get())) {
                ++tally_.text_equal;
            } else if (ldns_cannot_print_rdata_it_reads(ours_text, canonical.get())) {
                tally_.count(Difference::ldns_cannot_print_rdata_it_reads, at(r));
            } else {
                fail(record(r) + ": text differs: ours \"" + rdata_to_text(r.type, ours) + "\", ldns \"" +
                     ldns_rdata_text(canonical.get()) + "\"");
            }
        }
        bool checked = false;
        const auto view_diff = check_view(view_.wire, r, rr, checked);
        if (!checked) return;
        ++tally_.views_checked;
        if (!view_diff) {
            tally_.count(Difference::views_check_values_ldns_does_not, at(r));
            tally_.detail("  view refuses: " + rrtype_to_text(r.type));
        } else if (!view_diff->empty()) {
            fail(record(r) + ": typed view differs from ldns: " + *view_diff);
        }
    }

    void compare_edns() {
        Edns edns;
        const EdnsStatus status = read_edns(view_, edns);
        std::size_t opt_in_additional = 0;
        for (const RecordView& r : view_.section(Section::additional)) opt_in_additional += r.type == rrtype::OPT;
        if (!edns.present) {
            if (ldns_pkt_edns_udp_size(pkt_) != 0 || ldns_pkt_edns_data(pkt_) != nullptr) fail("ldns sees EDNS, we do not");
            return;
        }
        switch (status) {
            case EdnsStatus::multiple_opt:
                tally_.count(Difference::ldns_takes_last_of_several_opt, where_);
                return;
            case EdnsStatus::opt_not_root:
                tally_.count(Difference::ldns_accepts_opt_with_non_root_owner, where_);
                break;
            case EdnsStatus::opt_outside_additional:
                tally_.count(Difference::ldns_keeps_opt_outside_additional, where_);
                return;
            default:
                break;
        }
        if (opt_in_additional != 1) return;
        ++tally_.edns_compared;
        const bool same = edns.udp_payload_size == ldns_pkt_edns_udp_size(pkt_) &&
                          edns.extended_rcode_high == ldns_pkt_edns_extended_rcode(pkt_) &&
                          edns.version == ldns_pkt_edns_version(pkt_) && edns.flags == ldns_pkt_edns_z(pkt_) &&
                          edns.dnssec_ok() == ldns_pkt_edns_do(pkt_) &&
                          extended_rcode(view_.header, edns) ==
                              ((unsigned{ldns_pkt_edns_extended_rcode(pkt_)} << 4) | ldns_pkt_get_rcode(pkt_));
        if (!same) fail("EDNS header fields differ");
        const auto rdata = view_.rdata(*edns.record);
        if (vec(rdata) != rdf_bytes(ldns_pkt_edns_data(pkt_))) fail("EDNS option bytes differ");
        ldns_edns_option_list* list = ldns_pkt_edns_get_option_list(pkt_);
        if (status == EdnsStatus::bad_option_list) {
            if (list != nullptr) fail("ldns reads an option list we refuse");
            return;
        }
        std::size_t i = 0;
        for (const EdnsOption option : edns.options) {
            const ldns_edns_option* theirs =
                list != nullptr && i < ldns_edns_option_list_get_count(list) ? ldns_edns_option_list_get_option(list, i)
                                                                             : nullptr;
            ++i;
            if (theirs == nullptr || ldns_edns_get_code(theirs) != option.code ||
                ldns_edns_get_size(theirs) != option.data.size() ||
                (!option.data.empty() &&
                 !std::equal(option.data.begin(), option.data.end(), ldns_edns_get_data(theirs)))) {
                fail("EDNS option " + std::to_string(i) + " differs");
                return;
            }
            ++tally_.edns_options_compared;
        }
        if (list != nullptr && i != ldns_edns_option_list_get_count(list)) fail("EDNS option count differs");
        if (validate_options(edns.options) != EdnsStatus::ok) {
            tally_.count(Difference::edns_options_checked_ldns_does_not, where_);
            for (const EdnsOption option : edns.options) {
                if (validate_options(EdnsOptions::of_valid(option_wire(edns.options, option))) != EdnsStatus::ok) {
                    tally_.detail("  option refused: code " + std::to_string(option.code) + ", " +
                                  std::to_string(option.data.size()) + " bytes");
                }
            }
        }
    }

    const DnsMessageView& view_;
    ldns_pkt* pkt_;
    const std::string& where_;
    Tally& tally_;
};

inline void compare(std::span<const std::uint8_t> wire, const std::string& where, DnsDecoder& decoder, Tally& tally) {
    DnsMessageView view;
    const MalformedKind ours = decoder.decode(wire, view);
    ldns_pkt* raw = nullptr;
    const ldns_status theirs = ldns_wire2pkt(&raw, wire.data(), wire.size());
    PktPtr pkt(raw);
    if (theirs != LDNS_STATUS_OK) {
        if (ours != MalformedKind::none) {
            ++tally.both_refuse;
            tally.detail("  both refuse: ours " + std::string(name_of(ours)) + ", ldns " + ldns_status_text(theirs));
        } else if (ldns_refuses_message_for_one_rdata(view)) {
            tally.count(Difference::ldns_refuses_message_for_one_rdata, where);
        } else if (ldns_checks_fields_of_types_we_keep_opaque(view)) {
            tally.count(Difference::ldns_checks_fields_of_types_we_keep_opaque, where);
        } else if (const auto boundary = ldns_record_boundary_difference(wire)) {
            tally.count(*boundary, where);  // ldns lost its place, then failed on what followed
        } else {
            tally.unexplained(where, "ldns refuses (" + ldns_status_text(theirs) + "), we accept");
        }
        return;
    }
    if (ours != MalformedKind::none) {
        if (ldns_follows_forward_pointers(ours)) {
            tally.count(Difference::ldns_follows_forward_pointers, where);
        } else if (ldns_follows_pointers_into_header(ours)) {
            tally.count(Difference::ldns_follows_pointers_into_header, where);
        } else if (ldns_allows_long_pointer_chains(ours)) {
            tally.count(Difference::ldns_allows_long_pointer_chains, where);
        } else if (const auto boundary = ldns_record_boundary_difference(wire)) {
            tally.count(*boundary, where);  // the records we refuse are not the ones ldns read
        } else if (ldns_reads_fewer_records_after_tsig(pkt.get(), view.header)) {
            tally.count(Difference::ldns_reads_fewer_records_after_tsig, where);
        } else {
            tally.unexplained(where, "we refuse (" + std::string(name_of(ours)) + "), ldns accepts");
        }
        return;
    }
    MessageComparison(view, pkt.get(), where, tally).run();
}

}  // namespace dnswatch::ldns_differential
