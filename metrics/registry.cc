#include "metrics/registry.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace dnswatch::metrics {
namespace {

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// [a-zA-Z_:][a-zA-Z0-9_:]* (colons are reserved for recording rules, but valid).
bool valid_metric_name(std::string_view name) {
    if (name.empty() || is_digit(name[0])) return false;
    for (const char c : name) {
        if (!is_letter(c) && !is_digit(c) && c != '_' && c != ':') return false;
    }
    return true;
}

// [a-zA-Z_][a-zA-Z0-9_]*, and "__" prefixes belong to Prometheus itself.
bool valid_label_name(std::string_view name) {
    if (name.empty() || is_digit(name[0]) || name.starts_with("__")) return false;
    for (const char c : name) {
        if (!is_letter(c) && !is_digit(c) && c != '_') return false;
    }
    return true;
}

// Go's strconv formatting as Prometheus parses it: integers plainly, special
// values by name.
std::string format_value(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    if (value == std::floor(value) && std::fabs(value) < 1e15) {
        return std::to_string(static_cast<long long>(value));
    }
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.17g", value);
    return buffer;
}

}  // namespace

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string escape_help(std::string_view help) {
    std::string out;
    out.reserve(help.size());
    for (const char c : help) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

Family::Family(Registry& registry, std::string name, std::string help, MetricType type,
               std::vector<std::string> label_names)
    : registry_(registry),
      name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)) {}

Family::Series& Family::series(std::initializer_list<std::string_view> label_values) {
    if (label_values.size() != label_names_.size()) {
        throw std::invalid_argument(name_ + ": " + std::to_string(label_names_.size()) + " label values expected, got " +
                                    std::to_string(label_values.size()));
    }
    const std::lock_guard lock(registry_.mutex_);
    for (const auto& existing : series_) {
        if (std::equal(existing->label_values.begin(), existing->label_values.end(), label_values.begin())) {
            return *existing;
        }
    }
    auto created = std::make_unique<Series>();
    created->label_values.assign(label_values.begin(), label_values.end());
    series_.push_back(std::move(created));
    return *series_.back();
}

Counter& Family::counter(std::initializer_list<std::string_view> label_values) {
    if (type_ != MetricType::counter) throw std::invalid_argument(name_ + " is not a counter");
    return series(label_values).counter;
}

Gauge& Family::gauge(std::initializer_list<std::string_view> label_values) {
    if (type_ != MetricType::gauge) throw std::invalid_argument(name_ + " is not a gauge");
    return series(label_values).gauge;
}

void Family::callback(std::initializer_list<std::string_view> label_values, ReadFunction read) {
    Series& target = series(label_values);
    const std::lock_guard lock(registry_.mutex_);
    target.read = std::move(read);
}

void Family::retain_by_first_label(const std::function<bool(std::string_view)>& keep) {
    const std::lock_guard lock(registry_.mutex_);
    std::erase_if(series_, [&](const std::unique_ptr<Series>& s) {
        return !s->label_values.empty() && !keep(s->label_values.front());
    });
}

Family& Registry::add(std::string_view name, std::string_view help, MetricType type,
                      std::initializer_list<std::string_view> label_names) {
    if (!valid_metric_name(name)) throw std::invalid_argument("invalid metric name '" + std::string(name) + "'");
    std::vector<std::string> labels;
    for (const std::string_view label : label_names) {
        if (!valid_label_name(label)) {
            throw std::invalid_argument(std::string(name) + ": invalid label name '" + std::string(label) + "'");
        }
        labels.emplace_back(label);
    }
    const std::lock_guard lock(mutex_);
    for (const auto& family : families_) {
        if (family->name_ == name) throw std::invalid_argument("metric '" + std::string(name) + "' declared twice");
    }
    families_.push_back(std::unique_ptr<Family>(
        new Family(*this, std::string(name), std::string(help), type, std::move(labels))));
    return *families_.back();
}

std::string Registry::expose() const {
    const std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& family : families_) {
        out += "# HELP " + family->name_ + " " + escape_help(family->help_) + "\n";
        out += "# TYPE " + family->name_ + (family->type_ == MetricType::counter ? " counter\n" : " gauge\n");
        for (const auto& series : family->series_) {
            out += family->name_;
            if (!family->label_names_.empty()) {
                out += '{';
                for (std::size_t i = 0; i < family->label_names_.size(); ++i) {
                    if (i > 0) out += ',';
                    out += family->label_names_[i] + "=\"" + escape_label_value(series->label_values[i]) + "\"";
                }
                out += '}';
            }
            out += ' ';
            if (series->read) {
                out += format_value(series->read());
            } else if (family->type_ == MetricType::counter) {
                out += std::to_string(series->counter.value());
            } else {
                out += std::to_string(series->gauge.value());
            }
            out += '\n';
        }
    }
    return out;
}

}  // namespace dnswatch::metrics
