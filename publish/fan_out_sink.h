// Hands each alert to several sinks, in order (JSON lines, then ZeroMQ, ...).
#pragma once

#include <vector>

#include "detect/alert_sink.h"

namespace dnswatch {

class FanOutSink : public AlertSink {
public:
    void add(AlertSink& sink) { sinks_.push_back(&sink); }
    void publish(const Alert& alert) override {
        for (AlertSink* sink : sinks_) sink->publish(alert);
    }
    void publish_change(const BaselineChange& change) override {
        for (AlertSink* sink : sinks_) sink->publish_change(change);
    }
    void publish_incident(const Incident& incident) override {
        for (AlertSink* sink : sinks_) sink->publish_incident(incident);
    }
    void flush() override {
        for (AlertSink* sink : sinks_) sink->flush();
    }

private:
    std::vector<AlertSink*> sinks_;
};

}  // namespace dnswatch
