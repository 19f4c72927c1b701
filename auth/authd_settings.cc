// authd_settings - reads authd's parameters from posthorn.conf (see authd_settings.h)
#include "auth/authd_settings.h"

#include <limits>

namespace posthorn::auth {

namespace {

// A comma and/or white space separated list, as config::getList splits it.
std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> out;
  std::string word;
  for (char c : text) {
    if (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (!word.empty()) out.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) out.push_back(std::move(word));
  return out;
}

std::uint32_t uidParameter(const config::Config& cfg, std::string_view name,
                           std::string_view fallback) {
  const std::string text = authParameter(cfg, name, fallback);
  bool ok = !text.empty() && text.size() <= 10;
  for (char c : text) ok = ok && c >= '0' && c <= '9';
  if (!ok || std::stoull(text) >= std::numeric_limits<std::uint32_t>::max()) {
    throw config::ConfigError(cfg.origin(name).describe() + ": " + std::string(name) +
                              " = " + text + ": not a user ID");
  }
  return static_cast<std::uint32_t>(std::stoull(text));
}

}  // namespace

Settings::Settings(const config::Config& cfg) {
  passwdFile = passwdFilePath(cfg);
  virtualMaps.mailboxMaps = splitList(cfg.get("virtual_mailbox_maps"));
  virtualMaps.uidMaps = splitList(authParameter(cfg, "virtual_uid_maps", ""));
  virtualMaps.gidMaps = splitList(authParameter(cfg, "virtual_gid_maps", ""));
  virtualMaps.mailboxBase = authParameter(cfg, "virtual_mailbox_base", "");
  virtualMaps.minimumUid = uidParameter(cfg, "virtual_minimum_uid", "100");
  if (!virtualMaps.mailboxMaps.empty()) {
    if (virtualMaps.mailboxBase.empty() || virtualMaps.mailboxBase.front() != '/') {
      warnings.push_back("virtual_mailbox_maps is set but virtual_mailbox_base \"" +
                         virtualMaps.mailboxBase +
                         "\" is not an absolute path: its users cannot be looked up");
    }
    if (virtualMaps.uidMaps.empty() || virtualMaps.gidMaps.empty()) {
      warnings.push_back("virtual_mailbox_maps is set but virtual_uid_maps or "
                         "virtual_gid_maps is empty: its users cannot be looked up");
    }
  }
  for (const auto& entry : cfg.getList("mydestination")) {
    if (entry.find_first_of(":/") != std::string::npos) {
      warnings.push_back("mydestination entry \"" + entry +
                         "\" is not a domain name; authd ignores it for system users");
      continue;
    }
    localDomains.push_back(entry);
  }
  recipientDelimiter = cfg.get("recipient_delimiter");
  defaultQuotaBytes = cfg.getSize("mailbox_size_limit");
  mailOwner = cfg.get("mail_owner");
  maxUse = static_cast<int>(cfg.getInt("max_use"));
  if (maxUse < 0) maxUse = 0;
  maxIdle = cfg.getTime("max_idle");
  clientTimeout = cfg.getTime("ipc_timeout");
}

}  // namespace posthorn::auth
