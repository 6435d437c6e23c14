#include "baseline/learned_file.h"

#include <nlohmann/json.hpp>

#include "decode/ldns_glue.h"
#include "baseline/rrset_key.h"
#include "common/rfc3339.h"
#include "common/atomic_file.h"
#include "common/hex.h"
#include "common/json_lines.h"

namespace dnswatch {
namespace {

// The owner's presentation form and the type, from a key (owner wire + type).
std::pair<std::string, std::string> describe_key(std::string_view key) {
    DnsName owner;
    if (!rrset_key_owner(key, owner)) return {"?", "?"};
    return {owner.to_text(), rrtype_to_text(rrset_key_type(key))};
}

}  // namespace

void save_learned(const std::string& path, const std::vector<LearnedRRsetState>& rrsets) {
    std::string text;
    for (const LearnedRRsetState& rrset : rrsets) {
        const auto [name, rrtype] = describe_key(rrset.key);
        nlohmann::json line;
        line["name"] = name;
        line["rrtype"] = rrtype;
        line["rdata"] = rrset.presentation;
        line["learned"] = rrset.learned;
        line["first_seen"] = format_rfc3339_us(rrset.first_seen_us);
        line["changed"] = format_rfc3339_us(rrset.changed_us);
        line["ttl"] = rrset.ttl;
        line["key"] = to_hex(rrset.key);
        line["forms"] = nlohmann::json::array();
        for (const std::string& form : rrset.forms) line["forms"].push_back(to_hex(form));
        text += line.dump() + "\n";
    }
    write_file_atomically(path, text);
}

std::vector<LearnedRRsetState> load_learned(const std::string& path) {
    std::vector<LearnedRRsetState> rrsets;
    read_json_lines(path, "a learned RRset", [&](const nlohmann::json& json) {
        LearnedRRsetState rrset;
        rrset.key = from_hex(json.at("key").get<std::string>());
        for (const auto& form : json.at("forms")) rrset.forms.push_back(from_hex(form.get<std::string>()));
        rrset.presentation = json.at("rdata").get<std::vector<std::string>>();
        rrset.learned = json.at("learned").get<bool>();
        rrset.first_seen_us = parse_rfc3339_us(json.at("first_seen").get<std::string>());
        rrset.changed_us = parse_rfc3339_us(json.at("changed").get<std::string>());
        rrset.ttl = json.at("ttl").get<std::uint32_t>();
        rrsets.push_back(std::move(rrset));
    });
    return rrsets;
}

}  // namespace dnswatch
