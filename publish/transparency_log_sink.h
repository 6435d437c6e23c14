// Puts every alert record into the transparency log before passing it on:
// the alert carries its log index, and a new signed checkpoint covers it by
// the time anyone downstream sees it.
#pragma once

#include "detect/alert_sink.h"
#include "publish/alert_json.h"
#include "publish/transparency_log.h"

namespace dnswatch {

class TransparencyLogSink : public AlertSink {
public:
    TransparencyLogSink(TransparencyLog& log, AlertSink& next) : log_(log), next_(next) {}

    void publish(const Alert& alert) override {
        Alert logged = alert;
        logged.tlog_index = static_cast<std::int64_t>(log_.size());
        log_.append(to_json_line(logged));  // throws on I/O failure: nothing is published unlogged
        log_.write_checkpoint();
        next_.publish(logged);
    }
    void flush() override { next_.flush(); }

private:
    TransparencyLog& log_;
    AlertSink& next_;
};

}  // namespace dnswatch
