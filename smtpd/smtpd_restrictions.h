// smtpd_restrictions - Postfix's SMTP access restrictions, evaluated
//
// Which lists run when (Postfix's order and meaning):
//   connect    smtpd_client_restrictions          (smtpd_delay_reject = no)
//   HELO/EHLO  smtpd_helo_restrictions            (smtpd_delay_reject = no)
//   MAIL       smtpd_sender_restrictions          (smtpd_delay_reject = no)
//   RCPT       [client, helo, sender lists when smtpd_delay_reject = yes,]
//              smtpd_relay_restrictions, smtpd_recipient_restrictions
//   DATA       smtpd_data_restrictions
//   end of DATA / last BDAT  smtpd_end_of_data_restrictions
// Each list is read left to right: the first restriction that permits
// ends that list (the next list is still evaluated), the first that
// rejects ends the check, and a list that runs out neither permits nor
// rejects. DEFER_IF_PERMIT turns a final permit into a 450, DEFER_IF_REJECT
// a later 5xx into a 450. The session adds Postfix's implicit
// reject_unlisted_recipient (Policy::checkRecipient) after a permitted RCPT.
// What each restriction does is in doc/smtpd-restrictions.md.
//
// Lookups that cannot be answered (a table, DNS, a policy service) give a
// temporary failure, never an accept; DNS lookups are blocking, each within
// dns_timeout x dns_attempts.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lib/access/restriction_list.h"
#include "lib/address/address.h"
#include "smtpd/smtp_reply.h"
#include "smtpd/smtpd_access.h"
#include "smtpd/smtpd_services.h"
#include "smtpd/smtpd_settings.h"

namespace posthorn::dns {
class Resolver;
}

namespace posthorn::smtpd {

class Policy;
class PolicyClient;

enum class CheckStage { Connect, Helo, Mail, Rcpt, Data, EndOfData };
// "CONNECT", "HELO", "MAIL", "RCPT", "DATA", "END-OF-MESSAGE" (logs, policy protocol_state)
std::string_view stageName(CheckStage stage);

// What the restrictions look at.
struct CheckRequest {
  CheckStage stage = CheckStage::Rcpt;
  std::string clientAddress;
  std::string clientName = "unknown";  // verified name, or "unknown"
  std::string reverseName;             // PTR name, verified or not; "" none
  std::string helo;                    // "" before HELO/EHLO
  bool haveSender = false;             // MAIL was given
  address::Address sender;             // isNull(): the null sender
  bool haveRecipient = false;          // RCPT only
  address::Address recipient;
  bool trustedClient = false;          // mynetworks
  std::string saslMethod;
  std::string saslUser;                // "" not authenticated
  std::string protocol = "SMTP";       // "ESMTP", "SMTP"
  std::string queueId;
  std::string instance;                // one per transaction (policy services)
  int recipientCount = 0;
  std::uint64_t size = 0;
  std::string encryptionProtocol;
  std::string encryptionCipher;
};

// What a check decided: a refusal, or the actions that go with an accept.
struct CheckVerdict {
  std::optional<Reply> refusal;
  std::vector<std::string> prepend;  // header fields (PREPEND)
  bool discard = false;              // DISCARD: accept and drop the message
  std::string redirect;              // REDIRECT: the message goes here instead
  // Log lines for the session to write in Postfix's shape: {"warn", text}.
  std::vector<std::pair<std::string, std::string>> notes;
};

class Restrictions {
 public:
  Restrictions(const Settings& settings, Policy& policy, Lookups& lookups);
  ~Restrictions();
  Restrictions(const Restrictions&) = delete;
  Restrictions& operator=(const Restrictions&) = delete;

  // The blocking resolver for DNSBLs and domain checks; null: those
  // restrictions answer a temporary failure.
  void setResolver(dns::Resolver* resolver) { dns_ = resolver; }
  // Whether any list runs at this stage (so the session can skip the work).
  bool anyAt(CheckStage stage) const;
  CheckVerdict check(const CheckRequest& request);

 private:
  struct Eval {
    const CheckRequest& req;
    CheckVerdict verdict;
    std::optional<Reply> deferIfPermit;
    std::optional<Reply> deferIfReject;
    std::string clientWhat;  // "host[addr]"
  };
  enum class Result { Dunno, Permit, Reject };

  Result runList(const access::RestrictionList& list, Eval& ev, int depth);
  Result apply(const access::Restriction& r, Eval& ev, int depth);
  Result reject(Eval& ev, Reply reply);
  Result accessTable(const std::string& table, const std::vector<std::string>& keys,
                     const std::string& what, std::string_view replyClass, Eval& ev, int depth);
  Result action(const AccessAction& a, const std::string& what, std::string_view replyClass,
                std::string_view source, Eval& ev, int depth);
  Result unauthDestination(Eval& ev, bool defer);
  Result unknownDomain(Eval& ev, bool sender);
  Result rbl(const access::Restriction& r, Eval& ev);
  Result rhsbl(const access::Restriction& r, Eval& ev);
  Result dnsList(const access::Restriction& r, Eval& ev, const std::string& prefix, std::string_view rblClass,
                 const std::string& what);
  Result listedReply(Eval& ev, const std::string& rblArg, std::string_view rblClass, const std::string& what,
                     const std::string& queryName);
  Result policyService(const std::string& endpoint, Eval& ev, int depth);
  std::vector<std::string> lookupTxt(const std::string& name);

  const Settings& settings_;
  Policy& policy_;
  Lookups& lookups_;
  dns::Resolver* dns_ = nullptr;
  std::map<std::string, std::unique_ptr<PolicyClient>> policyClients_;
};

}  // namespace posthorn::smtpd
