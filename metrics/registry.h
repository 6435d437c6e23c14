// Counters and gauges for Prometheus, without prometheus-cpp: Debian 12 does
// not package it, and what the sensor needs is small - metric families
// declared once (name, help, label names), series updated with relaxed
// atomics, and the text exposition format 0.0.4 written here
// (https://prometheus.io/docs/instrumenting/exposition_formats/).
//
// The packet path only ever touches Counter::inc / Gauge::set on a series it
// looked up at start-up: one relaxed atomic operation, no lock, no allocation.
// Looking up a series (Family::counter / gauge / callback) takes the registry's
// mutex and may allocate; do it once, outside the packet loop.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace dnswatch::metrics {

enum class MetricType { counter, gauge };

// A monotonically increasing count. On its own cache line so that counters
// bumped by different threads never share one.
class alignas(64) Counter {
public:
    void inc(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
    // For a count kept elsewhere (a stage's own counter block): publish its
    // latest value. Only the owning thread may call it.
    void set_total(std::uint64_t total) noexcept { value_.store(total, std::memory_order_relaxed); }
    std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

// A value that goes up and down (ring depth, baseline size).
class alignas(64) Gauge {
public:
    void set(std::int64_t value) noexcept { value_.store(value, std::memory_order_relaxed); }
    void add(std::int64_t delta) noexcept { value_.fetch_add(delta, std::memory_order_relaxed); }
    std::int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::int64_t> value_{0};
};

// Read at scrape time on the HTTP thread; must be thread-safe (e.g. read an
// atomic ring index).
using ReadFunction = std::function<double()>;

class Registry;

// One metric: a name, its help, its label names, and its series (one per
// combination of label values).
class Family {
public:
    // The series with these label values (as many as the family's label
    // names), created on first use. The reference stays valid as long as the
    // registry. Throws std::invalid_argument on a wrong number of values or
    // the wrong metric type.
    Counter& counter(std::initializer_list<std::string_view> label_values = {});
    Gauge& gauge(std::initializer_list<std::string_view> label_values = {});
    // A series whose value is read when scraped.
    void callback(std::initializer_list<std::string_view> label_values, ReadFunction read);
    // Drops every series whose first label value `keep` rejects (a zone no
    // longer watched), so it is no longer exposed. A reference to a dropped
    // series must not be held.
    void retain_by_first_label(const std::function<bool(std::string_view)>& keep);

    const std::string& name() const { return name_; }

private:
    friend class Registry;
    struct Series {
        std::vector<std::string> label_values;
        Counter counter;
        Gauge gauge;
        ReadFunction read;
    };

    Family(Registry& registry, std::string name, std::string help, MetricType type,
           std::vector<std::string> label_names);
    Series& series(std::initializer_list<std::string_view> label_values);

    Registry& registry_;
    std::string name_;
    std::string help_;
    MetricType type_;
    std::vector<std::string> label_names_;
    std::vector<std::unique_ptr<Series>> series_;
};

class Registry {
public:
    Registry() = default;
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    // Declares a metric. Throws std::invalid_argument for a name or label
    // name Prometheus would reject, or a name declared twice.
    Family& add(std::string_view name, std::string_view help, MetricType type,
                std::initializer_list<std::string_view> label_names = {});

    // Every family in declaration order, every series in creation order, in
    // the text exposition format 0.0.4.
    std::string expose() const;

private:
    friend class Family;
    mutable std::mutex mutex_;  // families and series lists; never the values
    std::vector<std::unique_ptr<Family>> families_;
};

// Escaping of the text format: label values escape backslash, double quote
// and newline; help text escapes backslash and newline.
std::string escape_label_value(std::string_view value);
std::string escape_help(std::string_view help);

// What Content-Type a scrape answer carries.
inline constexpr const char* kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace dnswatch::metrics
