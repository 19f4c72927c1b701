// smtpd_policy - who may send to whom: the relay and recipient checks
//
// The access restrictions (smtpd_restrictions.h) run first; the relay
// check is their reject_unauth_destination (smtpd_relay_restrictions).
// Then, as Postfix's implicit reject_unlisted_recipient, checkRecipient():
// for each RCPT TO the resolver's class of the address decides (Postfix's
// reject_unauth_destination + reject_unlisted_recipient, in that order):
//   Local     postmaster, a user the user database knows (system users),
//             an alias (alias_maps, by local part), or a virtual alias
//             (virtual_alias_maps) - else unknown_local_recipient_reject_code
//             5.1.1 "User unknown in local recipient table";
//   Virtual   a user of the user database or a virtual alias - else
//             unknown_virtual_mailbox_reject_code 5.1.1;
//   Alias     (virtual_alias_domains) a virtual alias - else 550 5.1.1;
//   Relay     accepted from any client;
//   Remote    accepted only from trusted clients (mynetworks) - else
//             relay_domains_reject_code 5.7.1 "Relay access denied";
//   Refused   550 5.1.2 with the resolver's reason;
//   TempFail  451 4.3.0.
// An SRS address of srs_domain is accepted when its hash and age are
// right, else 550 5.1.1 (forged or expired bounce address).
// A lookup that cannot be answered is 451 4.3.0, never an accept or a 5xx.
// With recipient_delimiter set, "user+ext" also matches the entries for
// "user".
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "lib/address/address.h"
#include "lib/address/cidr.h"
#include "smtpd/smtp_reply.h"
#include "smtpd/smtpd_restrictions.h"
#include "smtpd/smtpd_services.h"
#include "smtpd/smtpd_settings.h"

namespace posthorn::smtpd {

class Policy {
 public:
  // Parses mynetworks and smtpd_forbid_bare_newline_exclusions (files they
  // name are read now, before the jail); throws config::ConfigError.
  Policy(const Settings& settings, Lookups& lookups);
  ~Policy();

  // The access restrictions (smtpd_*_restrictions), run by the session.
  Restrictions& restrictions() { return *restrictions_; }

  // Whether the client may relay (mynetworks).
  bool trustedClient(std::string_view clientAddress) const;
  // Whether bare newlines from this client are normalised even under
  // smtpd_forbid_bare_newline = reject.
  bool bareNewlineExcluded(std::string_view clientAddress) const;
  // smtpd_mailauth_ignore_hosts: this client's mail is not checked.
  bool mailauthIgnored(std::string_view clientAddress) const;
  // smtpd_dmarc_allowlist: DMARC is not enforced for this client or this
  // author domain (the domain itself or one under it).
  bool dmarcAllowlisted(std::string_view clientAddress, std::string_view fromDomain) const;

  // nullopt: accept the recipient (a complete user@domain address).
  // Otherwise the reply that refuses it.
  std::optional<Reply> checkRecipient(const address::Address& recipient, bool trustedClient);

  // The logins that own sender in smtpd_sender_login_maps (the value of
  // "user@domain", else of "@domain": logins separated by commas or
  // spaces), or nullopt when no table lists it. Throws LookupError.
  std::optional<std::string> senderLogins(const address::Address& sender);
  // Whether the address's domain is local (mydestination). Throws LookupError.
  bool isLocalDomain(const address::Address& address);

 private:
  bool aliasKnown(const address::Address& recipient);
  // virtual(5)'s keys in cleanup's order (lib/address/address_rewriter):
  // user+ext@domain, user@domain, and for a local domain (localClass:
  // mydestination) or $myorigin the bare user+ext and user, then @domain.
  bool virtualAliasKnown(const address::Address& recipient, bool localClass);
  bool inTables(const std::vector<std::string>& tables, const std::vector<std::string>& keys);

  const Settings& settings_;
  Lookups& lookups_;
  address::CidrList mynetworks_;
  address::CidrList bareNewlineExclusions_;
  address::CidrList mailauthIgnoreHosts_;
  address::CidrList dmarcAllowNetworks_;
  std::vector<std::string> dmarcAllowDomains_;  // lower case
  std::unique_ptr<Restrictions> restrictions_;
};

}  // namespace posthorn::smtpd
