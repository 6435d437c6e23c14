// Builds real DNS messages for tests with ldns (its ldns_pkt2wire compresses
// names as servers do), and wraps them in Ethernet/IPv4/UDP frames.
#pragma once

#include <arpa/inet.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <ldns/ldns.h>

namespace dnswatch::test {

struct MessageSpec {
    std::uint16_t id = 0x1234;
    bool qr = true;
    bool aa = true;
    bool ra = false;
    unsigned rcode = 0;
    std::string question = "victim.test. IN NS";  // "owner CLASS TYPE", empty for none
    std::vector<std::string> answer;      // presentation-format records
    std::vector<std::string> authority;
    std::vector<std::string> additional;
};

inline std::vector<std::uint8_t> build_message(const MessageSpec& spec) {
    ldns_pkt* pkt = ldns_pkt_new();
    ldns_pkt_set_id(pkt, spec.id);
    ldns_pkt_set_qr(pkt, spec.qr);
    ldns_pkt_set_aa(pkt, spec.aa);
    ldns_pkt_set_ra(pkt, spec.ra);
    ldns_pkt_set_rcode(pkt, static_cast<std::uint8_t>(spec.rcode));
    auto add = [pkt](const std::string& text, ldns_pkt_section section, bool question) {
        ldns_rr* rr = nullptr;
        const ldns_status status = question ? ldns_rr_new_question_frm_str(&rr, text.c_str(), nullptr, nullptr)
                                            : ldns_rr_new_frm_str(&rr, text.c_str(), 3600, nullptr, nullptr);
        if (status != LDNS_STATUS_OK) throw std::runtime_error("bad test record: " + text);
        ldns_pkt_push_rr(pkt, section, rr);
    };
    if (!spec.question.empty()) add(spec.question, LDNS_SECTION_QUESTION, true);
    for (const auto& rr : spec.answer) add(rr, LDNS_SECTION_ANSWER, false);
    for (const auto& rr : spec.authority) add(rr, LDNS_SECTION_AUTHORITY, false);
    for (const auto& rr : spec.additional) add(rr, LDNS_SECTION_ADDITIONAL, false);
    std::uint8_t* wire = nullptr;
    std::size_t size = 0;
    const ldns_status status = ldns_pkt2wire(&wire, pkt, &size);
    ldns_pkt_free(pkt);
    if (status != LDNS_STATUS_OK) throw std::runtime_error("ldns_pkt2wire failed");
    std::vector<std::uint8_t> bytes(wire, wire + size);
    std::free(wire);
    return bytes;
}

// An Ethernet II / IPv4 / UDP frame carrying `payload` from src:sport to dst:dport.
inline std::vector<std::uint8_t> udp_frame(const std::vector<std::uint8_t>& payload, const char* src,
                                           std::uint16_t sport, const char* dst, std::uint16_t dport) {
    std::vector<std::uint8_t> frame(14, 0);
    frame[12] = 0x08;  // IPv4
    const std::size_t ip_length = 20 + 8 + payload.size();
    std::uint8_t ip[20] = {0x45, 0, static_cast<std::uint8_t>(ip_length >> 8), static_cast<std::uint8_t>(ip_length),
                           0, 0, 0x40, 0, 64, 17, 0, 0};
    inet_pton(AF_INET, src, ip + 12);
    inet_pton(AF_INET, dst, ip + 16);
    frame.insert(frame.end(), ip, ip + 20);
    const std::size_t udp_length = 8 + payload.size();
    const std::uint8_t udp[8] = {static_cast<std::uint8_t>(sport >> 8), static_cast<std::uint8_t>(sport),
                                 static_cast<std::uint8_t>(dport >> 8), static_cast<std::uint8_t>(dport),
                                 static_cast<std::uint8_t>(udp_length >> 8), static_cast<std::uint8_t>(udp_length),
                                 0, 0};
    frame.insert(frame.end(), udp, udp + 8);
    frame.insert(frame.end(), payload.begin(), payload.end());
    return frame;
}

}  // namespace dnswatch::test
