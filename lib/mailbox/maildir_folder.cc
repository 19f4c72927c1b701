// maildir_folder - index creation and import, directory sync, flags, expunge
#include "lib/mailbox/maildir_folder.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <unordered_map>

#include "lib/log/log.h"
#include "lib/mailbox/dovecot_keywords.h"
#include "lib/mailbox/mailbox_error.h"
#include "lib/mailbox/maildir_name.h"
#include "lib/mailbox/uid_import.h"

namespace posthorn::mailbox {
namespace {

constexpr int kScanAttempts = 4;
constexpr std::size_t kBufferSize = 64 * 1024;

struct FileEntry {
  std::string name;
  bool inNew = false;
};
using FileMap = std::unordered_map<std::string, FileEntry>;

void scanDirectory(const std::string& dir, bool inNew, FileMap& out) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return;
    throwMailboxError("cannot read directory", dir, errno);
  }
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    if (e->d_type != DT_REG && e->d_type != DT_UNKNOWN) continue;
    std::string name = e->d_name;
    std::string base(maildirBase(name));
    // cur/ is scanned after new/: a file moved meanwhile is seen in cur/.
    out[std::move(base)] = FileEntry{std::move(name), inNew};
  }
  ::closedir(d);
}

struct DirTimes {
  timespec news{}, cur{};
  bool operator==(const DirTimes& o) const {
    return news.tv_sec == o.news.tv_sec && news.tv_nsec == o.news.tv_nsec && cur.tv_sec == o.cur.tv_sec &&
           cur.tv_nsec == o.cur.tv_nsec;
  }
};

DirTimes dirTimes(const std::string& dir) {
  DirTimes t;
  struct stat st;
  if (::stat((dir + "/new").c_str(), &st) == 0) t.news = st.st_mtim;
  if (::stat((dir + "/cur").c_str(), &st) == 0) t.cur = st.st_mtim;
  return t;
}

// new/ then cur/; rescans while a message seems gone and the directories
// changed during the scan (a rename by another program can hide a file
// from one readdir pass).
FileMap scanFolder(const std::string& dir, const std::function<bool(const FileMap&)>& looksComplete) {
  FileMap files;
  for (int attempt = 0; attempt < kScanAttempts; ++attempt) {
    const DirTimes before = dirTimes(dir);
    files.clear();
    scanDirectory(dir + "/new", true, files);
    scanDirectory(dir + "/cur", false, files);
    if (looksComplete(files) || dirTimes(dir) == before) break;
  }
  return files;
}

std::uint64_t fileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return kUnknownSize;
  return static_cast<std::uint64_t>(st.st_size);
}

IndexedMessage describe(const std::string& dir, const FileEntry& f, const DovecotKeywords& kw) {
  IndexedMessage m;
  m.name = f.name;
  m.inNew = f.inNew;
  m.flags = kw.flagsFromName(f.name);
  if (!maildirNameField(f.name, 'S', m.size)) m.size = fileSize(dir + (f.inNew ? "/new/" : "/cur/") + f.name);
  if (!maildirNameField(f.name, 'W', m.vsize)) m.vsize = kUnknownSize;
  return m;
}

std::vector<std::pair<std::string, FileEntry>> sortedByName(FileMap& files) {
  std::vector<std::pair<std::string, FileEntry>> out(files.begin(), files.end());
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second.name < b.second.name; });
  return out;
}

void makeMaildir(const std::string& dir) {
  makeDirectories(dir, 0700);
  for (const char* sub : {"cur", "new", "tmp"}) makeDirectories(dir + "/" + sub, 0700);
}

// Builds a fresh index from the directory (lock held).
SyncChanges createIndexAt(const std::string& dir, bool rebuild) {
  SyncChanges changes;
  changes.created = true;
  changes.rebuilt = rebuild;
  std::optional<ImportedUids> imported;
  if (!rebuild) imported = importUids(dir);
  IndexHeader h;
  h.uidValidity = imported ? imported->uidValidity : static_cast<std::uint32_t>(::time(nullptr));
  h.uidNext = imported ? std::max<std::uint32_t>(imported->uidNext, 1) : 1;
  if (imported) changes.importedFrom = imported->source;

  const DovecotKeywords kw = DovecotKeywords::load(dir);
  FileMap files = scanFolder(dir, [](const FileMap&) { return true; });
  std::vector<IndexedMessage> messages;
  std::vector<std::pair<std::string, FileEntry>> unknown;
  std::unordered_map<std::uint32_t, bool> used;
  for (auto& entry : sortedByName(files)) {
    std::uint32_t uid = 0;
    if (imported) {
      const auto it = imported->byBase.find(entry.first);
      if (it != imported->byBase.end() && !used.count(it->second)) uid = it->second;
    }
    if (uid == 0) {
      unknown.push_back(std::move(entry));
      continue;
    }
    used[uid] = true;
    IndexedMessage m = describe(dir, entry.second, kw);
    m.uid = uid;
    messages.push_back(std::move(m));
  }
  std::sort(messages.begin(), messages.end(), [](const auto& a, const auto& b) { return a.uid < b.uid; });
  if (!messages.empty()) h.uidNext = std::max(h.uidNext, messages.back().uid + 1);
  for (auto& entry : unknown) {
    IndexedMessage m = describe(dir, entry.second, kw);
    m.uid = h.uidNext++;
    messages.push_back(std::move(m));
  }
  h.highestModseq = messages.empty() ? 0 : 1;
  for (auto& m : messages) {
    m.modseq = 1;
    changes.added.push_back(m.uid);
  }
  // A log of an earlier index must not be read against the new base.
  if (::unlink((dir + "/" + MailboxIndex::kLogName).c_str()) == 0) fsyncDirectory(dir);
  MailboxIndex index(dir);
  index.create(h, messages);
  if (rebuild) {
    log::warning("mailbox index of %s rebuilt: new UIDVALIDITY %u, %zu messages", dir.c_str(), h.uidValidity,
                 messages.size());
  } else if (imported) {
    log::info("mailbox index of %s created from %s: UIDVALIDITY %u, %zu messages", dir.c_str(),
              imported->source.c_str(), h.uidValidity, messages.size());
  }
  return changes;
}

}  // namespace

MaildirFolder::MaildirFolder(std::string dir, std::string quotaRoot)
    : dir_(std::move(dir)), quotaRoot_(std::move(quotaRoot)), index_(dir_) {
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
  while (quotaRoot_.size() > 1 && quotaRoot_.back() == '/') quotaRoot_.pop_back();
  index_ = MailboxIndex(dir_);
}

void MaildirFolder::ensureDirectories() { makeMaildir(dir_); }

void MaildirFolder::loadOrCreateLocked(MailboxIndex& index) {
  if (!index.exists()) createIndexAt(index.directory(), false);
  try {
    index.load();
  } catch (const IndexDamaged& e) {
    log::warning("%s", e.what());
    createIndexAt(index.directory(), true);
    index.load();
  }
}

SyncChanges MaildirFolder::createIndex(bool rebuild) {
  SyncChanges c = createIndexAt(dir_, rebuild);
  index_ = MailboxIndex(dir_);
  index_.load();
  return c;
}

SyncChanges MaildirFolder::open() {
  ensureDirectories();
  if (index_.exists()) {
    try {
      index_.load();
      return {};
    } catch (const IndexDamaged& e) {
      log::warning("%s", e.what());
    }
  }
  IndexLock lock(dir_);
  // Someone else may have created (or repaired) it while we waited.
  if (index_.exists()) {
    try {
      index_ = MailboxIndex(dir_);
      index_.load();
      return {};
    } catch (const IndexDamaged&) {
      return createIndex(true);
    }
  }
  return createIndex(false);
}

bool MaildirFolder::refresh() { return index_.refresh(); }

SyncChanges MaildirFolder::sync() {
  IndexLock lock(dir_);
  return syncLocked();
}

SyncChanges MaildirFolder::syncLocked() {
  SyncChanges changes;
  if (!index_.exists()) return createIndex(false);
  try {
    index_.refresh();
  } catch (const IndexDamaged& e) {
    log::warning("%s", e.what());
    return createIndex(true);
  }
  const DovecotKeywords kw = DovecotKeywords::load(dir_);
  const auto& state = index_.state();
  FileMap files = scanFolder(dir_, [&state](const FileMap& f) {
    for (const auto& m : state.messages()) {
      if (!f.count(m.base())) return false;
    }
    return true;
  });

  std::vector<std::vector<std::string>> records;
  std::uint64_t modseq = state.header.highestModseq;
  for (const auto& m : state.messages()) {
    const auto it = files.find(m.base());
    if (it == files.end()) {
      records.push_back(expungeRecord(m.uid, ++modseq));
      changes.expunged.push_back(m.uid);
      continue;
    }
    if (it->second.name != m.name || it->second.inNew != m.inNew) {
      IndexedMessage u = m;
      u.name = it->second.name;
      u.inNew = it->second.inNew;
      MessageFlags f = kw.flagsFromName(u.name);
      // Keywords beyond the 26 letters live only in the index.
      for (const auto& k : m.flags.keywords) {
        if (!kw.letter(k)) f.addKeyword(k);
      }
      if (!(f == m.flags)) {
        u.flags = f;
        u.modseq = ++modseq;
        changes.changed.push_back(m.uid);
      }
      records.push_back(flagsRecord(u));
    }
    files.erase(it);
  }
  std::uint32_t next = state.header.uidNext;
  for (auto& entry : sortedByName(files)) {
    IndexedMessage m = describe(dir_, entry.second, kw);
    m.uid = next++;
    m.modseq = ++modseq;
    records.push_back(appendRecord(m));
    changes.added.push_back(m.uid);
  }
  index_.append(records);
  return changes;
}

std::string MaildirFolder::path(const IndexedMessage& m) const {
  return dir_ + (m.inNew ? "/new/" : "/cur/") + m.name;
}

int MaildirFolder::openMessage(std::uint32_t uid) {
  for (int step = 0; step < 3; ++step) {
    if (step == 1) refresh();
    if (step == 2) sync();
    const IndexedMessage* m = find(uid);
    if (m == nullptr) break;
    const int fd = ::open(path(*m).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0 || errno != ENOENT) return fd;
  }
  errno = ENOENT;
  return -1;
}

std::uint64_t MaildirFolder::virtualSize(std::uint32_t uid) {
  const IndexedMessage* m = find(uid);
  if (m == nullptr) return kUnknownSize;
  if (m->vsize != kUnknownSize) return m->vsize;
  if (const std::string* c = m->cached("vsize")) return std::stoull(*c);
  Fd fd(openMessage(uid));
  if (!fd.valid()) return kUnknownSize;
  std::uint64_t size = 0, lfs = 0;
  char prev = '\0';
  std::vector<char> buf(kBufferSize);
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    size += static_cast<std::uint64_t>(n);
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[static_cast<std::size_t>(i)] == '\n' && prev != '\r') ++lfs;
      prev = buf[static_cast<std::size_t>(i)];
    }
  }
  const std::uint64_t vsize = size + lfs;
  setCached(uid, "vsize", std::to_string(vsize));
  return vsize;
}

std::vector<std::uint32_t> MaildirFolder::storeFlags(const std::vector<std::uint32_t>& uids,
                                                      const MessageFlags& flags, FlagMode mode) {
  IndexLock lock(dir_);
  index_.refresh();
  std::vector<std::uint32_t> done;
  std::vector<std::uint32_t> todo = uids;
  for (int round = 0; round < 2 && !todo.empty(); ++round) {
    // A file renamed by another program since our last sync: sync, retry.
    if (round == 1) syncLocked();
    DovecotKeywords kw = DovecotKeywords::load(dir_);
    std::vector<IndexedMessage> plan;
    std::vector<std::uint32_t> retryUnchanged;
    std::uint64_t modseq = index_.state().header.highestModseq;
    for (const std::uint32_t uid : todo) {
      const IndexedMessage* m = find(uid);
      if (m == nullptr) continue;
      MessageFlags f = m->flags;
      if (mode == FlagMode::Replace) {
        f = flags;
      } else if (mode == FlagMode::Add) {
        f.system |= flags.system;
        for (const auto& k : flags.keywords) f.addKeyword(k);
      } else {
        f.system &= static_cast<std::uint8_t>(~flags.system);
        for (const auto& k : flags.keywords) f.removeKeyword(k);
      }
      if (f == m->flags) {
        // Nothing to change, as far as the index knows; but another
        // program may have renamed the file since our last sync (its
        // flags are then not what the index says): look again after one.
        struct stat st {};
        if (round == 0 && ::stat(path(*m).c_str(), &st) != 0 && errno == ENOENT)
          retryUnchanged.push_back(uid);
        continue;
      }
      IndexedMessage after = *m;
      after.flags = f;
      after.inNew = false;
      after.name = m->base() + ":2," + kw.lettersFor(f);
      after.modseq = ++modseq;
      plan.push_back(std::move(after));
    }
    // Letters must mean something before a name carries them.
    kw.save(dir_);
    std::vector<std::vector<std::string>> records;
    std::vector<std::uint32_t> retry;
    for (const auto& after : plan) {
      const std::string from = path(*find(after.uid));
      const std::string to = path(after);
      if (from != to && ::rename(from.c_str(), to.c_str()) != 0) {
        if (errno != ENOENT) throwMailboxError("cannot rename " + from + " to", to, errno);
        retry.push_back(after.uid);
        continue;
      }
      records.push_back(flagsRecord(after));
      done.push_back(after.uid);
    }
    index_.append(records);
    retry.insert(retry.end(), retryUnchanged.begin(), retryUnchanged.end());
    todo = std::move(retry);
  }
  std::sort(done.begin(), done.end());
  return done;
}

std::vector<std::uint32_t> MaildirFolder::takeNew() {
  // Most calls find nothing: no lock for them.
  if (std::none_of(messages().begin(), messages().end(), [](const IndexedMessage& m) { return m.inNew; }))
    return {};
  IndexLock lock(dir_);
  index_.refresh();
  DovecotKeywords kw = DovecotKeywords::load(dir_);
  std::uint64_t modseq = index_.state().header.highestModseq;
  std::vector<IndexedMessage> plan;
  for (const auto& m : messages()) {
    if (!m.inNew) continue;
    IndexedMessage after = m;
    after.inNew = false;
    after.name = m.base() + ":2," + kw.lettersFor(m.flags);
    after.modseq = ++modseq;
    plan.push_back(std::move(after));
  }
  if (plan.empty()) return {};
  kw.save(dir_);
  std::vector<std::vector<std::string>> records;
  std::vector<std::uint32_t> taken;
  for (const auto& after : plan) {
    const IndexedMessage& m = *find(after.uid);
    const std::string from = path(m);
    const std::string to = path(after);
    if (::rename(from.c_str(), to.c_str()) != 0) {
      if (errno == ENOENT) continue;  // moved by another program: the next sync sees it
      throwMailboxError("cannot rename " + from + " to", to, errno);
    }
    records.push_back(flagsRecord(after));
    taken.push_back(m.uid);
  }
  index_.append(records);
  return taken;
}

std::vector<std::uint32_t> MaildirFolder::expunge(const std::vector<std::uint32_t>& uids) {
  // maildirsize before the index lock, as a delivery does (no deadlock
  // with a delivery holding maildirsize and waiting for the index).
  MaildirSizeFile sizeFile = MaildirSizeFile::open(quotaRoot_, MaildirQuota{}, 0);
  IndexLock lock(dir_);
  index_.refresh();
  std::vector<std::uint32_t> done;
  std::vector<std::uint32_t> todo = uids;
  std::int64_t bytes = 0;
  for (int round = 0; round < 2 && !todo.empty(); ++round) {
    if (round == 1) syncLocked();  // renamed by another program: find the new name
    std::vector<std::vector<std::string>> records;
    std::vector<std::uint32_t> retry;
    std::uint64_t modseq = index_.state().header.highestModseq;
    for (const std::uint32_t uid : todo) {
      const IndexedMessage* m = find(uid);
      if (m == nullptr) continue;
      const std::string p = path(*m);
      std::uint64_t size = m->size;
      if (size == kUnknownSize) size = fileSize(p);
      if (::unlink(p.c_str()) != 0) {
        if (errno != ENOENT) throwMailboxError("cannot remove", p, errno);
        retry.push_back(uid);
        continue;
      }
      if (size != kUnknownSize) bytes += static_cast<std::int64_t>(size);
      records.push_back(expungeRecord(uid, ++modseq));
      done.push_back(uid);
    }
    index_.append(records);
    todo = std::move(retry);
  }
  if (!done.empty()) {
    try {
      sizeFile.add(-bytes, -static_cast<std::int64_t>(done.size()));
    } catch (const MailboxError&) {
      ::unlink(sizeFile.path().c_str());  // rebuilt by the next delivery
    }
  }
  std::sort(done.begin(), done.end());
  return done;
}

void MaildirFolder::setCached(std::uint32_t uid, const std::string& key, const std::string& value) {
  IndexLock lock(dir_);
  index_.append({cacheRecord(uid, key, value)});
}

void MaildirFolder::setCached(const std::vector<CacheEntry>& entries) {
  if (entries.empty()) return;
  std::vector<std::vector<std::string>> records;
  records.reserve(entries.size());
  for (const auto& e : entries) records.push_back(cacheRecord(e.uid, e.key, e.value));
  IndexLock lock(dir_);
  index_.append(records, false);
}

std::string MaildirFolder::uidl(std::uint32_t uid) const { return pop3Uidl(uid, header().uidValidity); }

}  // namespace posthorn::mailbox
