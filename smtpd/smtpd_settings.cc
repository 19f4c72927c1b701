// smtpd_settings - reading smtpd's parameters
#include "smtpd/smtpd_settings.h"

#include <cctype>

namespace posthorn::smtpd {

namespace {

// Reads name through the typed accessor, or falls back to `fallback` (the
// Postfix default) while the parameter is neither set nor in the table.
std::string text(const config::Config& cfg, const char* name, const std::string& fallback) {
  if (!cfg.isSet(name) && !cfg.defaultValue(name)) return cfg.expand(fallback);
  return cfg.get(name);
}

long long integer(const config::Config& cfg, const char* name, long long fallback, long long min,
                  long long max) {
  long long v = fallback;
  if (cfg.isSet(name) || cfg.defaultValue(name)) {
    const std::string raw = cfg.get(name);
    if (raw.empty()) return fallback;
    if (config::findParameter(name) != nullptr) {
      v = cfg.getInt(name);
    } else {
      std::size_t used = 0;
      try {
        v = std::stoll(raw, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != raw.size())
        throw config::ConfigError(cfg.origin(name).describe() + ": " + name + " = " + raw +
                                  ": not an integer");
    }
  }
  if (v < min || v > max)
    throw config::ConfigError(std::string(name) + " = " + std::to_string(v) + ": must be from " +
                              std::to_string(min) + " to " + std::to_string(max));
  return v;
}

bool boolean(const config::Config& cfg, const char* name, bool fallback) {
  if (!cfg.isSet(name) && !cfg.defaultValue(name)) return fallback;
  if (config::findParameter(name) != nullptr) return cfg.getBool(name);
  std::string v = cfg.get(name);
  for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v == "yes" || v == "true" || v == "1") return true;
  if (v == "no" || v == "false" || v == "0" || v.empty()) return false;
  throw config::ConfigError(cfg.origin(name).describe() + ": " + name + " = " + v +
                            ": expected yes or no");
}

std::vector<std::string> list(const config::Config& cfg, const char* name,
                              const std::string& fallback) {
  if (!cfg.isSet(name) && !cfg.defaultValue(name)) {
    config::Config scratch = cfg;
    scratch.set(name, fallback);
    return scratch.getList(name);
  }
  return cfg.getList(name);
}

std::string lower(std::string v) {
  for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return v;
}

int replyCode(const config::Config& cfg, const char* name, int fallback) {
  const long long v = integer(cfg, name, fallback, 400, 599);
  return static_cast<int>(v);
}

}  // namespace

Settings::Settings(const config::Config& cfg) {
  myhostname = cfg.get("myhostname");
  mailName = text(cfg, "mail_name", "posthorn");
  banner = text(cfg, "smtpd_banner", "$myhostname ESMTP $mail_name");
  myorigin = text(cfg, "myorigin", "$myhostname");

  messageSizeLimit = cfg.getSize("message_size_limit");
  recipientLimit = static_cast<int>(integer(cfg, "smtpd_recipient_limit", 1000, 1, 100000000));
  timeout = cfg.getTime("smtpd_timeout");
  if (timeout.count() <= 0) throw config::ConfigError("smtpd_timeout must be positive");
  hardErrorLimit = static_cast<int>(integer(cfg, "smtpd_hard_error_limit", 20, 1, 1000000));

  relayRejectCode = replyCode(cfg, "relay_domains_reject_code", 554);
  unknownLocalRejectCode = replyCode(cfg, "unknown_local_recipient_reject_code", 550);
  unknownVirtualRejectCode = replyCode(cfg, "unknown_virtual_mailbox_reject_code", 550);
  heloRequired = boolean(cfg, "smtpd_helo_required", false);
  disableVrfy = boolean(cfg, "disable_vrfy_command", false);
  strictEnvelopes = boolean(cfg, "strict_rfc821_envelopes", false);

  const std::string bare = lower(text(cfg, "smtpd_forbid_bare_newline", "normalize"));
  if (bare == "normalize" || bare == "yes" || bare == "no" || bare.empty()) {
    // "no" (accept "\n.\n" as the end) is never honoured: see data_reader.h.
    bareNewline = BareNewline::Normalize;
  } else if (bare == "reject") {
    bareNewline = BareNewline::Reject;
  } else {
    throw config::ConfigError("smtpd_forbid_bare_newline = " + bare +
                              ": expected normalize or reject");
  }
  bareNewlineExclusions = list(cfg, "smtpd_forbid_bare_newline_exclusions", "$mynetworks");
  for (std::string& k : list(cfg, "smtpd_discard_ehlo_keywords", "")) {
    for (char& c : k) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    discardEhloKeywords.push_back(k);
  }
  peernameLookup = boolean(cfg, "smtpd_peername_lookup", true);
  mynetworks = cfg.getList("mynetworks");
  aliasMaps = cfg.getList("alias_maps");
  virtualAliasMaps = cfg.getList("virtual_alias_maps");
  recipientDelimiter = cfg.get("recipient_delimiter");

  tlsCertFile = text(cfg, "smtpd_tls_cert_file", "");
  tlsKeyFile = text(cfg, "smtpd_tls_key_file", "$smtpd_tls_cert_file");
  tlsProtocols = text(cfg, "smtpd_tls_protocols", ">=TLSv1.2");
  tlsCiphers = text(cfg, "smtpd_tls_ciphers", "");
  tlsWrapperMode = boolean(cfg, "smtpd_tls_wrappermode", false);
  const std::string level = lower(text(cfg, "smtpd_tls_security_level", ""));
  if (level.empty()) {
    tlsLevel = tlsCertFile.empty() ? TlsLevel::None : TlsLevel::May;
  } else if (level == "none") {
    tlsLevel = TlsLevel::None;
  } else if (level == "may") {
    tlsLevel = TlsLevel::May;
  } else if (level == "encrypt") {
    tlsLevel = TlsLevel::Encrypt;
  } else {
    throw config::ConfigError("smtpd_tls_security_level = " + level +
                              ": expected none, may or encrypt");
  }
  if ((tlsLevel != TlsLevel::None || tlsWrapperMode) && tlsCertFile.empty())
    throw config::ConfigError(std::string("smtpd_tls_") +
                              (tlsWrapperMode ? "wrappermode = yes" : "security_level = " + level) +
                              " needs smtpd_tls_cert_file");

  saslAuthEnable = boolean(cfg, "smtpd_sasl_auth_enable", false);
  tlsAuthOnly = boolean(cfg, "smtpd_tls_auth_only", true);
  saslAuthRequired = boolean(cfg, "smtpd_sasl_auth_required", false);
  senderLoginMaps = list(cfg, "smtpd_sender_login_maps", "");
  rejectSenderLoginMismatch = boolean(cfg, "smtpd_reject_sender_login_mismatch", false);
  if (saslAuthRequired && !saslAuthEnable)
    throw config::ConfigError("smtpd_sasl_auth_required = yes needs smtpd_sasl_auth_enable = yes");

  queueDirectory = cfg.get("queue_directory");
  mailOwner = cfg.get("mail_owner");
  maxUse = static_cast<int>(cfg.getInt("max_use"));
  if (maxUse < 0) maxUse = 0;
  maxIdle = cfg.getTime("max_idle");
}

}  // namespace posthorn::smtpd
