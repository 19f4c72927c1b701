// smtpd_settings - smtpd's parameters, read from posthorn.conf once at start
//
// Built only from a config::Config: every default comes from the parameter
// table (lib/config/config_defaults.cc), none is written here. A bad value
// throws config::ConfigError naming the parameter.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lib/access/restriction_list.h"
#include "lib/address/srs.h"
#include "lib/config/config.h"
#include "smtpd/data_reader.h"

namespace posthorn::smtpd {

enum class TlsLevel { None, May, Encrypt };

// What a client that talks before the greeting gets (postscreen_greet_action):
// only logged, refused at each RCPT (550 5.5.1), or dropped (521 5.5.1).
enum class GreetAction { Ignore, Enforce, Drop };

struct Settings {
  // Identity
  std::string myhostname;
  std::string mailName;  // mail_name, in Received: headers
  std::string banner;    // smtpd_banner, expanded
  std::string myorigin;  // appended to an address without a domain

  // Limits
  std::uint64_t messageSizeLimit{};  // message_size_limit; 0 = none
  int recipientLimit{};              // smtpd_recipient_limit
  std::chrono::seconds timeout{};    // smtpd_timeout
  int hardErrorLimit{};              // smtpd_hard_error_limit

  // Per-client limits, counted by anvil (smtpd_limits.h); 0 = none
  int connectionCountLimit{};   // smtpd_client_connection_count_limit
  int connectionRateLimit{};    // smtpd_client_connection_rate_limit
  int messageRateLimit{};       // smtpd_client_message_rate_limit
  int recipientRateLimit{};     // smtpd_client_recipient_rate_limit
  int newTlsRateLimit{};        // smtpd_client_new_tls_session_rate_limit
  int authRateLimit{};          // smtpd_client_auth_rate_limit
  std::vector<std::string> eventLimitExceptions;  // smtpd_client_event_limit_exceptions
  bool anyClientLimit() const {
    return connectionCountLimit > 0 || connectionRateLimit > 0 || messageRateLimit > 0 ||
           recipientRateLimit > 0 || newTlsRateLimit > 0 || authRateLimit > 0;
  }
  // The pre-greeting test (postscreen's, done by smtpd): 0 = off
  std::chrono::milliseconds greetWait{};  // postscreen_greet_wait
  GreetAction greetAction{};              // postscreen_greet_action

  // Policy
  int relayRejectCode{};                   // relay_domains_reject_code
  int unknownLocalRejectCode{};            // unknown_local_recipient_reject_code
  int unknownVirtualRejectCode{};          // unknown_virtual_mailbox_reject_code
  bool heloRequired{};                     // smtpd_helo_required
  bool disableVrfy{};                      // disable_vrfy_command
  bool strictEnvelopes{};                  // strict_rfc821_envelopes: <> required
  BareNewline bareNewline{};                         // smtpd_forbid_bare_newline
  std::vector<std::string> bareNewlineExclusions;    // smtpd_forbid_bare_newline_exclusions
  std::vector<std::string> discardEhloKeywords;      // smtpd_discard_ehlo_keywords (upper case)
  bool peernameLookup{};                             // smtpd_peername_lookup
  std::vector<std::string> mynetworks;               // mynetworks: may relay
  std::vector<std::string> aliasMaps;                // alias_maps
  std::vector<std::string> virtualAliasMaps;         // virtual_alias_maps
  std::string recipientDelimiter;                    // recipient_delimiter

  // Access restrictions (smtpd_restrictions.h), Postfix's parameters
  access::RestrictionList clientRestrictions;     // smtpd_client_restrictions
  access::RestrictionList heloRestrictions;       // smtpd_helo_restrictions
  access::RestrictionList senderRestrictions;     // smtpd_sender_restrictions
  access::RestrictionList relayRestrictions;      // smtpd_relay_restrictions
  access::RestrictionList recipientRestrictions;  // smtpd_recipient_restrictions
  access::RestrictionList dataRestrictions;       // smtpd_data_restrictions
  access::RestrictionList endOfDataRestrictions;  // smtpd_end_of_data_restrictions
  bool delayReject{};                             // smtpd_delay_reject
  std::string nullAccessKey;                      // smtpd_null_access_lookup_key
  int accessMapRejectCode{};                      // access_map_reject_code
  int accessMapDeferCode{};                       // access_map_defer_code
  int rejectCode{};                               // reject_code
  int deferCode{};                                // defer_code
  int invalidHostnameRejectCode{};                // invalid_hostname_reject_code
  int nonFqdnRejectCode{};                        // non_fqdn_reject_code
  int unknownAddressRejectCode{};                 // unknown_address_reject_code
  int unknownClientRejectCode{};                  // unknown_client_hostname_reject_code
  int unknownHostnameRejectCode{};                // unknown_hostname_reject_code
  int rblRejectCode{};                            // maps_rbl_reject_code
  std::vector<std::string> rblReplyMaps;          // rbl_reply_maps
  std::chrono::seconds policyTimeout{};           // smtpd_policy_service_timeout
  std::string policyDefaultAction;                // smtpd_policy_service_default_action
  int policyTryLimit{};                           // smtpd_policy_service_try_limit
  // Whether some list needs DNS lookups (DNSBLs, unknown domains).
  bool restrictionsUseDns() const;

  // TLS
  TlsLevel tlsLevel{};                 // smtpd_tls_security_level
  std::string tlsCertFile;             // smtpd_tls_cert_file
  std::string tlsKeyFile;              // smtpd_tls_key_file
  std::string tlsProtocols;            // smtpd_tls_protocols
  std::string tlsCiphers;              // smtpd_tls_ciphers (an OpenSSL cipher list)
  bool tlsWrapperMode{};               // smtpd_tls_wrappermode

  // SASL authentication (submission)
  bool saslAuthEnable{};                  // smtpd_sasl_auth_enable: offer AUTH
  bool tlsAuthOnly{};                     // smtpd_tls_auth_only: AUTH only over TLS
  bool saslAuthRequired{};                // smtpd_sasl_auth_required: MAIL needs AUTH
  std::vector<std::string> senderLoginMaps;  // smtpd_sender_login_maps
  bool rejectSenderLoginMismatch{};          // smtpd_reject_sender_login_mismatch

  // Sender authentication of each message (lib/mailauth)
  bool mailauthChecks{};                          // smtpd_mailauth_checks
  std::vector<std::string> mailauthIgnoreHosts;   // smtpd_mailauth_ignore_hosts: not checked
  bool mailauthIgnoreAuthenticated{};             // smtpd_mailauth_ignore_authenticated
  bool dmarcEnforce{};                            // smtpd_dmarc_enforce: p=reject refuses
  std::vector<std::string> dmarcAllowlist;        // smtpd_dmarc_allowlist: domains and networks not enforced
  bool dmarcHistory{};                            // smtpd_dmarc_history: evaluations kept in dmarc/

  // Process
  std::string queueDirectory;

  // The only way to make one: tests start from config::Config::defaults()
  // or Config::parse() and may then change fields.
  // srs_domain: bounces to our SRS addresses are accepted when genuine,
  // refused when forged or expired; null = off.
  std::shared_ptr<const address::SrsCodec> srs;

  explicit Settings(const config::Config& cfg);
};

}  // namespace posthorn::smtpd
