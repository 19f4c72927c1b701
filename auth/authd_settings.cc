// authd_settings - reads authd's parameters from posthorn.conf (see authd_settings.h)
#include "auth/authd_settings.h"

#include <limits>

namespace posthorn::auth {

namespace {

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

// getInt, limited to [min, max] (thresholds are counts, not unbounded).
long long intParameter(const config::Config& cfg, std::string_view name, long long min,
                       long long max) {
  const long long v = cfg.getInt(name);
  if (v < min || v > max) {
    throw config::ConfigError(cfg.origin(name).describe() + ": " + std::string(name) + " = " +
                              cfg.get(name) + ": expected a number from " + std::to_string(min) +
                              " to " + std::to_string(max));
  }
  return v;
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
  virtualMaps.mailboxMaps = cfg.getList("virtual_mailbox_maps");
  virtualMaps.uidMaps = cfg.getList("virtual_uid_maps");
  virtualMaps.gidMaps = cfg.getList("virtual_gid_maps");
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
  passdb.allowPlaintext = cfg.getBool("auth_allow_plaintext_passwords");
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
