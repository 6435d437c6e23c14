// C2SP signed notes with Ed25519 (libsodium): the form transparency-log
// checkpoints are signed in, so that existing tools (Go's sumdb/note,
// sigsum, the transparency-dev witnesses) read ours.
//
//   key id      = SHA-256(name || 0x0A || 0x01 || public key)[:4]
//   verifier    = <name>+<hex key id>+<base64(0x01 || public key)>
//   signer      = PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || 32-byte seed)>
//   note        = text ending in '\n', a blank line, then one line per
//                 signature: "\u2014 <name> <base64(key id || signature)>\n"
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dnswatch {

struct NoteVerifier {
    std::string name;
    std::array<std::uint8_t, 4> key_id{};
    std::array<std::uint8_t, 32> public_key{};

    // Parses "<name>+<hex id>+<base64>"; nullopt when malformed or when the
    // id does not match the key.
    static std::optional<NoteVerifier> parse(std::string_view text);
    std::string to_string() const;
};

class NoteSigner {
public:
    // A fresh key pair from libsodium's random source.
    static NoteSigner generate(std::string name);
    // Parses "PRIVATE+KEY+<name>+<hex id>+<base64>"; nullopt when malformed.
    static std::optional<NoteSigner> parse(std::string_view text);

    std::string to_string() const;  // the secret form; keep it 0600
    const NoteVerifier& verifier() const { return verifier_; }

    // Signs `text` (which must end in '\n' and hold no blank line) and
    // returns the whole signed note.
    std::string sign(std::string_view text) const;

private:
    NoteVerifier verifier_;
    std::array<std::uint8_t, 32> seed_{};
};

// Returns the signed text (up to and including its last '\n' before the
// blank line) when `note` carries a valid signature by `verifier`.
std::optional<std::string> open_note(std::string_view note, const NoteVerifier& verifier);

// Standard base64 (RFC 4648, padded), as the note format uses.
std::string base64_encode(const std::uint8_t* data, std::size_t size);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace dnswatch
