#include "cli/options.h"

#include <stdexcept>

namespace dnswatch {

ParsedOptions parse_options(const std::vector<std::string>& args, const std::set<std::string>& known,
                            const std::set<std::string>& known_flags) {
    ParsedOptions parsed;
    bool options_ended = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (options_ended || arg == "-" || arg.rfind("-", 0) != 0) {
            parsed.positional.push_back(arg);
            continue;
        }
        if (arg == "--") {
            options_ended = true;
            continue;
        }
        if (arg == "--help" || arg == "-h") {
            parsed.help = true;
            continue;
        }
        if (known_flags.contains(arg)) {
            if (!parsed.flags.insert(arg).second) throw std::invalid_argument("option '" + arg + "' is given twice");
            continue;
        }
        std::string name = arg;
        std::optional<std::string> value;
        if (const auto eq = arg.find('='); eq != std::string::npos) {
            name = arg.substr(0, eq);
            value = arg.substr(eq + 1);
        }
        if (!known.contains(name)) throw std::invalid_argument("unknown option '" + name + "'");
        if (!value) {
            if (i + 1 >= args.size()) throw std::invalid_argument("option '" + name + "' needs a value");
            value = args[++i];
        }
        if (!parsed.values.emplace(name, *value).second) {
            throw std::invalid_argument("option '" + name + "' is given twice");
        }
    }
    return parsed;
}

}  // namespace dnswatch
