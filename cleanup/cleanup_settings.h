// cleanup_settings - cleanup's configuration, read and checked once at start
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "lib/config/config.h"

namespace posthorn::cleanup {

// What a session needs; plain values so that tests can build one by hand.
struct SessionSettings {
  std::string incomingDir = "incoming";  // where committed queue files go
  std::string qmgrTrigger;               // public/qmgr: poked after each commit; "" = none
  std::string myhostname = "localhost";  // right-hand side of added Message-IDs
  std::string myorigin = "localhost";    // domain for unqualified extracted recipients
  std::uint64_t messageSizeLimit = 10240000;  // message_size_limit; 0 = none (4 GiB - 1)
  std::size_t headerSizeLimit = 102400;        // header_size_limit: one header field
  int hopcountLimit = 50;                      // hopcount_limit: Received: headers
  std::chrono::seconds ipcTimeout{3600};       // ipc_timeout: one read from the client
  std::chrono::seconds idleTimeout{100};       // between messages on one connection
  std::chrono::seconds messageTimeout{18000};  // daemon_timeout: one whole message
};

struct Settings {
  std::string queueDirectory;  // queue_directory: the chroot
  std::string mailOwner;       // mail_owner: cleanup runs as this user
  int maxUse = 100;            // max_use
  std::chrono::seconds maxIdle{100};
  SessionSettings session;  // paths relative to queueDirectory ("incoming")

  // Throws config::ConfigError naming the parameter and value.
  explicit Settings(const config::Config& cfg);
};

}  // namespace posthorn::cleanup
