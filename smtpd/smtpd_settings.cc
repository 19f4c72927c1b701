// smtpd_settings - reading smtpd's parameters
#include "smtpd/smtpd_settings.h"

#include "lib/util/ascii.h"


namespace posthorn::smtpd {

namespace {

// An integer from min to max; an empty value reads as the default, as it
// always has here.
long long integer(const config::Config& cfg, const char* name, long long min, long long max) {
  const long long v =
      cfg.get(name).empty() ? cfg.without(name).getInt(name) : cfg.getInt(name);
  if (v < min || v > max)
    throw config::ConfigError(std::string(name) + " = " + std::to_string(v) + ": must be from " +
                              std::to_string(min) + " to " + std::to_string(max));
  return v;
}

int replyCode(const config::Config& cfg, const char* name) {
  return static_cast<int>(integer(cfg, name, 400, 599));
}

}  // namespace

Settings::Settings(const config::Config& cfg) {
  myhostname = cfg.get("myhostname");
  mailName = cfg.get("mail_name");
  banner = cfg.get("smtpd_banner");
  myorigin = cfg.get("myorigin");

  messageSizeLimit = cfg.getSize("message_size_limit");
  recipientLimit = static_cast<int>(integer(cfg, "smtpd_recipient_limit", 1, 100000000));
  timeout = cfg.getTime("smtpd_timeout");
  if (timeout.count() <= 0) throw config::ConfigError("smtpd_timeout must be positive");
  hardErrorLimit = static_cast<int>(integer(cfg, "smtpd_hard_error_limit", 1, 1000000));

  connectionCountLimit = static_cast<int>(integer(cfg, "smtpd_client_connection_count_limit", 0, 1000000000));
  connectionRateLimit = static_cast<int>(integer(cfg, "smtpd_client_connection_rate_limit", 0, 1000000000));
  messageRateLimit = static_cast<int>(integer(cfg, "smtpd_client_message_rate_limit", 0, 1000000000));
  recipientRateLimit = static_cast<int>(integer(cfg, "smtpd_client_recipient_rate_limit", 0, 1000000000));
  newTlsRateLimit = static_cast<int>(integer(cfg, "smtpd_client_new_tls_session_rate_limit", 0, 1000000000));
  authRateLimit = static_cast<int>(integer(cfg, "smtpd_client_auth_rate_limit", 0, 1000000000));
  eventLimitExceptions = cfg.getList("smtpd_client_event_limit_exceptions");
  greetWait = cfg.getTime("postscreen_greet_wait");
  if (greetWait.count() < 0) throw config::ConfigError("postscreen_greet_wait must not be negative");
  const std::string greetAct = util::lower(cfg.get("postscreen_greet_action"));
  if (greetAct == "ignore") greetAction = GreetAction::Ignore;
  else if (greetAct == "enforce") greetAction = GreetAction::Enforce;
  else if (greetAct == "drop") greetAction = GreetAction::Drop;
  else throw config::ConfigError("postscreen_greet_action = " + greetAct + ": expected ignore, enforce or drop");

  srs = address::SrsCodec::fromConfig(cfg);
  relayRejectCode = replyCode(cfg, "relay_domains_reject_code");
  unknownLocalRejectCode = replyCode(cfg, "unknown_local_recipient_reject_code");
  unknownVirtualRejectCode = replyCode(cfg, "unknown_virtual_mailbox_reject_code");
  heloRequired = cfg.getBool("smtpd_helo_required");
  disableVrfy = cfg.getBool("disable_vrfy_command");
  strictEnvelopes = cfg.getBool("strict_rfc821_envelopes");

  clientRestrictions = access::parseRestrictions(cfg, "smtpd_client_restrictions");
  heloRestrictions = access::parseRestrictions(cfg, "smtpd_helo_restrictions");
  senderRestrictions = access::parseRestrictions(cfg, "smtpd_sender_restrictions");
  relayRestrictions = access::parseRestrictions(cfg, "smtpd_relay_restrictions");
  recipientRestrictions = access::parseRestrictions(cfg, "smtpd_recipient_restrictions");
  dataRestrictions = access::parseRestrictions(cfg, "smtpd_data_restrictions");
  endOfDataRestrictions = access::parseRestrictions(cfg, "smtpd_end_of_data_restrictions");
  if (auto problem = access::openRelayProblem(cfg)) throw config::ConfigError(*problem);
  delayReject = cfg.getBool("smtpd_delay_reject");
  nullAccessKey = cfg.get("smtpd_null_access_lookup_key");
  accessMapRejectCode = replyCode(cfg, "access_map_reject_code");
  accessMapDeferCode = replyCode(cfg, "access_map_defer_code");
  rejectCode = replyCode(cfg, "reject_code");
  deferCode = replyCode(cfg, "defer_code");
  invalidHostnameRejectCode = replyCode(cfg, "invalid_hostname_reject_code");
  nonFqdnRejectCode = replyCode(cfg, "non_fqdn_reject_code");
  unknownAddressRejectCode = replyCode(cfg, "unknown_address_reject_code");
  unknownClientRejectCode = replyCode(cfg, "unknown_client_hostname_reject_code");
  unknownHostnameRejectCode = replyCode(cfg, "unknown_hostname_reject_code");
  rblRejectCode = replyCode(cfg, "maps_rbl_reject_code");
  rblReplyMaps = cfg.getList("rbl_reply_maps");
  policyTimeout = cfg.getTime("smtpd_policy_service_timeout");
  if (policyTimeout.count() <= 0) throw config::ConfigError("smtpd_policy_service_timeout must be positive");
  policyDefaultAction = cfg.get("smtpd_policy_service_default_action");
  policyTryLimit = static_cast<int>(integer(cfg, "smtpd_policy_service_try_limit", 1, 100));

  const std::string bare = util::lower(cfg.get("smtpd_forbid_bare_newline"));
  if (bare == "normalize" || bare == "yes" || bare == "no" || bare.empty()) {
    // "no" (accept "\n.\n" as the end) is never honoured: see data_reader.h.
    bareNewline = BareNewline::Normalize;
  } else if (bare == "reject") {
    bareNewline = BareNewline::Reject;
  } else {
    throw config::ConfigError("smtpd_forbid_bare_newline = " + bare +
                              ": expected normalize or reject");
  }
  bareNewlineExclusions = cfg.getList("smtpd_forbid_bare_newline_exclusions");
  discardEhloKeywords = cfg.getKeywordList("smtpd_discard_ehlo_keywords");
  peernameLookup = cfg.getBool("smtpd_peername_lookup");
  mailauthChecks = cfg.getBool("smtpd_mailauth_checks");
  mailauthIgnoreHosts = cfg.getList("smtpd_mailauth_ignore_hosts");
  mailauthIgnoreAuthenticated = cfg.getBool("smtpd_mailauth_ignore_authenticated");
  dmarcEnforce = cfg.getBool("smtpd_dmarc_enforce");
  dmarcAllowlist = cfg.getList("smtpd_dmarc_allowlist");
  dmarcHistory = cfg.getBool("smtpd_dmarc_history");
  mynetworks = cfg.getList("mynetworks");
  aliasMaps = cfg.getList("alias_maps");
  virtualAliasMaps = cfg.getList("virtual_alias_maps");
  recipientDelimiter = cfg.get("recipient_delimiter");

  tlsCertFile = cfg.get("smtpd_tls_cert_file");
  tlsKeyFile = cfg.get("smtpd_tls_key_file");
  tlsProtocols = cfg.get("smtpd_tls_protocols");
  tlsCiphers = cfg.get("smtpd_tls_ciphers");
  tlsWrapperMode = cfg.getBool("smtpd_tls_wrappermode");
  const std::string level = util::lower(cfg.get("smtpd_tls_security_level"));
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

  saslAuthEnable = cfg.getBool("smtpd_sasl_auth_enable");
  tlsAuthOnly = cfg.getBool("smtpd_tls_auth_only");
  saslAuthRequired = cfg.getBool("smtpd_sasl_auth_required");
  senderLoginMaps = cfg.getList("smtpd_sender_login_maps");
  rejectSenderLoginMismatch = cfg.getBool("smtpd_reject_sender_login_mismatch");
  if (saslAuthRequired && !saslAuthEnable)
    throw config::ConfigError("smtpd_sasl_auth_required = yes needs smtpd_sasl_auth_enable = yes");

  queueDirectory = cfg.get("queue_directory");
}

bool Settings::restrictionsUseDns() const {
  for (const auto* list : {&clientRestrictions, &heloRestrictions, &senderRestrictions, &relayRestrictions,
                           &recipientRestrictions, &dataRestrictions, &endOfDataRestrictions}) {
    for (const access::Restriction& r : *list) {
      if (r.name.starts_with("reject_rbl") || r.name.starts_with("reject_rhsbl") ||
          r.name == "reject_unknown_sender_domain" || r.name == "reject_unknown_recipient_domain" ||
          r.name == "reject_unknown_helo_hostname")
        return true;
    }
  }
  return false;
}

}  // namespace posthorn::smtpd
