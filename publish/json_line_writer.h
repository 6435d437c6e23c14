// Writes one compact JSON object straight into a string, in the order the
// fields are given: the form nlohmann::ordered_json::dump() gives, byte for
// byte, without building a document first.
//
// Why: a record was built as an ordered_json tree (a heap node per field,
// a vector of pairs regrown per object) only to be dumped at once. Under a
// flood of forged servers every packet opens an alert, and building that
// tree was most of the cost of a packet (issue 15: 54,000 packets/s past the
// open-alert bound with JSON, 180,000 without; glibc's allocator spent a
// third of the time in unlink_chunk). The record's text is a contract
// (docs/schema), so the output must not change: strings are escaped as
// nlohmann escapes them (ensure_ascii off), and a string with bytes past
// ASCII, or a floating-point number, is handed to nlohmann itself, so its
// UTF-8 checks and number formatting stay the ones consumers already get.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

namespace dnswatch {

class JsonLineWriter {
public:
    explicit JsonLineWriter(std::string& out) : out_(out) {}

    void begin_object() {
        separate();
        out_ += '{';
        first_ = true;
    }
    void end_object() {
        out_ += '}';
        first_ = false;
    }
    void begin_array() {
        separate();
        out_ += '[';
        first_ = true;
    }
    void end_array() {
        out_ += ']';
        first_ = false;
    }
    // The next value is this member's.
    void key(std::string_view name) {
        separate();
        write_string(name);
        out_ += ':';
        first_ = true;  // the value follows without a comma
    }

    void value(std::string_view text) {
        separate();
        write_string(text);
    }
    void value(const char* text) { value(std::string_view(text)); }
    void value(const std::string& text) { value(std::string_view(text)); }
    void value(bool flag) {
        separate();
        out_ += flag ? "true" : "false";
    }
    template <class Integer>
        requires(std::is_integral_v<Integer> && !std::is_same_v<Integer, bool>)
    void value(Integer number) {
        separate();
        char digits[24];
        const auto end = std::to_chars(digits, digits + sizeof digits, number).ptr;
        out_.append(digits, end);
    }
    void value(double number) {
        separate();
        out_ += nlohmann::ordered_json(number).dump();
    }
    template <class T>
    void value(const std::vector<T>& items) {
        begin_array();
        for (const T& item : items) value(item);
        end_array();
    }

    template <class T>
    void member(std::string_view name, const T& v) {
        key(name);
        value(v);
    }

private:
    void separate() {
        if (!first_) out_ += ',';
        first_ = false;
    }

    void write_string(std::string_view text) {
        for (const char c : text) {
            if (static_cast<unsigned char>(c) >= 0x80) {
                // UTF-8 (or bytes that are not): nlohmann's checks decide.
                out_ += nlohmann::ordered_json(std::string(text)).dump();
                return;
            }
        }
        out_ += '"';
        for (const char c : text) {
            switch (c) {
                case '"': out_ += "\\\""; break;
                case '\\': out_ += "\\\\"; break;
                case '\b': out_ += "\\b"; break;
                case '\f': out_ += "\\f"; break;
                case '\n': out_ += "\\n"; break;
                case '\r': out_ += "\\r"; break;
                case '\t': out_ += "\\t"; break;
                default:
                    if (static_cast<unsigned char>(c) < 0x20) {
                        static constexpr char kHex[] = "0123456789abcdef";
                        out_ += "\\u00";
                        out_ += kHex[(c >> 4) & 0xf];
                        out_ += kHex[c & 0xf];
                    } else {
                        out_ += c;
                    }
            }
        }
        out_ += '"';
    }

    std::string& out_;
    bool first_ = true;
};

}  // namespace dnswatch
