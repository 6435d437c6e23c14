// ZeroMQ topics (DESIGN.md, "Contracts"): a prefix, then the owner's labels in
// reverse order, each followed by a dot. The trailing dot is what makes a
// prefix subscription safe: "alert.test.victim." matches victim.test and
// mail.victim.test but not evilvictim.test ("alert.test.evilvictim.").
#pragma once

#include <string>
#include <string_view>

namespace dnswatch {

// topic_for("change", "mail.victim.test") == "change.test.victim.mail."
// The prefix is one label; a trailing dot on it is accepted and not doubled
// (an empty prefix yields just the reversed labels).
// The owner is in presentation form: "\." inside a label is part of the label
// (and stays escaped in the topic), a trailing dot is ignored, empty labels
// are skipped, ASCII letters are lowered. The root ("" or ".") yields "change.".
std::string topic_for(std::string_view prefix, std::string_view owner);

// topic_for("alert", owner): "alert.test.victim.mail." for "mail.victim.test".
std::string alert_topic(std::string_view owner);

}  // namespace dnswatch
