#include "publish/alert_json.h"

#include <gtest/gtest.h>

#include <time.h>

#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <stdexcept>

#include "tests/publish/sample_alert.h"

namespace dnswatch {
namespace {

using nlohmann::json;

void expect_same_alert(const Alert& a, const Alert& b) {
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.seq, b.seq);
    EXPECT_EQ(a.sensor, b.sensor);
    EXPECT_EQ(a.kind, b.kind);
    EXPECT_EQ(a.severity, b.severity);
    EXPECT_EQ(a.state, b.state);
    EXPECT_EQ(a.zone, b.zone);
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.rrtype, b.rrtype);
    EXPECT_EQ(a.baseline, b.baseline);
    EXPECT_EQ(a.observed, b.observed);
    EXPECT_EQ(a.first_seen_us, b.first_seen_us);
    EXPECT_EQ(a.last_seen_us, b.last_seen_us);
    EXPECT_EQ(a.signals, b.signals);
    EXPECT_EQ(a.vantage.role, b.vantage.role);
    EXPECT_EQ(a.vantage.server, b.vantage.server);
    EXPECT_EQ(a.vantage.client, b.vantage.client);
    EXPECT_EQ(a.vantage.tunnel, b.vantage.tunnel);
    EXPECT_EQ(a.evidence.source, b.evidence.source);
    EXPECT_EQ(a.evidence.frame, b.evidence.frame);
    EXPECT_EQ(a.evidence.dns_id, b.evidence.dns_id);
    EXPECT_EQ(a.evidence.qname, b.evidence.qname);
    EXPECT_EQ(a.evidence.qtype, b.evidence.qtype);
    EXPECT_EQ(a.evidence.section, b.evidence.section);
    EXPECT_EQ(a.tlog_index, b.tlog_index);
}

TEST(Rfc3339, KnownInstants) {
    EXPECT_EQ(format_rfc3339_us(0), "1970-01-01T00:00:00.000000Z");
    EXPECT_EQ(format_rfc3339_us(1), "1970-01-01T00:00:00.000001Z");
    EXPECT_EQ(format_rfc3339_us(1709251199999999), "2024-02-29T23:59:59.999999Z");  // leap day, last us
    EXPECT_EQ(format_rfc3339_us(1709251200000000), "2024-03-01T00:00:00.000000Z");
    EXPECT_EQ(format_rfc3339_us(951782400000000), "2000-02-29T00:00:00.000000Z");  // 400-year leap
    EXPECT_EQ(format_rfc3339_us(4107542400000000), "2100-03-01T00:00:00.000000Z");  // 2100 is not leap
    EXPECT_EQ(format_rfc3339_us(1795965925123456), "2026-11-29T15:25:25.123456Z");
    EXPECT_EQ(format_rfc3339_us(253402300799999999), "9999-12-31T23:59:59.999999Z");
}

TEST(Rfc3339, NegativeValuesAreBefore1970) {
    EXPECT_EQ(format_rfc3339_us(-1), "1969-12-31T23:59:59.999999Z");
    EXPECT_EQ(format_rfc3339_us(-1000000), "1969-12-31T23:59:59.000000Z");
    EXPECT_EQ(format_rfc3339_us(-1000001), "1969-12-31T23:59:58.999999Z");
    EXPECT_EQ(format_rfc3339_us(-62135596800000000), "0001-01-01T00:00:00.000000Z");
}

TEST(Rfc3339, ExtremesDoNotOverflow) {
    const std::string min = format_rfc3339_us(std::numeric_limits<std::int64_t>::min());
    const std::string max = format_rfc3339_us(std::numeric_limits<std::int64_t>::max());
    EXPECT_EQ(min.back(), 'Z');
    EXPECT_EQ(max, "294247-01-10T04:00:54.775807Z");
}

TEST(Rfc3339, AgreesWithGmtime) {
    std::mt19937_64 random(12345);
    std::uniform_int_distribution<std::int64_t> range(-2208988800000000, 4102444800000000);  // 1900..2100
    for (int i = 0; i < 20000; ++i) {
        const std::int64_t us = range(random);
        const std::int64_t seconds = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
        const time_t t = static_cast<time_t>(seconds);
        tm parts{};
        ASSERT_NE(gmtime_r(&t, &parts), nullptr);
        char expected[64];
        std::snprintf(expected, sizeof expected, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", parts.tm_year + 1900,
                      parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
                      static_cast<long long>(us - seconds * 1000000));
        ASSERT_EQ(format_rfc3339_us(us), expected) << us;
        ASSERT_EQ(parse_rfc3339_us(expected), us) << expected;
    }
}

TEST(Rfc3339, ParsesOffsetsFractionsAndCase) {
    EXPECT_EQ(parse_rfc3339_us("1970-01-01T00:00:00Z"), 0);
    EXPECT_EQ(parse_rfc3339_us("1970-01-01t00:00:00.5z"), 500000);
    EXPECT_EQ(parse_rfc3339_us("1970-01-01T02:00:00+02:00"), 0);
    EXPECT_EQ(parse_rfc3339_us("1969-12-31T23:30:00-00:30"), 0);
    EXPECT_EQ(parse_rfc3339_us("2026-11-29T15:25:25.123456789Z"), 1795965925123456);  // truncated
    EXPECT_EQ(parse_rfc3339_us("2024-02-29T23:59:59.999999Z"), 1709251199999999);
}

TEST(Rfc3339, RejectsWhatIsNotATimestamp) {
    for (const char* bad : {"", "2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z",
                            "2024-01-01T24:00:00Z", "2024-01-01T00:00:00", "2024-01-01 00:00:00Z",
                            "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00.1234567890Z", "2024-01-01T00:00:00Zx",
                            "2024-1-01T00:00:00Z", "2024-01-01T00:00:00+2:00"}) {
        EXPECT_THROW(parse_rfc3339_us(bad), std::invalid_argument) << bad;
    }
}

TEST(AlertJson, EveryFieldOfTheSchemaWithItsTypeAndValue) {
    const json j = to_json(testing::sample_alert("mail.victim.test"));

    const std::set<std::string> expected_keys = {
        "schema", "id",       "seq",        "sensor",    "kind",       "severity", "state",    "zone",     "name",
        "rrtype", "baseline", "observed",   "first_seen", "last_seen", "duration_s", "signals", "vantage", "evidence"};
    std::set<std::string> keys;
    for (const auto& item : j.items()) keys.insert(item.key());
    EXPECT_EQ(keys, expected_keys);

    EXPECT_EQ(j["schema"], "dnswatch.alert/1");
    EXPECT_EQ(j["id"], "a1b2c3d4");
    ASSERT_TRUE(j["seq"].is_number_unsigned());
    EXPECT_EQ(j["seq"], 42u);
    EXPECT_EQ(j["sensor"], "ns-fra-1");
    EXPECT_EQ(j["kind"], "rrset_divergence");
    EXPECT_EQ(j["severity"], "high");
    EXPECT_EQ(j["state"], "reverted");
    EXPECT_EQ(j["zone"], "victim.test");
    EXPECT_EQ(j["name"], "mail.victim.test");
    EXPECT_EQ(j["rrtype"], "NS");
    EXPECT_EQ(j["baseline"], json::array({"ns1.victim.test.", "ns2.victim.test."}));
    EXPECT_EQ(j["observed"], json::array({"ns1.evil.test."}));
    EXPECT_EQ(j["first_seen"], "2026-11-29T15:25:25.123456Z");
    EXPECT_EQ(j["last_seen"], "2026-11-29T15:25:27.623457Z");
    ASSERT_TRUE(j["duration_s"].is_number_float());
    EXPECT_DOUBLE_EQ(j["duration_s"].get<double>(), 2.500001);
    EXPECT_EQ(j["signals"], json::array({"short_lived", "ttl_collapse"}));

    ASSERT_TRUE(j["vantage"].is_object());
    EXPECT_EQ(j["vantage"].size(), 3u);
    EXPECT_EQ(j["vantage"]["role"], "authoritative");
    EXPECT_EQ(j["vantage"]["server"], "127.0.0.11");
    EXPECT_EQ(j["vantage"]["client"], "127.0.0.1");

    ASSERT_TRUE(j["evidence"].is_object());
    EXPECT_EQ(j["evidence"].size(), 6u);
    EXPECT_EQ(j["evidence"]["source"], "capture.pcap");
    ASSERT_TRUE(j["evidence"]["frame"].is_number_unsigned());
    EXPECT_EQ(j["evidence"]["frame"], 17u);
    ASSERT_TRUE(j["evidence"]["dns_id"].is_number_unsigned());
    EXPECT_EQ(j["evidence"]["dns_id"], 0xbeef);
    EXPECT_EQ(j["evidence"]["qname"], "victim.test");
    EXPECT_EQ(j["evidence"]["qtype"], "NS");
    EXPECT_EQ(j["evidence"]["section"], "authority");
}

TEST(AlertJson, EmptyListsStayLists) {
    Alert alert = testing::sample_alert();
    alert.baseline.clear();
    alert.observed.clear();
    alert.signals.clear();
    const json j = to_json(alert);
    EXPECT_TRUE(j["baseline"].is_array());
    EXPECT_TRUE(j["observed"].is_array());
    EXPECT_TRUE(j["signals"].is_array());
}

TEST(AlertJson, DurationHasMicrosecondPrecisionAndZeroIsZero) {
    Alert alert = testing::sample_alert();
    alert.first_seen_us = alert.last_seen_us = 0;
    json j = to_json(alert);
    EXPECT_EQ(j["first_seen"], "1970-01-01T00:00:00.000000Z");
    EXPECT_EQ(j["duration_s"].get<double>(), 0.0);

    alert.first_seen_us = 1'000'000;
    alert.last_seen_us = 1'000'001;
    EXPECT_DOUBLE_EQ(to_json(alert)["duration_s"].get<double>(), 0.000001);
}

TEST(AlertJson, JsonLineIsCompactInSchemaOrderWithoutNewline) {
    const Alert alert = testing::sample_alert();
    const std::string line = to_json_line(alert);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_EQ(line.rfind(R"({"schema":"dnswatch.alert/1","id":"a1b2c3d4","seq":42,"sensor":"ns-fra-1",)", 0), 0u)
        << line;
    EXPECT_NE(line.find(R"("vantage":{"role":"authoritative","server":"127.0.0.11","client":"127.0.0.1"})"),
              std::string::npos);
    EXPECT_NE(line.find(R"("evidence":{"source":"capture.pcap","frame":17,"dns_id":48879,)"), std::string::npos);
    EXPECT_EQ(line.back(), '}');
    EXPECT_EQ(json::parse(line), to_json(alert));
}

// to_json_line() writes the line directly (publish/json_line_writer.h);
// it must be byte for byte the document nlohmann dumps, for every shape of
// alert: optional parts present or not, strings with every escape, UTF-8,
// fractional and huge durations, extreme numbers.
TEST(AlertJson, TheDirectLineIsTheDocumentsDumpByteForByte) {
    std::mt19937_64 random(20261207);
    const std::vector<std::string> texts = {"",
                                            "www.victim.test.",
                                            "\"quoted\" \\ back",
                                            std::string("nul\0and\x01\x1f\x7f", 10),
                                            "tab\tnew\nline\rform\fbell\b",
                                            "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x94\x91",
                                            "\\# 4 c0000201",
                                            "v=spf1 include:_spf.example ~all"};
    auto text = [&] { return texts[random() % texts.size()]; };
    auto list = [&] {
        std::vector<std::string> out(random() % 4);
        for (std::string& item : out) item = text();
        return out;
    };
    for (int i = 0; i < 2000; ++i) {
        Alert a = testing::sample_alert();
        a.id = text();
        a.seq = random() >> (random() % 64);
        a.sensor = text();
        a.kind = text();
        a.severity = static_cast<Severity>(random() % 4);
        a.state = static_cast<AlertState>(random() % 3);
        a.zone = text();
        a.name = text();
        a.rrtype = text();
        a.baseline = list();
        a.observed = list();
        a.observed_truncated = random() % 2 == 0;
        a.observed_omitted = random();
        a.first_seen_us = static_cast<std::int64_t>(random() % 4'000'000'000'000'000ULL);
        a.last_seen_us = a.first_seen_us + static_cast<std::int64_t>(random() % (random() % 2 ? 1'000'000 : 1ULL << 52));
        a.signals = list();
        a.vantage.role = text();
        a.vantage.server = text();
        a.vantage.client = text();
        a.vantage.tunnel = random() % 2 ? AlertTunnel{} : AlertTunnel{text() + "p", random() % 2 ? "" : "teid",
                                                                      static_cast<std::uint32_t>(random()), text(),
                                                                      text()};
        a.evidence.source = text();
        a.evidence.frame = random();
        a.evidence.dns_id = static_cast<std::uint16_t>(random());
        a.evidence.qname = text();
        a.evidence.qtype = text();
        a.evidence.section = text();
        a.evidence.pcap = random() % 2 ? "" : text() + "x";
        a.evidence.pcap_bytes = random();
        a.evidence.pcap_sha256 = text();
        a.tlog_index = random() % 2 ? -1 : static_cast<std::int64_t>(random() >> 1);
        a.changes.assign(random() % 3, random());
        a.incident_id = random() % 2 ? "" : text();
        ASSERT_EQ(to_json_line(a), to_json_line_through_a_document(a)) << "alert " << i;
    }
}

TEST(AlertJson, RoundTripsThroughJsonAndThroughText) {
    const Alert alert = testing::sample_alert("mail.victim.test");
    expect_same_alert(alert_from_json(to_json(alert)), alert);
    expect_same_alert(alert_from_json(json::parse(to_json_line(alert))), alert);

    Alert odd = alert;  // extremes and pre-1970 times survive too
    odd.seq = std::numeric_limits<std::uint64_t>::max();
    odd.evidence.dns_id = 0xffff;
    odd.first_seen_us = -1;
    odd.last_seen_us = 0;
    odd.severity = Severity::critical;
    odd.state = AlertState::accepted;
    odd.name = "\xc3\xa9t\xc3\xa9.victim.test";  // UTF-8 passes through
    expect_same_alert(alert_from_json(json::parse(to_json_line(odd))), odd);
}

TEST(AlertJson, TheTunnelIsWrittenOnlyWhenTheResponseCameThroughOne) {
    Alert alert = testing::sample_alert();
    EXPECT_FALSE(to_json(alert)["vantage"].contains("tunnel"));
    alert.vantage.tunnel = {"gtp_u", "teid", 0xffffffff, "172.16.2.20", "2001:db8:a::10"};
    const json j = json::parse(to_json_line(alert));
    EXPECT_EQ(j["vantage"]["tunnel"], json({{"protocol", "gtp_u"}, {"teid", 0xffffffffu},
                                            {"outer_src", "172.16.2.20"}, {"outer_dst", "2001:db8:a::10"}}));
    EXPECT_EQ(j["vantage"].size(), 4u);
    expect_same_alert(alert_from_json(j), alert);
    // Each identifier under its own name; none when the header carries none (IP in IP).
    for (const char* id_name : {"key", "call_id", "vni"}) {
        alert.vantage.tunnel = {"gre", id_name, 7, "192.0.2.1", "192.0.2.2"};
        const json k = to_json(alert);
        EXPECT_EQ(k["vantage"]["tunnel"][id_name], 7) << id_name;
        expect_same_alert(alert_from_json(k), alert);
    }
    alert.vantage.tunnel = {"ip_in_ip", "", 0, "192.0.2.1", "192.0.2.2"};
    EXPECT_EQ(to_json(alert)["vantage"]["tunnel"].size(), 3u);
    expect_same_alert(alert_from_json(to_json(alert)), alert);
    // A bad tunnel is named like any bad field.
    json bad = j;
    bad["vantage"]["tunnel"]["teid"] = -1;
    EXPECT_THROW(alert_from_json(bad), std::invalid_argument);
    bad = j;
    bad["vantage"]["tunnel"].erase("outer_dst");
    try {
        alert_from_json(bad);
        ADD_FAILURE() << "no error";
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "alert JSON: field 'vantage.tunnel.outer_dst': missing");
    }
}

TEST(AlertJson, TheLogIndexIsWrittenOnlyWhenTheAlertIsLogged) {
    Alert alert = testing::sample_alert();
    EXPECT_FALSE(to_json(alert).contains("tlog_index"));
    alert.tlog_index = 41;
    const json j = json::parse(to_json_line(alert));
    EXPECT_EQ(j["tlog_index"], 41);
    EXPECT_EQ(alert_from_json(j).tlog_index, 41);
}

TEST(AlertJson, AlertFromJsonIgnoresFieldsItDoesNotKnow) {
    json j = to_json(testing::sample_alert());
    j["added_in_a_later_version"] = 1;
    j["evidence"]["pcap_offset"] = 99;
    expect_same_alert(alert_from_json(j), testing::sample_alert());
}

std::string error_of(const json& j) {
    try {
        alert_from_json(j);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(AlertJson, AlertFromJsonNamesTheBadField) {
    const json good = to_json(testing::sample_alert());

    json j = good;
    j["schema"] = "dnswatch.alert/2";
    EXPECT_EQ(error_of(j), "alert JSON: field 'schema': 'dnswatch.alert/2' is not dnswatch.alert/1");

    j = good;
    j.erase("seq");
    EXPECT_EQ(error_of(j), "alert JSON: field 'seq': missing");

    j = good;
    j["seq"] = -1;
    EXPECT_EQ(error_of(j), "alert JSON: field 'seq': expected a non-negative integer, got -1");

    j = good;
    j["evidence"]["dns_id"] = 65536;
    EXPECT_EQ(error_of(j), "alert JSON: field 'evidence.dns_id': 65536 is out of range (0..65535)");

    j = good;
    j["vantage"]["server"] = 7;
    EXPECT_EQ(error_of(j), "alert JSON: field 'vantage.server': expected a string, got number");

    j = good;
    j["severity"] = "apocalyptic";
    EXPECT_EQ(error_of(j), "alert JSON: field 'severity': unknown severity 'apocalyptic'");

    j = good;
    j["observed"] = json::array({"ok", 3});
    EXPECT_EQ(error_of(j), "alert JSON: field 'observed': expected a list of strings, got a number in it");

    j = good;
    j["first_seen"] = "yesterday";
    EXPECT_NE(error_of(j).find("alert JSON: field 'first_seen': not an RFC 3339 timestamp"), std::string::npos);

    EXPECT_EQ(error_of(json::array()), "alert JSON: field 'schema': not inside an object (got array)");
}

TEST(AlertJson, EnumStringsRoundTrip) {
    for (Severity s : {Severity::low, Severity::medium, Severity::high, Severity::critical}) {
        EXPECT_EQ(severity_from_string(to_string(s)), s);
    }
    for (AlertState s : {AlertState::open, AlertState::reverted, AlertState::accepted}) {
        EXPECT_EQ(alert_state_from_string(to_string(s)), s);
    }
    EXPECT_THROW(severity_from_string("HIGH"), std::invalid_argument);
    EXPECT_THROW(alert_state_from_string(""), std::invalid_argument);
}

}  // namespace
}  // namespace dnswatch
