#include "baseline/zone_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "baseline/zone_fields.h"
#include "baseline/zone_lexer.h"
#include "baseline/zone_rdata.h"

namespace dnswatch {
namespace {

constexpr std::uint32_t kDefaultTtl = 3600;  // what dnswatch's ldns reader passes as ldns's default TTL
constexpr std::uint16_t kClassIn = 1;
constexpr std::size_t kMaxRdataLength = 65535;

class FileDescriptor {
public:
    explicit FileDescriptor(int fd) : fd_(fd) {}
    ~FileDescriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

// Refuses what is not a regular file (a FIFO, /dev/zero, a folder) before
// a byte is read, and returns its size. The caller opens it with O_NONBLOCK,
// so that open() of a FIFO does not wait for a writer.
std::size_t check_regular_file(const std::string& path, const FileDescriptor& file) {
    if (file.get() < 0) throw ZoneFileError(path, 0, std::string("cannot open: ") + std::strerror(errno));
    struct stat status {};
    if (::fstat(file.get(), &status) != 0) throw ZoneFileError(path, 0, std::string("cannot stat: ") + std::strerror(errno));
    if (!S_ISREG(status.st_mode)) throw ZoneFileError(path, 0, "not a regular file");
    return static_cast<std::size_t>(status.st_size);
}

bool ends_with_unescaped_dot(std::string_view text) {
    if (text.empty() || text.back() != '.') return false;
    std::size_t backslashes = 0;
    for (std::size_t i = text.size() - 1; i > 0 && text[i - 1] == '\\'; --i) ++backslashes;
    return backslashes % 2 == 0;
}

// The owner as DnsName holds it: lower case.
void to_owner(const WireName& name, DnsName& owner) {
    for (std::size_t i = 0; i < name.length; ++i) {
        const std::uint8_t c = name.bytes[i];
        owner.wire[i] = (c >= 'A' && c <= 'Z') ? static_cast<std::uint8_t>(c | 0x20) : c;
    }
    owner.length = name.length;
    owner.label_count = name.labels;
}

class ZoneReader {
public:
    ZoneReader(const std::string& path, const ZoneReadOptions& options, ZoneReaderState& state,
               const std::function<void(const ZoneFileRecord&)>& on_record)
        : path_(path), on_record_(on_record), state_(state) {
        if (options.zone) {
            zone_ = DnsName::from_text(*options.zone);
            if (!zone_) throw ZoneFileError(path, 0, "bad zone name '" + *options.zone + "'");
        }
    }

    // The state before the first entry of a file read with `options`.
    static void start(const std::string& path, const ZoneReadOptions& options, ZoneReaderState& state) {
        if (!options.origin) return;
        std::string text = *options.origin;
        if (!ends_with_unescaped_dot(text)) text += '.';  // "victim.test" names the same zone
        try {
            set_origin(ZoneToken{text, 0, 0, false}, state);
        } catch (const ZoneSyntaxError& error) {
            throw ZoneFileError(path, 0, "bad origin '" + *options.origin + "': " + error.what());
        }
        to_owner(state.origin, state.previous_owner);
    }

    // Entries of text in memory (whole ones), from the state given.
    std::size_t read_text(std::string_view text, int first_line, bool part_of_file) {
        ZoneLexer lexer(text.data(), text.size(), first_line, part_of_file);
        try {
            read_entries(lexer);
        } catch (const ZoneSyntaxError& error) {
            throw ZoneFileError(path_, error.line, error.column, error.what());
        }
        return records_;
    }

    void read() {
        const FileDescriptor file(::open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
        const std::size_t file_size = check_regular_file(path_, file);
        ZoneLexer lexer(file.get(), file_size);
        try {
            read_entries(lexer);
            if (records_ == 0) throw ZoneSyntaxError(lexer.line(), lexer.column(), "no records in the file");
        } catch (const ZoneSyntaxError& error) {
            throw ZoneFileError(path_, error.line, error.column, error.what());
        }
    }

private:
    // Every entry the lexer gives, a directive or a record, in order.
    void read_entries(ZoneLexer& lexer) {
        ZoneEntry entry;
        while (lexer.next(entry)) {
            if (entry.directive) {
                directive(entry);
            } else {
                record(entry);
            }
        }
    }

    const WireName* origin() const { return state_.origin.length != 0 ? &state_.origin : nullptr; }

    static void set_origin(const ZoneToken& token, ZoneReaderState& state) {
        if (!ends_with_unescaped_dot(token.text)) {
            throw ZoneSyntaxError(token, "$ORIGIN needs an absolute name (ending in '.'), not '" +
                                             std::string(token.text) + "'");
        }
        parse_name(token, nullptr, state.origin);
        state.origin_text = name_to_ldns_text(state.origin);
    }

    void directive(const ZoneEntry& entry) {
        const ZoneToken& keyword = entry.tokens.front();
        const auto argument = [&]() -> const ZoneToken& {
            if (entry.tokens.size() < 2) {
                throw ZoneSyntaxError(entry.end_line, entry.end_column, "missing value after " + std::string(keyword.text));
            }
            if (entry.tokens.size() > 2) {
                throw ZoneSyntaxError(entry.tokens[2], "unexpected '" + std::string(entry.tokens[2].text) + "' after " +
                                                           std::string(keyword.text));
            }
            return entry.tokens[1];
        };
        // Upper case only, as ldns reads them: it takes "$ttl 60" for a record.
        if (keyword.text == "$ORIGIN") {
            set_origin(argument(), state_);
        } else if (keyword.text == "$TTL") {
            state_.default_ttl = parse_ttl(argument(), "$TTL");
        } else if (equals_ignoring_case(keyword.text, "$INCLUDE")) {
            throw ZoneSyntaxError(keyword, "$INCLUDE is not supported: put the records in this file");
        } else if (equals_ignoring_case(keyword.text, "$GENERATE")) {
            throw ZoneSyntaxError(keyword, "$GENERATE is not supported: write the records out");
        } else {
            throw ZoneSyntaxError(keyword, "unknown directive '" + std::string(keyword.text) +
                                               "' (the directives are $ORIGIN and $TTL, in upper case)");
        }
    }

    void record(const ZoneEntry& entry) {
        const std::span<const ZoneToken> tokens = entry.tokens;
        std::size_t at = 0;
        if (!entry.owner_blank) {
            const ZoneToken& token = tokens[at++];
            WireName name;
            parse_name(token, origin(), name);
            to_owner(name, state_.previous_owner);
            if (zone_ && !state_.previous_owner.is_at_or_below(*zone_)) {
                throw ZoneSyntaxError(token, "owner '" + state_.previous_owner.to_text() + "' is outside the zone '" +
                                                 zone_->to_text() + "'");
            }
        } else if (state_.previous_owner.length == 0) {
            // ldns falls back on the origin until a record names its owner.
            if (origin() == nullptr) throw ZoneSyntaxError(tokens[0], "no owner: this record starts with white space");
            to_owner(state_.origin, owner_);
        }
        const DnsName& owner = state_.previous_owner.length != 0 ? state_.previous_owner : owner_;
        if (entry.owner_blank && zone_ && !owner.is_at_or_below(*zone_)) {
            throw ZoneSyntaxError(tokens[0], "owner '" + owner.to_text() + "' is outside the zone '" + zone_->to_text() + "'");
        }

        std::optional<std::uint32_t> ttl;
        std::optional<std::uint16_t> rrclass;
        while (at < tokens.size() && !tokens[at].quoted && (!ttl || !rrclass)) {
            const ZoneToken& token = tokens[at];
            if (!ttl && token.text[0] >= '0' && token.text[0] <= '9') {
                ttl = parse_ttl(token, "TTL");
            } else if (const auto parsed = rrclass ? std::nullopt : parse_class(token.text)) {
                rrclass = parsed;
            } else {
                break;
            }
            ++at;
        }
        if (at == tokens.size()) throw ZoneSyntaxError(entry.end_line, entry.end_column, "missing type");
        const ZoneToken& type_token = tokens[at++];
        const auto type = type_token.quoted ? std::nullopt : parse_type(type_token.text);
        if (!type) throw ZoneSyntaxError(type_token, "unknown type '" + std::string(type_token.text) + "'");

        const std::span<const ZoneToken> rdata_tokens = tokens.subspan(at);
        rdata_.clear();
        const RdataEnd end{entry.end_line, entry.end_column};
        if (!rdata_tokens.empty() && is_generic_marker(rdata_tokens[0])) {
            generic_rdata(*type, rdata_tokens, end);
        } else {
            for (const ZoneToken& token : rdata_tokens) {
                if (is_generic_marker(token)) throw ZoneSyntaxError(token, "\\# must start the rdata");
            }
            if (has_rdata_parser(*type)) {
                parse_rdata(*type, rdata_tokens, origin(), end, rdata_);
            } else {
                rdata_from_ldns(*type, rdata_tokens, end);
            }
        }
        if (rdata_.size() > kMaxRdataLength) {
            throw ZoneSyntaxError(rdata_tokens[0], "rdata of " + std::to_string(rdata_.size()) + " bytes, over " +
                                                       std::to_string(kMaxRdataLength));
        }
        ++records_;
        on_record_(ZoneFileRecord{owner, *type, rrclass.value_or(kClassIn), ttl.value_or(state_.default_ttl), rdata_,
                                  tokens[0].line});
    }

    static bool is_generic_marker(const ZoneToken& token) { return !token.quoted && token.text == "\\#"; }

    // RFC 3597 "\# length hex...": checked here, read by ldns, which also
    // checks the bytes against the type's own form.
    void generic_rdata(std::uint16_t type, std::span<const ZoneToken> tokens, RdataEnd end) {
        if (tokens.size() < 2) throw ZoneSyntaxError(end.line, end.column, "missing length after \\#");
        const std::uint32_t length = parse_number(tokens[1], kMaxRdataLength, "\\# length");
        std::size_t digits = 0;
        for (const ZoneToken& token : tokens.subspan(2)) {
            for (const char c : token.text) {
                const bool hex = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
                if (token.quoted || !hex) throw ZoneSyntaxError(token, "bad hex '" + std::string(token.text) + "'");
            }
            digits += token.text.size();
        }
        if (digits != 2 * std::size_t{length}) {
            throw ZoneSyntaxError(tokens[1], "\\# says " + std::to_string(length) + " bytes, the hex holds " +
                                                 std::to_string(digits) + " digits");
        }
        rdata_from_ldns(type, tokens, end);
        if (rdata_.size() != length) {
            throw ZoneSyntaxError(tokens[0], "\\# data is not a valid rdata of type " + rrtype_to_text(type));
        }
    }

    // Types without a parser of their own: ldns reads the record's text.
    // Without an origin, the text is read under two origins: if the bytes
    // differ, it held a relative name (which ldns would take as absolute).
    void rdata_from_ldns(std::uint16_t type, std::span<const ZoneToken> tokens, RdataEnd end) {
        std::string text;
        for (const ZoneToken& token : tokens) {
            if (!text.empty()) text.push_back(' ');
            if (token.quoted) text.push_back('"');
            text.append(token.text);
            if (token.quoted) text.push_back('"');
        }
        const auto fail_at = [&](const std::string& reason) {
            if (tokens.empty()) return ZoneSyntaxError(end.line, end.column, reason);
            return ZoneSyntaxError(tokens[0], reason);
        };
        try {
            if (origin() != nullptr) {
                rdata_ = rdata_from_text(type, text, state_.origin_text);
                return;
            }
            rdata_ = rdata_from_text(type, text, std::string("a.zone-reader.invalid."));
            if (rdata_ != rdata_from_text(type, text, std::string("b.zone-reader.invalid."))) {
                throw fail_at("relative name in the rdata but no origin ($ORIGIN, or the zone's origin)");
            }
        } catch (const std::invalid_argument& error) {
            throw fail_at("bad " + rrtype_to_text(type) + " rdata: " + error.what());
        }
    }

    const std::string& path_;
    const std::function<void(const ZoneFileRecord&)>& on_record_;
    ZoneReaderState& state_;
    std::optional<DnsName> zone_;
    DnsName owner_;           // a blank owner before any owner: the origin
    std::vector<std::uint8_t> rdata_;
    std::size_t records_ = 0;
};

}  // namespace

void read_zone(const std::string& path, const ZoneReadOptions& options,
               const std::function<void(const ZoneFileRecord&)>& on_record) {
    ZoneReaderState state = zone_reader_start(path, options);
    ZoneReader(path, options, state, on_record).read();
}

ZoneReaderState zone_reader_start(const std::string& path, const ZoneReadOptions& options) {
    ZoneReaderState state;
    state.default_ttl = kDefaultTtl;
    ZoneReader::start(path, options, state);
    return state;
}

std::size_t read_zone_text(const std::string& path, std::string_view text, int first_line, bool part_of_file,
                           ZoneReaderState& state, const std::function<void(const ZoneFileRecord&)>& on_record) {
    return ZoneReader(path, ZoneReadOptions{}, state, on_record).read_text(text, first_line, part_of_file);
}

std::vector<ZoneRecord> read_zone_records(const std::string& path, const ZoneReadOptions& options) {
    std::vector<ZoneRecord> records;
    read_zone(path, options, [&](const ZoneFileRecord& record) {
        ZoneRecord& added = records.emplace_back();
        std::memcpy(added.owner.wire.data(), record.owner.wire.data(), record.owner.length);
        added.owner.length = record.owner.length;
        added.owner.label_count = record.owner.label_count;
        added.type = record.type;
        added.ttl = record.ttl;
        added.rdata.assign(record.rdata.begin(), record.rdata.end());
    });
    return records;
}

}  // namespace dnswatch
