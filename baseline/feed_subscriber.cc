#include "baseline/feed_subscriber.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include "baseline/transparency_feed.h"
#include "decode/ldns_glue.h"
#include "common/rfc3339.h"

namespace dnswatch {
namespace {

constexpr const char* kTopicPrefix = "feed.";

// Appends one line and syncs it: an announcement acted upon must still be
// known after a crash.
bool append_line(const std::string& path, const std::string& line) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return false;
    const std::string text = line + "\n";
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    ::close(fd);
    return ok;
}

}  // namespace

FeedSubscriber::FeedSubscriber(const std::string& endpoint, SharedBaseline& baseline, std::string keep_path,
                               log::Logger* log)
    : baseline_(baseline), keep_path_(std::move(keep_path)), log_(log), context_(1),
      socket_(context_, zmq::socket_type::sub) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::subscribe, kTopicPrefix);
    try {
        socket_.connect(endpoint);
    } catch (const zmq::error_t& e) {
        throw std::runtime_error(endpoint + ": cannot connect the transparency feed (" + e.what() + ")");
    }
    thread_ = std::thread([this] { receive_loop(); });
}

FeedSubscriber::~FeedSubscriber() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

void FeedSubscriber::receive_loop() {
    while (!stop_) {
        zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
        if (zmq::poll(&item, 1, std::chrono::milliseconds(100)) == 0) continue;
        std::vector<std::string> frames;
        do {
            zmq::message_t frame;
            if (!socket_.recv(frame, zmq::recv_flags::dontwait)) break;
            if (frames.size() < 3) frames.push_back(frame.to_string());
        } while (socket_.get(zmq::sockopt::rcvmore));
        if (frames.size() != 2) {
            ++counters_.rejected;
            if (log_ != nullptr) {
                log_->warn("feed_message_rejected",
                           {{"frames", frames.size()}, {"reason", "expected two frames, topic and JSON"}});
            }
            continue;
        }
        handle(frames[0], frames[1]);
    }
}

void FeedSubscriber::handle(const std::string& topic, const std::string& line) {
    Announcement announcement;
    try {
        announcement = parse_announcement(line, *baseline_.watch());
    } catch (const std::exception& e) {
        ++counters_.rejected;
        if (log_ != nullptr) log_->warn("feed_message_rejected", {{"topic", topic}, {"reason", e.what()}});
        return;
    }
    if (!keep_path_.empty() && !append_line(keep_path_, line) && log_ != nullptr) {
        log_->error("feed_keep_failed", {{"path", keep_path_}, {"error", std::strerror(errno)}});
    }
    const std::size_t records = announcement.records.size();
    const std::string name = announcement.records.front().owner.to_text();
    const std::string type = rrtype_to_text(announcement.records.front().type);
    const std::string effective = format_rfc3339_us(announcement.effective_us);
    baseline_.announce(std::move(announcement));
    ++counters_.received;
    if (log_ != nullptr) {
        log_->info("feed_announcement",
                   {{"name", name}, {"rrtype", type}, {"records", records}, {"effective", effective}});
    }
}

}  // namespace dnswatch
