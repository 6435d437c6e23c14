#include "publish/relay_store.h"

#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "publish/alert_store.h"

namespace dnswatch {

RelayStore::RelayStore(const std::string& dir, std::uint64_t keep) : path_(dir + "/relay.jsonl"), keep_(keep) {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) throw std::runtime_error(dir + ": " + error.message());
    if (std::filesystem::exists(path_)) {
        last_seq_ = scan_alert_store(path_, 0, [this](std::uint64_t, std::string_view) {
            ++lines_;
            return true;
        });
    }
    file_ = std::fopen(path_.c_str(), "a");
    if (file_ == nullptr) throw std::runtime_error(path_ + ": " + std::strerror(errno));
}

RelayStore::~RelayStore() {
    if (file_ != nullptr) std::fclose(file_);
}

std::string RelayStore::add(const std::string& json) {
    auto record = nlohmann::json::parse(json, nullptr, false);
    if (!record.is_object()) return json;
    if (record.contains("seq")) record["sensor_seq"] = record["seq"];
    record["seq"] = ++last_seq_;
    std::string line = record.dump();
    std::fputs(line.c_str(), file_);
    std::fputc('\n', file_);
    std::fflush(file_);  // a catch-up reads the file: whole lines only
    if (++lines_ > 2 * keep_) compact();
    return line;
}

void RelayStore::compact() {
    std::deque<std::string> last;
    scan_alert_store(path_, 0, [&](std::uint64_t, std::string_view line) {
        last.emplace_back(line);
        if (last.size() > keep_) last.pop_front();
        return true;
    });
    const std::string temporary = path_ + ".tmp";
    {
        std::ofstream out(temporary, std::ios::trunc);
        for (const std::string& line : last) out << line << '\n';
        if (!out.flush()) throw std::runtime_error(temporary + ": cannot write");
    }
    std::filesystem::rename(temporary, path_);
    std::fclose(file_);
    file_ = std::fopen(path_.c_str(), "a");
    if (file_ == nullptr) throw std::runtime_error(path_ + ": " + std::strerror(errno));
    lines_ = last.size();
}

}  // namespace dnswatch
