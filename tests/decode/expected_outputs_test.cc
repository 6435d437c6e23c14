// Our decoder against other tools' decoded output of the same captures, as
// their own test suites expect it (tests/corpus/expected, SOURCES.md):
//  - dnsjit's examples/dumpdns.lua over dnscap's dns.pcap (expected/dnsjit/
//    test1.gold): header, flags, questions and every record, with the offset
//    of every label and compression pointer;
//  - dnscap -g over dns.pcap and edns.pcap (expected/dnscap/dns.gold,
//    edns.gold): header, questions, records with their rdata, and EDNS;
//  - tcpdump -vv over tcpdump's edns-opts.pcap (expected/tcpdump/
//    edns-opts-vv.out): every line's DNS part, EDNS options included.
// Message by message, in capture order. The expected files are GPL (dnsjit)
// or BSD (dnscap, tcpdump) test data, kept unmodified in folders of their own.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <cstdio>
#include <fstream>
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "decode/dns_message.h"
#include "decode/edns.h"
#include "decode/ldns_glue.h"
#include "decode/rr_views.h"
#include "tests/support/pcap_reader.h"

namespace dnswatch {
namespace {

const std::string kCorpus = DNSWATCH_CORPUS_DIR;

std::vector<std::string> lines_of(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> parts;
    std::string part;
    std::istringstream in(text);
    while (std::getline(in, part, separator)) parts.push_back(part);
    return parts;
}

std::string lower(std::string text) {
    for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

// "google.com" for ours; the tools print "google.com." (and "." for the root).
std::string dotted(const DnsName& name) {
    const std::string text = name.to_text();
    return text == "." ? text : text + ".";
}

std::string address_text(std::span<const std::uint8_t> address) {
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(address.size() == 4 ? AF_INET : AF_INET6, address.data(), text, sizeof text);
    return text;
}

const char* opcode_name(unsigned opcode) {
    static const char* const kNames[] = {"QUERY", "IQUERY", "STATUS", "3", "NOTIFY", "UPDATE"};
    return opcode < 6 ? kNames[opcode] : "?";
}

const char* rcode_name(unsigned rcode) {
    static const char* const kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"};
    return rcode < 6 ? kNames[rcode] : "?";
}

// The header flags by name, upper case, in wire order.
std::vector<std::string> flag_names(const DnsHeader& h) {
    std::vector<std::string> names;
    if (h.qr()) names.push_back("QR");
    if (h.aa()) names.push_back("AA");
    if (h.tc()) names.push_back("TC");
    if (h.rd()) names.push_back("RD");
    if (h.ra()) names.push_back("RA");
    if (h.flags & 0x0040) names.push_back("Z");
    if (h.ad()) names.push_back("AD");
    if (h.cd()) names.push_back("CD");
    return names;
}

// Where dumpdns says a name at `offset` starts: the offset of its first label,
// or, when the name is a compression pointer, the pointer's target.
int printed_offset(std::span<const std::uint8_t> wire, std::size_t offset) {
    if ((wire[offset] & 0xC0) == 0xC0) return ((wire[offset] & 0x3F) << 8) | wire[offset + 1];
    return static_cast<int>(offset);
}

std::string endpoint(const IpAddress& address, std::uint16_t port) { return address.to_string() + ":" + std::to_string(port); }

struct Decoded {
    test::CapturedDns captured;
    DnsDecoder decoder;  // holds the view's records
    DnsMessageView view;
};

std::vector<std::unique_ptr<Decoded>> decode_capture(const std::string& capture) {
    std::vector<std::unique_ptr<Decoded>> out;
    for (auto& captured : test::read_dns_payloads(kCorpus + "/pcap/" + capture)) {
        auto d = std::make_unique<Decoded>();
        d->captured = std::move(captured);
        d->captured.datagram.dns = d->captured.payload;
        EXPECT_EQ(d->decoder.decode(d->captured.payload, d->view), MalformedKind::none);
        out.push_back(std::move(d));
    }
    return out;
}

// ============================================================ dnsjit dumpdns

// A name as dumpdns prints it: "<12>google.<19>com." is the label "google" at
// offset 12 and "com" at 19; a bare "<12>" is a compression pointer to 12.
struct JitName {
    std::string text;   // "ns4.google.com.", or empty when a pointer could not be resolved
    int offset = -1;    // where the name starts in the message
};

// Resolves pointers with the names seen earlier in the same message.
class JitNames {
public:
    JitName parse(const std::string& printed) {
        std::vector<std::pair<int, std::string>> labels;
        std::string suffix = ".";
        bool resolved = true;
        int first = -1;
        std::size_t pos = 0;
        while (pos < printed.size() && printed[pos] == '<') {
            const std::size_t close = printed.find('>', pos);
            const int offset = std::stoi(printed.substr(pos + 1, close - pos - 1));
            if (first < 0) first = offset;
            std::size_t next = printed.find('<', close);
            if (next == std::string::npos) next = printed.size();
            const std::string label = printed.substr(close + 1, next - close - 1);  // "google." or "" (a pointer)
            pos = next;
            if (label.empty()) {
                const auto it = at_.find(offset);
                resolved = it != at_.end();
                suffix = resolved ? it->second : "";
                break;
            }
            labels.emplace_back(offset, label);
        }
        // Remember each label's name for later pointers to it.
        std::string name = suffix;
        for (auto it = labels.rbegin(); it != labels.rend(); ++it) {
            name = it->second + (name == "." ? "" : name);
            if (resolved) at_[it->first] = name;
        }
        return {resolved ? name : "", first};
    }

private:
    std::map<int, std::string> at_;
};

struct JitRecord {
    std::string rrclass, type;
    std::optional<std::uint32_t> ttl;  // not for questions
    JitName owner;
    std::optional<JitName> rdata_name;  // "RR labels": NS, PTR, CNAME...
};

struct JitMessage {
    std::string transport, from, to;
    std::map<std::string, std::string> header;  // id, qr, opcode, flags, rcode, qdcount...
    std::vector<JitRecord> questions;
    std::vector<JitRecord> sections[3];
};

std::vector<JitMessage> parse_dumpdns(const std::string& path) {
    std::vector<JitMessage> messages;
    JitNames names;
    int section = -2;  // -1: questions; 0..2: answers, authorities, additionals
    for (const std::string& line : lines_of(path)) {
        if (line.rfind("udp ", 0) == 0 || line.rfind("tcp ", 0) == 0) {
            messages.emplace_back();
            names = JitNames();
            section = -2;
            const auto words = split(line, ' ');  // "udp", from, "->", to
            messages.back().transport = words.at(0);
            messages.back().from = words.at(1);
            messages.back().to = words.at(3);
            continue;
        }
        if (messages.empty()) continue;
        JitMessage& m = messages.back();
        const auto fields = split(line, '\t');
        if (line.rfind("questions:", 0) == 0) section = -1;
        else if (line.rfind("answers:", 0) == 0) section = 0;
        else if (line.rfind("authorities:", 0) == 0) section = 1;
        else if (line.rfind("additionals:", 0) == 0) section = 2;
        else if (fields.size() == 2 && fields[0] == "id:") m.header["id"] = fields[1];
        else if (fields.size() == 3 && fields[0].empty() && fields[1].back() == ':' && section == -2) {
            m.header[fields[1].substr(0, fields[1].size() - 1)] = fields[2];
        } else if (section == -1 && fields.size() == 4) {
            m.questions.push_back({fields[1], fields[2], std::nullopt, names.parse(fields[3]), std::nullopt});
        } else if (section >= 0 && fields.size() >= 5) {
            JitRecord r{fields[1], fields[2], static_cast<std::uint32_t>(std::stoul(fields[3])), names.parse(fields[4]),
                        std::nullopt};
            if (fields.size() >= 6) r.rdata_name = names.parse(fields[5]);
            m.sections[section].push_back(r);
        }
    }
    return messages;
}

std::string joined(const std::vector<std::string>& words) {
    std::string text;
    for (const auto& w : words) text += (text.empty() ? "" : " ") + w;
    return text;
}

TEST(ExpectedOutputs, DnsjitDumpdnsOfDnscapDnsPcap) {
    const auto expected = parse_dumpdns(kCorpus + "/expected/dnsjit/test1.gold");
    const auto ours = decode_capture("dnscap/dns.pcap");
    ASSERT_EQ(expected.size(), 82u);
    ASSERT_EQ(ours.size(), expected.size());
    std::size_t records = 0, names_checked = 0;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const JitMessage& e = expected[i];
        const DnsMessageView& v = ours[i]->view;
        const DnsDatagram& d = ours[i]->captured.datagram;
        const std::string where = "message " + std::to_string(i) + " (id " + e.header.at("id") + ")";
        EXPECT_EQ(e.transport, d.ip_protocol == 17 ? "udp" : "tcp") << where;
        EXPECT_EQ(e.from, endpoint(d.src, d.src_port)) << where;
        EXPECT_EQ(e.to, endpoint(d.dst, d.dst_port)) << where;
        EXPECT_EQ(e.header.at("id"), std::to_string(v.header.id)) << where;
        EXPECT_EQ(e.header.at("qr"), v.header.qr() ? "1" : "0") << where;
        EXPECT_EQ(e.header.at("opcode"), opcode_name(v.header.opcode())) << where;
        auto flags = flag_names(v.header);
        flags.erase(std::remove(flags.begin(), flags.end(), "QR"), flags.end());  // dumpdns prints qr apart
        EXPECT_EQ(e.header.at("flags"), joined(flags)) << where;
        EXPECT_EQ(e.header.at("rcode"), rcode_name(v.header.rcode())) << where;
        EXPECT_EQ(e.header.at("qdcount"), std::to_string(v.header.qdcount)) << where;
        EXPECT_EQ(e.header.at("ancount"), std::to_string(v.header.ancount)) << where;
        EXPECT_EQ(e.header.at("nscount"), std::to_string(v.header.nscount)) << where;
        EXPECT_EQ(e.header.at("arcount"), std::to_string(v.header.arcount)) << where;

        ASSERT_EQ(e.questions.size(), 1u) << where;
        EXPECT_EQ(e.questions[0].rrclass, "IN") << where;
        EXPECT_EQ(v.qclass, 1) << where;
        EXPECT_EQ(e.questions[0].type, rrtype_to_text(v.qtype)) << where;
        EXPECT_EQ(lower(e.questions[0].owner.text), dotted(v.qname)) << where;
        EXPECT_EQ(e.questions[0].owner.offset, 12) << where;

        for (int s = 0; s < 3; ++s) {
            const auto section = v.section(static_cast<Section>(s + 1));
            ASSERT_EQ(e.sections[s].size(), section.size()) << where << " section " << s;
            for (std::size_t j = 0; j < section.size(); ++j) {
                const JitRecord& er = e.sections[s][j];
                const RecordView& r = section[j];
                const std::string at = where + " " + to_string(r.section) + " " + std::to_string(j);
                ++records;
                EXPECT_EQ(er.rrclass, r.rrclass == 1 ? "IN" : "?") << at;
                EXPECT_EQ(er.type, rrtype_to_text(r.type)) << at;
                EXPECT_EQ(er.ttl, r.ttl) << at;
                EXPECT_EQ(er.owner.offset, printed_offset(v.wire, r.owner_offset)) << at;
                if (!er.owner.text.empty()) {
                    EXPECT_EQ(lower(er.owner.text), dotted(v.owner(r))) << at;
                    ++names_checked;
                }
                if (er.rdata_name) {
                    const auto target = read_name_rdata(v.wire, r);
                    ASSERT_TRUE(target) << at;
                    EXPECT_EQ(er.rdata_name->offset, printed_offset(v.wire, r.rdata_offset)) << at;
                    if (!er.rdata_name->text.empty()) {
                        EXPECT_EQ(lower(er.rdata_name->text), dotted(target->name)) << at;
                        ++names_checked;
                    }
                }
            }
        }
    }
    std::printf("dnsjit: %zu messages, %zu records, %zu names matched\n", expected.size(), records, names_checked);
    EXPECT_GT(names_checked, 500u);
}

// ============================================================ dnscap -g

struct CapRecord {
    std::string owner, rrclass, type;
    std::optional<std::uint32_t> ttl;
    std::string rdata;  // everything after the TTL, commas included
};

struct CapMessage {
    std::size_t ip_length = 0;
    std::string from, to;        // "172.17.0.10:53199"
    std::string opcode, rcode;
    unsigned id = 0;
    std::vector<std::string> flags;  // "qr", "rd"...
    std::vector<CapRecord> sections[4];  // question, answer, authority, additional
};

// Splits "owner,CLASS,TYPE[,TTL,rdata...]".
CapRecord cap_record(const std::string& text, bool question) {
    const auto parts = split(text, ',');
    CapRecord r;
    r.owner = parts.at(0);
    r.rrclass = parts.at(1);
    r.type = parts.at(2);
    if (!question && parts.size() > 3) {
        r.ttl = static_cast<std::uint32_t>(std::stoul(parts[3]));
        std::size_t skip = 0;
        for (int i = 0; i < 4; ++i) skip = text.find(',', skip) + 1;
        r.rdata = text.substr(skip);
    }
    return r;
}

std::string cap_endpoint(const std::string& word) {  // "[172.17.0.10].53199"
    const std::size_t close = word.find(']');
    return word.substr(1, close - 1) + ":" + word.substr(close + 2);
}

std::vector<CapMessage> parse_dnscap(const std::string& path) {
    // One message a block: a line starting "[", continued while lines end in " \".
    std::vector<std::string> blocks;
    bool continued = false;
    for (std::string line : lines_of(path)) {
        const bool ends_continued = line.size() >= 2 && line.compare(line.size() - 2, 2, " \\") == 0;
        if (ends_continued) line.resize(line.size() - 2);
        if (!continued && !line.empty() && line[0] == '[') blocks.emplace_back();
        if (!blocks.empty()) blocks.back() += " " + line;
        continued = ends_continued;
    }
    std::vector<CapMessage> messages;
    for (const std::string& block : blocks) {
        std::istringstream in(block);
        std::vector<std::string> words;
        for (std::string w; in >> w;) words.push_back(w);
        CapMessage m;
        m.ip_length = std::stoul(words.at(0).substr(1));
        std::size_t i = 0;
        while (i < words.size() && words[i] != "dns") ++i;  // [len] date time [#n file snap] from to dns
        m.from = cap_endpoint(words.at(i - 2));
        m.to = cap_endpoint(words.at(i - 1));
        const auto header = split(words.at(i + 1), ',');
        m.opcode = header.at(0);
        m.rcode = header.at(1);
        m.id = static_cast<unsigned>(std::stoul(header.at(2)));
        if (header.size() > 3) m.flags = split(header[3], '|');
        i += 2;
        for (int s = 0; s < 4 && i < words.size(); ++s) {
            const std::size_t count = std::stoul(words[i++]);
            for (std::size_t k = 0; k < count && i < words.size(); ++k) m.sections[s].push_back(cap_record(words[i++], s == 0));
        }
        messages.push_back(std::move(m));
    }
    return messages;
}

// Our rdata as dnscap prints it, for the types it prints; nullopt for others.
std::optional<std::string> dnscap_rdata(const DnsMessageView& v, const RecordView& r) {
    switch (r.type) {
        case rrtype::A: {
            const auto a = read_a(v.wire, r);
            return a ? address_text(a->address) : "?";
        }
        case rrtype::AAAA: {
            const auto a = read_aaaa(v.wire, r);
            return a ? address_text(a->address) : "?";
        }
        case rrtype::NS:
        case rrtype::PTR:
        case rrtype::CNAME: {
            const auto n = read_name_rdata(v.wire, r);
            return n ? dotted(n->name) : "?";
        }
        default:
            return std::nullopt;
    }
}

// "edns0[len=16,UDP=4096,ver=0,rcode=0,DO=0,z=0],edns0opt[code=3,codelen=0],edns0opt[ECS,...]"
// as ours prints it.
std::string dnscap_edns(const DnsMessageView& v, const RecordView& opt) {
    Edns edns;
    EXPECT_EQ(read_edns(v, edns), EdnsStatus::ok);
    std::string text = "edns0[len=" + std::to_string(opt.rdata_length) + ",UDP=" + std::to_string(edns.udp_payload_size) +
                       ",ver=" + std::to_string(edns.version) + ",rcode=" + std::to_string(edns.extended_rcode_high) +
                       ",DO=" + (edns.dnssec_ok() ? "1" : "0") + ",z=" + std::to_string(edns.flags & 0x7FFF) + "]";
    for (const EdnsOption option : edns.options) {
        if (option.code == edns_option::client_subnet) {
            const auto ecs = read_client_subnet(option);
            EXPECT_TRUE(ecs);
            const auto padded = ecs->padded_address();
            text += ",edns0opt[ECS,family=" + std::to_string(ecs->family) + ",source=" +
                    std::to_string(ecs->source_prefix) + ",scope=" + std::to_string(ecs->scope_prefix) +
                    ",addr=" + address_text(std::span(padded).first(ecs->family == 1 ? 4 : 16)) + "]";
        } else {
            text += ",edns0opt[code=" + std::to_string(option.code) + ",codelen=" + std::to_string(option.data.size()) + "]";
        }
    }
    return text;
}

void compare_with_dnscap(const std::string& capture, const std::string& gold, std::size_t expected_messages) {
    const auto expected = parse_dnscap(kCorpus + "/expected/dnscap/" + gold);
    const auto ours = decode_capture(capture);
    ASSERT_EQ(expected.size(), expected_messages);
    ASSERT_EQ(ours.size(), expected.size());
    std::size_t rdata_checked = 0, edns_checked = 0;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const CapMessage& e = expected[i];
        const DnsMessageView& v = ours[i]->view;
        const DnsDatagram& d = ours[i]->captured.datagram;
        const std::string where = gold + " message " + std::to_string(i) + " (id " + std::to_string(e.id) + ")";
        EXPECT_EQ(e.ip_length, v.wire.size() + 28) << where;  // IPv4 + UDP headers
        EXPECT_EQ(e.from, endpoint(d.src, d.src_port)) << where;
        EXPECT_EQ(e.to, endpoint(d.dst, d.dst_port)) << where;
        EXPECT_EQ(e.id, v.header.id) << where;
        EXPECT_EQ(e.opcode, opcode_name(v.header.opcode())) << where;
        EXPECT_EQ(e.rcode, rcode_name(v.header.rcode())) << where;
        std::vector<std::string> flags;
        for (const auto& f : flag_names(v.header)) flags.push_back(lower(f));
        EXPECT_EQ(e.flags, flags) << where;

        ASSERT_EQ(e.sections[0].size(), v.header.qdcount) << where;
        EXPECT_EQ(lower(e.sections[0][0].owner), dotted(v.qname)) << where;
        EXPECT_EQ(e.sections[0][0].type, rrtype_to_text(v.qtype)) << where;
        EXPECT_EQ(e.sections[0][0].rrclass, "IN") << where;
        for (int s = 1; s < 4; ++s) {
            const auto section = v.section(static_cast<Section>(s));
            ASSERT_EQ(e.sections[s].size(), section.size()) << where << " section " << s;
            for (std::size_t j = 0; j < section.size(); ++j) {
                const CapRecord& er = e.sections[s][j];
                const RecordView& r = section[j];
                const std::string at = where + " " + to_string(r.section) + " " + std::to_string(j);
                if (r.type == rrtype::OPT) {
                    EXPECT_EQ(er.owner, ".") << at;
                    EXPECT_EQ(std::to_string(r.rrclass), er.rrclass) << at;
                    EXPECT_EQ(er.rdata.substr(er.rdata.find("edns0[")), dnscap_edns(v, r)) << at;
                    ++edns_checked;
                    continue;
                }
                EXPECT_EQ(lower(er.owner), dotted(v.owner(r))) << at;
                EXPECT_EQ(er.rrclass, "IN") << at;
                EXPECT_EQ(er.type, rrtype_to_text(r.type)) << at;
                EXPECT_EQ(er.ttl, r.ttl) << at;
                if (const auto rdata = dnscap_rdata(v, r)) {
                    EXPECT_EQ(lower(er.rdata), *rdata) << at;
                    ++rdata_checked;
                }
            }
        }
    }
    std::printf("dnscap %s: %zu messages, %zu rdata and %zu EDNS records matched\n", gold.c_str(), expected.size(),
                rdata_checked, edns_checked);
    EXPECT_GT(rdata_checked, 0u);
}

TEST(ExpectedOutputs, DnscapOfDnsPcap) { compare_with_dnscap("dnscap/dns.pcap", "dns.gold", 82); }

TEST(ExpectedOutputs, DnscapOfEdnsPcapWithEdnsOptions) { compare_with_dnscap("dnscap/edns.pcap", "edns.gold", 14); }

// ============================================================ tcpdump -vv

std::string hex(std::span<const std::uint8_t> bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string text;
    for (const auto b : bytes) {
        text.push_back(kHex[b >> 4]);
        text.push_back(kHex[b & 0xF]);
    }
    return text;
}

// tcpdump's names for the algorithms of DAU / DHU / N3U (RFC 6975).
std::string algorithm_name(std::uint16_t code, std::uint8_t number) {
    if (code == edns_option::dau) {
        switch (number) {
            case 6: return "DSA-NSEC3-SHA1";
            case 7: return "RSASHA1-NSEC3-SHA1";
            case 8: return "RSASHA256";
            case 13: return "ECDSAP256SHA256";
            case 253: return "PRIVATEDNS";
        }
    } else if (code == edns_option::dhu) {
        switch (number) {
            case 1: return "SHA-1";
            case 2: return "SHA-256";
            case 3: return "GOST_R_34.11-94";
            case 4: return "SHA-384";
        }
    } else if (number == 1) {
        return "SHA-1";
    }
    return std::to_string(number);
}

// One EDNS option as tcpdump prints it, from our views.
std::string tcpdump_option(const EdnsOption& option) {
    const auto u16 = [&](std::size_t i) { return (option.data[i] << 8) | option.data[i + 1]; };
    switch (option.code) {
        case edns_option::nsid:
            return option.data.empty() ? "NSID" : "NSID " + hex(option.data);
        case edns_option::client_subnet: {
            const auto ecs = read_client_subnet(option);
            if (!ecs) return "ECS ?";
            const auto padded = ecs->padded_address();
            return "ECS " + address_text(std::span(padded).first(ecs->family == 1 ? 4 : 16)) + "/" +
                   std::to_string(ecs->source_prefix) + "/" + std::to_string(ecs->scope_prefix);
        }
        case edns_option::cookie: {
            const auto cookie = read_cookie(option);
            if (!cookie) return "COOKIE ?";
            return "COOKIE " + hex(cookie->client) + (cookie->server.empty() ? "" : " " + hex(cookie->server));
        }
        case edns_option::tcp_keepalive: {
            const auto keepalive = read_tcp_keepalive(option);
            if (!keepalive || !keepalive->timeout) return "KEEPALIVE";
            return "KEEPALIVE " + std::to_string(*keepalive->timeout / 10) + "." + std::to_string(*keepalive->timeout % 10) +
                   " sec";
        }
        case edns_option::padding:
            return "PADDING (" + std::to_string(option.data.size()) + ")";
        case edns_option::expire:
            return option.data.size() == 4 ? "EXPIRE " + std::to_string((u16(0) << 16) | u16(2)) + " sec" : "EXPIRE";
        case edns_option::key_tag: {
            std::string text = "KEY-TAG";
            for (std::size_t i = 0; i + 1 < option.data.size(); i += 2) text += " " + std::to_string(u16(i));
            return text;
        }
        case edns_option::chain: {
            DnsName name;
            std::size_t next = 0;
            if (read_name(option.data, 0, &name, &next) != MalformedKind::none) return "CHAIN ?";
            return "CHAIN " + dotted(name);
        }
        case edns_option::dau:
        case edns_option::dhu:
        case edns_option::n3u: {
            std::string text = option.code == edns_option::dau ? "DAU" : option.code == edns_option::dhu ? "DHU" : "N3U";
            for (const std::uint8_t a : option.data) text += " " + algorithm_name(option.code, a);
            return text;
        }
        default:
            return "Opt" + std::to_string(option.code) + (option.data.empty() ? "" : " " + hex(option.data));
    }
}

// A record as tcpdump -vv prints it (the types of edns-opts.pcap).
std::string tcpdump_record(const DnsMessageView& v, const RecordView& r) {
    if (r.type == rrtype::OPT) {
        Edns edns;
        EXPECT_EQ(read_edns(v, edns), EdnsStatus::ok);
        std::string text = ". OPT UDPsize=" + std::to_string(edns.udp_payload_size) + (edns.dnssec_ok() ? " DO" : "");
        std::string options;
        for (const EdnsOption option : edns.options) options += (options.empty() ? "" : ",") + tcpdump_option(option);
        return options.empty() ? text : text + " [" + options + "]";
    }
    std::string text = dotted(v.owner(r)) + " " + rrtype_to_text(r.type);
    if (r.type == rrtype::A) {
        const auto a = read_a(v.wire, r);
        text += " " + (a ? address_text(a->address) : std::string("?"));
    }
    return text;
}

std::string tcpdump_records(const DnsMessageView& v, Section section) {
    std::string text;
    for (const RecordView& r : v.section(section)) text += (text.empty() ? "" : ", ") + tcpdump_record(v, r);
    return text;
}

// The DNS part of a tcpdump -vv line, from our view.
std::string tcpdump_dns(const DnsMessageView& v) {
    const DnsHeader& h = v.header;
    std::string text = std::to_string(h.id);
    const std::string question = rrtype_to_text(v.qtype) + "? " + dotted(v.qname);
    if (h.qr()) {
        text += std::string(h.aa() ? "*" : "") + (h.ra() ? "" : "-") + (h.tc() ? "|" : "");
        text += " q: " + question + " " + std::to_string(h.ancount) + "/" + std::to_string(h.nscount) + "/" +
                std::to_string(h.arcount);
        if (h.ancount > 0) text += " " + tcpdump_records(v, Section::answer);
        if (h.nscount > 0) text += " ns: " + tcpdump_records(v, Section::authority);
    } else {
        text += std::string(h.rd() ? "+" : "") + (h.cd() ? "%" : "");
        if (h.arcount > 0) text += " [" + std::to_string(h.arcount) + "au]";
        text += " " + question;
    }
    if (h.arcount > 0) text += " ar: " + tcpdump_records(v, Section::additional);
    return text + " (" + std::to_string(v.wire.size()) + ")";
}

TEST(ExpectedOutputs, TcpdumpVvOfEdnsOptsPcap) {
    // Every other line is "  N  timestamp IP (tos ...)"; the next holds the addresses, the checksum and the DNS part.
    std::vector<std::string> expected;
    for (const std::string& line : lines_of(kCorpus + "/expected/tcpdump/edns-opts-vv.out")) {
        const std::size_t checksum_end = line.find("] ");
        if (line.rfind("    192.0.0.", 0) == 0 && checksum_end != std::string::npos) {
            expected.push_back(line.substr(checksum_end + 2));
        }
    }
    const auto ours = decode_capture("tcpdump/edns-opts.pcap");
    ASSERT_EQ(expected.size(), 42u);
    ASSERT_EQ(ours.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(tcpdump_dns(ours[i]->view), expected[i]) << "message " << i;
    }
}

}  // namespace
}  // namespace dnswatch
