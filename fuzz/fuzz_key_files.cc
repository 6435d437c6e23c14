// libFuzzer target: the key files the sensor and its tools read. Byte 0
// picks, the rest is the file:
//   0  a CurveZMQ key file (publish.zmq.curve_key_file, client_keys, the
//      relay's and tail's keys): CurveKeyPair::load
//   1  a transparency log signing key (transparency_log.key_file): the
//      first line through NoteSigner::parse, as the sensor reads it
//   2  a log verifier key (log.pub, `tlog verify --key`): NoteVerifier::parse
//   3  base64 as the notes carry it: base64_decode
// Checks: a refused key file is a std::runtime_error naming the file; a
// loaded CURVE key is 40 Z85 characters (its secret too, when present); a
// parsed signer or verifier prints back to what parses to the same key; a
// signer's signature opens with its own verifier; base64 that decodes
// encodes back to the same text.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_input.h"
#include "publish/signed_note.h"
#include "publish/zmq_security.h"

namespace dnswatch {
namespace {

void curve_key_file(std::span<const std::uint8_t> content) {
    const std::string path = fuzz::scratch_dir("key_files") + "/curve.key";
    if (!fuzz::write_file(path, content)) return;
    try {
        const CurveKeyPair keys = CurveKeyPair::load(path);
        FUZZ_CHECK(keys.public_key.size() == 40);
        FUZZ_CHECK(keys.secret_key.empty() || keys.secret_key.size() == 40);
    } catch (const std::runtime_error& refused) {
        FUZZ_CHECK(std::string(refused.what()).rfind(path + ":", 0) == 0);
    }
}

void signer_key(std::string_view text) {
    const std::string_view line = text.substr(0, text.find('\n'));
    const auto signer = NoteSigner::parse(line);
    if (!signer) return;
    const auto again = NoteSigner::parse(signer->to_string());
    FUZZ_CHECK(again && again->to_string() == signer->to_string());
    const std::string note = signer->sign("fuzz.dnswatch.test/log\n1\nAAAA\n");
    FUZZ_CHECK(open_note(note, signer->verifier()).has_value());
}

void verifier_key(std::string_view text) {
    const auto verifier = NoteVerifier::parse(text);
    if (!verifier) return;
    const auto again = NoteVerifier::parse(verifier->to_string());
    FUZZ_CHECK(again && again->public_key == verifier->public_key && again->key_id == verifier->key_id &&
               again->name == verifier->name);
}

void base64(std::string_view text) {
    const auto decoded = base64_decode(text);
    if (!decoded) return;
    FUZZ_CHECK(base64_encode(reinterpret_cast<const std::uint8_t*>(decoded->data()), decoded->size()) == text);
}

}  // namespace
}  // namespace dnswatch

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace dnswatch;
    if (size == 0) return 0;
    const std::span<const std::uint8_t> rest(data + 1, size - 1);
    const std::string text = fuzz::text_of(rest);
    switch (data[0] % 4) {
        case 0: curve_key_file(rest); break;
        case 1: signer_key(text); break;
        case 2: verifier_key(text); break;
        default: base64(text); break;
    }
    return 0;
}
