// TSIG (RFC 8945) for zone transfers and NOTIFY (baseline.transfer.tsig_key_file).
// ldns signs what we send (ldns_pkt_tsig_sign); what we receive is checked
// here: ldns_pkt_tsig_verify_next digests one message at a time and checks
// no time window, while a transfer's answer may leave up to 99 messages
// unsigned between two signed ones (NSD signs every 96th), whose digest
// must cover them all (RFC 8945 5.3.1). Not on the packet path.
#pragma once

#include <cstdint>
#include <ctime>
#include <span>
#include <string>
#include <vector>

// ldns's types, without its headers (whose common.h redefines true and false).
typedef struct ldns_struct_pkt ldns_pkt;
typedef struct ldns_struct_rdf ldns_rdf;

namespace dnswatch {

struct TsigKey {
    std::string name;       // "xfr-key." (absolute)
    std::string algorithm;  // "hmac-sha256." (absolute, lower case)
    std::string secret;     // base64

    // Reads BIND's  key "NAME" { algorithm hmac-sha256; secret "BASE64"; };
    // (tsig-keygen), NSD's  key: / name: NAME / algorithm: ... / secret: "..."
    // or Knot's  key: / - id: NAME / algorithm: ... / secret: ...  (keymgr -t).
    // Throws std::runtime_error naming the file and what is wrong.
    static TsigKey load(const std::string& path);
};

// Signs `message` (a query; an answer with `request_mac`, the MAC of the
// request it answers). Throws std::runtime_error when ldns cannot.
void tsig_sign(ldns_pkt* message, const TsigKey& key, const ldns_rdf* request_mac = nullptr);

// The MAC of a signed message (its TSIG's MAC field, as ldns holds it), or null.
const ldns_rdf* tsig_mac(const ldns_pkt* message);

// Checks the messages we receive, in order, against `key`: a lone request
// (a NOTIFY), or the answers to a request we signed (`request_mac`).
// check() returns "" when the message passes, else why not; a message
// without TSIG passes only in the middle of an answer, and finish() then
// says whether the last one was signed.
class TsigVerifier {
public:
    TsigVerifier(const TsigKey& key, const ldns_rdf* request_mac = nullptr, std::time_t now = 0);

    std::string check(std::span<const std::uint8_t> wire);
    std::string finish() const;

private:
    const TsigKey& key_;
    std::vector<std::uint8_t> prior_mac_;  // with its 16-bit length, as digested
    std::vector<std::uint8_t> unsigned_;   // messages since the last signed one
    bool answer_ = false;
    bool first_ = true;
    bool last_signed_ = false;
    std::time_t now_;
};

}  // namespace dnswatch
