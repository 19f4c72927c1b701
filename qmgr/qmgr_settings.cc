// qmgr_settings - reads qmgr's parameters (see qmgr(8))
#include "qmgr/qmgr_settings.h"

#include <algorithm>

#include "lib/config/config.h"

namespace posthorn::qmgr {

Settings::Settings(const config::Config& cfg) {
  queueDirectory = cfg.get("queue_directory");
  root = queueDirectory;
  queueRunDelay = std::max(cfg.getTime("queue_run_delay"), std::chrono::seconds(1));
  minimalBackoff = std::max(cfg.getTime("minimal_backoff_time"), std::chrono::seconds(1));
  maximalBackoff = std::max(cfg.getTime("maximal_backoff_time"), minimalBackoff);
  maximalQueueLifetime = cfg.getTime("maximal_queue_lifetime");
  bounceQueueLifetime = cfg.getTime("bounce_queue_lifetime");
  ipcTimeout = std::max(cfg.getTime("ipc_timeout"), std::chrono::seconds(10));
  delayWarningTime = cfg.getTime("delay_warning_time");
  for (const auto& c : cfg.getList("notify_classes"))
    if (c == "2bounce") doubleBounces = true;
  destinationConcurrency = static_cast<int>(
      std::clamp<long long>(cfg.getInt("default_destination_concurrency_limit"), 1, 1000));
  // Every TRANSPORT_destination_concurrency_limit that is set (known or not).
  const std::string suffix = "_destination_concurrency_limit";
  for (const auto& name : cfg.names()) {
    if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0 || name == "default" + suffix)
      continue;
    transportConcurrency[name.substr(0, name.size() - suffix.size())] =
        static_cast<int>(std::clamp<long long>(cfg.getInt(name), 1, 1000));
  }
  deliveryThreads = static_cast<int>(
      std::clamp<long long>(cfg.getInt("qmgr_delivery_threads"), 1, 500));
  activeLimit = static_cast<std::size_t>(
      std::max<long long>(cfg.getInt("qmgr_message_active_limit"), 1));
}

int Settings::concurrencyLimit(const std::string& transport) const {
  const auto it = transportConcurrency.find(transport);
  return it == transportConcurrency.end() ? destinationConcurrency : it->second;
}

std::string Settings::path(const std::string& relative) const { return root + "/" + relative; }

}  // namespace posthorn::qmgr
