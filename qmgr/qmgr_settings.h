// qmgr_settings - what qmgr reads from posthorn.conf, once at start
#pragma once

#include <chrono>
#include <map>
#include <string>

namespace posthorn::config {
class Config;
}

namespace posthorn::qmgr {

// Built only from a config::Config: every default comes from the parameter
// table (lib/config/config_defaults.cc), none is written here.
struct Settings {
  std::string queueDirectory;  // as configured (outside the jail)
  std::string root;            // prefix for paths: "" inside the jail, else queueDirectory
  std::chrono::seconds queueRunDelay{};
  std::chrono::seconds minimalBackoff{};
  std::chrono::seconds maximalBackoff{};
  std::chrono::seconds maximalQueueLifetime{};
  std::chrono::seconds bounceQueueLifetime{};
  std::chrono::seconds ipcTimeout{};        // a whole request to an agent
  std::chrono::seconds delayWarningTime{};  // 0 = no delay warnings
  bool doubleBounces = false;               // notify_classes has "2bounce"
  int deliveryThreads{};                    // qmgr_delivery_threads
  int destinationConcurrency{};             // default_destination_concurrency_limit
  // TRANSPORT_destination_concurrency_limit where set; else the default.
  std::map<std::string, int> transportConcurrency;
  std::size_t activeLimit{};                // qmgr_message_active_limit

  explicit Settings(const config::Config& cfg);
  int concurrencyLimit(const std::string& transport) const;
  // "<root>/<dir>" and "<root>/private/<service>".
  std::string path(const std::string& relative) const;
};

}  // namespace posthorn::qmgr
