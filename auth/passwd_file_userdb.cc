// passwd_file_userdb - users from the passwd file, re-read on change (see passwd_file_userdb.h)
#include "auth/passwd_file_userdb.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "lib/auth/quota_rule.h"
#include "auth/system_userdb.h"
#include "lib/log/log.h"

namespace posthorn::auth {

namespace {

// The passwd file is for people: anything larger is a mistake.
constexpr off_t kMaxFileSize = 256 << 20;

bool sameTime(const timespec& a, const timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

bool isDigits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// A uid or gid field's value (a number or a name) as a number; throws
// PasswdLineError for an empty or unknown value.
std::uint32_t resolveId(const std::string& what, const std::string& value, bool isGroup) {
  if (value.empty()) {
    throw PasswdLineError(what + " is empty (a userdb entry needs a uid and a gid)");
  }
  if (isDigits(value)) {
    const unsigned long long n = std::stoull(value);
    if (n >= std::numeric_limits<std::uint32_t>::max()) {
      throw PasswdLineError(what + " \"" + value + "\" is too large");
    }
    return static_cast<std::uint32_t>(n);
  }
  if (isGroup) {
    if (const auto gid = findSystemGroup(value)) return static_cast<std::uint32_t>(*gid);
    throw PasswdLineError(what + ": no such group \"" + value + "\"");
  }
  if (const auto account = findSystemAccount(value)) {
    return static_cast<std::uint32_t>(account->uid);
  }
  throw PasswdLineError(what + ": no such user \"" + value + "\"");
}

// Extra field names userdb_quota_rule, userdb_quota_rule2, ... in order.
bool isQuotaRuleField(const std::string& name) {
  static const std::string kPrefix = "userdb_quota_rule";
  if (name.compare(0, kPrefix.size(), kPrefix) != 0) return false;
  for (std::size_t i = kPrefix.size(); i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
  }
  return true;
}

}  // namespace

PasswdFileUserdb::FileId PasswdFileUserdb::FileId::of(const struct stat& st) {
  return {st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim};
}

bool PasswdFileUserdb::FileId::operator==(const FileId& o) const {
  return dev == o.dev && ino == o.ino && size == o.size && sameTime(mtime, o.mtime) &&
         sameTime(ctime, o.ctime);
}

std::string expandPasswdVariables(std::string_view text, const std::string& user,
                                  const std::string& home) {
  const auto at = user.rfind('@');
  const std::string local = at == std::string::npos ? user : user.substr(0, at);
  const std::string domain = at == std::string::npos ? "" : user.substr(at + 1);
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    switch (text[i + 1]) {
      case 'u': out += user; break;
      case 'n': out += local; break;
      case 'd': out += domain; break;
      case 'h': out += home; break;
      case '%': out += '%'; break;
      default:
        out += text[i];
        continue;  // keep an unknown sequence as written
    }
    ++i;
  }
  return out;
}

std::string expandMailLocation(const std::string& mail, const std::string& home) {
  // The path starts after a "format:" prefix made of letters and digits.
  std::size_t start = 0;
  const auto colon = mail.find(':');
  if (colon != std::string::npos && colon > 0) {
    bool word = true;
    for (std::size_t i = 0; i < colon; ++i) {
      const char c = mail[i];
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
        word = false;
      }
    }
    if (word) start = colon + 1;
  }
  if (mail.compare(start, 1, "~") != 0) return mail;
  const bool tildeAlone = start + 1 == mail.size() || mail[start + 1] == '/' ||
                          mail[start + 1] == ':';
  if (!tildeAlone) return mail;  // "~other": not a home reference
  if (home.empty()) {
    throw PasswdLineError("userdb_mail \"" + mail + "\" uses ~ but the user has no home");
  }
  return mail.substr(0, start) + home + mail.substr(start + 1);
}

PasswdFileUserdb::PasswdFileUserdb(std::string path, std::uint64_t defaultQuotaBytes)
    : path_(std::move(path)), defaultQuotaBytes_(defaultQuotaBytes) {}

void PasswdFileUserdb::refresh() {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      if (state_ != State::Missing) {
        log::info("passwd file %s does not exist: it holds no users", path_.c_str());
      }
      state_ = State::Missing;
      users_.clear();
      return;
    }
    unreadable_ = "cannot stat " + path_ + ": " + std::strerror(err);
    if (state_ != State::Unreadable) log::warning("%s", unreadable_.c_str());
    state_ = State::Unreadable;
    users_.clear();
    return;
  }
  if (state_ == State::Loaded && FileId::of(st) == id_) return;

  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    const int err = errno;
    unreadable_ = "cannot open " + path_ + ": " + std::strerror(err);
    log::warning("%s", unreadable_.c_str());
    state_ = State::Unreadable;
    users_.clear();
    return;
  }
  try {
    // Identify what was opened (the file may have been replaced since stat).
    struct stat ost {};
    if (::fstat(fd, &ost) != 0) throw UserdbTempFail("fstat " + path_ + ": " + std::strerror(errno));
    load(fd, FileId::of(ost));
  } catch (const UserdbTempFail& e) {
    unreadable_ = e.what();
    log::warning("%s", unreadable_.c_str());
    state_ = State::Unreadable;
    users_.clear();
  }
  ::close(fd);
}

void PasswdFileUserdb::load(int fd, const FileId& id) {
  if (id.size > kMaxFileSize) {
    throw UserdbTempFail(path_ + " is larger than " + std::to_string(kMaxFileSize >> 20) +
                         " MB");
  }
  std::string text;
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw UserdbTempFail("read " + path_ + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > static_cast<std::size_t>(kMaxFileSize)) {
      throw UserdbTempFail(path_ + " is larger than " + std::to_string(kMaxFileSize >> 20) +
                           " MB");
    }
  }
  PasswdFile parsed = parsePasswdFile(text, path_);
  // The text holds hashes: wipe it before it is freed.
  std::memset(text.data(), 0, text.size());

  std::map<std::string, Record> users;
  bool transient = false;
  std::size_t problems = parsed.errors.size();
  for (const auto& error : parsed.errors) log::warning("%s", error.c_str());
  for (const auto& [key, error] : parsed.brokenUsers) users[key].error = error;
  for (auto& entry : parsed.entries) {
    const std::string where = path_ + ":" + std::to_string(entry.line) + ": ";
    Record record = describeEntry(entry, where);
    if (!record.error.empty()) {
      log::warning("%s", record.error.c_str());
      ++problems;
    }
    transient = transient || record.transient;
    users[foldUser(entry.user)] = std::move(record);
    std::memset(entry.password.data(), 0, entry.password.size());
  }
  users_ = std::move(users);
  // After a failure of the system's user or group database, the next
  // lookup reads the file again rather than keep the failure.
  id_ = transient ? FileId{} : id;
  state_ = State::Loaded;
  ++loads_;
  log::info("read %s: %zu users, %zu problems", path_.c_str(), users_.size(), problems);
}

PasswdFileUserdb::Record PasswdFileUserdb::describeEntry(const PasswdEntry& entry,
                                                         const std::string& where) const {
  Record record;
  try {
    ipc::UserInfo user;
    user.name = entry.user;
    user.source = ipc::UserSource::PasswdFile;
    const std::string* uidField = entry.userdbField("uid");
    const std::string* gidField = entry.userdbField("gid");
    user.uid = resolveId("uid", uidField ? *uidField : entry.uid, false);
    user.gid = resolveId("gid", gidField ? *gidField : entry.gid, true);
    user.home = entry.home;
    if (const auto* home = entry.userdbField("home")) {
      user.home = expandPasswdVariables(*home, entry.user, "");
    }
    if (!user.home.empty() && user.home.front() != '/') {
      throw PasswdLineError("home \"" + user.home + "\" is not an absolute path");
    }
    if (const auto* mail = entry.userdbField("mail")) {
      user.mail = expandMailLocation(expandPasswdVariables(*mail, entry.user, user.home),
                                     user.home);
    }
    for (const auto& [name, value] : entry.extraFields) {
      if (!isQuotaRuleField(name)) continue;
      try {
        const auto limits =
            parseQuotaRule(expandPasswdVariables(value, entry.user, user.home), defaultQuotaBytes_);
        if (limits && limits->bytes) user.quotaBytes = limits->bytes;
        if (limits && limits->messages) user.quotaMessages = limits->messages;
      } catch (const QuotaRuleError& e) {
        throw PasswdLineError(name + ": " + e.what());
      }
    }
    record.user = std::move(user);
  } catch (const PasswdLineError& e) {
    record.error = where + "user " + entry.user + ": " + e.what();
  } catch (const UserdbTempFail& e) {
    record.error = where + "user " + entry.user + ": " + e.what();
    record.transient = true;
  }
  return record;
}

std::optional<ipc::UserInfo> PasswdFileUserdb::find(const std::string& key) {
  const auto it = users_.find(key);
  if (it == users_.end()) return std::nullopt;
  if (!it->second.user) throw UserdbTempFail(it->second.error);
  return it->second.user;
}

std::optional<ipc::UserInfo> PasswdFileUserdb::lookup(const UserAddress& address) {
  refresh();
  if (state_ == State::Unreadable) throw UserdbTempFail(unreadable_);
  if (state_ != State::Loaded) return std::nullopt;
  if (auto user = find(address.full)) return user;
  if (address.localDomain && !address.domain.empty()) return find(address.local);
  return std::nullopt;
}

}  // namespace posthorn::auth
