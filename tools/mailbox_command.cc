// mailbox_command - posthorn mailbox check|repair|list
#include "tools/mailbox_command.h"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <iterator>
#include <optional>

#include "lib/config/config.h"
#include "lib/mailbox/mailbox_check.h"
#include "lib/mailbox/maildir_folder.h"
#include "lib/mailbox/maildir_store.h"
#include "lib/mailbox/message_source.h"
#include "lib/proto/userdb_client.h"
#include "lib/util/ascii.h"
#include "tools/command.h"

namespace posthorn::tools {
namespace {

constexpr Command kMailbox{
    "posthorn mailbox",
    "usage: posthorn [-c DIR] mailbox check|repair|list [-d MAILDIR | USER] [FOLDER]\n"
    "       posthorn [-c DIR] mailbox deliver [-f FLAGS] [-d MAILDIR | USER] [FOLDER] < message"};

struct Options {
  std::string action;
  std::optional<std::string> configDir;
  std::optional<std::string> maildir;
  std::optional<std::string> user;
  std::optional<std::string> folder;
  std::string flags;
};

Options parse(const std::vector<std::string>& args) {
  Options o;
  // Neither "--" nor a value in the option's argument ("-dDIR") here.
  ArgCursor arg(args, {.endMarker = false});
  while (arg.next()) {
    arg.alone();
    switch (arg.option()) {
      case 'c': o.configDir = arg.value("a value"); break;
      case 'd': o.maildir = arg.value("a value"); break;
      case 'f': o.flags = arg.value("a value"); break;
      default: arg.unknown();
    }
  }
  const std::vector<std::string> words = arg.operands();
  if (words.empty()) throw UsageError("no action given");
  o.action = words[0];
  if (o.action != "check" && o.action != "repair" && o.action != "list" && o.action != "deliver")
    throw UsageError("unknown action \"" + o.action + "\"");
  std::size_t next = 1;
  if (!o.maildir) {
    if (words.size() < 2) throw UsageError("no USER (or -d MAILDIR) given");
    o.user = words[next++];
  }
  if (next < words.size()) o.folder = words[next++];
  if (next < words.size()) throw UsageError("too many arguments");
  return o;
}

// Where USER's Maildir is, as local(8) decides it.
std::string userMaildir(const Options& o) {
  const auto cfg = config::Config::load(o.configDir.value_or(config::defaultConfigDir()));
  userdb::UserdbClient users(
      ipc::servicePath(cfg.get("queue_directory"), false, userdb::kUserdbService), "posthorn");
  const auto user = users.lookup(*o.user);
  if (!user) throw std::runtime_error("user " + *o.user + " unknown");
  if (user->mail.rfind("maildir:", 0) == 0) return user->mail.substr(8);
  if (user->mail.rfind("mbox:", 0) == 0) throw std::runtime_error("user " + *o.user + " has an mbox, not a Maildir");
  if (user->source != ipc::UserSource::System) {
    if (user->home.empty()) throw std::runtime_error("user " + *o.user + " has no home directory");
    return user->home + "/Maildir";
  }
  const std::string homeMailbox = cfg.get("home_mailbox");
  if (!homeMailbox.empty() && homeMailbox.back() == '/') return user->home + "/" + homeMailbox;
  throw std::runtime_error("user " + *o.user + " has an mbox, not a Maildir");
}

// A repair as root would leave root-owned index files behind.
void becomeOwner(const std::string& maildir) {
  if (::geteuid() != 0) return;
  struct stat st;
  if (::stat(maildir.c_str(), &st) != 0) {
    if (errno == ENOENT) return;  // deliver makes it
    throw std::runtime_error("cannot stat " + maildir + ": " + std::strerror(errno));
  }
  if (st.st_uid == 0) return;
  if (::setgroups(0, nullptr) != 0 || ::setgid(st.st_gid) != 0 || ::setuid(st.st_uid) != 0)
    throw std::runtime_error("cannot switch to the owner of " + maildir);
}

void list(const std::string& name, mailbox::MaildirFolder& folder, std::ostream& out) {
  folder.open();
  const auto& h = folder.header();
  out << "* UIDVALIDITY " << h.uidValidity << " UIDNEXT " << h.uidNext << " HIGHESTMODSEQ " << h.highestModseq
      << " MESSAGES " << folder.messages().size() << " FOLDER " << name << "\n";
  std::string text;
  text.reserve(folder.messages().size() * 32);
  for (const auto& m : folder.messages()) {
    text += std::to_string(m.uid);
    text += ' ';
    text += std::to_string(m.modseq);
    text += ' ';
    text += m.size == mailbox::kUnknownSize ? std::string("-") : std::to_string(m.size);
    text += " (";
    text += mailbox::flagsToImap(m.flags);
    text += ")\n";
  }
  out << text;
}

// "\\Seen \\Flagged $Label1": IMAP system flag names and keywords.
mailbox::MessageFlags parseFlags(const std::string& text) {
  static const std::pair<const char*, mailbox::SystemFlag> kNames[] = {
      {"\\Seen", mailbox::kFlagSeen},         {"\\Answered", mailbox::kFlagAnswered},
      {"\\Flagged", mailbox::kFlagFlagged},   {"\\Deleted", mailbox::kFlagDeleted},
      {"\\Draft", mailbox::kFlagDraft}};
  mailbox::MessageFlags f;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto sp = text.find(' ', pos);
    const std::string w = text.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos);
    pos = sp == std::string::npos ? text.size() : sp + 1;
    if (w.empty()) continue;
    bool system = false;
    for (const auto& [name, flag] : kNames) {
      if (util::equalsIgnoreCase(w, name)) {
        f.system |= flag;
        system = true;
      }
    }
    if (system) continue;
    if (w[0] == '\\') throw UsageError("unknown system flag " + w);
    for (const char c : w) {
      if (static_cast<unsigned char>(c) <= ' ' || std::string("(){%*\"\\]").find(c) != std::string::npos)
        throw UsageError("keyword \"" + w + "\" is not an IMAP atom");
    }
    f.addKeyword(w);
  }
  return f;
}

// The message from `in`; LF line ends as a Maildir stores them.
int deliver(mailbox::MaildirStore& store, const Options& o, std::istream& in, std::ostream& out, std::ostream& err) {
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string lf;
  lf.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    lf += text[i];
  }
  mailbox::StringSource source(lf);
  const auto r = store.deliver(o.folder.value_or("INBOX"), source, parseFlags(o.flags));
  if (!r.ok()) return kMailbox.failed(err, r.dsn + " " + r.text);
  out << "uid " << r.uid << " " << r.path << "\n";
  return 0;
}

}  // namespace

int runMailbox(const std::vector<std::string>& args) { return runMailbox(args, std::cout, std::cerr); }

int runMailbox(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  return kMailbox.run(err, [&] {
    const Options o = parse(args);
    if (o.action == "deliver") parseFlags(o.flags);
    const std::string root = o.maildir ? *o.maildir : userMaildir(o);
    struct stat st;
    if (o.action == "deliver") {
      becomeOwner(root);
      mailbox::MaildirStore store(root);
      return deliver(store, o, std::cin, out, err);
    }
    if (::stat((root + "/cur").c_str(), &st) != 0) throw std::runtime_error(root + " is not a Maildir (no cur/)");
    if (o.action != "check") becomeOwner(root);
    mailbox::MaildirStore store(root);
    std::vector<std::string> folders = o.folder ? std::vector<std::string>{*o.folder} : store.folders();
    bool clean = true;
    for (const auto& name : folders) {
      const std::string dir = store.folderDirectory(name);
      if (::stat((dir + "/cur").c_str(), &st) != 0) throw std::runtime_error("no folder " + name + " in " + root);
      if (o.action == "list") {
        mailbox::MaildirFolder folder(dir, store.root());
        list(name, folder, out);
        continue;
      }
      if (o.action == "repair") {
        mailbox::MaildirFolder probe(dir, store.root());
        if (!probe.index().exists()) out << name << ": index created\n";
      }
      const mailbox::CheckReport r = o.action == "check" ? mailbox::checkFolder(store.root(), dir)
                                                         : mailbox::repairFolder(store.root(), dir);
      out << name << ": " << (r.ok() ? "ok" : o.action == "check" ? "PROBLEMS" : "repaired");
      for (const auto& n : r.notes) out << "; " << n;
      out << "\n";
      for (const auto& p : r.problems) out << "  " << p << "\n";
      if (!r.ok() && o.action == "check") clean = false;
    }
    return clean ? 0 : 1;
  });
}

}  // namespace posthorn::tools
