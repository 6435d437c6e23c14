#include "capture/frame_streams.h"

#include <fstrm.h>

#include <cstdio>

namespace dnswatch {
namespace {

std::uint32_t load_be32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

void append_be32(std::vector<std::uint8_t>& out, std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(value >> shift));
}

// The smallest control payload is its 4-byte type; libfstrm's bound on the
// whole is FSTRM_CONTROL_FRAME_LENGTH_MAX (512).
constexpr std::size_t kMinControlBytes = 4;

void destroy_control(fstrm_control* control) { fstrm_control_destroy(&control); }

}  // namespace

FrameStreamReader::FrameStreamReader(std::size_t max_frame_bytes)
    : max_frame_bytes_(max_frame_bytes), control_(fstrm_control_init(), &destroy_control) {}

FrameStreamReader::~FrameStreamReader() = default;

FrameStreamReader::Step FrameStreamReader::fail(Error error) {
    state_ = State::failed;
    error_ = error;
    return {Status::error, 0, {}};
}

FrameStreamReader::Step FrameStreamReader::next(std::span<const std::uint8_t> bytes) {
    if (state_ == State::failed) return {Status::error, 0, {}};
    if (state_ == State::finished) return {Status::finished, 0, {}};
    if (bytes.size() < 4) return {};
    const std::uint32_t length = load_be32(bytes.data());
    if (length != 0) {
        if (state_ != State::streaming) return fail(Error::data_before_start);
        if (length > max_frame_bytes_) return fail(Error::frame_too_large);
        if (bytes.size() - 4 < length) return {};
        return {Status::data_frame, 4 + std::size_t{length}, bytes.subspan(4, length)};
    }
    if (bytes.size() < 8) return {};
    const std::uint32_t control_length = load_be32(bytes.data() + 4);
    if (control_length < kMinControlBytes || control_length > FSTRM_CONTROL_FRAME_LENGTH_MAX) {
        return fail(Error::bad_control);
    }
    if (bytes.size() - 8 < control_length) return {};
    return on_control(bytes.subspan(8, control_length), 8 + std::size_t{control_length});
}

// The handshake: READY (answered with ACCEPT) then START on a socket, START
// alone in a file; then data until STOP (answered with FINISH when the
// writer began with READY). Anything else out of order ends the stream.
FrameStreamReader::Step FrameStreamReader::on_control(std::span<const std::uint8_t> payload, std::size_t consumed) {
    fstrm_control* control = control_.get();
    fstrm_control_reset(control);
    fstrm_control_type type{};
    if (fstrm_control_decode(control, payload.data(), payload.size(), 0) != fstrm_res_success ||
        fstrm_control_get_type(control, &type) != fstrm_res_success) {
        return fail(Error::bad_control);
    }
    switch (type) {
        case FSTRM_CONTROL_READY:
            if (state_ != State::handshake) return fail(Error::unexpected_control);
            if (!offers_dnstap()) return fail(Error::wrong_content_type);
            bidirectional_ = true;
            state_ = State::accepted;
            encode_reply(FSTRM_CONTROL_ACCEPT, /*with_content_type=*/true);
            return {Status::control, consumed, {}};
        case FSTRM_CONTROL_START:
            if (state_ != State::handshake && state_ != State::accepted) return fail(Error::unexpected_control);
            if (!offers_dnstap()) return fail(Error::wrong_content_type);
            state_ = State::streaming;
            started_ = true;
            return {Status::control, consumed, {}};
        case FSTRM_CONTROL_STOP:
            if (state_ != State::streaming) return fail(Error::unexpected_control);
            state_ = State::finished;
            if (bidirectional_) encode_reply(FSTRM_CONTROL_FINISH, /*with_content_type=*/false);
            return {Status::finished, consumed, {}};
        default:  // ACCEPT and FINISH are the reader's to send
            return fail(Error::unexpected_control);
    }
}

// A READY or START without content types names none in particular: taken
// as dnstap, which is all this reader is for. With some, one must be dnstap.
bool FrameStreamReader::offers_dnstap() const {
    std::size_t offered = 0;
    if (fstrm_control_get_num_field_content_type(control_.get(), &offered) != fstrm_res_success) return false;
    if (offered == 0) return true;
    return fstrm_control_match_field_content_type(control_.get(),
                                                  reinterpret_cast<const std::uint8_t*>(kDnstapContentType.data()),
                                                  kDnstapContentType.size()) == fstrm_res_success;
}

void FrameStreamReader::encode_reply(std::uint32_t type, bool with_content_type) {
    fstrm_control* reply = fstrm_control_init();
    fstrm_control_set_type(reply, static_cast<fstrm_control_type>(type));
    if (with_content_type) {
        fstrm_control_add_field_content_type(
            reply, reinterpret_cast<const std::uint8_t*>(kDnstapContentType.data()), kDnstapContentType.size());
    }
    std::size_t size = reply_.size();
    reply_size_ = fstrm_control_encode(reply, reply_.data(), &size, FSTRM_CONTROL_FLAG_WITH_HEADER) ==
                          fstrm_res_success
                      ? size
                      : 0;
    fstrm_control_destroy(&reply);
}

const char* to_string(FrameStreamReader::Error error) {
    switch (error) {
        case FrameStreamReader::Error::none: return "none";
        case FrameStreamReader::Error::frame_too_large: return "frame_too_large";
        case FrameStreamReader::Error::bad_control: return "bad_control";
        case FrameStreamReader::Error::wrong_content_type: return "wrong_content_type";
        case FrameStreamReader::Error::unexpected_control: return "unexpected_control";
        case FrameStreamReader::Error::data_before_start: return "data_before_start";
    }
    return "unknown";
}

void FrameStreamWriter::control(std::uint32_t type, std::string_view content_type) {
    fstrm_control* c = fstrm_control_init();
    fstrm_control_set_type(c, static_cast<fstrm_control_type>(type));
    if (!content_type.empty()) {
        fstrm_control_add_field_content_type(c, reinterpret_cast<const std::uint8_t*>(content_type.data()),
                                             content_type.size());
    }
    std::uint8_t encoded[FSTRM_CONTROL_FRAME_LENGTH_MAX + 8];
    std::size_t size = sizeof encoded;
    if (fstrm_control_encode(c, encoded, &size, FSTRM_CONTROL_FLAG_WITH_HEADER) == fstrm_res_success) {
        bytes_.insert(bytes_.end(), encoded, encoded + size);
    }
    fstrm_control_destroy(&c);
}

void FrameStreamWriter::ready(std::string_view content_type) { control(FSTRM_CONTROL_READY, content_type); }
void FrameStreamWriter::start(std::string_view content_type) { control(FSTRM_CONTROL_START, content_type); }
void FrameStreamWriter::stop() { control(FSTRM_CONTROL_STOP, {}); }

void FrameStreamWriter::data(std::span<const std::uint8_t> frame) {
    append_be32(bytes_, static_cast<std::uint32_t>(frame.size()));
    bytes_.insert(bytes_.end(), frame.begin(), frame.end());
}

bool write_frame_stream_file(const std::string& path, std::span<const std::uint8_t> frame) {
    FrameStreamWriter writer;
    writer.start();
    writer.data(frame);
    writer.stop();
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (file == nullptr) return false;
    const bool written = std::fwrite(writer.bytes().data(), 1, writer.bytes().size(), file) == writer.bytes().size();
    return std::fclose(file) == 0 && written;
}

}  // namespace dnswatch
