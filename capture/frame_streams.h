// Frame Streams, the framing dnstap travels in (https://github.com/farsightsec/fstrm,
// its PROTOCOL): a byte stream of frames, each a 32-bit big-endian length and
// that many bytes. A length of 0 escapes a control frame: its own 32-bit
// length, then a 32-bit type (READY, ACCEPT, START, STOP, FINISH) and fields
// (the content type, "protobuf:dnstap.Dnstap"). A writer on a socket says
// READY, the reader answers ACCEPT, the writer says START, sends data frames,
// says STOP, and the reader answers FINISH (the bidirectional handshake); a
// file starts at START and ends at STOP.
//
// capture/ moves the data frames without reading them (decode/ does). This
// reader parses whatever bytes have arrived so far, so that one thread can
// serve many sockets without blocking on any: a data frame is handed out as a
// view into the caller's bytes, never copied; every length is checked against
// a bound before its bytes are waited for; the first violation ends the
// stream (its writer is dropped). Control frames are decoded and encoded by
// libfstrm (which copies a control frame's few fields; a stream has at most
// three control frames before anything out of order ends it).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct fstrm_control;

namespace dnswatch {

inline constexpr std::string_view kDnstapContentType = "protobuf:dnstap.Dnstap";

class FrameStreamReader {
public:
    enum class Status : std::uint8_t {
        need_more,   // no complete item yet: call again with more bytes
        data_frame,  // `frame` is one data frame
        control,     // a control frame was taken in (a reply may be pending)
        finished,    // STOP: the stream ended cleanly
        error,       // the stream broke the protocol: error() says how
    };
    enum class Error : std::uint8_t {
        none,
        frame_too_large,     // a data frame longer than the bound
        bad_control,         // a control frame libfstrm cannot decode, or of a length out of bounds
        wrong_content_type,  // READY or START offers no content type we read
        unexpected_control,  // a control frame out of order (START twice, ACCEPT from a writer, ...)
        data_before_start,   // a data frame before START
    };
    struct Step {
        Status status = Status::need_more;
        std::size_t consumed = 0;             // bytes of the input this step used
        std::span<const std::uint8_t> frame;  // data_frame: into the input
    };

    // `max_frame_bytes`: the longest data frame accepted.
    explicit FrameStreamReader(std::size_t max_frame_bytes);
    ~FrameStreamReader();
    FrameStreamReader(const FrameStreamReader&) = delete;
    FrameStreamReader& operator=(const FrameStreamReader&) = delete;

    // Parses one item from the front of `bytes` (what has arrived and not
    // been consumed yet).
    Step next(std::span<const std::uint8_t> bytes);

    // What to send back to the writer: ACCEPT after READY, FINISH after
    // STOP of a stream that began with READY. Empty when nothing is due.
    std::span<const std::uint8_t> reply() const { return {reply_.data(), reply_size_}; }
    void clear_reply() { reply_size_ = 0; }

    Error error() const { return error_; }
    // START was seen (data frames may have followed), whatever came after.
    bool started() const { return started_; }

private:
    enum class State : std::uint8_t { handshake, accepted, streaming, finished, failed };
    Step fail(Error error);
    Step on_control(std::span<const std::uint8_t> payload, std::size_t consumed);
    bool offers_dnstap() const;
    void encode_reply(std::uint32_t type, bool with_content_type);

    std::size_t max_frame_bytes_;
    State state_ = State::handshake;
    bool bidirectional_ = false;  // began with READY
    bool started_ = false;
    Error error_ = Error::none;
    std::unique_ptr<fstrm_control, void (*)(fstrm_control*)> control_;
    std::array<std::uint8_t, 512> reply_{};  // an encoded control frame, header included
    std::size_t reply_size_ = 0;
};

const char* to_string(FrameStreamReader::Error error);

// Builds Frame Streams bytes: what a writer sends. For evidence files, tests
// and benchmarks; allocates, so not for the packet path.
class FrameStreamWriter {
public:
    // READY (bidirectional writers begin so), START, a data frame, STOP.
    void ready(std::string_view content_type = kDnstapContentType);
    void start(std::string_view content_type = kDnstapContentType);
    void data(std::span<const std::uint8_t> frame);
    void stop();

    const std::vector<std::uint8_t>& bytes() const { return bytes_; }
    void clear() { bytes_.clear(); }

private:
    void control(std::uint32_t type, std::string_view content_type);
    std::vector<std::uint8_t> bytes_;
};

// Writes `frame` to `path` as a whole Frame Streams file (START, the frame,
// STOP), which `dnstap -r` and `dnstap-ldns -r` read. False on an I/O error.
bool write_frame_stream_file(const std::string& path, std::span<const std::uint8_t> frame);

}  // namespace dnswatch
