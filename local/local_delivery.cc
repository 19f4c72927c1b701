// local_delivery - aliases, .forward, mailboxes, commands and files for
// one recipient (see local_delivery.h)
#include "local/local_delivery.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>

#include "local/alias_targets.h"
#include "local/command_runner.h"
#include "local/local_settings.h"
#include "local/user_privileges.h"
#include "lib/address/address.h"
#include "lib/address/address_resolver.h"
#include "lib/proto/cleanup_client.h"
#include "lib/log/log.h"
#include "lib/mailbox/maildir_store.h"
#include "lib/mailbox/maildir_writer.h"
#include "lib/mailbox/mbox_writer.h"
#include "lib/mailbox/message_source.h"
#include "lib/map/table_lookup.h"
#include "lib/util/ascii.h"

namespace posthorn::local {

namespace {

constexpr int kMaxDepth = 20;                    // nested aliases and forwards
constexpr std::size_t kMaxHeaderScan = 1 << 20;  // bytes read for the loop check
constexpr std::size_t kMaxIncludeFile = 1 << 20;

// The queue file's content as a mailbox::MessageSource.
class QueueContentSource : public mailbox::MessageSource {
 public:
  explicit QueueContentSource(const queue::QueueFileReader& file) : reader_(file.content()) {}
  std::size_t read(char* buf, std::size_t size) override { return reader_.read(buf, size); }

 private:
  queue::ContentReader reader_;
};

Outcome outcome(ipc::DeliveryOutcome o, std::string dsn, std::string text) {
  return Outcome{o, std::move(dsn), std::move(text)};
}
Outcome deferred(std::string dsn, std::string text) {
  return outcome(ipc::DeliveryOutcome::Deferred, std::move(dsn), std::move(text));
}
Outcome failed(std::string dsn, std::string text) {
  return outcome(ipc::DeliveryOutcome::Failed, std::move(dsn), std::move(text));
}

Outcome fromResult(const mailbox::DeliveryResult& r) {
  switch (r.kind) {
    case mailbox::DeliveryResult::Kind::Ok:
      return outcome(ipc::DeliveryOutcome::Delivered, r.dsn.empty() ? "2.0.0" : r.dsn, r.text);
    case mailbox::DeliveryResult::Kind::TempFail:
      return deferred(r.dsn.empty() ? "4.3.0" : r.dsn, r.text);
    case mailbox::DeliveryResult::Kind::PermFail:
      return failed(r.dsn.empty() ? "5.3.0" : r.dsn, r.text);
  }
  return deferred("4.3.0", r.text);
}

// The header section, for the Delivered-To: loop check.
std::string headerSection(const queue::QueueFileReader& file) {
  queue::ContentReader reader = file.content();
  std::string head;
  char buf[16384];
  while (head.size() < kMaxHeaderScan) {
    const std::size_t n = reader.read(buf, sizeof buf);
    if (n == 0) break;
    head.append(buf, n);
    if (const auto end = head.find("\n\n"); end != std::string::npos) {
      head.resize(end + 1);
      break;
    }
    if (head.rfind("\n", 0) == 0) {  // no headers at all
      head.clear();
      break;
    }
  }
  return head;
}

bool hasDeliveredTo(const std::string& headers, const std::string& rcpt) {
  std::istringstream in(headers);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() < 13 || ::strncasecmp(line.c_str(), "Delivered-To:", 13) != 0) continue;
    std::string value = line.substr(13);
    const auto first = value.find_first_not_of(" \t");
    value = first == std::string::npos ? "" : value.substr(first);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '\r'))
      value.pop_back();
    if (util::equalsIgnoreCase(value, rcpt)) return true;
  }
  return false;
}

std::string replaceAll(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size())
    text.replace(at, from.size(), to);
  return text;
}

std::optional<std::string> readSmallFile(const std::string& path, std::string* error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno != ENOENT) *error = path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::string text;
  char buf[8192];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0 && text.size() < kMaxIncludeFile) text.append(buf, n);
  const int saved = errno;
  ::close(fd);
  if (n < 0) {
    *error = path + ": " + std::strerror(saved);
    return std::nullopt;
  }
  return text;
}

}  // namespace

struct LocalDelivery::Context {
  const queue::QueueFileReader& message;
  std::string queueId;
  std::string sender;
  std::string headers;
  std::set<std::string> seen;  // aliases and users already expanded (loops)
  std::vector<std::string> remote;  // addresses to resubmit
  // The prefix lines every copy gets.
  std::string prefix(const std::string& deliveredTo) const {
    return "Return-Path: <" + sender + ">\nDelivered-To: " + deliveredTo + "\n";
  }
};

LocalDelivery::LocalDelivery(const Settings& settings, address::AddressResolver& resolver,
                             address::TableLookup& tables, userdb::UserdbClient& users)
    : settings_(settings), resolver_(resolver), tables_(tables), users_(users) {}

Outcome LocalDelivery::deliver(const queue::QueueFileReader& message, const std::string& queueId,
                               const std::string& recipient) {
  Context ctx{message, queueId, message.envelope().sender, headerSection(message), {}, {}};
  Outcome result = deliverAddress(ctx, recipient, 0);
  if (!ctx.remote.empty() && result.outcome != ipc::DeliveryOutcome::Deferred) {
    const Outcome forwarded = forwardRemote(ctx, ctx.remote, recipient);
    if (forwarded.outcome != ipc::DeliveryOutcome::Delivered) return forwarded;
    if (result.outcome == ipc::DeliveryOutcome::Failed) result = forwarded;
  }
  return result;
}

Outcome LocalDelivery::deliverAddress(Context& ctx, const std::string& recipient, int depth) {
  if (depth > kMaxDepth) return failed("5.4.6", "alias or forward nesting too deep: " + recipient);
  std::string text = recipient;
  if (text.find('@') == std::string::npos) text += "@" + settings_.myorigin;
  const auto parsed =
      address::parseMailbox(text, {.smtpUtf8 = true, .allowDomainless = false, .allowPostmaster = true});
  if (!parsed) return failed("5.1.3", "bad address syntax: " + recipient);
  const address::Resolution r = resolver_.resolve(parsed.address);
  const std::string rcpt = address::foldCase(parsed.address.toString());
  switch (r.addressClass) {
    case address::AddressClass::Local:
      return deliverLocal(ctx, parsed.address, rcpt, depth, false);
    case address::AddressClass::Virtual:
      return deliverVirtual(ctx, parsed.address, rcpt);
    case address::AddressClass::TempFail:
      return deferred("4.3.0", "address resolver: " + r.reason);
    case address::AddressClass::Refused:
      return failed("5.1.2", r.reason.empty() ? "unroutable address " + rcpt : r.reason);
    default:
      // Somewhere else: it goes out again as a new message.
      if (depth == 0) return failed("5.1.1", "not a local address: " + rcpt);
      ctx.remote.push_back(parsed.address.toString());
      return outcome(ipc::DeliveryOutcome::Expanded, "2.0.0", "forwarded to " + rcpt);
  }
}

Outcome LocalDelivery::deliverLocal(Context& ctx, const address::Address& addr,
                                    const std::string& rcpt, int depth, bool skipAliases) {
  const std::string local = address::foldCase(addr.localPart);
  const auto split = address::splitExtension(local, settings_.recipientDelimiter);
  if (!skipAliases) {
    // Aliases: the full local part first ("user+ext"), then the user.
    std::vector<std::string> keys = {local};
    if (split.extension) keys.push_back(split.user);
    for (const auto& table : settings_.aliasMaps) {
      for (const auto& key : keys) {
        std::optional<std::string> value;
        try {
          value = tables_.lookup(table, key);
        } catch (const std::exception& e) {
          return deferred("4.3.0", std::string("alias table lookup failure: ") + e.what());
        }
        if (!value) continue;
        if (!ctx.seen.insert("alias:" + key).second) {
          // An alias that names itself (directly or through others) ends
          // in its mailbox.
          return deliverLocal(ctx, addr, rcpt, depth + 1, true);
        }
        const auto owner = aliasOwner(table);
        if (!owner) return deferred("4.3.0", "cannot find the owner of " + table);
        return expandTargets(ctx, parseTargets(*value), rcpt, key, *owner, true, depth);
      }
    }
  }
  // postmaster (RFC 5321 4.5.1) and MAILER-DAEMON exist even without an
  // alias: they reach root, as on a stock Postfix system.
  if (!skipAliases && (split.user == "postmaster" || split.user == "mailer-daemon") &&
      ctx.seen.insert("default:" + split.user).second) {
    address::Address root{"root", addr.domain};
    return deliverLocal(ctx, root, address::foldCase(root.toString()), depth + 1, false);
  }
  std::optional<ipc::UserInfo> user;
  try {
    user = users_.lookup(split.user + "@" + addr.domain);
  } catch (const std::exception& e) {
    return deferred("4.3.0", std::string("user lookup failure: ") + e.what());
  }
  if (!user) return failed("5.1.1", "unknown user: \"" + split.user + "\"");
  // ~/.forward of a system user, read as that user.
  if (user->source == ipc::UserSource::System && !skipAliases &&
      ctx.seen.insert("forward:" + user->name).second && !user->home.empty()) {
    for (std::string path : settings_.forwardPath) {
      path = replaceAll(path, "${home}", user->home);
      path = replaceAll(path, "$home", user->home);
      path = replaceAll(path, "${user}", user->name);
      path = replaceAll(path, "$user", user->name);
      std::string error;
      std::optional<std::string> text;
      try {
        AsUser as(user->uid, user->gid);
        text = readSmallFile(path, &error);
      } catch (const std::exception& e) {
        error = e.what();
      }
      if (!error.empty()) return deferred("4.3.0", "cannot read forward file: " + error);
      if (!text) continue;
      const auto targets = parseTargets(*text);
      if (targets.empty()) continue;
      return expandTargets(ctx, targets, rcpt, user->name, Owner{user->uid, user->gid, user->home},
                           false, depth);
    }
  }
  return toMailbox(ctx, *user, rcpt);
}

Outcome LocalDelivery::deliverVirtual(Context& ctx, const address::Address& addr,
                                      const std::string& rcpt) {
  std::optional<ipc::UserInfo> user;
  try {
    user = users_.lookup(rcpt);
  } catch (const std::exception& e) {
    return deferred("4.3.0", std::string("user lookup failure: ") + e.what());
  }
  if (!user) return failed("5.1.1", "unknown user: \"" + addr.toString() + "\"");
  return toMailbox(ctx, *user, rcpt);
}

Outcome LocalDelivery::expandTargets(Context& ctx, const std::vector<Target>& targets,
                                     const std::string& rcpt, const std::string& self,
                                     const Owner& owner, bool fromAlias, int depth) {
  if (targets.empty()) return failed("5.1.1", "alias or forward file with no targets");
  int delivered = 0, failures = 0;
  Outcome firstProblem;
  bool haveProblem = false;
  auto note = [&](const Outcome& o) {
    if (o.outcome == ipc::DeliveryOutcome::Failed || o.outcome == ipc::DeliveryOutcome::Deferred) {
      if (o.outcome == ipc::DeliveryOutcome::Failed) ++failures;
      // A deferral outweighs a failure: the whole recipient is tried again.
      if (!haveProblem || (o.outcome == ipc::DeliveryOutcome::Deferred &&
                           firstProblem.outcome != ipc::DeliveryOutcome::Deferred))
        firstProblem = o;
      haveProblem = true;
    } else {
      ++delivered;
    }
  };
  const bool commandsOk = fromAlias ? settings_.commandsFromAliases : settings_.commandsFromForward;
  const bool filesOk = fromAlias ? settings_.filesFromAliases : settings_.filesFromForward;
  for (const Target& t : targets) {
    switch (t.kind) {
      case Target::Kind::Command:
        note(commandsOk ? toCommand(ctx, t.value, owner, rcpt)
                        : failed("5.7.1", "mail to command is restricted"));
        break;
      case Target::Kind::File:
        note(filesOk ? toFile(ctx, t.value, owner, rcpt)
                     : failed("5.7.1", "mail to file is restricted"));
        break;
      case Target::Kind::Include: {
        if (!ctx.seen.insert("include:" + t.value).second) break;
        std::string error;
        std::optional<std::string> text;
        struct stat st {};
        try {
          AsUser as(owner.uid, owner.gid);
          text = readSmallFile(t.value, &error);
          if (text && ::stat(t.value.c_str(), &st) != 0) st.st_uid = owner.uid;
        } catch (const std::exception& e) {
          error = e.what();
        }
        if (!text) {
          note(deferred("4.3.0", error.empty() ? t.value + ": not found" : error));
          break;
        }
        // Commands and files listed there run as the file's owner.
        Owner includeOwner = owner;
        if (st.st_uid != 0 && st.st_uid != owner.uid) {
          includeOwner.uid = st.st_uid;
          includeOwner.gid = st.st_gid;
        }
        note(expandTargets(ctx, parseTargets(*text), rcpt, self, includeOwner, fromAlias, depth + 1));
        break;
      }
      case Target::Kind::Mailbox:
      case Target::Kind::Address: {
        std::string target = t.value;
        const bool isSelf = util::equalsIgnoreCase(target, self) ||
                            t.kind == Target::Kind::Mailbox;
        if (isSelf) {
          // "bob: bob, ..." or "\bob": bob's own mailbox, no more expansion.
          std::string text = target.find('@') == std::string::npos
                                 ? target + "@" + settings_.myorigin
                                 : target;
          const auto parsed = address::parseMailbox(text, {.smtpUtf8 = true});
          if (!parsed) {
            note(failed("5.1.3", "bad address syntax: " + target));
            break;
          }
          note(deliverLocal(ctx, parsed.address, address::foldCase(parsed.address.toString()),
                            depth + 1, true));
        } else {
          note(deliverAddress(ctx, target, depth + 1));
        }
        break;
      }
    }
  }
  if (haveProblem && (firstProblem.outcome == ipc::DeliveryOutcome::Deferred || delivered == 0))
    return firstProblem;
  return outcome(ipc::DeliveryOutcome::Delivered, "2.0.0",
                 "delivered to " + std::to_string(delivered) + " target" + (delivered == 1 ? "" : "s") +
                     " of " + (fromAlias ? "alias " : "forward file of ") + self +
                     (failures ? " (" + std::to_string(failures) + " failed)" : ""));
}

Outcome LocalDelivery::toMailbox(Context& ctx, const ipc::UserInfo& user, const std::string& rcpt) {
  if (hasDeliveredTo(ctx.headers, rcpt)) return failed("5.4.6", "mail forwarding loop for " + rcpt);
  // Where: the userdb's location, else the defaults (see local(8)).
  bool maildir = false;
  std::string path;
  bool spool = false;
  if (user.mail.rfind("maildir:", 0) == 0) {
    maildir = true;
    path = user.mail.substr(8);
  } else if (user.mail.rfind("mbox:", 0) == 0) {
    path = user.mail.substr(5);
  } else if (user.source != ipc::UserSource::System) {
    if (user.home.empty()) return deferred("4.3.0", "user " + user.name + " has no home directory");
    maildir = true;
    path = user.home + "/Maildir/";
  } else if (!settings_.homeMailbox.empty()) {
    path = user.home + "/" + settings_.homeMailbox;
    maildir = path.back() == '/';
  } else {
    path = settings_.mailSpoolDirectory + "/" + user.name;
    spool = true;
  }
  gid_t gid = user.gid;
  if (spool) {
    // The spool directory is root's (Debian: root:mail 2775): create the
    // user's file as root, then write and lock with the spool's group.
    struct stat dirSt {};
    if (::stat(settings_.mailSpoolDirectory.c_str(), &dirSt) == 0 && (dirSt.st_mode & S_IWGRP))
      gid = dirSt.st_gid;
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
      if (::geteuid() == 0 && ::fchown(fd, user.uid, user.gid) != 0)
        log::warning("chown %s: %s", path.c_str(), std::strerror(errno));
      ::close(fd);
    }
  }
  mailbox::StringSource prefix(ctx.prefix(rcpt));
  QueueContentSource content(ctx.message);
  mailbox::ChainSource message({&prefix, &content});
  try {
    AsUser as(user.uid, gid);
    if (maildir) {
      mailbox::MaildirQuota quota;
      quota.bytes = user.quotaBytes.value_or(0);
      quota.messages = user.quotaMessages.value_or(0);
      const std::string* junk = ctx.message.envelope().attribute(queue::kJunkAttribute);
      if (junk != nullptr && !settings_.junkFolder.empty()) return toJunk(path, quota, message, *junk);
      return fromResult(mailbox::deliverToMaildir(path, message, quota));
    }
    return fromResult(mailbox::deliverToMbox(path, ctx.sender, message,
                                             user.quotaBytes.value_or(settings_.mailboxSizeLimit)));
  } catch (const queue::QueueFileError& e) {
    throw;  // the queue file is bad, not the mailbox
  } catch (const std::exception& e) {
    return deferred("4.3.0", e.what());
  }
}

// Into the Junk folder of the Maildir (as the user already): made when
// missing, and subscribed when the user keeps subscriptions (with none,
// imapd's first login subscribes every special-use folder, Junk included).
Outcome LocalDelivery::toJunk(const std::string& maildir, const mailbox::MaildirQuota& quota,
                              mailbox::MessageSource& message, const std::string& why) {
  mailbox::MaildirStore store(maildir, quota);
  const std::string& folder = settings_.junkFolder;
  if (store.createFolder(folder) && !store.subscriptions().empty()) store.setSubscribed(folder, true);
  Outcome o = fromResult(store.deliver(folder, message));
  if (o.outcome == ipc::DeliveryOutcome::Delivered) o.text += " folder " + folder + " (" + why + ")";
  return o;
}

Outcome LocalDelivery::toFile(Context& ctx, const std::string& path, const Owner& owner,
                              const std::string& rcpt) {
  mailbox::StringSource prefix(ctx.prefix(rcpt));
  QueueContentSource content(ctx.message);
  mailbox::ChainSource message({&prefix, &content});
  const uid_t uid = owner.uid == 0 ? settings_.defaultUid : owner.uid;
  const gid_t gid = owner.uid == 0 ? settings_.defaultGid : owner.gid;
  try {
    AsUser as(uid, gid);
    return fromResult(mailbox::deliverToMbox(path, ctx.sender, message, settings_.mailboxSizeLimit));
  } catch (const queue::QueueFileError&) {
    throw;
  } catch (const std::exception& e) {
    return deferred("4.3.0", e.what());
  }
}

Outcome LocalDelivery::toCommand(Context& ctx, const std::string& command, const Owner& owner,
                                 const std::string& rcpt) {
  CommandSpec spec;
  spec.command = command;
  spec.uid = owner.uid == 0 ? settings_.defaultUid : owner.uid;
  spec.gid = owner.uid == 0 ? settings_.defaultGid : owner.gid;
  spec.home = owner.home;
  spec.timeLimit = settings_.commandTimeLimit;
  const auto at = rcpt.rfind('@');
  const std::string localPart = rcpt.substr(0, at);
  const auto split = address::splitExtension(localPart, settings_.recipientDelimiter);
  spec.env = {{"SENDER", ctx.sender},
              {"RECIPIENT", rcpt},
              {"LOCAL", localPart},
              {"DOMAIN", at == std::string::npos ? "" : rcpt.substr(at + 1)},
              {"EXTENSION", split.extension.value_or("")},
              {"USER", split.user},
              {"LOGNAME", split.user},
              {"HOME", owner.home.empty() ? "/" : owner.home}};
  mailbox::StringSource prefix(ctx.prefix(rcpt));
  QueueContentSource content(ctx.message);
  mailbox::ChainSource message({&prefix, &content});
  return fromResult(runCommand(spec, message));
}

Outcome LocalDelivery::forwardRemote(Context& ctx, const std::vector<std::string>& addresses,
                                     const std::string& rcpt) {
  const queue::Envelope& env = ctx.message.envelope();
  cleanup::CleanupClient client(
      ipc::servicePath(settings_.queueDirectory, false, cleanup::kCleanupService));
  ipc::CleanupEnvelope e;
  // SRS: the next hop checks SPF for our domain, and a bounce comes back
  // to us to be decoded (cleanup) and sent on to the original sender.
  e.sender = settings_.srs ? settings_.srs->forward(env.sender, std::time(nullptr)) : env.sender;
  e.envid = env.envid;
  e.ret = env.ret;
  e.body = env.body;
  e.smtputf8 = env.smtputf8;
  e.protocol = "LOCAL";
  e.clientAddress = "";
  for (const auto& a : addresses) {
    ipc::CleanupRecipient r;
    r.address = a;
    e.recipients.push_back(r);
  }
  if (const std::string* junk = env.attribute(queue::kJunkAttribute))
    e.attributes.push_back({std::string(queue::kJunkAttribute), *junk});
  // Already accepted here: its Authentication-Results are ours and stay,
  // and an ARC set tells the next hop what they said.
  if (!client.begin(e, ipc::cleanup_flags::kReinjected | ipc::cleanup_flags::kArcSeal) ||
      !client.write("Delivered-To: " + rcpt + "\n")) {
    return deferred("4.3.0", "cannot forward: " + client.error());
  }
  queue::ContentReader reader = ctx.message.content();
  char buf[65536];
  while (std::size_t n = reader.read(buf, sizeof buf))
    if (!client.write(std::string_view(buf, n))) break;
  const ipc::CleanupReply reply = client.finish();
  if (reply.code != 250) return deferred("4.3.0", "cannot forward: " + reply.line());
  log::info("%s: forwarded as %s to %zu recipient%s", ctx.queueId.c_str(), reply.queueId.c_str(),
            addresses.size(), addresses.size() == 1 ? "" : "s");
  return outcome(ipc::DeliveryOutcome::Expanded, "2.0.0", "forwarded as " + reply.queueId);
}

std::optional<LocalDelivery::Owner> LocalDelivery::aliasOwner(const std::string& table) {
  // hash:/etc/mail/aliases -> the owner of /etc/mail/aliases.db (or of the
  // source file); root's aliases run as default_privs.
  std::string path = table.substr(table.find(':') == std::string::npos ? 0 : table.find(':') + 1);
  struct stat st {};
  if (::stat((path + ".db").c_str(), &st) != 0 && ::stat(path.c_str(), &st) != 0) return std::nullopt;
  if (st.st_uid == 0) return Owner{settings_.defaultUid, settings_.defaultGid, "/"};
  std::string home = "/";
  if (const passwd* pw = ::getpwuid(st.st_uid)) home = pw->pw_dir ? pw->pw_dir : "/";
  return Owner{st.st_uid, st.st_gid, home};
}

}  // namespace posthorn::local
