// What `dnswatch run` tells systemd under Type=notify (sd_notify(3)):
// READY=1 once the capture is open and the baseline loaded, STATUS= with
// the packet rate, WATCHDOG=1 while the waiting loop is alive, STOPPING=1
// at the end. Outside systemd (NOTIFY_SOCKET unset) every call does nothing.
#pragma once

#include <chrono>
#include <string>

namespace dnswatch {

class ServiceNotifier {
public:
    ServiceNotifier();

    bool active() const { return active_; }
    void ready(const std::string& status);
    void status(const std::string& status);
    // Pings the watchdog if WatchdogSec= asks for it, at most every half period.
    void watchdog();
    void stopping();

private:
    bool active_ = false;
    std::chrono::microseconds watchdog_period_{0};
    std::chrono::steady_clock::time_point last_ping_{};
};

}  // namespace dnswatch
