#include "publish/open_alert_file.h"

#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/hex.h"
#include "common/json_lines.h"
#include "publish/alert_json.h"

namespace dnswatch {

std::string open_alerts_text(const std::vector<OpenAlertState>& alerts) {
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
    return text;
}

void save_open_alerts(const std::string& path, const std::vector<OpenAlertState>& alerts) {
    write_file_atomically(path, open_alerts_text(alerts));
}

std::vector<OpenAlertState> load_open_alerts(const std::string& path) {
    std::vector<OpenAlertState> alerts;
    read_json_lines(path, "an open alert", [&](const nlohmann::json& json) {
        OpenAlertState state;
        state.key = from_hex(json.at("key").get<std::string>());
        state.signals = json.at("signals").get<SignalSet>();
        for (const auto& form : json.at("observed_forms")) state.observed_forms.push_back(from_hex(form.get<std::string>()));
        state.alert = alert_from_json(json.at("alert"));
        alerts.push_back(std::move(state));
    });
    return alerts;
}

}  // namespace dnswatch
