// passwd_file_passdb - password fields from the passwd file, re-read on change (see passwd_file_passdb.h)
#include "auth/passwd_file_passdb.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lib/auth/passwd_file.h"
#include "lib/auth/scram.h"
#include "auth/userdb_source.h"
#include "lib/log/log.h"

namespace posthorn::auth {

namespace {

constexpr off_t kMaxFileSize = 256 << 20;

void wipe(std::string& s) {
  if (!s.empty()) std::memset(s.data(), 0, s.size());
}

bool sameTime(const timespec& a, const timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

}  // namespace

PasswdFilePassdb::~PasswdFilePassdb() { clear(); }

void PasswdFilePassdb::clear() {
  for (auto& [key, user] : users_) wipe(user.password);
  users_.clear();
  broken_.clear();
}

void PasswdFilePassdb::refresh() {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    const int err = errno;
    clear();
    loaded_ = false;
    if (err == ENOENT || err == ENOTDIR) {
      unreadable_.clear();
      return;
    }
    unreadable_ = "cannot stat " + path_ + ": " + std::strerror(err);
    return;
  }
  if (loaded_ && st.st_dev == dev_ && st.st_ino == ino_ && st.st_size == size_ &&
      sameTime(st.st_mtim, mtime_) && sameTime(st.st_ctim, ctime_)) {
    return;
  }
  clear();
  loaded_ = false;
  unreadable_.clear();
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    unreadable_ = "cannot open " + path_ + ": " + std::strerror(errno);
    log::warning("%s", unreadable_.c_str());
    return;
  }
  struct stat ost {};
  std::string text;
  bool ok = ::fstat(fd, &ost) == 0 && ost.st_size <= kMaxFileSize;
  char buf[65536];
  while (ok) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ok = false;
      break;
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    ok = text.size() <= static_cast<std::size_t>(kMaxFileSize);
  }
  const int err = errno;
  ::close(fd);
  std::memset(buf, 0, sizeof buf);
  if (!ok) {
    wipe(text);
    unreadable_ = "cannot read " + path_ + ": " +
                  (ost.st_size > kMaxFileSize ? std::string("too large") : std::strerror(err));
    log::warning("%s", unreadable_.c_str());
    return;
  }
  PasswdFile parsed = parsePasswdFile(text, path_);
  wipe(text);
  for (const auto& [key, error] : parsed.brokenUsers) broken_[key] = error;
  for (auto& entry : parsed.entries) {
    PassdbUser user;
    user.name = entry.user;
    user.password = entry.password;
    wipe(entry.password);
    if (const auto* scram = entry.extra(kScramField)) user.scram = *scram;
    users_[foldUser(entry.user)] = std::move(user);
  }
  dev_ = ost.st_dev;
  ino_ = ost.st_ino;
  size_ = ost.st_size;
  mtime_ = ost.st_mtim;
  ctime_ = ost.st_ctim;
  loaded_ = true;
  log::debug("passdb: read %s: %zu users", path_.c_str(), users_.size());
}

std::optional<PassdbUser> PasswdFilePassdb::lookup(const std::string& login) {
  refresh();
  if (!unreadable_.empty()) throw UserdbTempFail(unreadable_);
  const std::string key = foldUser(login);
  if (const auto b = broken_.find(key); b != broken_.end()) throw UserdbTempFail(b->second);
  const auto it = users_.find(key);
  if (it == users_.end()) return std::nullopt;
  return it->second;
}

}  // namespace posthorn::auth
