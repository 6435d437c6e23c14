#include "publish/zmq_publisher.h"
#include "common/errors.h"

#include <algorithm>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "publish/alert_json.h"
#include "publish/change_json.h"
#include "publish/incident_json.h"
#include "publish/topic.h"

namespace dnswatch {
namespace {

zmq::socket_t make_pub_socket(zmq::context_t& context, const ZmqPublisherOptions& options) {
    try {
        zmq::socket_t socket(context, zmq::socket_type::pub);
        socket.set(zmq::sockopt::linger, options.linger_ms);
        // A plain PUB: a subscriber at its high-water mark loses the message,
        // the others get it. (XPUB_NODROP would make the send fail for all of
        // them as soon as one stops reading: one stuck consumer would silence
        // every other one.)
        socket.set(zmq::sockopt::sndhwm, options.send_hwm);
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

void ZmqPublisher::publish(const Alert& alert) {
    last_seq_ = std::max(last_seq_, alert.seq);
    send(alert_topic(alert.name), to_json_line(alert));
}

void ZmqPublisher::publish_change(const BaselineChange& change) {
    last_seq_ = std::max(last_seq_, change.seq);
    send(topic_for("change", change.name), to_json_line(change));
}

bool ZmqPublisher::send_heartbeat(std::string_view sensor) {
    const nlohmann::json heartbeat = {{"schema", kHeartbeatSchema}, {"sensor", sensor}, {"last_seq", last_seq_}};
    return send(kHeartbeatTopic, heartbeat.dump());
}

void ZmqPublisher::publish_incident(const Incident& incident) {
    send(topic_for("incident", incident.zone), to_json_line(incident));
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
