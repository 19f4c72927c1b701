// local_settings - what local(8) reads from posthorn.conf, once at start
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

namespace posthorn::config {
class Config;
}

namespace posthorn::local {

struct Settings {
  std::string queueDirectory;
  std::string myorigin;
  std::vector<std::string> aliasMaps;
  std::string recipientDelimiter;
  std::string homeMailbox;        // "Maildir/" (a directory) or "Mailbox"; "" = spool mbox
  std::string mailSpoolDirectory;  // /var/mail
  std::vector<std::string> forwardPath;  // "$home/.forward" templates
  std::uint64_t mailboxSizeLimit = 0;   // mbox size; 0 = none
  bool commandsFromAliases = true, commandsFromForward = true;
  bool filesFromAliases = true, filesFromForward = true;
  uid_t defaultUid = 65534;  // default_privs: never root
  gid_t defaultGid = 65534;
  std::chrono::seconds commandTimeLimit{1000};
  int maxUse = 100;
  std::chrono::seconds maxIdle{100};

  explicit Settings(const config::Config& cfg);
};

}  // namespace posthorn::local
