// smtpd_settings - smtpd's parameters, read from posthorn.conf once at start
//
// Parameters the built-in table does not list yet read as "" (unset), so
// every one here has its Postfix default spelled out in the .cc. A bad value
// throws config::ConfigError naming the parameter.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "lib/config/config.h"
#include "smtpd/data_reader.h"

namespace posthorn::smtpd {

enum class TlsLevel { None, May, Encrypt };

struct Settings {
  // Identity
  std::string myhostname;
  std::string mailName;  // mail_name, "posthorn" in Received: headers
  std::string banner;    // smtpd_banner, expanded: "$myhostname ESMTP $mail_name"
  std::string myorigin;  // appended to an address without a domain

  // Limits
  std::uint64_t messageSizeLimit = 10240000;  // message_size_limit; 0 = none
  int recipientLimit = 1000;                  // smtpd_recipient_limit
  std::chrono::seconds timeout{300};          // smtpd_timeout
  int hardErrorLimit = 20;                    // smtpd_hard_error_limit

  // Policy
  int relayRejectCode = 554;               // relay_domains_reject_code
  int unknownLocalRejectCode = 550;        // unknown_local_recipient_reject_code
  int unknownVirtualRejectCode = 550;      // unknown_virtual_mailbox_reject_code
  bool heloRequired = false;               // smtpd_helo_required
  bool disableVrfy = false;                // disable_vrfy_command
  bool strictEnvelopes = false;            // strict_rfc821_envelopes: <> required
  BareNewline bareNewline = BareNewline::Normalize;  // smtpd_forbid_bare_newline
  std::vector<std::string> bareNewlineExclusions;    // smtpd_forbid_bare_newline_exclusions
  std::vector<std::string> discardEhloKeywords;      // smtpd_discard_ehlo_keywords (upper case)
  bool peernameLookup = true;                        // smtpd_peername_lookup
  std::vector<std::string> mynetworks;               // mynetworks: may relay
  std::vector<std::string> aliasMaps;                // alias_maps
  std::vector<std::string> virtualAliasMaps;         // virtual_alias_maps
  std::string recipientDelimiter;                    // recipient_delimiter

  // TLS
  TlsLevel tlsLevel = TlsLevel::None;  // smtpd_tls_security_level
  std::string tlsCertFile;             // smtpd_tls_cert_file
  std::string tlsKeyFile;              // smtpd_tls_key_file
  std::string tlsProtocols;            // smtpd_tls_protocols
  std::string tlsCiphers;              // smtpd_tls_ciphers (an OpenSSL cipher list)
  bool tlsWrapperMode = false;         // smtpd_tls_wrappermode

  // SASL authentication (submission)
  bool saslAuthEnable = false;            // smtpd_sasl_auth_enable: offer AUTH
  bool tlsAuthOnly = true;                // smtpd_tls_auth_only: AUTH only over TLS
  bool saslAuthRequired = false;          // smtpd_sasl_auth_required: MAIL needs AUTH
  std::vector<std::string> senderLoginMaps;  // smtpd_sender_login_maps
  bool rejectSenderLoginMismatch = false;    // smtpd_reject_sender_login_mismatch

  // Process
  std::string queueDirectory;
  std::string mailOwner;
  int maxUse = 100;
  std::chrono::seconds maxIdle{100};

  Settings() = default;  // the defaults, for tests
  explicit Settings(const config::Config& cfg);
};

}  // namespace posthorn::smtpd
