#include "decode/dns_name.h"

#include <cstring>

namespace dnswatch {
namespace {

constexpr std::uint8_t to_lower(std::uint8_t c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<std::uint8_t>(c | 0x20) : c;
}

bool needs_escape(std::uint8_t c) {
    switch (c) {
        case '.': case '\\': case '"': case '(': case ')': case ';': case '@': case '$':
            return true;
        default:
            return false;
    }
}

}  // namespace

MalformedKind read_name(std::span<const std::uint8_t> message, std::size_t offset, DnsName* out,
                        std::size_t* next) {
    std::size_t pos = offset;
    std::size_t limit = message.size();  // shrinks to each followed pointer's position
    bool jumped = false;
    int hops = 0;
    std::size_t length = 0;
    std::uint8_t labels = 0;
    DnsName scratch;
    DnsName& name = out != nullptr ? *out : scratch;

    while (true) {
        if (pos >= limit) {
            return jumped ? MalformedKind::dns_pointer_loop : MalformedKind::dns_truncated;
        }
        const std::uint8_t octet = message[pos];
        if (octet == 0) {
            if (length + 1 > kMaxNameLength) return MalformedKind::dns_name_too_long;
            name.wire[length++] = 0;
            name.length = static_cast<std::uint8_t>(length);
            name.label_count = labels;
            if (!jumped) *next = pos + 1;
            return MalformedKind::none;
        }
        const std::uint8_t label_type = octet & 0xC0;
        if (label_type == 0xC0) {
            if (pos + 1 >= limit) {
                return jumped ? MalformedKind::dns_pointer_loop : MalformedKind::dns_truncated;
            }
            const std::size_t target = (std::size_t{octet & 0x3Fu} << 8) | message[pos + 1];
            if (!jumped) *next = pos + 2;
            if (target >= pos) return MalformedKind::dns_forward_pointer;
            if (++hops > kMaxCompressionHops) return MalformedKind::dns_pointer_loop;
            jumped = true;
            limit = pos;
            pos = target;
            continue;
        }
        if (label_type != 0) return MalformedKind::dns_bad_label_type;
        // The label and at least one more byte (next label or root) must fit.
        if (octet >= limit - pos - 1) {
            return jumped ? MalformedKind::dns_pointer_loop : MalformedKind::dns_truncated;
        }
        if (length + 1 + octet + 1 > kMaxNameLength) return MalformedKind::dns_name_too_long;
        name.wire[length++] = octet;
        for (std::size_t i = 0; i < octet; ++i) name.wire[length++] = to_lower(message[pos + 1 + i]);
        ++labels;
        pos += 1 + octet;
    }
}

std::uint32_t hash_name(const DnsName& name) {
    std::uint32_t h = 2166136261u;
    for (std::size_t i = 0; i < name.length; ++i) {
        h ^= name.wire[i];
        h *= 16777619u;
    }
    return h;
}

std::string DnsName::to_text() const {
    if (length <= 1) return ".";
    std::string text;
    text.reserve(length);
    std::size_t pos = 0;
    while (pos < length && wire[pos] != 0) {
        const std::uint8_t label_length = wire[pos];
        if (!text.empty()) text.push_back('.');
        for (std::size_t i = 1; i <= label_length; ++i) {
            const std::uint8_t c = wire[pos + i];
            if (c <= 0x20 || c >= 0x7F) {
                char escaped[5];
                escaped[0] = '\\';
                escaped[1] = static_cast<char>('0' + c / 100);
                escaped[2] = static_cast<char>('0' + (c / 10) % 10);
                escaped[3] = static_cast<char>('0' + c % 10);
                escaped[4] = '\0';
                text.append(escaped);
            } else {
                if (needs_escape(c)) text.push_back('\\');
                text.push_back(static_cast<char>(c));
            }
        }
        pos += 1 + label_length;
    }
    return text;
}

std::optional<DnsName> DnsName::from_text(std::string_view text) {
    DnsName name;
    if (text == "." || text.empty()) {
        name.wire[0] = 0;
        name.length = 1;
        return name;
    }
    std::size_t length = 0;
    std::size_t label_start = 0;  // index of the current label's length byte
    std::size_t label_length = 0;
    name.wire[0] = 0;
    length = 1;
    auto close_label = [&]() -> bool {
        if (label_length == 0 || label_length > kMaxLabelLength) return false;
        name.wire[label_start] = static_cast<std::uint8_t>(label_length);
        ++name.label_count;
        label_start = length;
        if (length >= kMaxNameLength) return false;
        name.wire[length++] = 0;
        label_length = 0;
        return true;
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        std::uint8_t c = static_cast<std::uint8_t>(text[i]);
        if (c == '.') {
            if (!close_label()) return std::nullopt;
            if (i + 1 == text.size()) break;  // trailing dot
            continue;
        }
        if (c == '\\') {
            if (i + 1 >= text.size()) return std::nullopt;
            const auto d = [&](std::size_t k) { return text[k] >= '0' && text[k] <= '9'; };
            if (d(i + 1)) {
                if (i + 3 >= text.size() || !d(i + 2) || !d(i + 3)) return std::nullopt;
                const int value = (text[i + 1] - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
                if (value > 255) return std::nullopt;
                c = static_cast<std::uint8_t>(value);
                i += 3;
            } else {
                c = static_cast<std::uint8_t>(text[++i]);
            }
        }
        if (length >= kMaxNameLength - 1) return std::nullopt;
        name.wire[length++] = to_lower(c);
        ++label_length;
    }
    if (label_length > 0 && !close_label()) return std::nullopt;
    // The last close_label() left a zero byte at label_start: the root label.
    name.length = static_cast<std::uint8_t>(label_start + 1);
    return name;
}

bool DnsName::is_at_or_below(const DnsName& zone) const {
    if (label_count < zone.label_count) return false;
    const std::string_view suffix = suffix_key(label_count - zone.label_count);
    return suffix == zone.key();
}

std::string_view DnsName::suffix_key(unsigned skip) const {
    std::size_t pos = 0;
    for (unsigned i = 0; i < skip && pos < length && wire[pos] != 0; ++i) pos += 1 + wire[pos];
    return key().substr(pos);
}

}  // namespace dnswatch
