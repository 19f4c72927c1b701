// local_settings - reads local(8)'s parameters
#include "local/local_settings.h"

#include "lib/mailbox/maildir_store.h"

#include <pwd.h>

#include <algorithm>

#include "lib/config/config.h"

namespace posthorn::local {

namespace {

// default_privs when it names no user, or root: nobody's usual IDs.
constexpr uid_t kNobodyUid = 65534;
constexpr gid_t kNobodyGid = 65534;

bool listHas(const std::vector<std::string>& list, const std::string& word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

}  // namespace

Settings::Settings(const config::Config& cfg) {
  queueDirectory = cfg.get("queue_directory");
  myorigin = cfg.get("myorigin");
  aliasMaps = cfg.getList("alias_maps");
  recipientDelimiter = cfg.get("recipient_delimiter");
  homeMailbox = cfg.get("home_mailbox");
  junkFolder = cfg.get("local_junk_folder");
  if (!junkFolder.empty()) {
    if (mailbox::MaildirStore::isInbox(junkFolder))
      throw config::ConfigError("local_junk_folder: \"" + junkFolder + "\" is INBOX; leave it empty for that");
    if (const std::string why = mailbox::MaildirStore::checkFolderName(junkFolder); !why.empty())
      throw config::ConfigError("local_junk_folder: \"" + junkFolder + "\": " + why);
  }
  mailSpoolDirectory = cfg.get("mail_spool_directory");
  // Not expanded as posthorn.conf values are: $home and $user are local's
  // own names, filled in per recipient (see local(8)).
  // "$$home" (what `posthorn conf` shows as $home) and "$home" both work.
  std::string forward = cfg.rawValue("forward_path").value();  // a table row: never nullopt
  for (std::size_t at = 0; (at = forward.find("$$", at)) != std::string::npos; ++at)
    forward.erase(at, 1);
  std::string item;
  for (char c : forward + ",") {
    if (c == ',' || c == ' ' || c == '\t' || c == '\n') {
      if (!item.empty()) forwardPath.push_back(item);
      item.clear();
    } else {
      item += c;
    }
  }
  mailboxSizeLimit = cfg.getSize("mailbox_size_limit");
  srs = address::SrsCodec::fromConfig(cfg);
  const auto commands = cfg.getList("allow_mail_to_commands");
  commandsFromAliases = listHas(commands, "alias");
  commandsFromForward = listHas(commands, "forward");
  const auto files = cfg.getList("allow_mail_to_files");
  filesFromAliases = listHas(files, "alias");
  filesFromForward = listHas(files, "forward");
  commandTimeLimit = cfg.getTime("command_time_limit");
  const std::string privs = cfg.get("default_privs");
  defaultUid = kNobodyUid;
  defaultGid = kNobodyGid;
  if (const passwd* pw = ::getpwnam(privs.c_str()); pw != nullptr && pw->pw_uid != 0) {
    defaultUid = pw->pw_uid;
    defaultGid = pw->pw_gid;
  }
}

}  // namespace posthorn::local
