// maildir_quota - reading, rebuilding and appending to maildirsize
#include "lib/mailbox/maildir_quota.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <ctime>

#include "lib/mailbox/mailbox_error.h"
#include "lib/mailbox/maildir_name.h"

namespace posthorn::mailbox {
namespace {

constexpr std::size_t kMaxFileSize = 5120;  // Maildir++: rebuild when longer
constexpr time_t kStaleOverQuota = 15 * 60;  // Maildir++: rebuild "over quota" files older than this
constexpr int kMaxOpenAttempts = 20;

bool parseInt(std::string_view s, std::int64_t& out) {
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool parseDefinition(std::string_view line, MaildirQuota& quota) {
  quota = MaildirQuota{};
  while (!line.empty()) {
    const auto comma = line.find(',');
    std::string_view item = line.substr(0, comma);
    line = comma == std::string_view::npos ? std::string_view() : line.substr(comma + 1);
    if (item.size() < 2) return false;
    std::int64_t value = 0;
    if (!parseInt(item.substr(0, item.size() - 1), value) || value < 0) return false;
    const char kind = item.back();
    if (kind == 'S') {
      quota.bytes = static_cast<std::uint64_t>(value);
    } else if (kind == 'C') {
      quota.messages = static_cast<std::uint64_t>(value);
    } else {
      return false;
    }
  }
  return true;
}

bool parseUsageLine(std::string_view line, MaildirUsage& sum) {
  const auto skipSpace = [&line] {
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  };
  skipSpace();
  const auto space = line.find_first_of(" \t");
  if (space == std::string_view::npos) return false;
  std::int64_t bytes = 0;
  std::int64_t count = 0;
  if (!parseInt(line.substr(0, space), bytes)) return false;
  line.remove_prefix(space);
  skipSpace();
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  if (!parseInt(line, count)) return false;
  sum.bytes += bytes;
  sum.messages += count;
  return true;
}

void flockRetry(int fd, int operation, const std::string& path) {
  while (::flock(fd, operation) != 0) {
    if (errno != EINTR) throwMailboxError("cannot lock", path, errno);
  }
}

// True when fd is still the file at path (a rebuild renames a new one over it).
bool isCurrent(int fd, const std::string& path) {
  struct stat a, b;
  if (::fstat(fd, &a) != 0 || ::stat(path.c_str(), &b) != 0) return false;
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Writes maildirsize content to tmp/ and returns the temporary path.
std::string writeTemporary(const std::string& maildir, const std::string& content) {
  for (int attempt = 0;; ++attempt) {
    const std::string tmpPath = maildir + "/tmp/" + maildirUniqueName();
    Fd fd(::open(tmpPath.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid()) {
      if (errno == EEXIST && attempt < 100) continue;
      throwMailboxError("cannot create", tmpPath, errno);
    }
    UnlinkGuard guard(tmpPath);
    writeAll(fd.get(), content.data(), content.size(), tmpPath);
    fsyncFd(fd.get(), tmpPath);
    fd.close(tmpPath);
    guard.dismiss();
    return tmpPath;
  }
}

std::string rebuiltContent(const std::string& maildir, const MaildirQuota& quota) {
  const MaildirUsage usage = scanMaildirUsage(maildir);
  return formatQuotaDefinition(quota) + "\n" + std::to_string(usage.bytes) + " " +
         std::to_string(usage.messages) + "\n";
}

// A missing maildirsize: scan, then link() the new file into place so a
// file created meanwhile by another delivery wins and is used instead.
void createFresh(const std::string& maildir, const std::string& path, const MaildirQuota& quota) {
  const std::string tmpPath = writeTemporary(maildir, rebuiltContent(maildir, quota));
  UnlinkGuard guard(tmpPath);
  if (::link(tmpPath.c_str(), path.c_str()) == 0 || errno == EEXIST) return;
  if (errno != EPERM && errno != ENOTSUP) throwMailboxError("cannot create", path, errno);
  // A file system without hard links: rename, which may replace a twin.
  if (::rename(tmpPath.c_str(), path.c_str()) != 0) throwMailboxError("cannot create", path, errno);
  guard.dismiss();
}

// Called with the exclusive lock held on the current file.
void replace(const std::string& maildir, const std::string& path, const MaildirQuota& quota) {
  const std::string tmpPath = writeTemporary(maildir, rebuiltContent(maildir, quota));
  UnlinkGuard guard(tmpPath);
  if (::rename(tmpPath.c_str(), path.c_str()) != 0) throwMailboxError("cannot replace", path, errno);
  guard.dismiss();
}

}  // namespace

MaildirSizeContent parseMaildirSize(std::string_view text) {
  MaildirSizeContent out;
  const auto eol = text.find('\n');
  if (eol == std::string_view::npos) return out;  // no complete definition line
  if (!parseDefinition(text.substr(0, eol), out.quota)) return out;
  text.remove_prefix(eol + 1);
  while (!text.empty()) {
    const auto end = text.find('\n');
    // An unterminated last line is a torn append (a full disk): malformed.
    if (end == std::string_view::npos) return out;
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end + 1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    if (!parseUsageLine(line, out.usage)) return out;
  }
  out.valid = true;
  return out;
}

std::string formatQuotaDefinition(const MaildirQuota& quota) {
  return std::to_string(quota.bytes) + "S," + std::to_string(quota.messages) + "C";
}

void addDirectoryUsage(const std::string& dir, MaildirUsage& usage, UsageCount how) {
  const bool rebuild = how == UsageCount::Rebuild;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (!rebuild || errno == ENOENT || errno == ENOTDIR) return;
    throwMailboxError("cannot read directory", dir, errno);
  }
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.empty() || name[0] == '.') continue;
    std::uint64_t size = 0;
    if (!maildirNameField(name, 'S', size)) {
      struct stat st;
      // A message moved or expunged while we scan is simply not counted.
      if (::fstatat(::dirfd(d), name.c_str(), &st, 0) != 0) continue;
      if (rebuild && !S_ISREG(st.st_mode)) continue;
      size = static_cast<std::uint64_t>(st.st_size);
    }
    usage.bytes += static_cast<std::int64_t>(size);
    usage.messages += 1;
  }
  ::closedir(d);
}

MaildirUsage scanMaildirUsage(const std::string& maildir) {
  MaildirUsage usage;
  addDirectoryUsage(maildir + "/cur", usage);
  addDirectoryUsage(maildir + "/new", usage);
  DIR* d = ::opendir(maildir.c_str());
  if (d == nullptr) throwMailboxError("cannot read directory", maildir, errno);
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() < 2 || name[0] != '.' || name == "..") continue;
    addDirectoryUsage(maildir + "/" + name + "/cur", usage);
    addDirectoryUsage(maildir + "/" + name + "/new", usage);
  }
  ::closedir(d);
  return usage;
}

MaildirUsage rebuildMaildirSize(const std::string& maildir) {
  const std::string path = maildir + "/maildirsize";
  for (int attempt = 0; attempt < kMaxOpenAttempts; ++attempt) {
    Fd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.valid()) {
      if (errno == ENOENT) return scanMaildirUsage(maildir);
      throwMailboxError("cannot open", path, errno);
    }
    flockRetry(fd.get(), LOCK_EX, path);
    if (!isCurrent(fd.get(), path)) continue;
    const MaildirSizeContent content = parseMaildirSize(readAll(fd.get(), path));
    replace(maildir, path, content.valid ? content.quota : MaildirQuota{});
    Fd now(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!now.valid()) throwMailboxError("cannot open", path, errno);
    return parseMaildirSize(readAll(now.get(), path)).usage;
  }
  throwMailboxError("cannot use", path, EAGAIN);
}

bool quotaExceeded(const MaildirQuota& quota, const MaildirUsage& usage, std::uint64_t size) {
  if (quota.bytes > 0 && usage.bytes + static_cast<std::int64_t>(size) >
                             static_cast<std::int64_t>(quota.bytes)) {
    return true;
  }
  return quota.messages > 0 && usage.messages + 1 > static_cast<std::int64_t>(quota.messages);
}

MaildirSizeFile MaildirSizeFile::open(const std::string& maildir, const MaildirQuota& quota,
                                      std::uint64_t incomingBytes) {
  const std::string path = maildir + "/maildirsize";
  bool rebuilt = false;
  for (int attempt = 0; attempt < kMaxOpenAttempts; ++attempt) {
    Fd fd(::open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.valid()) {
      if (errno != ENOENT) throwMailboxError("cannot open", path, errno);
      if (quota.unlimited()) return MaildirSizeFile(Fd(), path, MaildirUsage{});
      createFresh(maildir, path, quota);
      rebuilt = true;
      continue;
    }
    flockRetry(fd.get(), LOCK_SH, path);
    if (!isCurrent(fd.get(), path)) continue;
    const std::string text = readAll(fd.get(), path);
    const MaildirSizeContent content = parseMaildirSize(text);

    // After one rebuild of our own, a definition another delivery wrote
    // meanwhile (a quota change in progress) is left alone: no ping-pong.
    bool rebuild = text.size() > kMaxFileSize || !content.valid ||
                   (!rebuilt && !quota.unlimited() && content.quota != quota);
    if (!rebuild && !rebuilt && !quota.unlimited() &&
        quotaExceeded(quota, content.usage, incomingBytes)) {
      struct stat st;
      rebuild = ::fstat(fd.get(), &st) == 0 && st.st_mtime + kStaleOverQuota < ::time(nullptr);
    }
    if (!rebuild) return MaildirSizeFile(std::move(fd), path, content.usage);

    // Converting to an exclusive lock may let another rebuild go first:
    // check again that this is still the current file.
    flockRetry(fd.get(), LOCK_EX, path);
    if (!isCurrent(fd.get(), path)) continue;
    replace(maildir, path, quota.unlimited() && content.valid ? content.quota : quota);
    rebuilt = true;
  }
  throwMailboxError("cannot use", path, EAGAIN);
}

void MaildirSizeFile::add(std::int64_t bytes, std::int64_t messages) {
  if (!fd_.valid()) return;
  const std::string line = std::to_string(bytes) + " " + std::to_string(messages) + "\n";
  for (;;) {
    const ssize_t n = ::write(fd_.get(), line.data(), line.size());
    if (n == static_cast<ssize_t>(line.size())) break;
    if (n < 0 && errno == EINTR) continue;
    throwMailboxError("cannot append to", path_, n < 0 ? errno : ENOSPC);
  }
  usage_.bytes += bytes;
  usage_.messages += messages;
}

}  // namespace posthorn::mailbox
