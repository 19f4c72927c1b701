// maildir_writer - tmp/, fsync, quota check, rename into new/, maildirsize
#include "lib/mailbox/maildir_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <vector>

#include "lib/mailbox/mailbox_error.h"
#include "lib/mailbox/mailbox_io.h"
#include "lib/mailbox/maildir_name.h"

namespace posthorn::mailbox {
namespace {

constexpr std::size_t kBufferSize = 64 * 1024;
constexpr mode_t kDirMode = 0700;
constexpr mode_t kFileMode = 0600;
constexpr int kMaxNameAttempts = 100;

void ensureMaildir(const std::string& maildir) {
  makeDirectories(maildir, kDirMode);
  for (const char* sub : {"cur", "new", "tmp"}) makeDirectories(maildir + "/" + sub, kDirMode);
}

struct TmpFile {
  Fd fd;
  std::string name;  // the unique part
  std::string path;
};

TmpFile createTmpFile(const std::string& maildir) {
  bool created = false;
  for (int attempt = 0; attempt < kMaxNameAttempts; ++attempt) {
    TmpFile t;
    t.name = maildirUniqueName();
    t.path = maildir + "/tmp/" + t.name;
    t.fd = Fd(::open(t.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, kFileMode));
    if (t.fd.valid()) return t;
    if (errno == EEXIST) continue;  // next counter value
    if (errno == ENOENT && !created) {
      ensureMaildir(maildir);
      created = true;
      continue;
    }
    throwMailboxError("cannot create", t.path, errno);
  }
  throwMailboxError("cannot create", maildir + "/tmp", EEXIST);
}

struct Copied {
  std::uint64_t size = 0;
  std::uint64_t bareLineFeeds = 0;  // LFs that become CRLF: vsize - size
};

Copied copyMessage(MessageSource& source, int fd, const std::string& path) {
  Copied c;
  std::vector<char> buf(kBufferSize);
  char previous = '\0';
  for (;;) {
    const std::size_t n = source.read(buf.data(), buf.size());
    if (n == 0) return c;
    writeAll(fd, buf.data(), n, path);
    c.size += n;
    for (std::size_t i = 0; i < n; ++i) {
      if (buf[i] == '\n' && previous != '\r') ++c.bareLineFeeds;
      previous = buf[i];
    }
  }
}

void renameIntoNew(const std::string& maildir, const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) == 0) return;
  if (errno == ENOENT) {
    // new/ vanished under us (a half-removed Maildir): make it, once.
    struct stat st;
    if (::stat(from.c_str(), &st) == 0) {
      ensureMaildir(maildir);
      if (::rename(from.c_str(), to.c_str()) == 0) return;
    }
  }
  throwMailboxError("cannot rename " + from + " to", to, errno);
}

DeliveryResult overQuotaResult(const std::string& maildir, const MaildirQuota& quota,
                               const MaildirUsage& usage, std::uint64_t size) {
  DeliveryResult r;
  r.kind = DeliveryResult::Kind::TempFail;
  r.dsn = "4.2.2";
  r.overQuota = true;
  r.path = maildir;
  r.text = "mailbox full: " + maildir + " holds " + std::to_string(usage.bytes) + " bytes in " +
           std::to_string(usage.messages) + " messages, quota " + formatQuotaDefinition(quota) +
           ", message " + std::to_string(size) + " bytes";
  return r;
}

DeliveryResult deliver(const std::string& maildir, MessageSource& source, const MaildirQuota& quota) {
  TmpFile tmp = createTmpFile(maildir);
  UnlinkGuard removeTmp(tmp.path);
  const Copied copied = copyMessage(source, tmp.fd.get(), tmp.path);
  fsyncFd(tmp.fd.get(), tmp.path);
  tmp.fd.close(tmp.path);

  MaildirSizeFile sizeFile = MaildirSizeFile::open(maildir, quota, copied.size);
  if (quotaExceeded(quota, sizeFile.usage(), copied.size)) {
    return overQuotaResult(maildir, quota, sizeFile.usage(), copied.size);
  }

  const std::string newName = tmp.name + ",S=" + std::to_string(copied.size) +
                              ",W=" + std::to_string(copied.size + copied.bareLineFeeds);
  const std::string newPath = maildir + "/new/" + newName;
  renameIntoNew(maildir, tmp.path, newPath);
  removeTmp.dismiss();
  try {
    fsyncDirectory(maildir + "/new");
  } catch (const MailboxError&) {
    // Not durable: take it back so the retry does not make a duplicate.
    ::unlink(newPath.c_str());
    throw;
  }

  try {
    sizeFile.add(static_cast<std::int64_t>(copied.size), 1);
  } catch (const MailboxError&) {
    // The message is delivered; a maildirsize we could not update is
    // removed so the next delivery rebuilds it from the messages.
    ::unlink(sizeFile.path().c_str());
  }

  DeliveryResult r;
  r.kind = DeliveryResult::Kind::Ok;
  r.dsn = "2.0.0";
  r.text = "delivered to maildir";
  r.path = newPath;
  return r;
}

}  // namespace

DeliveryResult deliverToMaildir(const std::string& maildir, MessageSource& source,
                                const MaildirQuota& quota) {
  try {
    return deliver(maildir, source, quota);
  } catch (const MailboxError& e) {
    return failureResult(e, maildir);
  }
}

}  // namespace posthorn::mailbox
