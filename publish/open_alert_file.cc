#include "publish/open_alert_file.h"

#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "publish/alert_json.h"
#include "common/atomic_file.h"
#include "common/hex.h"

namespace dnswatch {

void save_open_alerts(const std::string& path, const std::vector<OpenAlertState>& alerts) {
    std::string text;
    for (const OpenAlertState& state : alerts) {
        nlohmann::json line;
        line["key"] = to_hex(state.key);
        line["signals"] = state.signals;
        line["observed_forms"] = nlohmann::json::array();
        for (const std::string& form : state.observed_forms) line["observed_forms"].push_back(to_hex(form));
        line["alert"] = to_json(state.alert);
        text += line.dump() + "\n";
    }
    write_file_atomically(path, text);
}

std::vector<OpenAlertState> load_open_alerts(const std::string& path) {
    std::vector<OpenAlertState> alerts;
    std::ifstream in(path);
    if (!in) return alerts;
    int line_number = 0;
    for (std::string line; std::getline(in, line);) {
        ++line_number;
        try {
            const auto json = nlohmann::json::parse(line);
            OpenAlertState state;
            state.key = from_hex(json.at("key").get<std::string>());
            state.signals = json.at("signals").get<SignalSet>();
            for (const auto& form : json.at("observed_forms")) state.observed_forms.push_back(from_hex(form.get<std::string>()));
            state.alert = alert_from_json(json.at("alert"));
            alerts.push_back(std::move(state));
        } catch (const std::exception& e) {
            throw std::runtime_error(path + ":" + std::to_string(line_number) + ": not an open alert (" + e.what() + ")");
        }
    }
    return alerts;
}

}  // namespace dnswatch
