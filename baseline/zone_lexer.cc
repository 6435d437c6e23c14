#include "baseline/zone_lexer.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace dnswatch {
namespace {

// Each chunk read() brings in; the buffer also keeps room for one whole
// entry, so that an entry never straddles a refill.
constexpr std::size_t kChunk = 4 * 1024 * 1024;

enum CharClass : std::uint8_t {
    kWord,      // part of a word
    kSpace,     // ' ', '\t', '\r' (CR LF files read as LF files)
    kNewline,
    kComment,   // ';'
    kOpen,      // '('
    kClose,     // ')'
    kQuote,     // '"'
    kEscape,    // '\\'
    kNul,       // the buffer's sentinel, or a NUL in the file
    kControl,   // any other byte below 0x20: refused
};

constexpr std::array<CharClass, 256> make_classes() {
    std::array<CharClass, 256> classes{};
    for (int c = 0; c < 256; ++c) classes[c] = kWord;
    for (int c = 1; c < 0x20; ++c) classes[c] = kControl;
    classes[0] = kNul;
    classes[' '] = kSpace;
    classes['\t'] = kSpace;
    classes['\r'] = kSpace;
    classes['\n'] = kNewline;
    classes[';'] = kComment;
    classes['('] = kOpen;
    classes[')'] = kClose;
    classes['"'] = kQuote;
    classes['\\'] = kEscape;
    return classes;
}
constexpr std::array<CharClass, 256> kClasses = make_classes();

inline CharClass class_of(char c) { return kClasses[static_cast<std::uint8_t>(c)]; }

std::string control_reason(char c) {
    char text[64];
    std::snprintf(text, sizeof text, "control character 0x%02x (write it as \\%03u)", static_cast<unsigned char>(c),
                  static_cast<unsigned>(static_cast<unsigned char>(c)));
    return text;
}

}  // namespace

// Left uninitialised: a small file should not cost a 4 MiB memset.
ZoneLexer::ZoneLexer(int fd, std::size_t file_size)
    : fd_(fd), capacity_(kMaxEntrySpan + std::min(file_size, kChunk) + 1) {}

ZoneLexer::ZoneLexer(const char* text, std::size_t size, int first_line, bool part_of_file)
    : fd_(-1), capacity_(0), pos_(text), end_(text + size), line_start_(text), eof_(true),
      part_of_file_(part_of_file), line_(first_line) {}

void ZoneLexer::fail_at(const char* p, const std::string& reason) const {
    throw ZoneSyntaxError(line_, static_cast<int>(p - line_start_) + 1, reason);
}

// Moves what is left to the front and reads until the buffer is full or the
// file ends. Called only between entries, where pos_ is a line's start.
void ZoneLexer::refill() {
    if (!buffer_) buffer_.reset(new char[capacity_]);
    const std::size_t kept = pos_ == nullptr ? 0 : static_cast<std::size_t>(end_ - pos_);
    if (kept != 0) std::memmove(buffer_.get(), pos_, kept);
    char* write = buffer_.get() + kept;
    char* const limit = buffer_.get() + capacity_ - 1;
    while (write < limit) {
        const ssize_t n = ::read(fd_, write, static_cast<std::size_t>(limit - write));
        if (n < 0) {
            if (errno == EINTR) continue;
            throw ZoneSyntaxError(line_, 0, std::string("cannot read: ") + std::strerror(errno));
        }
        if (n == 0) {
            eof_ = true;
            break;
        }
        write += n;
    }
    *write = '\0';
    pos_ = buffer_.get();
    line_start_ = pos_;
    end_ = write;
}

// A word runs to white space, a comment, a parenthesis or the end of the
// line; a backslash escapes the byte after it.
const char* ZoneLexer::scan_word(const char* p, ZoneEntry& entry) {
    const char* const start = p;
    for (;;) {
        const CharClass c = class_of(*p);
        if (c == kWord) {
            ++p;
        } else if (c == kEscape) {
            const char next = p[1];
            const CharClass escaped = class_of(next);
            if (next == '\n' || next == '\r' || (escaped == kNul && p + 1 == end_)) {
                fail_at(p, "backslash at the end of a line");
            }
            if (escaped == kNul) fail_at(p + 1, "NUL byte in the file");
            if (escaped == kControl) fail_at(p + 1, control_reason(next));
            p += 2;
        } else {
            break;
        }
    }
    // ldns drops parentheses inside a word ("ab(cd" reads as "abcd") and
    // splits "ab\"cd\"" oddly: refuse both rather than guess.
    if (class_of(*p) == kQuote) fail_at(p, "quote inside a word");
    if ((class_of(*p) == kOpen || class_of(*p) == kClose) &&
        (class_of(p[1]) == kWord || class_of(p[1]) == kEscape)) {
        fail_at(p, "parenthesis inside a word");
    }
    entry.tokens.push_back({std::string_view(start, static_cast<std::size_t>(p - start)), line_,
                            static_cast<int>(start - line_start_) + 1, false});
    return p;
}

// A quoted string ends at the next unescaped quote on the same line.
const char* ZoneLexer::scan_quoted(const char* p, ZoneEntry& entry) {
    const char* const quote = p;
    const int column = static_cast<int>(quote - line_start_) + 1;
    ++p;
    for (;;) {
        const char c = *p;
        const CharClass cls = class_of(c);
        if (cls == kQuote) break;
        if (c == '\n' || c == '\r' || (cls == kNul && p == end_)) {
            throw ZoneSyntaxError(line_, column, "quoted string not closed on its line");
        }
        if (cls == kNul) fail_at(p, "NUL byte in the file");
        if (cls == kControl) fail_at(p, control_reason(c));
        if (cls == kEscape) {
            const char next = p[1];
            if (next == '\n' || next == '\r' || (class_of(next) == kNul && p + 1 == end_)) {
                throw ZoneSyntaxError(line_, column, "quoted string not closed on its line");
            }
            if (class_of(next) == kNul) fail_at(p + 1, "NUL byte in the file");
            if (class_of(next) == kControl) fail_at(p + 1, control_reason(next));
            p += 2;
            continue;
        }
        ++p;
    }
    entry.tokens.push_back({std::string_view(quote + 1, static_cast<std::size_t>(p - quote - 1)), line_, column, true});
    ++p;
    const CharClass after = class_of(*p);
    if (after == kWord || after == kEscape || after == kQuote) fail_at(p, "no white space after a quoted string");
    return p;
}

void ZoneLexer::fail_too_long(int first_line) const {
    throw ZoneSyntaxError(first_line, 1, "record longer than " + std::to_string(kMaxEntrySpan / 1024) + " KiB");
}

bool ZoneLexer::next(ZoneEntry& entry) {
    for (;;) {
        if (!eof_ && static_cast<std::size_t>(end_ - pos_) <= kMaxEntrySpan) refill();
        if (pos_ == end_) return false;
        entry.tokens.clear();
        entry.owner_blank = class_of(*pos_) == kSpace;  // ldns reads a CR as a space
        entry.directive = *pos_ == '$';
        const int first_line = line_;
        int depth = 0;
        int open_line = 0, open_column = 0;  // the outermost '(' still open
        const char* p = pos_;
        bool done = false;
        while (!done) {
            switch (class_of(*p)) {
                case kWord:
                case kEscape:
                    p = scan_word(p, entry);
                    break;
                case kQuote:
                    p = scan_quoted(p, entry);
                    break;
                case kSpace:
                    ++p;
                    break;
                case kComment:
                    while (*p != '\n' && class_of(*p) != kNul) ++p;
                    break;
                case kOpen:
                    if (depth++ == 0) {
                        open_line = line_;
                        open_column = static_cast<int>(p - line_start_) + 1;
                    }
                    ++p;
                    break;
                case kClose:
                    if (depth == 0) fail_at(p, "')' without '('");
                    --depth;
                    ++p;
                    break;
                case kNewline:
                    if (static_cast<std::size_t>(p - pos_) > kMaxEntrySpan) fail_too_long(first_line);
                    ++p;
                    ++line_;
                    line_start_ = p;
                    done = depth == 0;
                    break;
                case kNul:
                    if (p != end_) fail_at(p, "NUL byte in the file");
                    // Short of the end of the file, the buffer holds more than one entry may span.
                    if (!eof_ || static_cast<std::size_t>(p - pos_) > kMaxEntrySpan) fail_too_long(first_line);
                    if (depth > 0 && part_of_file_) throw ZoneTextEndsInsideEntry{};
                    if (depth > 0) throw ZoneSyntaxError(open_line, open_column, "'(' not closed");
                    done = true;
                    break;
                case kControl:
                    fail_at(p, control_reason(*p));
            }
        }
        pos_ = p;
        if (entry.tokens.empty()) continue;

        std::size_t token_bytes = 0;
        for (const ZoneToken& token : entry.tokens) {
            token_bytes += token.text.size();
            if (token_bytes > kMaxEntryTokenBytes) {
                throw ZoneSyntaxError(token, "record of more than " + std::to_string(kMaxEntryTokenBytes) +
                                                 " bytes of text");
            }
        }
        const ZoneToken& last = entry.tokens.back();
        entry.end_line = last.line;
        entry.end_column = last.column + static_cast<int>(last.text.size()) + (last.quoted ? 2 : 0);
        return true;
    }
}

}  // namespace dnswatch
