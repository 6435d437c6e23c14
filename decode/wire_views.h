// What the typed views of decode/rr_views.h and decode/edns.h are built
// from: Parsed (a view, or why there is none) and WireRange (a forward range
// over wire bytes already validated for its layout, so that iterating cannot
// fail). Each list layout says once how an item is read and how long it is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "decode/decode_counters.h"

namespace dnswatch {

// A view, or why there is none. Error{} (the enum's zero) means success.
template <typename View, typename Error = MalformedKind>
struct Parsed {
    Error error{};
    View view{};

    bool ok() const { return error == Error{}; }
    explicit operator bool() const { return ok(); }
    const View& operator*() const { return view; }
    const View* operator->() const { return &view; }
};

// Items laid end to end in `wire`. `Layout` gives `value_type`,
// `item(wire, pos)` (the item starting at pos) and `length(wire, pos)` (the
// bytes it takes), both trusted: the bytes were validated before of_valid().
template <typename Layout>
class WireRange {
public:
    using value_type = typename Layout::value_type;

    class iterator {
    public:
        using value_type = typename Layout::value_type;
        using difference_type = std::ptrdiff_t;
        iterator() = default;
        iterator(std::span<const std::uint8_t> wire, std::size_t pos) : wire_(wire), pos_(pos) {}
        value_type operator*() const { return Layout::item(wire_, pos_); }
        iterator& operator++() {
            pos_ += Layout::length(wire_, pos_);
            return *this;
        }
        iterator operator++(int) {
            iterator before = *this;
            ++*this;
            return before;
        }
        friend bool operator==(const iterator& a, const iterator& b) { return a.pos_ == b.pos_; }

    private:
        std::span<const std::uint8_t> wire_;
        std::size_t pos_ = 0;
    };

    WireRange() = default;

    iterator begin() const { return {wire_, 0}; }
    iterator end() const { return {wire_, wire_.size()}; }
    bool empty() const { return wire_.empty(); }
    std::size_t count() const {
        std::size_t n = 0;
        for (auto it = begin(); it != end(); ++it) ++n;
        return n;
    }
    std::span<const std::uint8_t> wire() const { return wire_; }

protected:
    explicit WireRange(std::span<const std::uint8_t> wire) : wire_(wire) {}
    std::span<const std::uint8_t> wire_;
};

// A 16-bit key, a 16-bit length and that many bytes of value, repeated:
// EDNS options (RFC 6891 6.1.2) and SvcParams (RFC 9460 2.2). `Item` is an
// aggregate {key, value}.
template <typename Item>
struct KeyLengthValueLayout {
    using value_type = Item;
    static std::size_t value_length(std::span<const std::uint8_t> wire, std::size_t pos) {
        return (std::size_t{wire[pos + 2]} << 8) | wire[pos + 3];
    }
    static Item item(std::span<const std::uint8_t> wire, std::size_t pos) {
        return Item{static_cast<std::uint16_t>((wire[pos] << 8) | wire[pos + 1]),
                    wire.subspan(pos + 4, value_length(wire, pos))};
    }
    static std::size_t length(std::span<const std::uint8_t> wire, std::size_t pos) {
        return 4 + value_length(wire, pos);
    }
};

template <typename Item>
class KeyLengthValueList : public WireRange<KeyLengthValueLayout<Item>> {
public:
    KeyLengthValueList() = default;
    // True when every item's length stays inside `wire`.
    static bool valid(std::span<const std::uint8_t> wire) {
        std::size_t pos = 0;
        while (pos < wire.size()) {
            if (wire.size() - pos < 4) return false;
            const std::size_t n = KeyLengthValueLayout<Item>::length(wire, pos);
            if (n > wire.size() - pos) return false;
            pos += n;
        }
        return true;
    }
    // `wire` must be valid().
    static KeyLengthValueList of_valid(std::span<const std::uint8_t> wire) { return KeyLengthValueList(wire); }
    // The first item with this key.
    std::optional<Item> find(std::uint16_t key) const {
        for (std::size_t pos = 0; pos < this->wire_.size(); pos += KeyLengthValueLayout<Item>::length(this->wire_, pos)) {
            if (((this->wire_[pos] << 8) | this->wire_[pos + 1]) == key) {
                return KeyLengthValueLayout<Item>::item(this->wire_, pos);
            }
        }
        return std::nullopt;
    }

private:
    explicit KeyLengthValueList(std::span<const std::uint8_t> wire) : WireRange<KeyLengthValueLayout<Item>>(wire) {}
};

}  // namespace dnswatch
