// read_zone against ldns (read_zone_file), the reference: every zone file of
// the repository and generated files covering every type the reader parses
// itself, and every refusal with its line and column.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "baseline/zone_reader.h"
#include "decode/ldns_glue.h"

namespace dnswatch {
namespace {

namespace fs = std::filesystem;

std::string describe(const ZoneRecord& record) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string text = record.owner.to_text() + " " + std::to_string(record.ttl) + " " + rrtype_to_text(record.type) + " ";
    for (const std::uint8_t byte : record.rdata) {
        text.push_back(kHex[byte >> 4]);
        text.push_back(kHex[byte & 0xF]);
    }
    return text;
}

// Both readers accept `path` and give the same records in the same order.
void expect_same_as_ldns(const std::string& path, const std::optional<std::string>& origin) {
    SCOPED_TRACE(path);
    const std::vector<ZoneRecord> expected = read_zone_file(path, origin);
    const std::vector<ZoneRecord> records = read_zone_records(path, ZoneReadOptions{origin, std::nullopt});
    ASSERT_EQ(records.size(), expected.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
        EXPECT_EQ(describe(records[i]), describe(expected[i])) << "record " << i;
        EXPECT_EQ(records[i].owner.label_count, expected[i].owner.label_count) << "record " << i;
    }
}

// A zone file's text, and "line:col: reason" of its refusal ("": read).
struct Refusal {
    std::string text;
    std::string expected;
};

class ZoneReaderTest : public ::testing::Test {
protected:
    void SetUp() override {
        path_ = fs::temp_directory_path() / ("dnswatch-zone-reader-" + std::to_string(::getpid()) + ".zone");
    }
    void TearDown() override { fs::remove(path_); }

    const std::string& write(const std::string& text) {
        std::ofstream(path_, std::ios::binary) << text;
        path_text_ = path_.string();
        return path_text_;
    }

    // "line:col: reason" of read_zone's refusal of `text`, "" if it reads.
    std::string refusal(const std::string& text, const ZoneReadOptions& options = {}) {
        write(text);
        try {
            read_zone(path_text_, options, [](const ZoneFileRecord&) {});
        } catch (const ZoneFileError& error) {
            const std::string where = std::to_string(error.line()) + ":" + std::to_string(error.column());
            EXPECT_EQ(std::string(error.what()), path_text_ + ":" + where + ": " + error.reason());
            return where + ": " + error.reason();
        }
        return "";
    }

    fs::path path_;
    std::string path_text_;
};

TEST(ZoneReader, ReadsEveryZoneFileOfTheRepositoryAsLdnsDoes) {
    int files = 0;
    const fs::path root = DNSWATCH_SOURCE_DIR;
    for (const char* folder : {"samples", "scenarios", "packaging", "tests", "examples", "docs"}) {
        if (!fs::exists(root / folder)) continue;
        for (const auto& entry : fs::recursive_directory_iterator(root / folder)) {
            if (!entry.is_regular_file() || entry.path().extension() != ".zone") continue;
            expect_same_as_ldns(entry.path().string(), std::nullopt);
            ++files;
        }
    }
    EXPECT_GE(files, 40);
}

// Every type with a parser of its own, in the spellings zone files use;
// names with escapes and mixed case; $ORIGIN and $TTL changes; TYPEnnn and
// \# forms; and types ldns reads for the reader.
constexpr const char* kEveryForm = R"zone(; every fast-path type, in several spellings
$ORIGIN Example.TEST.
$TTL 1h30m
@	IN	SOA	ns1 Host\.Master.example.test. ( 2026010101 ; serial
			1h 15M 2w 1d2h )
@ 300 IN NS ns1
@ 300 IN NS ns2.Example.Test.
	NS ns3.other.
www 60 A 192.0.2.1
WWW.example.test. A 192.0.2.255
www AAAA 2001:db8::1
www aaaa ::ffff:192.0.2.1
www AAAA 2001:DB8:0:0:0:0:0:1
alias CNAME www
alias2 CNAME @
ptr PTR www.example.test.
dn DNAME other.test.
@ MX 10 mail
@ mx 20 Mail.Other.Test.
@ TXT "v=spf1 mx -all"
@ TXT unquoted "two strings" "" "with \"quote\" and \\ and \065\066"
@ TXT "a;b(c)d" "tab	inside"
@ TXT ( "multi"
        "line" ) ; comment
@ TXT "\000\255" \#x
_sip._tcp SRV 10 60 5060 sip
sub DS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118
sub DS 60485 RSASHA1 1 ( 2BB183AF5F22588179A53B0A9
  8631FAD1A292118 )
sub CDS 0 0 0 00
@ DNSKEY 257 3 8 AwEAAagAIKlVZrpC6Ia7gEzahOR+9W29euxhJhVVLOyQbSEW0O8gcCjF FVQUTf6v58fLjwBd0YI0EzrAcQqBGCzh/RStIoO8g0NfnfL2MTJRkxoX bfDaUeVPQuYEhg37NZWAJQ9VnMVDxP/VHL496M/QZxkjf5/Efucp2gaD X6RS6CXpoY68LsvPVjR0ZSwzz1apAzvN9dlzEheX7ICJBBtuA6G3LQpz W5hOA2hzCTMjJPJ8LbqF6dsV6DoBQzgul0sGIcGOYl7OyQdXfZ57relS Qageu+ipAdTTJ25AsRTAoub8ONGcLmqrAmRLKBP1dfwhYB4N7knNnulq QxA+Uk1ihz0=
@ CDNSKEY 0 3 0 AA==
@ CDNSKEY 0 3 0 AAA=
@ CDNSKEY 0 3 0 -
@ CDNSKEY 256 3 ECDSAP256SHA256 ( oJMRESz5E4gYzS/q6XDrvU1qMPYIjCWzJaOau8XNEZeqCYKD5ar0IRd8
  KqXXFJkqmVfRvMGPmM1x8fGAa2XhSA== )
_443._tcp.www TLSA 3 1 1 ( 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B566 64C5D3D6 )
_443._tcp.www TLSA DANE-EE SPKI SHA2-256 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6
@ CAA 0 issue "letsencrypt.org"
@ CAA 128 tbs "Unknown \"quoted\" \255"
@ CAA 0 iodef ""
@ RRSIG SOA 13 2 3600 20260601000000 20260301000000 43685 example.test. GgGwmAnkBHm67N2ZQG6ZY7R9ewYPixiVDPe6J/81WcTPml80VY1unxdSSpFt bNh3Ci0Ogp53DZ8wMtrW0lYmNw==
@ RRSIG A ECDSAP256SHA256 2 3600 1780000000 1770000000 1 @ AAAA
@ RRSIG TYPE65280 13 2 3600 20380119031408 19700101000000 65535 Example.Test. AAAA
@ RRSIG NSEC 13 2 3600 20240229120000 21060207062816 0 . AAAA
@ RRSIG nsec3param 13 2 3600 20250231000000 99991231235959 0 sub AAAA
@ NSEC mail.example.test. NS SOA MX TXT RRSIG NSEC DNSKEY
mail NSEC www A RRSIG NSEC TYPE65280 CAA TYPE1234 ns
last NSEC @
2vptu5timamqttgl4luu9kg21e0aor3s NSEC3 1 1 12 aabbccdd 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR NS SOA MX RRSIG DNSKEY NSEC3PARAM
2vptu5timamqttgl4luu9kg21e0aor3s NSEC3 1 0 0 - 2t7b4g4vsa5smi47k61mv5bv1a22bojr
@ NSEC3PARAM 1 0 12 aabbccdd
@ NSEC3PARAM 1 0 0 -
; names with escapes
esc\.aped A 192.0.2.2
\065bc\032d A 192.0.2.3
x NS a\.b.example.test.
x NS \(paren\)
x NS back\\slash.
x NS \@x
$ORIGIN sub.example.test.
rel A 192.0.2.4
@ NS ns.sub.example.test.
	A 192.0.2.5
$TTL 7200
t2 5m IN A 192.0.2.6
t3 CH A 192.0.2.7
t4 CLASS255 A 192.0.2.8
t5 TYPE1 192.0.2.9
t6 A \# 4 C0000201
t6 A \# 0
t7 TYPE65280 \# 4 c0 00 02 01
t8 TYPE65281 \# 0
t9 MX \# 3 000a00
t10 HINFO "PC" "Linux"
t11 SSHFP 1 1 dd465c09cfa51fb45020cc83316fff21b9ec74ac
t12 NAPTR 100 10 "S" "SIP+D2U" "" _sip._udp
t13 LOC 52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m
t14 RP mbox txt
t15 SPF "v=spf1 -all"
t16 AFSDB 1 afs
t17 URI 10 1 "ftp://ftp1.example.com/public"
t18 CERT PGP 0 0 AAAA
t19 NULL \# 3 010203
t21 TXT \# 3 026869
t22 HTTPS 1 . alpn=h2
t23 Type65282 \# 2 abcd
t24 3600 in a 192.0.2.10
)zone";

TEST_F(ZoneReaderTest, ReadsEveryFormAsLdnsDoes) {
    expect_same_as_ldns(write(kEveryForm), std::nullopt);
    // A given origin stands for $ORIGIN, and a blank first owner is the origin.
    expect_same_as_ldns(write("  SOA ns1 hm 1 2 3 4 5\n  NS ns1\nns1 A 192.0.2.1\n\tAAAA ::1\n"), "Victim.Test.");
    expect_same_as_ldns(write("www A 192.0.2.1\n$ORIGIN other.\nwww A 192.0.2.2\n@ NS www\n"), "victim.test");
    // CR LF line ends, no final newline.
    expect_same_as_ldns(write("$ORIGIN t.\r\n@ NS ns1\r\nns1 A 192.0.2.1"), std::nullopt);
}

TEST_F(ZoneReaderTest, ReportsClassTtlAndFirstLine) {
    write("$ORIGIN t.\n@ CH TXT x\n$TTL 60\nwww ( A\n 192.0.2.1 )\nwww 5 IN A 192.0.2.2\n");
    std::vector<std::string> seen;
    read_zone(path_text_, {}, [&](const ZoneFileRecord& record) {
        seen.push_back(record.owner.to_text() + " " + std::to_string(record.rrclass) + " " + std::to_string(record.ttl) +
                       " line " + std::to_string(record.line));
    });
    EXPECT_EQ(seen, (std::vector<std::string>{"t 3 3600 line 2", "www.t 1 60 line 4", "www.t 1 5 line 6"}));
}

// Where ldns is wrong, the reader follows RFC 1035 and the tests say so.
TEST_F(ZoneReaderTest, DiffersFromLdnsWhereLdnsIsWrong) {
    // RFC 1035 §5.1: TTL and class in either order (ldns refuses "IN 300").
    write("$ORIGIN t.\nwww IN 300 A 192.0.2.1\n");
    auto records = read_zone_records(path_text_, {});
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].ttl, 300u);
    EXPECT_THROW(read_zone_file(path_text_, std::nullopt), ZoneFileError);
    // $TTL 0 gives TTL 0 (ldns takes 0 for "no default" and gives 3600).
    write("$ORIGIN t.\n$TTL 0\nwww A 192.0.2.1\n");
    records = read_zone_records(path_text_, {});
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].ttl, 0u);
    EXPECT_EQ(read_zone_file(path_text_, std::nullopt)[0].ttl, 3600u);
}

TEST_F(ZoneReaderTest, RefusesWhatLdnsAcceptsSilently) {
    EXPECT_EQ(refusal("$ORIGIN t.\n@ SOA ( ns hm 1 2 3 4 5\n"), "2:7: '(' not closed");
    EXPECT_EQ(refusal("$ORIGIN t.\nwww A 192.0.2.1 )\n"), "2:17: ')' without '('");
    EXPECT_EQ(refusal("$ORIGIN t.\n@ TXT \"abc\n"), "2:7: quoted string not closed on its line");
    EXPECT_EQ(refusal("$ORIGIN t.\n@ TXT \"abc"), "2:7: quoted string not closed on its line");
    EXPECT_EQ(refusal("$TTL abc\n"), "1:6: bad $TTL 'abc': expected digits and the units s, m, h, d, w");
    EXPECT_EQ(refusal("$TTL 4294967296\n"), "1:6: bad $TTL '4294967296': over 4294967295");
    EXPECT_EQ(refusal(""), "1:1: no records in the file");
    EXPECT_EQ(refusal("; only a comment\n$TTL 5\n"), "3:1: no records in the file");
    EXPECT_EQ(refusal("$ORIGIN victim.test.\nwww A 192.0.2.1\nevil.example. A 192.0.2.2\n", {std::nullopt, "victim.test"}),
              "3:1: owner 'evil.example' is outside the zone 'victim.test'");
    EXPECT_EQ(refusal("$ORIGIN other.\nwww A 192.0.2.1\n", {std::nullopt, "victim.test"}),
              "2:1: owner 'www.other' is outside the zone 'victim.test'");
    EXPECT_EQ(refusal("$ORIGIN t.\na\\000b A 192.0.2.1\n"), "2:1: NUL byte (\\000) in the name 'a\\000b'");
    EXPECT_EQ(refusal("$ORIGIN t.\nwww NS a\\000.\n"), "2:8: NUL byte (\\000) in the name 'a\\000.'");
    EXPECT_EQ(refusal(std::string("$ORIGIN t.\nwww A 192.0.2.1\0\n", 28)), "2:16: NUL byte in the file");
    std::string huge_txt = "$ORIGIN t.\n@ TXT";
    for (int i = 0; i < 40000; ++i) huge_txt += " a";
    EXPECT_EQ(refusal(huge_txt + "\n"), "2:7: rdata of 80000 bytes, over 65535");
    EXPECT_EQ(refusal("$ORIGIN t.\n@ TXT " + std::string(70000, 'a') + "\n"), "2:7: record of more than 65535 bytes of text");
    EXPECT_EQ(refusal("$ORIGIN t.\n@ TXT \"a\" " + std::string(300 * 1024, ' ') + "\n"), "2:1: record longer than 256 KiB");
    EXPECT_EQ(refusal("$INCLUDE other.zone\n"), "1:1: $INCLUDE is not supported: put the records in this file");
    EXPECT_EQ(refusal("$GENERATE 1-9 x$ A 192.0.2.$\n"), "1:1: $GENERATE is not supported: write the records out");
    EXPECT_EQ(refusal("$FOO bar\n"), "1:1: unknown directive '$FOO' (the directives are $ORIGIN and $TTL, in upper case)");
}

TEST_F(ZoneReaderTest, RefusesRelativeNamesWithoutAnOrigin) {
    const Refusal cases[] = {
        {"www A 192.0.2.1\n",
         "1:1: relative name 'www' but no origin ($ORIGIN, or the zone's origin)"},
        {"@ NS ns1.t.\n",
         "1:1: '@' but no origin ($ORIGIN, or the zone's origin)"},
        {"t. NS ns1\n",
         "1:7: relative name 'ns1' but no origin ($ORIGIN, or the zone's origin)"},
        {"t. SOA ns1.t. hm 1 2 3 4 5\n",
         "1:15: relative name 'hm' but no origin ($ORIGIN, or the zone's origin)"},
        {"  A 192.0.2.1\n",
         "1:3: no owner: this record starts with white space"},
        {"t. RP mbox.t. txt\n",
         "1:7: relative name in the rdata but no origin ($ORIGIN, or the zone's origin)"},
        {"$ORIGIN t\n",
         "1:9: $ORIGIN needs an absolute name (ending in '.'), not 't'"},
        {"t. RP mbox.t. txt.t.\n",
         ""},
    };
    for (const Refusal& refused : cases) EXPECT_EQ(refusal(refused.text), refused.expected) << refused.text;
}

TEST_F(ZoneReaderTest, RefusesMalformedRecordsWhereTheyGoWrong) {
    const Refusal cases[] = {
        {"$ORIGIN t.\nwww FOO 1\n",
         "2:5: unknown type 'FOO'"},
        {"$ORIGIN t.\nwww TYPE0 \\# 0\n",
         "2:5: unknown type 'TYPE0'"},
        {"$ORIGIN t.\nwww 300 IN\n",
         "2:11: missing type"},
        {"$ORIGIN t.\nwww A 192.0.2.01\n",
         "2:7: bad IPv4 address '192.0.2.01'"},
        {"$ORIGIN t.\nwww A 192.0.2.1 5\n",
         "2:17: unexpected '5' after the rdata"},
        {"$ORIGIN t.\nwww MX 10\n",
         "2:10: missing exchange"},
        {"$ORIGIN t.\nwww MX 65536 mx\n",
         "2:8: bad preference '65536': over 65535"},
        {"$ORIGIN t.\nwww MX 10 \\#\n",
         "2:11: \\# must start the rdata"},
        {"$ORIGIN t.\nwww A \\# 4 c00002\n",
         "2:10: \\# says 4 bytes, the hex holds 6 digits"},
        {"$ORIGIN t.\nwww MX \\# 4 000a0000\n",
         "2:8: \\# data is not a valid rdata of type MX"},
        {"$ORIGIN t.\nwww TXT ab(cd)\n",
         "2:11: parenthesis inside a word"},
        {"$ORIGIN t.\nwww TXT ab\"cd\"\n",
         "2:11: quote inside a word"},
        {"$ORIGIN t.\nwww TXT \"ab\"cd\n",
         "2:13: no white space after a quoted string"},
        {"$ORIGIN t.\nwww TXT ab\\\ncd\n",
         "2:11: backslash at the end of a line"},
        {"$ORIGIN t.\nwww TXT a\fb\n",
         "2:10: control character 0x0c (write it as \\012)"},
        {"$ORIGIN t.\nwww TXT \\1a\n",
         "2:9: bad escape in '\\1a': \\DDD takes three digits"},
        {"$ORIGIN t.\nwww TXT " + std::string(256, 'x') + "\n",
         "2:9: character-string longer than 255 bytes"},
        {"$ORIGIN t.\nwww DS 1 8 2 abc\n",
         "2:14: bad hex: an odd number of digits"},
        {"$ORIGIN t.\nwww DNSKEY 257 3 8 AwE\n",
         "2:20: bad base64: its length is not a multiple of 4"},
        {"$ORIGIN t.\nwww CAA 0 issue ca.example\n",
         "2:17: the value must be quoted: \"ca.example\""},
        {"$ORIGIN t.\nwww NSEC next A BOGUS\n",
         "2:17: unknown type 'BOGUS'"},
        {"$ORIGIN t.\nwww RRSIG A 13 2 60 20261301000000 1 1 t. AAAA\n",
         "2:21: bad signature time '20261301000000': no such date and time"},
        {"$ORIGIN t.\n@foo A 192.0.2.1\n",
         "2:1: '@' must stand alone, in '@foo'"},
        {"$ORIGIN t.\nx NS a..b\n",
         "2:6: empty label in 'a..b'"},
        {"$ORIGIN t.\n" + std::string(64, 'a') + " A 192.0.2.1\n",
         "2:1: label longer than 63 bytes in '" + std::string(64, 'a') + "'"},
        {"$ORIGIN t.\nwww HINFO\n",
         "2:10: bad HINFO rdata: Syntax error, value expected"},
    };
    for (const Refusal& refused : cases) EXPECT_EQ(refusal(refused.text), refused.expected) << refused.text;
}

TEST_F(ZoneReaderTest, RefusesWhatIsNotARegularFileBeforeReadingIt) {
    const fs::path fifo = path_.string() + ".fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    for (const std::string& path : {fifo.string(), std::string("/dev/zero"), fs::temp_directory_path().string()}) {
        try {
            read_zone(path, {}, [](const ZoneFileRecord&) {});
            ADD_FAILURE() << path << " was read";
        } catch (const ZoneFileError& error) {
            EXPECT_EQ(std::string(error.what()), path + ":0: not a regular file");
        }
    }
    fs::remove(fifo);
    EXPECT_THROW(read_zone(path_.string() + ".missing", {}, [](const ZoneFileRecord&) {}), ZoneFileError);
}

TEST(ZoneFileErrorTest, ColumnZeroKeepsTheOldFormat) {
    EXPECT_STREQ(ZoneFileError("a.zone", 3, "bad").what(), "a.zone:3: bad");
    EXPECT_STREQ(ZoneFileError("a.zone", 3, 7, "bad").what(), "a.zone:3:7: bad");
    EXPECT_EQ(ZoneFileError("a.zone", 3, 7, "bad").column(), 7);
}

}  // namespace
}  // namespace dnswatch
