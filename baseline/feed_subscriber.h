// The registry's transparency feed over ZeroMQ (baseline.transparency_feed_endpoint):
// a SUB socket connected to the registry's PUB, subscribed to the topic
// prefix "feed.". Each message is two frames:
//
//   feed.test.victim.          topic: "feed." + the zone's labels reversed (publish/topic.h)
//   {"zone":"victim.test","name":"victim.test","rrtype":"NS",
//    "rdata":["ns1.newdns.example.","ns2.newdns.example."],
//    "effective":"2026-03-26T09:55:00.000000Z"}
//
// the JSON being exactly a line of the feed file (baseline/transparency_feed.h).
// A thread of its own receives, checks and keeps each announcement (appended
// to state.dir/feed-received.jsonl, so that a restart still knows it) and
// publishes a new baseline snapshot with it; detectors take that snapshot
// at their next batch boundary, so the packet path never waits for the feed.
// A malformed message is counted and skipped.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "baseline/shared_baseline.h"
#include "log/log.h"

namespace dnswatch {

struct FeedSubscriberCounters {
    std::atomic<std::uint64_t> received{0};  // announcements taken into the baseline
    std::atomic<std::uint64_t> rejected{0};  // malformed messages, or names in no watched zone
};

class FeedSubscriber {
public:
    // Connects at once (ZeroMQ connects in the background, so a registry not
    // up yet is not an error). `keep_path`: where received lines are
    // appended; empty: nowhere. `log`: one line per announcement and per
    // rejected message (rate limited), or null.
    FeedSubscriber(const std::string& endpoint, SharedBaseline& baseline, std::string keep_path, log::Logger* log);
    ~FeedSubscriber();
    FeedSubscriber(const FeedSubscriber&) = delete;
    FeedSubscriber& operator=(const FeedSubscriber&) = delete;

    const FeedSubscriberCounters& counters() const { return counters_; }

private:
    void receive_loop();
    void handle(const std::string& topic, const std::string& line);

    SharedBaseline& baseline_;
    std::string keep_path_;
    log::Logger* log_;
    zmq::context_t context_;
    zmq::socket_t socket_;
    FeedSubscriberCounters counters_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace dnswatch
