#include "publish/topic.h"

#include <vector>

namespace dnswatch {
namespace {

char lower_ascii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Splits a presentation-format name at unescaped dots. A backslash always
// takes the next character with it, so "\." and "\\" stay inside their label;
// "\DDD" needs no special case because digits are never dots.
std::vector<std::string_view> split_labels(std::string_view name) {
    std::vector<std::string_view> labels;
    std::size_t start = 0;
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (name[i] == '\\') {
            ++i;  // skip the escaped character (if the name ends in '\', keep it)
            continue;
        }
        if (name[i] == '.') {
            if (i > start) labels.push_back(name.substr(start, i - start));
            start = i + 1;
        }
    }
    if (start < name.size()) labels.push_back(name.substr(start));
    return labels;
}

}  // namespace

std::string topic_for(std::string_view prefix, std::string_view owner) {
    std::string topic;
    topic.reserve(prefix.size() + owner.size() + 2);
    topic.append(prefix);
    if (!topic.empty() && topic.back() != '.') topic.push_back('.');

    const std::vector<std::string_view> labels = split_labels(owner);
    for (auto it = labels.rbegin(); it != labels.rend(); ++it) {
        for (char c : *it) topic.push_back(lower_ascii(c));
        topic.push_back('.');
    }
    return topic;
}

std::string alert_topic(std::string_view owner) { return topic_for("alert", owner); }

}  // namespace dnswatch
