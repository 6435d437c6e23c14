// Hands each alert to several sinks, in order (JSON lines, then ZeroMQ, ...).
// A sink that fails (a full disk under the JSON lines, a NATS server gone)
// never hides a record from the sinks after it: each gets every record, and
// the first failure is thrown once all have been tried, for the caller to
// count.
#pragma once

#include <exception>
#include <vector>

#include "detect/alert_sink.h"

namespace dnswatch {

class FanOutSink : public AlertSink {
public:
    void add(AlertSink& sink) { sinks_.push_back(&sink); }
    void publish(const Alert& alert) override {
        each([&](AlertSink& sink) { sink.publish(alert); });
    }
    void publish_change(const BaselineChange& change) override {
        each([&](AlertSink& sink) { sink.publish_change(change); });
    }
    void publish_incident(const Incident& incident) override {
        for (AlertSink* sink : sinks_) sink->publish_incident(incident);
    }
    void flush() override {
        each([](AlertSink& sink) { sink.flush(); });
    }

private:
    template <typename Call>
    void each(const Call& call) {
        std::exception_ptr first;
        for (AlertSink* sink : sinks_) {
            try {
                call(*sink);
            } catch (...) {
                if (!first) first = std::current_exception();
            }
        }
        if (first) std::rethrow_exception(first);
    }

    std::vector<AlertSink*> sinks_;
};

}  // namespace dnswatch
