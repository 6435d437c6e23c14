#include "cli/service_notify.h"

#include <cstdint>
#include <cstdlib>

#include <systemd/sd-daemon.h>

namespace dnswatch {

ServiceNotifier::ServiceNotifier() {
    const char* socket = std::getenv("NOTIFY_SOCKET");
    active_ = socket != nullptr && *socket != '\0';
    std::uint64_t usec = 0;
    if (active_ && sd_watchdog_enabled(0, &usec) > 0) watchdog_period_ = std::chrono::microseconds(usec);
}

void ServiceNotifier::ready(const std::string& status) {
    if (!active_) return;
    sd_notify(0, ("READY=1\nSTATUS=" + status).c_str());
    last_ping_ = std::chrono::steady_clock::now();
}

void ServiceNotifier::status(const std::string& status) {
    if (active_) sd_notify(0, ("STATUS=" + status).c_str());
}

void ServiceNotifier::watchdog() {
    if (!active_ || watchdog_period_.count() == 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ping_ < watchdog_period_ / 2) return;
    sd_notify(0, "WATCHDOG=1");
    last_ping_ = now;
}

void ServiceNotifier::stopping() {
    if (active_) sd_notify(0, "STOPPING=1");
}

}  // namespace dnswatch
