// qmgr_settings - what qmgr reads from posthorn.conf, once at start
#pragma once

#include <chrono>
#include <map>
#include <string>

namespace posthorn::config {
class Config;
}

namespace posthorn::qmgr {

struct Settings {
  std::string queueDirectory;  // as configured (outside the jail)
  std::string root;            // prefix for paths: "" inside the jail, else queueDirectory
  std::string mailOwner;
  std::chrono::seconds queueRunDelay{300};
  std::chrono::seconds minimalBackoff{300};
  std::chrono::seconds maximalBackoff{4000};
  std::chrono::seconds maximalQueueLifetime{5 * 86400};
  std::chrono::seconds bounceQueueLifetime{5 * 86400};
  std::chrono::seconds ipcTimeout{3600};  // a whole request to an agent
  std::chrono::seconds delayWarningTime{0};  // 0 = no delay warnings
  bool doubleBounces = false;                // notify_classes has "2bounce"
  int deliveryThreads = 20;               // qmgr_delivery_threads
  int destinationConcurrency = 20;        // default_destination_concurrency_limit
  // TRANSPORT_destination_concurrency_limit where set; else the default.
  std::map<std::string, int> transportConcurrency;
  std::size_t activeLimit = 20000;        // qmgr_message_active_limit

  explicit Settings(const config::Config& cfg);
  Settings() = default;  // tests
  int concurrencyLimit(const std::string& transport) const;
  // "<root>/<dir>" and "<root>/private/<service>".
  std::string path(const std::string& relative) const;
};

}  // namespace posthorn::qmgr
