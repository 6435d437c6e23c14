// A bounds-checked reader over untrusted bytes (after Knot's wire_ctx). The
// first failed read sets failed(); every later read is a no-op returning 0, so
// callers check once after a group of reads instead of after each.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace dnswatch {

class WireReader {
public:
    explicit WireReader(std::span<const std::uint8_t> bytes, std::size_t offset = 0)
        : bytes_(bytes), pos_(offset <= bytes.size() ? offset : bytes.size()),
          failed_(offset > bytes.size()) {}

    bool failed() const { return failed_; }
    std::size_t offset() const { return pos_; }
    std::size_t remaining() const { return bytes_.size() - pos_; }
    std::span<const std::uint8_t> bytes() const { return bytes_; }

    // True when n more bytes exist; written so that pos_ + n cannot overflow.
    bool has(std::size_t n) const { return !failed_ && n <= bytes_.size() - pos_; }

    std::uint8_t u8() {
        if (!has(1)) return fail();
        return bytes_[pos_++];
    }
    std::uint16_t u16() {
        if (!has(2)) return fail();
        const auto v = static_cast<std::uint16_t>((bytes_[pos_] << 8) | bytes_[pos_ + 1]);
        pos_ += 2;
        return v;
    }
    std::uint32_t u32() {
        if (!has(4)) return fail();
        const std::uint32_t v = (std::uint32_t{bytes_[pos_]} << 24) | (std::uint32_t{bytes_[pos_ + 1]} << 16) |
                                (std::uint32_t{bytes_[pos_ + 2]} << 8) | std::uint32_t{bytes_[pos_ + 3]};
        pos_ += 4;
        return v;
    }
    void skip(std::size_t n) {
        if (!has(n)) {
            fail();
            return;
        }
        pos_ += n;
    }
    // A view of the next n bytes, consumed; empty on failure.
    std::span<const std::uint8_t> take(std::size_t n) {
        if (!has(n)) {
            fail();
            return {};
        }
        auto view = bytes_.subspan(pos_, n);
        pos_ += n;
        return view;
    }
    void seek(std::size_t offset) {
        if (failed_ || offset > bytes_.size()) {
            fail();
            return;
        }
        pos_ = offset;
    }

private:
    std::uint8_t fail() {
        failed_ = true;
        pos_ = bytes_.size();
        return 0;
    }

    std::span<const std::uint8_t> bytes_;
    std::size_t pos_;
    bool failed_;
};

}  // namespace dnswatch
