// The Prometheus endpoint over real HTTP: a server on a port the kernel picks,
// a plain socket client, the text format checked line by line.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>

#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "metrics/http_endpoint.h"
#include "metrics/registry.h"
#include "metrics/sensor_metrics.h"
#include "cli/run_metrics.h"
#include "tests/cli/run_support.h"
#include "tests/support/http_client.h"

namespace dnswatch::metrics {
namespace {

using test::http_request;
using test::HttpReply;

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        const auto end = text.find('\n', start);
        lines.push_back(text.substr(start, end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return lines;
}

TEST(MetricsRegistryTest, ExpositionFormatWithHelpTypeAndEscaping) {
    Registry registry;
    Family& requests = registry.add("demo_requests_total", "Requests.\nSecond line with a \\ backslash.",
                                    MetricType::counter, {"path", "code"});
    requests.counter({"/a\"b\\c\nd", "200"}).inc(3);
    registry.add("demo_depth", "Depth.", MetricType::gauge).gauge().set(-7);
    registry.add("demo_ratio", "Ratio.", MetricType::gauge, {"ring"}).callback({"r0"}, [] { return 0.25; });
    EXPECT_EQ(registry.expose(),
              "# HELP demo_requests_total Requests.\\nSecond line with a \\\\ backslash.\n"
              "# TYPE demo_requests_total counter\n"
              "demo_requests_total{path=\"/a\\\"b\\\\c\\nd\",code=\"200\"} 3\n"
              "# HELP demo_depth Depth.\n"
              "# TYPE demo_depth gauge\n"
              "demo_depth -7\n"
              "# HELP demo_ratio Ratio.\n"
              "# TYPE demo_ratio gauge\n"
              "demo_ratio{ring=\"r0\"} 0.25\n");
}

TEST(MetricsRegistryTest, DeclarationMistakesAreRejected) {
    Registry registry;
    registry.add("ok_total", "x", MetricType::counter, {"a"});
    EXPECT_THROW(registry.add("ok_total", "again", MetricType::counter), std::invalid_argument);
    EXPECT_THROW(registry.add("9starts_with_digit", "x", MetricType::gauge), std::invalid_argument);
    EXPECT_THROW(registry.add("has-dash", "x", MetricType::gauge), std::invalid_argument);
    EXPECT_THROW(registry.add("bad_label", "x", MetricType::gauge, {"__reserved"}), std::invalid_argument);
    EXPECT_THROW(registry.add("bad_label2", "x", MetricType::gauge, {"a:b"}), std::invalid_argument);
    Family& family = registry.add("two_labels", "x", MetricType::counter, {"a", "b"});
    EXPECT_THROW(family.counter({"only-one"}), std::invalid_argument);
    EXPECT_THROW(family.gauge({"a", "b"}), std::invalid_argument);
    // The same label values are the same series.
    EXPECT_EQ(&family.counter({"x", "y"}), &family.counter({"x", "y"}));
}

TEST(MetricsRegistryTest, CountersAddUpAcrossThreadsWithoutLocks) {
    Registry registry;
    Counter& counter = registry.add("adds_total", "x", MetricType::counter).counter();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&counter] {
            for (int i = 0; i < 100000; ++i) counter.inc();
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(counter.value(), 400000u);
    EXPECT_NE(registry.expose().find("adds_total 400000\n"), std::string::npos);
}

TEST(MetricsEndpointTest, ServesMetricsOverHttpAndValuesMove) {
    Registry registry;
    SensorMetrics sensor(registry, DNSWATCH_VERSION);
    Counter& captured = sensor.packets_received("capture");
    sensor.packets_dropped("capture", "kernel").inc(2);
    sensor.alerts("rrset_divergence", "high").inc();
    sensor.baseline_rrsets("victim.test").set(12);
    std::atomic<int> depth{5};
    sensor.ring_depth("worker0->shard0", [&depth] { return depth.load(); });

    HttpEndpoint endpoint(registry, "127.0.0.1:0");
    ASSERT_NE(endpoint.port(), 0);

    captured.inc(10);
    const HttpReply first = http_request(endpoint.port(), "GET", "/metrics");
    EXPECT_EQ(first.status, 200);
    EXPECT_NE(first.headers.find("Content-Type: text/plain; version=0.0.4; charset=utf-8"), std::string::npos)
        << first.headers;

    // Every sample line belongs to a family announced by HELP and TYPE before it.
    std::string help_of, type_of;
    for (const std::string& line : lines_of(first.body)) {
        if (line.starts_with("# HELP ")) {
            help_of = line.substr(7, line.find(' ', 7) - 7);
        } else if (line.starts_with("# TYPE ")) {
            type_of = line.substr(7, line.find(' ', 7) - 7);
            EXPECT_EQ(type_of, help_of) << line;
            const std::string type = line.substr(line.rfind(' ') + 1);
            EXPECT_TRUE(type == "counter" || type == "gauge") << line;
            if (type == "counter") {
                EXPECT_TRUE(type_of.ends_with("_total")) << line;
            }
        } else {
            const std::string name = line.substr(0, line.find_first_of("{ "));
            EXPECT_EQ(name, type_of) << line;
        }
    }
    const std::string version_line = std::string("dnswatch_build_info{version=\"") + DNSWATCH_VERSION + "\"} 1\n";
    EXPECT_NE(first.body.find(version_line), std::string::npos) << first.body;
    EXPECT_NE(first.body.find("dnswatch_packets_received_total{stage=\"capture\"} 10\n"), std::string::npos);
    EXPECT_NE(first.body.find("dnswatch_packets_dropped_total{stage=\"capture\",reason=\"kernel\"} 2\n"),
              std::string::npos);
    EXPECT_NE(first.body.find("dnswatch_alerts_total{kind=\"rrset_divergence\",severity=\"high\"} 1\n"),
              std::string::npos);
    EXPECT_NE(first.body.find("dnswatch_baseline_rrsets{zone=\"victim.test\"} 12\n"), std::string::npos);
    EXPECT_NE(first.body.find("dnswatch_ring_depth{ring=\"worker0->shard0\"} 5\n"), std::string::npos);
    EXPECT_NE(first.body.find("dnswatch_config_reloads_total{result=\"rejected\"} 0\n"), std::string::npos);

    captured.inc(5);
    depth = 0;
    sensor.alerts("rrset_divergence", "high").inc();
    const HttpReply second = http_request(endpoint.port(), "GET", "/metrics");
    EXPECT_NE(second.body.find("dnswatch_packets_received_total{stage=\"capture\"} 15\n"), std::string::npos)
        << second.body;
    EXPECT_NE(second.body.find("dnswatch_ring_depth{ring=\"worker0->shard0\"} 0\n"), std::string::npos);
    EXPECT_NE(second.body.find("dnswatch_alerts_total{kind=\"rrset_divergence\",severity=\"high\"} 2\n"),
              std::string::npos);
    EXPECT_EQ(endpoint.scrapes(), 2u);
}

TEST(MetricsEndpointTest, OtherPathsAre404AndOtherMethods405) {
    Registry registry;
    HttpEndpoint endpoint(registry, "127.0.0.1:0");
    EXPECT_EQ(http_request(endpoint.port(), "GET", "/").status, 404);
    EXPECT_EQ(http_request(endpoint.port(), "GET", "/metricsx").status, 404);
    EXPECT_EQ(http_request(endpoint.port(), "POST", "/metrics").status, 405);
    EXPECT_EQ(http_request(endpoint.port(), "HEAD", "/metrics").status, 200);
    EXPECT_EQ(endpoint.scrapes(), 1u);
}

// A TCP connection to 127.0.0.1:`port` from `source` (any 127/8 address is
// this machine's loopback), kept open; -1 when it cannot be made.
int connect_from(const char* source, std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in local{};
    local.sin_family = AF_INET;
    inet_pton(AF_INET, source, &local.sin_addr);
    sockaddr_in server{};
    server.sin_family = AF_INET;
    server.sin_port = htons(port);
    server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
        ::connect(fd, reinterpret_cast<sockaddr*>(&server), sizeof server) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// GET /metrics as a scraper would, giving up after `timeout_s`: the status,
// or 0 when no answer came.
int scrape(std::uint16_t port, int timeout_s) {
    const int fd = connect_from("127.0.0.1", port);
    if (fd < 0) return 0;
    const timeval timeout{timeout_s, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    std::string raw;
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
        char buffer[4096];
        ssize_t n = 0;
        while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) raw.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    if (raw.size() < 12 || raw.find("dnswatch_build_info") == std::string::npos) return 0;
    return std::stoi(raw.substr(9, 3));
}

TEST(MetricsEndpointTest, ScrapesAnswerUnderAThousandIdleAndSlowlorisConnections) {
    // 1,000 idle connections and 32 slowloris ones (a header line every
    // half second, never the end of the request) used to take all 16 places
    // of the server. Now one address gets its share only and the rest are
    // refused and counted; 1,000 spread over many addresses fit in the
    // total; a scrape from elsewhere answers throughout.
    rlimit files{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &files), 0);
    files.rlim_cur = std::min<rlim_t>(files.rlim_max, 16384);
    ::setrlimit(RLIMIT_NOFILE, &files);
    if (files.rlim_cur < 4096) GTEST_SKIP() << "needs 4096 open files, the hard limit is " << files.rlim_max;

    Registry registry;
    SensorMetrics sensor(registry, "test");
    HttpEndpoint endpoint(registry, "127.0.0.1:0");
    const HttpServerLimits limits;
    ASSERT_GE(endpoint.connection_limit(), 2048u);
    std::vector<int> held;
    const auto close_all = [&] {
        for (const int fd : held) ::close(fd);
        held.clear();
    };

    // 32 slowloris connections from one address, fed for the whole test.
    std::vector<int> slow;
    for (int i = 0; i < 32; ++i) {
        const int fd = connect_from("127.0.0.3", endpoint.port());
        ASSERT_GE(fd, 0);
        const std::string start = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n";
        ::send(fd, start.data(), start.size(), MSG_NOSIGNAL);
        slow.push_back(fd);
    }
    std::atomic<bool> stop{false};
    std::thread trickle([&] {
        while (!stop) {
            for (const int fd : slow) ::send(fd, "X-a: b\r\n", 8, MSG_NOSIGNAL | MSG_DONTWAIT);
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
        }
    });

    // 1,000 idle connections from one address: its share is taken, the
    // rest are closed at once and counted.
    for (int i = 0; i < 1000; ++i) {
        const int fd = connect_from("127.0.0.2", endpoint.port());
        if (fd >= 0) held.push_back(fd);
    }
    EXPECT_GE(held.size(), 1000u - limits.per_address);
    for (int i = 0; i < 500 && endpoint.refused() < 1000 - limits.per_address; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(endpoint.refused(), 1000 - limits.per_address);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(scrape(endpoint.port(), 3), 200) << "scrape " << i;
    close_all();

    // 1,000 idle connections from 40 addresses, 25 each: all admitted.
    const std::uint64_t refused_before = endpoint.refused();
    for (int i = 0; i < 1000; ++i) {
        const std::string source = "127.0.1." + std::to_string(1 + i / 25);
        const int fd = connect_from(source.c_str(), endpoint.port());
        if (fd >= 0) held.push_back(fd);
    }
    EXPECT_EQ(held.size(), 1000u);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(scrape(endpoint.port(), 3), 200) << "scrape " << i;
    EXPECT_EQ(endpoint.refused(), refused_before);
    close_all();

    stop = true;
    trickle.join();
    for (const int fd : slow) ::close(fd);
}

TEST(MetricsEndpointTest, BadOrBusyAddressesThrow) {
    Registry registry;
    EXPECT_THROW(HttpEndpoint(registry, "localhost:9153"), std::runtime_error);
    EXPECT_THROW(HttpEndpoint(registry, "127.0.0.1"), std::runtime_error);
    EXPECT_THROW(HttpEndpoint(registry, "127.0.0.1:70000"), std::runtime_error);
    HttpEndpoint first(registry, "127.0.0.1:0");
    EXPECT_THROW(HttpEndpoint(registry, "127.0.0.1:" + std::to_string(first.port())), std::runtime_error);
    // IPv6 loopback, where the machine has it.
    try {
        HttpEndpoint v6(registry, "[::1]:0");
        EXPECT_NE(v6.port(), 0);
    } catch (const std::runtime_error& e) {
        GTEST_LOG_(INFO) << "no IPv6 loopback here: " << e.what();
    }
}

}  // namespace
}  // namespace dnswatch::metrics

namespace dnswatch::metrics {
namespace {

// Every dnswatch_* name in `text`, without the suffixes PromQL does not add.
std::set<std::string> metric_names_in(const std::string& text) {
    std::set<std::string> names;
    for (auto start = text.find("dnswatch_"); start != std::string::npos; start = text.find("dnswatch_", start)) {
        auto end = start + 9;
        while (end < text.size() && ((text[end] >= 'a' && text[end] <= 'z') || text[end] == '_')) ++end;
        names.insert(text.substr(start, end - start));
        start = end;
    }
    return names;
}

std::string read_source_file(const std::string& relative) {
    std::ifstream in(std::string(DNSWATCH_SOURCE_DIR) + "/" + relative);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

TEST(MetricsEndpointTest, DashboardUsesOnlyDeclaredMetrics) {
    Registry registry;
    SensorMetrics sensor(registry, DNSWATCH_VERSION);
    std::set<std::string> declared;
    for (const std::string& line : lines_of(registry.expose())) {
        if (line.starts_with("# TYPE ")) declared.insert(line.substr(7, line.find(' ', 7) - 7));
    }
    const auto dashboard = nlohmann::json::parse(read_source_file("docs/grafana-dashboard.json"));
    std::string expressions;
    for (const auto& panel : dashboard.at("panels")) {
        for (const auto& target : panel.at("targets")) expressions += target.at("expr").get<std::string>() + "\n";
    }
    const std::set<std::string> used = metric_names_in(expressions);
    EXPECT_GE(used.size(), 8u);
    for (const std::string& name : used) EXPECT_TRUE(declared.contains(name)) << name << " is not declared";
    // The reference page lists exactly the declared metrics.
    std::set<std::string> documented;
    for (const std::string& line : lines_of(read_source_file("docs/metrics.md"))) {
        if (line.starts_with("| `dnswatch_")) documented.insert(line.substr(3, line.find('`', 3) - 3));
    }
    EXPECT_EQ(documented, declared);
}

// Alert counters exist at 0 from start-up, for every kind and severity the
// sensor can emit: the first alert is then an increase Prometheus sees
// (a series born at 1 is no increase). Scraped from a real RunMetrics.
TEST(MetricsEndpointTest, AlertSeriesExistAtZeroFromStartUp) {
    WatchSet watch;
    watch.add("victim.test");
    SharedBaseline baseline(std::move(watch), Baseline{});
    struct Discard : AlertSink {
        void publish(const Alert&) override {}
    } next;
    RunMetrics run_metrics("127.0.0.1:0", baseline, next);
    const test::HttpReply before = test::http_request(run_metrics.port(), "GET", "/metrics");
    ASSERT_EQ(before.status, 200);
    for (const std::string_view kind : kAlertKinds) {
        for (const Severity severity : kSeverities) {
            const std::string series = "dnswatch_alerts_total{kind=\"" + std::string(kind) + "\",severity=\"" +
                                       to_string(severity) + "\"}";
            EXPECT_EQ(test::metric_value(before.body, series), 0) << series;
        }
    }
    EXPECT_EQ(test::metric_value(before.body, "dnswatch_baseline_changes_total{source=\"ixfr\",op=\"update\"}"), 0);
    Alert alert;
    alert.kind = "rrset_divergence";
    alert.severity = Severity::high;
    run_metrics.publish(alert);
    const test::HttpReply after = test::http_request(run_metrics.port(), "GET", "/metrics");
    EXPECT_EQ(test::metric_value(after.body, "dnswatch_alerts_total{kind=\"rrset_divergence\",severity=\"high\"}"), 1);
}

}  // namespace
}  // namespace dnswatch::metrics
