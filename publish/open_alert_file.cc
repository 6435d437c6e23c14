#include "publish/open_alert_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "publish/alert_json.h"
#include "publish/atomic_file.h"

namespace dnswatch {
namespace {

std::string to_hex(std::string_view bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string text;
    text.reserve(bytes.size() * 2);
    for (const char c : bytes) {
        text.push_back(kHex[static_cast<std::uint8_t>(c) >> 4]);
        text.push_back(kHex[static_cast<std::uint8_t>(c) & 0xF]);
    }
    return text;
}

std::string from_hex(std::string_view text) {
    if (text.size() % 2 != 0) throw std::invalid_argument("odd-length hex");
    std::string bytes;
    for (std::size_t i = 0; i < text.size(); i += 2) {
        bytes.push_back(static_cast<char>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
    }
    return bytes;
}

}  // namespace

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
