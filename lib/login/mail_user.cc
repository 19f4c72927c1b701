// mail_user - a mailbox stage's checks: who handed the client over, where the Maildir is
#include "lib/login/mail_user.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "lib/log/log.h"
#include "lib/util/privilege.h"
#include "lib/proto/userdb_client.h"

namespace posthorn::mailuser {
namespace {

// The parent pid of a process, from /proc/PID/stat ("pid (comm) S ppid ...").
long parentOf(pid_t pid) {
  std::FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "re");
  if (f == nullptr) return -1;
  char buf[512];
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  const char* close = std::strrchr(buf, ')');  // comm may hold spaces and parentheses
  long ppid = -1;
  if (close == nullptr || std::sscanf(close + 1, " %*c %ld", &ppid) != 1) return -1;
  return ppid;
}

std::string& loginStageProgram() {
  static std::string program;  // empty: this program
  return program;
}

// The executable the login stage runs: /proc/self/exe, or the program
// setLoginStageProgram() named in its directory ("" when unknown).
std::string loginStageExecutable() {
  if (loginStageProgram().empty()) return "/proc/self/exe";
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return "";
  const std::string path(self, static_cast<std::size_t>(n));
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  return path.substr(0, slash + 1) + loginStageProgram();
}

}  // namespace

void setLoginStageProgram(const std::string& program) { loginStageProgram() = program; }

bool peerIsLoginStage(int fd, std::string* why) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    *why = std::string("SO_PEERCRED: ") + std::strerror(errno);
    return false;
  }
  const std::string who = "pid " + std::to_string(cred.pid) + " uid " + std::to_string(cred.uid);
  if (parentOf(cred.pid) != static_cast<long>(::getppid())) {
    *why = who + " is not a child of master";
    return false;
  }
  const std::string login = loginStageExecutable();
  struct stat mine{}, theirs{};
  if (login.empty() || ::stat(login.c_str(), &mine) != 0 ||
      ::stat(("/proc/" + std::to_string(cred.pid) + "/exe").c_str(), &theirs) != 0 ||
      mine.st_dev != theirs.st_dev || mine.st_ino != theirs.st_ino) {
    *why = who + " does not run " +
           (loginStageProgram().empty() ? std::string("this program") : login);
    return false;
  }
  return true;
}

std::optional<std::string> maildirOf(const ipc::UserInfo& user, const std::string& homeMailbox,
                                     std::string* why) {
  std::string path;
  if (user.mail.rfind("maildir:", 0) == 0) {
    path = user.mail.substr(8);
    const std::size_t colon = path.find(':');  // Dovecot-style ":INDEX=..." options
    if (colon != std::string::npos) path.resize(colon);
  } else if (user.mail.rfind("mbox:", 0) == 0) {
    *why = "the mailbox is an mbox file (" + user.mail.substr(5) + "), popd serves Maildir only";
    return std::nullopt;
  } else if (user.home.empty()) {
    *why = "user " + user.name + " has no home directory";
    return std::nullopt;
  } else if (user.source != ipc::UserSource::System) {
    path = user.home + "/Maildir/";
  } else if (!homeMailbox.empty() && homeMailbox.back() == '/') {
    path = user.home + "/" + homeMailbox;
  } else {
    *why = "system user " + user.name + " has no Maildir (home_mailbox does not end in '/')";
    return std::nullopt;
  }
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (path.empty() || path[0] != '/') {
    *why = "mail location \"" + path + "\" is not an absolute path";
    return std::nullopt;
  }
  return path;
}

namespace detail {

void logRefusedHandover(const std::string& why) {
  log::warning("refused a handover: %s", why.c_str());
}

void logBadHandover(const char* what) {
  log::warning("bad handover from the login stage: %s", what);
}

void logHandoverWithoutSocket(const std::string& user) {
  log::warning("handover for %s came without the client's socket", user.c_str());
}

}  // namespace detail

MailboxOwner becomeUser(const std::string& name, const std::string& userdbSocket,
                        const std::string& service, const std::string& homeMailbox) {
  MailboxOwner owner;
  std::optional<ipc::UserInfo> user;
  try {
    userdb::UserdbClient users(userdbSocket, service);
    user = users.lookup(name);
  } catch (const std::exception& e) {
    log::warning("user=%s: userdb lookup failed: %s", name.c_str(), e.what());
    owner.refusal = Refusal::TempFail;
    return owner;
  }
  if (!user) {
    log::warning("user=%s: authenticated, but the userdb does not know the user", name.c_str());
    owner.refusal = Refusal::NoUser;
    return owner;
  }
  std::string why;
  const auto maildir = maildirOf(*user, homeMailbox, &why);
  if (!maildir) {
    log::warning("user=%s: %s", name.c_str(), why.c_str());
    owner.refusal = Refusal::NoMaildir;
    return owner;
  }
  // Become the user for good, before a byte from the client is read.
  if (privilege::runningAsRoot()) {
    if (user->uid == 0) {
      log::warning("user=%s: refusing to serve a mailbox as uid 0", name.c_str());
      owner.refusal = Refusal::UidZero;
      return owner;
    }
    try {
      privilege::jail("", privilege::Identity{user->uid, user->gid, user->name});
    } catch (const std::exception& e) {
      log::error("user=%s: %s", name.c_str(), e.what());
      owner.refusal = Refusal::Internal;
      return owner;
    }
  }
  owner.user = std::move(*user);
  owner.maildir = *maildir;
  return owner;
}

namespace detail {

void acknowledgeHandover(int fd) { ::shutdown(fd, SHUT_WR); }

}  // namespace detail

}  // namespace posthorn::mailuser
