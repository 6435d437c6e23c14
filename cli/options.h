// A small command-line parser: "--name VALUE", "--name=VALUE", "--help" and
// positional arguments ("-" alone is positional; "--" ends the options).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace dnswatch {

struct ParsedOptions {
    std::map<std::string, std::string> values;  // "--config" -> "dnswatch.yaml"
    std::vector<std::string> positional;
    bool help = false;
    std::set<std::string> flags;  // options that take no value, as given ("--changes")

    bool has(const std::string& flag) const { return flags.contains(flag); }

    std::optional<std::string> get(const std::string& name) const {
        const auto it = values.find(name);
        return it == values.end() ? std::nullopt : std::optional(it->second);
    }
};

// Throws std::invalid_argument with a one-line message for an unknown option,
// a missing value or an option given twice. `known_flags` take no value.
ParsedOptions parse_options(const std::vector<std::string>& args, const std::set<std::string>& known,
                            const std::set<std::string>& known_flags = {});

}  // namespace dnswatch
