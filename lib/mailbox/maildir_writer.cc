// maildir_writer - tmp/, fsync, quota check, rename into new/, maildirsize
#include "lib/mailbox/maildir_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "lib/log/log.h"
#include "lib/mailbox/dovecot_keywords.h"
#include "lib/mailbox/mailbox_error.h"
#include "lib/mailbox/mailbox_index.h"
#include "lib/mailbox/mailbox_io.h"
#include "lib/mailbox/maildir_folder.h"
#include "lib/mailbox/maildir_name.h"

namespace posthorn::mailbox {
namespace {

constexpr std::size_t kBufferSize = 64 * 1024;
constexpr mode_t kDirMode = 0700;
constexpr mode_t kFileMode = 0600;
constexpr int kMaxNameAttempts = 100;
// A delivery reads the whole index log (header only); past this size it
// rewrites the base so the log starts empty again.
constexpr std::uint64_t kCompactLogBytes = 128 * 1024;

// The header-only index of `maildir`, current, with the index lock held.
// A process that delivers again and again (local) keeps it between
// deliveries, so each one reads only what was logged since the last,
// not the whole log. Per thread, and only a few folders.
MailboxIndex& lockedIndex(const std::string& maildir) {
  constexpr std::size_t kCachedFolders = 16;
  thread_local std::map<std::string, std::unique_ptr<MailboxIndex>> cache;
  auto& slot = cache[maildir];
  if (slot && slot->exists()) {
    try {
      slot->refresh();
      return *slot;
    } catch (const std::exception&) {
      slot.reset();  // replaced or damaged underneath us: load it afresh
    }
  }
  if (cache.size() > kCachedFolders) {
    std::unique_ptr<MailboxIndex> keep = std::move(slot);
    cache.clear();
    cache[maildir] = std::move(keep);
  }
  auto& fresh = cache[maildir];
  fresh = std::make_unique<MailboxIndex>(maildir, true);
  try {
    MaildirFolder::loadOrCreateLocked(*fresh);
  } catch (...) {
    cache.erase(maildir);
    throw;
  }
  return *fresh;
}

void ensureMaildir(const std::string& maildir) {
  makeDirectories(maildir, kDirMode);
  for (const char* sub : {"cur", "new", "tmp"}) makeDirectories(maildir + "/" + sub, kDirMode);
}

// A Maildir++ folder: the directory plus its (empty) maildirfolder file.
void ensureFolder(const std::string& root, const std::string& folderDir) {
  if (folderDir == root) return;
  struct stat st;
  if (::stat((folderDir + "/maildirfolder").c_str(), &st) == 0) return;
  ensureMaildir(root);  // the root of a Maildir++ is INBOX, a Maildir too
  ensureMaildir(folderDir);
  const std::string marker = folderDir + "/maildirfolder";
  const int fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, kFileMode);
  if (fd < 0) throwMailboxError("cannot create", marker, errno);
  ::close(fd);
}

// Records the message renamed into place with the folder's next UID (the
// lock is held); the log is written but not yet fdatasync'ed (*index does
// that after the lock is released). A failure leaves the message
// delivered without a UID: the next sync gives it one.
std::uint32_t recordInIndex(MailboxIndex& index, const std::string& name, bool inNew, const MessageFlags& flags,
                            std::uint64_t size, std::uint64_t vsize) {
  try {
    IndexedMessage m;
    m.uid = index.state().header.uidNext;
    m.modseq = index.state().header.highestModseq + 1;
    m.name = name;
    m.inNew = inNew;
    m.flags = flags;
    m.size = size;
    m.vsize = vsize;
    index.append({appendRecord(m)}, false);
    if (index.logBytes() > kCompactLogBytes) index.compact();
    return m.uid;
  } catch (const std::exception& e) {
    log::warning("delivered to %s but not indexed (the next sync will): %s", index.directory().c_str(), e.what());
    return 0;
  }
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

DeliveryResult deliver(const std::string& root, const std::string& maildir, MessageSource& source,
                       const MaildirQuota& quota, const MessageFlags& flags) {
  ensureFolder(root, maildir);
  TmpFile tmp = createTmpFile(maildir);
  UnlinkGuard removeTmp(tmp.path);
  const Copied copied = copyMessage(source, tmp.fd.get(), tmp.path);
  fsyncFd(tmp.fd.get(), tmp.path);
  tmp.fd.close(tmp.path);

  MaildirSizeFile sizeFile = MaildirSizeFile::open(root, quota, copied.size);
  if (quotaExceeded(quota, sizeFile.usage(), copied.size)) {
    return overQuotaResult(root, quota, sizeFile.usage(), copied.size);
  }

  // The index lock is taken after maildirsize (the order every writer
  // uses) and held across the rename and the record, so a sync never
  // sees this file without its record. The fsyncs come after the lock is
  // released; the delivery is acknowledged only after both.
  std::optional<IndexLock> lock(std::in_place, maildir);
  MailboxIndex& index = lockedIndex(maildir);
  const std::uint64_t vsize = copied.size + copied.bareLineFeeds;
  std::string newName = tmp.name + ",S=" + std::to_string(copied.size) + ",W=" + std::to_string(vsize);
  const bool inNew = flags == MessageFlags{};
  if (!inNew) {
    DovecotKeywords kw = DovecotKeywords::load(maildir);
    newName += ":2," + kw.lettersFor(flags);
    kw.save(maildir);
  }
  const std::string dir = maildir + (inNew ? "/new" : "/cur");
  const std::string newPath = dir + "/" + newName;
  renameIntoNew(maildir, tmp.path, newPath);
  removeTmp.dismiss();
  const std::uint32_t uid = recordInIndex(index, newName, inNew, flags, copied.size, vsize);
  lock.reset();
  try {
    fsyncDirectory(dir);
  } catch (const MailboxError&) {
    // Not durable: take it back so the retry does not make a duplicate.
    ::unlink(newPath.c_str());
    throw;
  }

  try {
    index.syncLog();
  } catch (const MailboxError& e) {
    // Delivered; the record may be lost in a system crash, and then the
    // next sync gives the message a UID.
    log::warning("%s", e.what());
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
  r.uid = uid;
  return r;
}

}  // namespace

DeliveryResult deliverToMaildir(const std::string& maildir, MessageSource& source,
                                const MaildirQuota& quota) {
  return deliverToMaildirFolder(maildir, maildir, source, quota);
}

DeliveryResult deliverToMaildirFolder(const std::string& maildir, const std::string& folderDir,
                                      MessageSource& source, const MaildirQuota& quota,
                                      const MessageFlags& flags) {
  std::string root = maildir;
  std::string folder = folderDir;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  while (folder.size() > 1 && folder.back() == '/') folder.pop_back();
  try {
    return deliver(root, folder, source, quota, flags);
  } catch (const MailboxError& e) {
    return failureResult(e, folderDir);
  }
}

}  // namespace posthorn::mailbox
