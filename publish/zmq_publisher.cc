#include "publish/zmq_publisher.h"
#include "common/errors.h"

#include <stdexcept>

#include "publish/alert_json.h"
#include "publish/change_json.h"
#include "publish/topic.h"

namespace dnswatch {
namespace {

zmq::socket_t make_pub_socket(zmq::context_t& context, const ZmqPublisherOptions& options) {
    try {
        zmq::socket_t socket(context, zmq::socket_type::pub);
        socket.set(zmq::sockopt::linger, options.linger_ms);
        socket.set(zmq::sockopt::sndhwm, options.send_hwm);
        // A plain PUB drops silently at the high-water mark, so nothing could be
        // counted. With NODROP a full queue makes a non-blocking send fail with
        // EAGAIN instead, and publish() counts it. The price: one subscriber at
        // its mark means that message reaches no subscriber.
        socket.set(zmq::sockopt::xpub_nodrop, true);
        if (options.curve) make_curve_server(socket, *options.curve);
        socket.bind(options.endpoint);
        return socket;
    } catch (const zmq::error_t& e) {
        throw BindError("cannot publish alerts on ZeroMQ endpoint '" + options.endpoint +
                                 "': " + e.what());
    }
}

}  // namespace

ZmqPublisher::ZmqPublisher(const ZmqPublisherOptions& options)
    : own_context_(std::make_unique<zmq::context_t>(1)),
      socket_(make_pub_socket(*own_context_, options)),
      endpoint_(socket_.get(zmq::sockopt::last_endpoint)) {}

ZmqPublisher::ZmqPublisher(zmq::context_t& context, const ZmqPublisherOptions& options)
    : socket_(make_pub_socket(context, options)), endpoint_(socket_.get(zmq::sockopt::last_endpoint)) {}

std::string ZmqPublisher::endpoint() const { return endpoint_; }

void ZmqPublisher::publish(const Alert& alert) { send(alert_topic(alert.name), to_json_line(alert)); }

void ZmqPublisher::publish_change(const BaselineChange& change) {
    send(topic_for("change", change.name), to_json_line(change));
}

bool ZmqPublisher::send(std::string_view topic, std::string_view payload) {
    // The high-water mark counts whole messages, so once the first frame is
    // queued the second cannot hit it; a failure there is still counted.
    bool queued = false;
    try {
        queued = socket_.send(zmq::buffer(topic), zmq::send_flags::sndmore | zmq::send_flags::dontwait) &&
                 socket_.send(zmq::buffer(payload), zmq::send_flags::dontwait);
    } catch (const zmq::error_t&) {
        // EAGAIN comes back as an empty result; anything else (EINTR, ETERM) is
        // counted like a drop rather than thrown into the packet path.
    }
    if (!queued) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    sent_.fetch_add(1, std::memory_order_relaxed);
    return true;
}

}  // namespace dnswatch
