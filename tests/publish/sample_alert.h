// A fully populated alert for the publish/ tests: every field non-default.
#pragma once

#include <string>

#include "detect/alert.h"

namespace dnswatch::testing {

inline Alert sample_alert(std::string name = "victim.test") {
    Alert alert;
    alert.id = "a1b2c3d4";
    alert.seq = 42;
    alert.sensor = "ns-fra-1";
    alert.kind = "rrset_divergence";
    alert.severity = Severity::high;
    alert.state = AlertState::reverted;
    alert.zone = "victim.test";
    alert.name = std::move(name);
    alert.rrtype = "NS";
    alert.baseline = {"ns1.victim.test.", "ns2.victim.test."};
    alert.observed = {"ns1.evil.test."};
    alert.first_seen_us = 1795965925123456;  // 2026-11-29T15:25:25.123456Z
    alert.last_seen_us = 1795965927623457;   // 2.500001 s later
    alert.signals = {"short_lived", "ttl_collapse"};
    alert.vantage = {"authoritative", "127.0.0.11", "127.0.0.1"};
    alert.evidence = {"capture.pcap", 17, 0xbeef, "victim.test", "NS", "authority"};
    return alert;
}

}  // namespace dnswatch::testing
