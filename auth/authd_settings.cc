// authd_settings - reads authd's parameters from posthorn.conf (see authd_settings.h)
#include "auth/authd_settings.h"

#include <cctype>
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

std::uint32_t uidParameter(const config::Config& cfg, std::string_view name) {
  const std::string text = cfg.get(name);
  bool ok = !text.empty() && text.size() <= 10;
  for (char c : text) ok = ok && c >= '0' && c <= '9';
  if (!ok || std::stoull(text) >= std::numeric_limits<std::uint32_t>::max()) {
    throw config::ConfigError(cfg.origin(name).describe() + ": " + std::string(name) +
                              " = " + text + ": not a user ID");
  }
  return static_cast<std::uint32_t>(std::stoull(text));
}

long long intParameter(const config::Config& cfg, std::string_view name, long long min,
                       long long max) {
  const std::string text = cfg.get(name);
  std::size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || used != text.size() || v < min || v > max) {
    throw config::ConfigError(cfg.origin(name).describe() + ": " + std::string(name) + " = " +
                              text + ": expected a number from " + std::to_string(min) + " to " +
                              std::to_string(max));
  }
  return v;
}

bool boolParameter(const config::Config& cfg, std::string_view name) {
  std::string text = cfg.get(name);
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (text == "yes" || text == "true" || text == "1") return true;
  if (text == "no" || text == "false" || text == "0") return false;
  throw config::ConfigError(cfg.origin(name).describe() + ": " + std::string(name) + " = " +
                            text + ": expected yes or no");
}

}  // namespace

std::chrono::milliseconds millisParameter(const config::Config& cfg, std::string_view name) {
  const std::string text = cfg.get(name);
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const std::string unit = text.substr(digits);
  long long factor = -1;
  if (unit == "ms") factor = 1;
  else if (unit == "s" || unit.empty()) factor = 1000;
  else if (unit == "m") factor = 60 * 1000;
  else if (unit == "h") factor = 3600 * 1000;
  if (digits == 0 || digits > 9 || factor < 0) {
    throw config::ConfigError(cfg.origin(name).describe() + ": " + std::string(name) + " = " +
                              text + ": not a time (500ms, 2s, 1m)");
  }
  return std::chrono::milliseconds(std::stoll(text.substr(0, digits)) * factor);
}

Settings::Settings(const config::Config& cfg) {
  passwdFile = passwdFilePath(cfg);
  virtualMaps.mailboxMaps = splitList(cfg.get("virtual_mailbox_maps"));
  virtualMaps.uidMaps = splitList(cfg.get("virtual_uid_maps"));
  virtualMaps.gidMaps = splitList(cfg.get("virtual_gid_maps"));
  virtualMaps.mailboxBase = cfg.get("virtual_mailbox_base");
  virtualMaps.minimumUid = uidParameter(cfg, "virtual_minimum_uid");
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
  clientTimeout = cfg.getTime("ipc_timeout");

  passdb.passwdFile = passwdFile;
  passdb.allowPlaintext = boolParameter(cfg, "auth_allow_plaintext_passwords");
  passdb.pamService = cfg.get("auth_pam_service");
  if (!passdb.pamService.empty() && !Passdb::pamAvailable()) {
    warnings.push_back("auth_pam_service = " + passdb.pamService +
                       ", but this authd was built without PAM: system users cannot log in");
  }
  throttle.baseDelay = millisParameter(cfg, "auth_failure_delay");
  throttle.maxDelay = millisParameter(cfg, "auth_failure_delay_limit");
  throttle.clientLockoutThreshold =
      static_cast<int>(intParameter(cfg, "auth_client_lockout_threshold", 0, 1000000));
  throttle.accountLockoutThreshold =
      static_cast<int>(intParameter(cfg, "auth_account_lockout_threshold", 0, 1000000));
  throttle.lockoutTime = std::chrono::duration_cast<std::chrono::seconds>(
      millisParameter(cfg, "auth_lockout_time"));
}

}  // namespace posthorn::auth
