// mail_user - a mailbox stage's checks: who handed the client over, where the Maildir is
#include "lib/mail_user.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

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

}  // namespace

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
  struct stat mine{}, theirs{};
  if (::stat("/proc/self/exe", &mine) != 0 ||
      ::stat(("/proc/" + std::to_string(cred.pid) + "/exe").c_str(), &theirs) != 0 ||
      mine.st_dev != theirs.st_dev || mine.st_ino != theirs.st_ino) {
    *why = who + " does not run this program";
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

}  // namespace posthorn::mailuser
