// The master-file tokenizer of the zone reader (RFC 1035 §5.1): splits a
// zone file into entries, one a record or directive, each a list of tokens
// with their line and column. It reads the file once, in chunks, and refuses
// what ldns reads silently or wrongly: unbalanced parentheses, unterminated
// quotes, NUL and other control bytes, a backslash at the end of a line, a
// parenthesis or quote inside a word, entries beyond the bounds below.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dnswatch {

// One token: a word, or a quoted string without its quotes. Escapes are
// left as written (`\.`, `\065`); the field parsers decode them. `text`
// points into the lexer's buffer: valid until the next call of next().
struct ZoneToken {
    std::string_view text;
    int line = 0;
    int column = 0;  // 1-based byte column of its first character (the quote, when quoted)
    bool quoted = false;
};

// A syntax error at a place in the file; the reader adds the file's name.
struct ZoneSyntaxError : std::runtime_error {
    ZoneSyntaxError(int error_line, int error_column, const std::string& reason)
        : std::runtime_error(reason), line(error_line), column(error_column) {}
    ZoneSyntaxError(const ZoneToken& token, const std::string& reason)
        : ZoneSyntaxError(token.line, token.column, reason) {}
    int line;
    int column;
};

// Thrown by a lexer over a part of a file (the text constructor with
// `part_of_file`) when the part ends inside an entry (a '(' still open): the
// caller reads it again joined with the next part. Not an error of the file.
struct ZoneTextEndsInsideEntry {};

// One logical line: a record or a directive, its parentheses joined.
struct ZoneEntry {
    std::vector<ZoneToken> tokens;  // never empty
    bool owner_blank = false;       // starts with white space: the previous owner's record
    bool directive = false;         // starts with '$' in column 1
    int end_line = 0;               // where the entry ends: for "missing field" errors
    int end_column = 0;
};

// A record's tokens may hold at most this many bytes (64 KiB, about what
// ldns allows a record's rdata text), and one entry, comments and
// continuation lines included, may span at most kMaxEntrySpan bytes.
inline constexpr std::size_t kMaxEntryTokenBytes = 65535;
inline constexpr std::size_t kMaxEntrySpan = 256 * 1024;

class ZoneLexer {
public:
    // `fd` is an open regular file of about `file_size` bytes (it sizes the
    // buffer), read from its current offset; the lexer does not close it.
    // Read errors throw ZoneSyntaxError.
    ZoneLexer(int fd, std::size_t file_size);
    // Over text in memory, whole entries, with a NUL at text[size] (the
    // sentinel the scanner stops at); its first line is numbered
    // `first_line`. With `part_of_file`, ending inside an entry throws
    // ZoneTextEndsInsideEntry instead of "'(' not closed" (a reload reads a
    // file's changed parts alone: baseline/zone_file_index.h).
    ZoneLexer(const char* text, std::size_t size, int first_line, bool part_of_file);

    // Fills `entry` with the next record or directive; false at the end of
    // the file. Throws ZoneSyntaxError.
    bool next(ZoneEntry& entry);

    // Where the file ended (after next() returned false).
    int line() const { return line_; }
    int column() const { return static_cast<int>(pos_ - line_start_) + 1; }

private:
    void refill();
    const char* scan_word(const char* p, ZoneEntry& entry);
    const char* scan_quoted(const char* p, ZoneEntry& entry);
    [[noreturn]] void fail_at(const char* p, const std::string& reason) const;
    [[noreturn]] void fail_too_long(int first_line) const;

    int fd_;
    // The data, then a NUL sentinel at end_: room for one whole entry past
    // the position of any refill, and for a chunk (or the whole file) to read.
    std::unique_ptr<char[]> buffer_;
    std::size_t capacity_;
    const char* pos_ = nullptr;
    const char* end_ = nullptr;
    const char* line_start_ = nullptr;
    bool eof_ = false;
    bool part_of_file_ = false;
    int line_ = 1;
};

}  // namespace dnswatch
