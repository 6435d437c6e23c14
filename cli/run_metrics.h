// `dnswatch run`'s Prometheus endpoint (metrics.listen): the pipeline's
// counters, as the stages publish them, copied into the metrics registry by
// run's main thread once a second (it owns those series), ring depths read
// at scrape time, and alerts counted by kind and severity as the publisher
// thread hands them on. Nothing here touches the packet path.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "baseline/live_sources.h"
#include "baseline/shared_baseline.h"
#include "detect/alert_sink.h"
#include "metrics/http_endpoint.h"
#include "metrics/registry.h"
#include "metrics/sensor_metrics.h"
#include "pipeline/pipeline.h"
#include "publish/alert_store.h"
#include "publish/nats_forwarder.h"
#include "publish/public_feed.h"
#include "publish/retention.h"
#include "publish/transparency_log.h"
#include "publish/zmq_security.h"

namespace dnswatch {

class RunMetrics : public AlertSink {
public:
    // Binds `listen` (throws std::runtime_error "...: reason"). Alerts pass
    // through to `next`, counted.
    RunMetrics(const std::string& listen, const SharedBaseline& baseline, AlertSink& next);

    // After the pipeline exists: its rings' depths, read when scraped.
    void watch_rings(const Pipeline& pipeline);
    // From run's main thread: the pipeline's totals into the counters, and
    // the baseline's sizes when a new snapshot is there (a zone transfer,
    // the feed, a reload), recounted with at most 1% of this thread's time.
    void update(const PipelineTotals& totals, std::uint64_t log_lines_suppressed);
    // From run's main thread too: what the live baseline sources and the
    // ZAP handler refused or failed at (either may be null).
    void update_sources(const LiveBaselineSources* live, const ZapAuthenticator* zap);
    // And the outputs that follow the store: NATS and the public feed (either
    // may be null; the public feed's own ZAP handler adds to zap_requests).
    void update_outputs(const NatsForwarder* nats, const PublicFeed* public_feed);

    // After a reload (baseline/reloader.h): its outcome.
    void reloaded(bool ok) { metrics_.config_reloads(ok ? "ok" : "rejected").inc(); }
    // After a prune (state.retention): what went, by store.
    void pruned(const PruneReport& report);
    // The store's repair at start, and its write path (with the log's, when
    // there is one) each second.
    void store_recovered(const StoreRecovery& recovery);
    void store_health(const StoreHealth& store, const LogHealth* log, std::uint64_t delivery_errors);

    std::uint16_t port() const { return endpoint_->port(); }
    // Connections the /metrics server refused at its limits, so far.
    std::uint64_t http_refused() const { return endpoint_->refused(); }

    void publish(const Alert& alert) override;
    void publish_change(const BaselineChange& change) override;
    void publish_incident(const Incident& incident) override { next_.publish_incident(incident); }
    void flush() override { next_.flush(); }

private:
    void set_baseline_sizes(const BaselineSnapshot& snapshot);  // timed: see update()
    void set_baseline_gauges(const BaselineSnapshot& snapshot);

    static constexpr std::size_t kPerZoneSeriesLimit = 1000;
    static constexpr int kSizingDutyInverse = 100;

    const SharedBaseline& shared_;
    std::uint64_t baseline_version_ = 0;
    std::chrono::steady_clock::time_point next_sizing_{};  // the earliest next count
    metrics::Registry registry_;
    metrics::SensorMetrics metrics_;
    AlertSink& next_;
    std::vector<metrics::Counter*> malformed_;  // by MalformedKind
    // ZAP results of the vetted endpoints and of the public feed's own handler, summed.
    std::uint64_t zap_admitted_ = 0, zap_denied_ = 0, public_zap_admitted_ = 0, public_zap_denied_ = 0;
    std::unique_ptr<metrics::HttpEndpoint> endpoint_;  // last: serves only a complete registry
};

}  // namespace dnswatch
