// passwd_command - `posthorn passwd`: hashes a password and edits the passwd file
#include "tools/passwd_command.h"

#include <crypt.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <memory>

#include "lib/auth/auth_params.h"
#include "lib/auth/passwd_file.h"
#include "lib/auth/scram.h"
#include "lib/auth/quota_rule.h"
#include "lib/config/config.h"
#include "tools/command.h"

namespace posthorn::tools {

namespace {

constexpr Command kPasswd{
    "posthorn passwd",
    "usage: posthorn passwd [-c DIR] [-f FILE] [-m yescrypt|sha512|bcrypt] [-k] [-S]\n"
    "                       [-u UID] [-g GID] [-d HOME] [-q QUOTA] USER"};

struct PasswdOptions {
  std::optional<std::string> configDir;
  std::optional<std::string> file;
  std::string method = "yescrypt";
  bool keepPassword = false;
  bool noScram = false;  // -S: store no SCRAM-SHA-256 verifier
  PasswdChange change;
};

// -q: "none" removes the quota; a bare number is bytes (written with an
// explicit B, since Dovecot reads a bare storage= number as kilobytes).
std::string quotaRuleFor(const std::string& text) {
  if (text == "none") return "";
  try {
    auth::parseQuotaSize(text, 1, 0);
  } catch (const auth::QuotaRuleError& e) {
    throw UsageError(std::string("-q: ") + e.what());
  }
  if (text.find_first_of("+-%") != std::string::npos) {
    throw UsageError("-q " + text + ": give an absolute size (1G, 500M, 0 for unlimited)");
  }
  const bool bare = text.find_first_not_of("0123456789") == std::string::npos;
  return "*:storage=" + text + (bare && text != "0" ? "B" : "");
}

PasswdOptions parseOptions(const std::vector<std::string>& args) {
  PasswdOptions o;
  ArgCursor arg(args);
  while (arg.next()) {
    switch (arg.option()) {
      case 'c': o.configDir = arg.value(); break;
      case 'f': o.file = arg.value(); break;
      case 'm': o.method = arg.value(); break;
      case 'u': o.change.uid = arg.value(); break;
      case 'g': o.change.gid = arg.value(); break;
      case 'd': o.change.home = arg.value(); break;
      case 'q': o.change.quotaRule = quotaRuleFor(arg.value()); break;
      case 'k':
        arg.alone();
        o.keepPassword = true;
        break;
      case 'S':
        arg.alone();
        o.noScram = true;
        break;
      default: arg.unknown();
    }
  }
  o.change.user = arg.operand("USER");
  try {
    auth::checkPasswdUser(o.change.user);
  } catch (const auth::PasswdLineError& e) {
    throw UsageError(e.what());
  }
  if (o.method != "yescrypt" && o.method != "sha512" && o.method != "bcrypt") {
    throw UsageError("-m " + o.method + ": use yescrypt, sha512 or bcrypt");
  }
  if (o.change.home && (o.change.home->empty() || o.change.home->front() != '/')) {
    throw UsageError("-d " + *o.change.home + ": the home directory must be an absolute path");
  }
  return o;
}

// --- reading the password ------------------------------------------------

// One line from a terminal on fd with echo off; the prompt goes to err.
std::optional<std::string> readHidden(int fd, const char* prompt, std::ostream& err) {
  err << prompt << std::flush;
  termios saved{};
  const bool haveTerm = ::tcgetattr(fd, &saved) == 0;
  if (haveTerm) {
    termios quiet = saved;
    quiet.c_lflag &= static_cast<tcflag_t>(~(ECHO | ECHONL));
    quiet.c_lflag |= ICANON;
    ::tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  std::string line;
  bool gotLine = false;
  char c;
  while (true) {
    const ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (c == '\n') {
      gotLine = true;
      break;
    }
    line += c;
  }
  if (haveTerm) ::tcsetattr(fd, TCSAFLUSH, &saved);
  err << std::endl;
  if (!gotLine && line.empty()) return std::nullopt;
  return line;
}

std::string readPassword(std::istream& in, bool terminal, std::ostream& err) {
  std::string password;
  if (terminal) {
    auto first = readHidden(STDIN_FILENO, "New password: ", err);
    if (!first) throw std::runtime_error("no password given");
    auto second = readHidden(STDIN_FILENO, "Retype new password: ", err);
    if (!second || *first != *second) {
      if (second) std::memset(second->data(), 0, second->size());
      std::memset(first->data(), 0, first->size());
      throw std::runtime_error("the passwords differ; nothing changed");
    }
    std::memset(second->data(), 0, second->size());
    password = std::move(*first);
  } else if (!std::getline(in, password)) {
    throw std::runtime_error("no password on standard input");
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty()) throw std::runtime_error("empty password; nothing changed");
  return password;
}

// --- the file -------------------------------------------------------------

std::string errnoText(const std::string& what) { return what + ": " + std::strerror(errno); }

std::string directoryOf(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Closes an fd at scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::vector<std::string> splitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto nl = text.find('\n', pos);
    if (nl == std::string::npos) {
      lines.push_back(text.substr(pos));
      break;
    }
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return lines;
}

void writeAll(int fd, const std::string& data, const std::string& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw PasswdUpdateError(errnoText("write " + path));
    }
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

// --- hashing --------------------------------------------------------------

std::string hashPassword(std::string_view password, std::string_view method) {
  const char* prefix = nullptr;
  if (method == "yescrypt") {
    prefix = "$y$";
  } else if (method == "sha512") {
    prefix = "$6$";
  } else if (method == "bcrypt") {
    prefix = "$2b$";
  } else {
    throw std::invalid_argument("unknown hash method " + std::string(method));
  }
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  // Count 0 picks the method's default cost; no random bytes given makes
  // libcrypt take them from the kernel.
  if (::crypt_gensalt_rn(prefix, 0, nullptr, 0, setting, sizeof setting) == nullptr) {
    throw std::runtime_error(errnoText(std::string("crypt_gensalt ") + prefix));
  }
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof *data);
  const std::string pw(password);
  const char* hash = ::crypt_rn(pw.c_str(), setting, data.get(), sizeof *data);
  if (hash == nullptr || hash[0] == '*') {
    throw std::runtime_error(errnoText("crypt " + std::string(method)));
  }
  std::string result(hash);
  std::memset(data.get(), 0, sizeof *data);
  return result;
}

bool verifyPassword(std::string_view password, std::string_view hash) {
  constexpr std::string_view kCrypt = "{CRYPT}";
  if (hash.substr(0, kCrypt.size()) == kCrypt) hash.remove_prefix(kCrypt.size());
  if (hash.empty()) return false;
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof *data);
  const std::string pw(password), h(hash);
  const char* out = ::crypt_rn(pw.c_str(), h.c_str(), data.get(), sizeof *data);
  const bool ok = out != nullptr && out[0] != '*' && h == out;
  std::memset(data.get(), 0, sizeof *data);
  return ok;
}

// --- updating the file ----------------------------------------------------

bool updatePasswdFile(const std::string& path, const PasswdChange& change,
                      std::vector<std::string>* warnings) {
  auto warn = [&](const std::string& w) {
    if (warnings) warnings->push_back(w);
  };
  const std::string dir = directoryOf(path);
  Fd dirFd{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dirFd.fd < 0) throw PasswdUpdateError(errnoText("open directory " + dir));
  // One `posthorn passwd` at a time per directory: each reads, changes and
  // renames the file under this lock.
  while (::flock(dirFd.fd, LOCK_EX) != 0) {
    if (errno != EINTR) throw PasswdUpdateError(errnoText("lock " + dir));
  }

  // The current file, if any.
  std::string text;
  bool existed = false;
  struct stat old {};
  {
    Fd in{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
    if (in.fd < 0 && errno != ENOENT) throw PasswdUpdateError(errnoText("open " + path));
    if (in.fd >= 0) {
      existed = true;
      if (::fstat(in.fd, &old) != 0) throw PasswdUpdateError(errnoText("stat " + path));
      if (!S_ISREG(old.st_mode)) throw PasswdUpdateError(path + " is not a regular file");
      char buf[65536];
      while (true) {
        const ssize_t n = ::read(in.fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw PasswdUpdateError(errnoText("read " + path));
        if (n == 0) break;
        text.append(buf, static_cast<std::size_t>(n));
      }
    }
  }

  std::vector<std::string> lines = splitLines(text);
  const std::string key = auth::foldUser(change.user);
  std::optional<std::size_t> at;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (auth::passwdLineKey(lines[i]) != key) {
      if (!auth::isPasswdCommentOrBlank(lines[i])) {
        try {
          auth::parsePasswdLine(lines[i]);
        } catch (const auth::PasswdLineError& e) {
          warn(path + ":" + std::to_string(i + 1) + ": " + e.what() + " (kept as it is)");
        }
      }
      continue;
    }
    if (at) {
      warn(path + ":" + std::to_string(i + 1) + ": another line for " + change.user +
           " (authd uses the one at line " + std::to_string(*at + 1) + ")");
    } else {
      at = i;
    }
  }

  auth::PasswdEntry entry;
  if (at) {
    try {
      entry = auth::parsePasswdLine(lines[*at]);
    } catch (const auth::PasswdLineError& e) {
      throw PasswdUpdateError(path + ":" + std::to_string(*at + 1) + ": cannot change " +
                              change.user + ": " + e.what());
    }
  } else {
    if (!change.uid || !change.gid || !change.home) {
      throw PasswdUpdateError("new user " + change.user +
                              ": give its owner and home with -u UID -g GID -d HOME");
    }
    if (!change.passwordHash) {
      throw PasswdUpdateError("new user " + change.user + ": it needs a password");
    }
    entry.user = change.user;
  }
  if (change.passwordHash) entry.password = *change.passwordHash;
  if (change.uid) entry.uid = *change.uid;
  if (change.gid) entry.gid = *change.gid;
  if (change.home) entry.home = *change.home;
  if (change.scramVerifier) {
    const std::string name(auth::kScramField);
    entry.setExtra(name, change.scramVerifier->empty() ? nullptr : &*change.scramVerifier);
  }
  if (change.quotaRule) {
    entry.setExtra("userdb_quota_rule", change.quotaRule->empty() ? nullptr : &*change.quotaRule);
  }
  std::string line;
  try {
    line = auth::formatPasswdLine(entry);
    auth::parsePasswdLine(line);  // what authd will read back
  } catch (const auth::PasswdLineError& e) {
    throw PasswdUpdateError("user " + change.user + ": " + e.what());
  }
  if (at) {
    lines[*at] = line;
  } else {
    lines.push_back(line);
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";

  // Permissions: nothing for others (the file holds password hashes).
  mode_t mode = 0640;
  if (existed) {
    mode = old.st_mode & 07770 & ~static_cast<mode_t>(S_ISUID | S_ISGID | S_ISVTX);
    if ((old.st_mode & 07) != 0) {
      char octal[16];
      std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode));
      warn(path + " was accessible to others; its new mode is " + octal);
    }
  }

  const std::string tmp = path + ".tmp";
  Fd outFd{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600)};
  if (outFd.fd < 0) throw PasswdUpdateError(errnoText("create " + tmp));
  try {
    if (existed && (old.st_uid != ::geteuid() || old.st_gid != ::getegid()) &&
        ::fchown(outFd.fd, old.st_uid, old.st_gid) != 0) {
      throw PasswdUpdateError(errnoText("keep the owner of " + path + " on " + tmp));
    }
    if (::fchmod(outFd.fd, mode) != 0) throw PasswdUpdateError(errnoText("chmod " + tmp));
    writeAll(outFd.fd, out, tmp);
    if (::fsync(outFd.fd) != 0) throw PasswdUpdateError(errnoText("fsync " + tmp));
    const int fd = outFd.fd;
    outFd.fd = -1;
    if (::close(fd) != 0) throw PasswdUpdateError(errnoText("close " + tmp));
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      throw PasswdUpdateError(errnoText("rename " + tmp + " to " + path));
    }
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  if (::fsync(dirFd.fd) != 0) throw PasswdUpdateError(errnoText("fsync " + dir));
  return !at;
}

// --- the command ------------------------------------------------------------

int runPasswd(const std::vector<std::string>& args) {
  return runPasswd(args, std::cin, std::cout, std::cerr);
}

int runPasswd(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
              std::ostream& err) {
  return kPasswd.run(err, [&] {
    PasswdOptions options = parseOptions(args);
    std::string path;
    if (options.file) {
      path = *options.file;
    } else {
      const auto cfg = config::Config::load(options.configDir.value_or(config::defaultConfigDir()));
      path = auth::passwdFilePath(cfg);
    }
    if (path.empty()) throw std::runtime_error("auth_passwd_file is empty: no passwd file to edit");
    if (!options.keepPassword) {
      const bool terminal = &in == &std::cin && ::isatty(STDIN_FILENO);
      std::string password = readPassword(in, terminal, err);
      options.change.passwordHash = "{CRYPT}" + hashPassword(password, options.method);
      // A verifier of the old password must not outlive it: replaced, or
      // removed with -S.
      options.change.scramVerifier =
          options.noScram ? std::string()
                          : auth::formatScramVerifier(auth::makeScramVerifier(password));
      std::memset(password.data(), 0, password.size());
    }
    std::vector<std::string> warnings;
    const bool added = updatePasswdFile(path, options.change, &warnings);
    for (const auto& w : warnings) err << kPasswd.name << ": warning: " << w << '\n';
    out << kPasswd.name << ": " << (added ? "added " : "changed ") << options.change.user
        << (added ? " to " : " in ") << path << std::endl;
    return 0;
  });
}

}  // namespace posthorn::tools
