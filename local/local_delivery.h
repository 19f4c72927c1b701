// local_delivery - what local(8) does with one recipient of one message
//
// For a domain in mydestination: aliases (alias_maps; a list of targets,
// :include: files, |commands and /files run as the alias file's owner),
// then the system user's ~/.forward, then the mailbox (home_mailbox, or an
// mbox in mail_spool_directory). For a virtual mailbox domain: the userdb
// user's Maildir (~/Maildir/ unless the userdb names a location). Each
// mailbox write runs as the mailbox owner and prepends Return-Path: and
// Delivered-To:; a message that already has our Delivered-To: is a loop.
// A message marked junk (queue::kJunkAttribute: DMARC p=quarantine) goes
// into the Maildir's local_junk_folder instead of INBOX.
// Addresses an alias or .forward sends elsewhere are resubmitted through
// cleanup as one new message.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "lib/mailbox/maildir_quota.h"
#include "lib/mailbox/message_source.h"
#include "lib/proto/proto_delivery.h"
#include "lib/queue/queue_file_reader.h"
#include "lib/proto/userdb_client.h"

namespace posthorn::address {
class AddressResolver;
class TableLookup;
struct Address;
}  // namespace posthorn::address

namespace posthorn::local {

struct Settings;
struct Target;

struct Outcome {
  ipc::DeliveryOutcome outcome = ipc::DeliveryOutcome::Deferred;
  std::string dsn;
  std::string text;
};

class LocalDelivery {
 public:
  LocalDelivery(const Settings& settings, address::AddressResolver& resolver,
                address::TableLookup& tables, userdb::UserdbClient& users);
  Outcome deliver(const queue::QueueFileReader& message, const std::string& queueId,
                  const std::string& recipient);

 private:
  struct Context;
  struct Owner {  // whose privileges a command, file or include runs with
    uid_t uid;
    gid_t gid;
    std::string home;
  };
  Outcome deliverAddress(Context& ctx, const std::string& recipient, int depth);
  Outcome deliverLocal(Context& ctx, const address::Address& addr, const std::string& rcpt,
                       int depth, bool skipAliases);
  Outcome deliverVirtual(Context& ctx, const address::Address& addr, const std::string& rcpt);
  Outcome expandTargets(Context& ctx, const std::vector<Target>& targets, const std::string& rcpt,
                        const std::string& self, const Owner& owner, bool fromAlias, int depth);
  Outcome toMailbox(Context& ctx, const ipc::UserInfo& user, const std::string& rcpt);
  Outcome toJunk(const std::string& maildir, const mailbox::MaildirQuota& quota,
                 mailbox::MessageSource& message, const std::string& why);
  Outcome toFile(Context& ctx, const std::string& path, const Owner& owner, const std::string& rcpt);
  Outcome toCommand(Context& ctx, const std::string& command, const Owner& owner,
                    const std::string& rcpt);
  Outcome forwardRemote(Context& ctx, const std::vector<std::string>& addresses,
                        const std::string& rcpt);
  std::optional<Owner> aliasOwner(const std::string& table);

  const Settings& settings_;
  address::AddressResolver& resolver_;
  address::TableLookup& tables_;
  userdb::UserdbClient& users_;
};

}  // namespace posthorn::local
