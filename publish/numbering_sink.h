// Numbers every record (alerts and changes alike) in one sequence before
// handing it on: the head of the alert path when there is no durable store
// (DurableAlertSink numbers from the store otherwise). Records made after
// the detectors (detect/change_watcher.h) enter here too, so that every
// record a consumer sees has its own seq.
#pragma once

#include <cstdint>

#include "detect/alert_sink.h"

namespace dnswatch {

class NumberingSink : public AlertSink {
public:
    explicit NumberingSink(AlertSink& next) : next_(next) {}
    void publish(const Alert& alert) override {
        Alert record = alert;
        record.seq = ++last_;
        next_.publish(record);
    }
    void publish_change(const BaselineChange& change) override {
        BaselineChange record = change;
        record.seq = ++last_;
        next_.publish_change(record);
    }
    void publish_incident(const Incident& incident) override {
        Incident record = incident;
        record.seq = ++last_;
        next_.publish_incident(record);
    }
    void flush() override { next_.flush(); }

private:
    AlertSink& next_;
    std::uint64_t last_ = 0;
};

}  // namespace dnswatch
