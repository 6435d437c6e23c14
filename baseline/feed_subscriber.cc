#include "baseline/feed_subscriber.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <vector>

#include "baseline/transparency_feed.h"
#include "common/background_priority.h"
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
                               log::Logger* log, const FeedCurve& curve)
    : baseline_(baseline), keep_path_(std::move(keep_path)), log_(log), context_(1),
      socket_(context_, zmq::socket_type::sub), monitor_(context_, zmq::socket_type::pair) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::subscribe, kTopicPrefix);
    socket_.set(zmq::sockopt::maxmsgsize, kMaxFeedMessageBytes);
    // A publisher refused at the handshake is tried again, ever more slowly
    // (up to a minute), rather than ten times a second.
    socket_.set(zmq::sockopt::reconnect_ivl_max, 60000);
    try {
        if (curve.enabled()) {
            make_curve_client(socket_, curve.own.public_key.empty() ? CurveKeyPair::generate() : curve.own,
                              curve.server_public_key);
        }
        // Handshake events, read beside the messages (one thread, two sockets).
        const std::string monitor = "inproc://dnswatch-feed-monitor-" + std::to_string(reinterpret_cast<std::uintptr_t>(this));
        if (zmq_socket_monitor(socket_.handle(), monitor.c_str(), kHandshakeFailures) != 0) {
            throw zmq::error_t();
        }
        monitor_.set(zmq::sockopt::linger, 0);
        monitor_.connect(monitor);
        socket_.connect(endpoint);
    } catch (const zmq::error_t& e) {
        throw std::runtime_error(endpoint + ": cannot connect the transparency feed (" + e.what() + ")");
    }
    thread_ = std::thread([this] { receive_loop(); });
}

FeedSubscriber::~FeedSubscriber() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    zmq_socket_monitor(socket_.handle(), nullptr, 0);
}

void FeedSubscriber::read_monitor() {
    const std::optional<SocketEvent> event = read_socket_event(monitor_);
    if (!event) return;
    ++counters_.refused;
    if (log_ != nullptr) {
        log_->warn("feed_publisher_refused", {{"endpoint", event->endpoint},
                                              {"reason", handshake_failure(*event)},
                                              {"refused", counters_.refused.load()}});
    }
}

void FeedSubscriber::receive_loop() {
    // Applies announcements to the baseline: maintenance, never ahead of the packet path.
    if (const std::string refused = run_at_background_priority(); !refused.empty() && log_ != nullptr) {
        log_->warn("background_priority_refused", {{"thread", "feed_subscriber"}, {"error", refused}});
    }
    while (!stop_) {
        zmq::pollitem_t items[] = {{socket_.handle(), 0, ZMQ_POLLIN, 0}, {monitor_.handle(), 0, ZMQ_POLLIN, 0}};
        if (zmq::poll(items, 2, std::chrono::milliseconds(100)) == 0) continue;
        if ((items[1].revents & ZMQ_POLLIN) != 0) read_monitor();
        if ((items[0].revents & ZMQ_POLLIN) == 0) continue;
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
    const std::string name = announcement.owner.to_text();
    const std::string type = rrtype_to_text(announcement.type);
    const std::string effective = format_rfc3339_us(announcement.effective_us);
    if (!baseline_.announce(std::move(announcement))) {
        ++counters_.rejected;
        if (log_ != nullptr) {
            log_->warn("feed_message_rejected",
                       {{"name", name}, {"rrtype", type},
                        {"reason", "the feed's state is at its bound (" +
                                       std::to_string(SharedBaseline::kDefaultMaxAnnouncedRdata) +
                                       " announced rdata not yet in the zone's data, " +
                                       std::to_string(SharedBaseline::kMaxAnnouncedPerRRset) + " for one RRset)"}});
        }
        return;
    }
    ++counters_.received;
    if (log_ != nullptr) {
        log_->info("feed_announcement",
                   {{"name", name}, {"rrtype", type}, {"records", records}, {"effective", effective}});
    }
}

}  // namespace dnswatch
