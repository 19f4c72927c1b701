// local_settings - what local(8) reads from posthorn.conf, once at start
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

#include "lib/address/srs.h"

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
  std::string junkFolder;         // local_junk_folder: Maildir folder for junk; "" = INBOX
  std::string mailSpoolDirectory;  // /var/mail
  std::vector<std::string> forwardPath;  // "$home/.forward" templates
  std::uint64_t mailboxSizeLimit{};     // mbox size; 0 = none
  bool commandsFromAliases{}, commandsFromForward{};  // allow_mail_to_commands
  bool filesFromAliases{}, filesFromForward{};        // allow_mail_to_files
  uid_t defaultUid{};  // default_privs: never root
  gid_t defaultGid{};
  std::chrono::seconds commandTimeLimit{};
  // srs_domain: the sender of forwarded mail is rewritten (SRS); null = off.
  std::shared_ptr<const address::SrsCodec> srs;

  // The only way to make one (defaults: the parameter table).
  explicit Settings(const config::Config& cfg);
};

}  // namespace posthorn::local
