// Writes a capture of query/response pairs built with ldns (message_builder.h),
// each pair at a chosen time: hours of DNS traffic laid out in a few frames,
// for tests whose outcome depends on packet time.
#pragma once

#include <pcap/pcap.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/message_builder.h"

namespace dnswatch::test {

struct TimedAnswer {
    std::int64_t at_s;                // seconds after the capture's start
    std::string question;             // "www.victim.test. IN A"
    std::vector<std::string> answer;  // presentation-format records
    bool resolver = false;            // a resolver's answer to a stub (RD+RA, no AA), from 127.0.0.53
    const char* server = "127.0.0.10";
};

inline void write_answer_capture(const std::filesystem::path& path, std::int64_t start_s,
                                 const std::vector<TimedAnswer>& answers) {
    pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
    pcap_dumper_t* dumper = pcap_dump_open(dead, path.c_str());
    std::uint16_t id = 100;
    for (const TimedAnswer& a : answers) {
        MessageSpec query;
        query.id = ++id;
        query.qr = false;
        query.aa = false;
        query.question = a.question;
        MessageSpec response = query;
        response.qr = true;
        response.aa = !a.resolver;
        response.ra = a.resolver;
        response.answer = a.answer;
        const char* server = a.resolver ? "127.0.0.53" : a.server;
        std::vector<std::uint8_t> q = udp_frame(build_message(query), "127.0.0.100", 40000, server, 53);
        std::vector<std::uint8_t> r = udp_frame(build_message(response), server, 53, "127.0.0.100", 40000);
        if (a.resolver) {  // RD on both: a stub asking for recursion
            q[14 + 20 + 8 + 2] |= 0x01;
            r[14 + 20 + 8 + 2] |= 0x01;
        }
        int usec = 0;
        for (const auto* frame : {&q, &r}) {
            pcap_pkthdr header{};
            header.ts.tv_sec = start_s + a.at_s;
            header.ts.tv_usec = usec += 100;
            header.caplen = header.len = static_cast<bpf_u_int32>(frame->size());
            pcap_dump(reinterpret_cast<u_char*>(dumper), &header, frame->data());
        }
    }
    pcap_dump_close(dumper);
    pcap_close(dead);
}

}  // namespace dnswatch::test
