#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "publish/signed_note.h"

namespace dnswatch {
namespace {

// The example of Go's golang.org/x/mod/sumdb/note, the reference
// implementation of C2SP signed notes: Ed25519 is deterministic, so our
// signature must match the published one byte for byte.
constexpr const char* kVerifier = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr const char* kSigner = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr const char* kText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
constexpr const char* kSignatureLine =
    "\xE2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

TEST(SignedNote, ReproducesTheReferenceExampleByteForByte) {
    const auto signer = NoteSigner::parse(kSigner);
    ASSERT_TRUE(signer);
    EXPECT_EQ(signer->to_string(), kSigner);
    EXPECT_EQ(signer->verifier().to_string(), kVerifier);
    EXPECT_EQ(signer->sign(kText), std::string(kText) + "\n" + kSignatureLine);
}

TEST(SignedNote, OpensTheReferenceNoteAndRejectsAnyChange) {
    const auto verifier = NoteVerifier::parse(kVerifier);
    ASSERT_TRUE(verifier);
    const std::string note = std::string(kText) + "\n" + kSignatureLine;
    EXPECT_EQ(open_note(note, *verifier), kText);
    for (std::size_t i = 0; i < std::string(kText).size(); ++i) {
        std::string tampered = note;
        tampered[i] ^= 0x01;
        EXPECT_FALSE(open_note(tampered, *verifier)) << "byte " << i;
    }
    // Another key's signature alone does not open it.
    const auto other = NoteSigner::generate("PeterNeumann");
    EXPECT_FALSE(open_note(other.sign(kText), *verifier));
    // But a note signed by both opens for either.
    const std::string both = note + other.sign(kText).substr(std::string(kText).size() + 1);
    EXPECT_EQ(open_note(both, *verifier), kText);
    EXPECT_EQ(open_note(both, other.verifier()), kText);
}

TEST(SignedNote, KeysRoundTripAndManglingIsRejected) {
    const auto signer = NoteSigner::generate("dnswatch.example/sensor-1");
    const auto again = NoteSigner::parse(signer.to_string());
    ASSERT_TRUE(again);
    EXPECT_EQ(again->verifier().to_string(), signer.verifier().to_string());
    EXPECT_EQ(open_note(again->sign("a\n"), signer.verifier()), "a\n");

    EXPECT_FALSE(NoteVerifier::parse("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"));
    EXPECT_FALSE(NoteVerifier::parse("PeterNeumann+c74f20a3+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"));
    EXPECT_FALSE(NoteVerifier::parse("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"));
    EXPECT_FALSE(NoteVerifier::parse("PeterNeumann+c74f20a3"));
    EXPECT_FALSE(NoteSigner::parse(kVerifier));
    EXPECT_THROW(NoteSigner::generate("has space"), std::invalid_argument);
    EXPECT_THROW(signer.sign("no final newline"), std::invalid_argument);
    EXPECT_THROW(signer.sign("blank\n\nline\n"), std::invalid_argument);
}

// signed-note: no ASCII control character but newline; verifiers take at
// least 16 signatures and may bound them (we take up to 100).
TEST(SignedNote, ControlCharactersAndSignatureFloodsAreRefused) {
    const auto signer = NoteSigner::generate("dnswatch.example/log");
    EXPECT_FALSE(open_note(signer.sign("tab\there\n"), signer.verifier()));
    EXPECT_FALSE(open_note(signer.sign("carriage\r\n"), signer.verifier()));
    const std::string note = signer.sign("text\n");
    const std::string line = note.substr(note.find("\n\n") + 2);
    std::string others;
    for (int i = 0; i < 15; ++i) others += NoteSigner::generate("other" + std::to_string(i)).sign("text\n").substr(6);
    EXPECT_EQ(open_note(note + others, signer.verifier()), "text\n");  // 16 signatures
    std::string flood = others;
    while (std::count(flood.begin(), flood.end(), '\n') <= 100) flood += others;
    EXPECT_FALSE(open_note(note + flood, signer.verifier()));
}

// One spelling per key and signature: libsodium alone took bytes above
// 0x7f as base64 letters and non-zero padding bits (fuzz_key_files).
TEST(SignedNote, OnlyCanonicalBase64Decodes) {
    EXPECT_EQ(base64_decode("AQIDBA=="), std::string("\x01\x02\x03\x04"));
    EXPECT_EQ(base64_decode(""), std::string());
    EXPECT_FALSE(base64_decode("AB=="));  // padding bits set: decodes to "\0" like "AA=="
    EXPECT_FALSE(base64_decode(std::string(71, '\xd6')));
    EXPECT_FALSE(base64_decode("AQIDBA"));  // padding missing
    EXPECT_FALSE(base64_decode("AQID BA=="));
}

}  // namespace
}  // namespace dnswatch
