// mailbox_check - read-only check and locked repair of a folder
#include "lib/mailbox/mailbox_check.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <unordered_map>

#include "lib/log/log.h"
#include "lib/mailbox/dovecot_keywords.h"
#include "lib/mailbox/mailbox_error.h"
#include "lib/mailbox/maildir_quota.h"

namespace posthorn::mailbox {
namespace {

constexpr time_t kStaleTmp = 36 * 3600;  // the Maildir convention

std::vector<std::string> staleTmpFiles(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir((dir + "/tmp").c_str());
  if (d == nullptr) return out;
  const time_t now = ::time(nullptr);
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    struct stat st;
    if (::fstatat(::dirfd(d), e->d_name, &st, 0) == 0 && S_ISREG(st.st_mode) && st.st_mtime + kStaleTmp < now)
      out.push_back(dir + "/tmp/" + e->d_name);
  }
  ::closedir(d);
  return out;
}

struct DirFile {
  std::string name;
  bool inNew;
};

std::unordered_map<std::string, DirFile> listMessages(const std::string& dir) {
  std::unordered_map<std::string, DirFile> out;
  for (const char* sub : {"new", "cur"}) {
    DIR* d = ::opendir((dir + "/" + sub).c_str());
    if (d == nullptr) continue;
    while (const dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      const std::string name = e->d_name;
      out[std::string(maildirBase(name))] = DirFile{name, sub[0] == 'n'};
    }
    ::closedir(d);
  }
  return out;
}

void checkQuota(const std::string& quotaRoot, CheckReport& r) {
  const std::string path = quotaRoot + "/maildirsize";
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return;
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return;
  const MaildirSizeContent c = parseMaildirSize(readAll(fd.get(), path));
  const MaildirUsage real = scanMaildirUsage(quotaRoot);
  if (!c.valid) {
    r.problems.push_back(path + ": malformed");
  } else if (!(c.usage == real)) {
    r.problems.push_back(path + ": says " + std::to_string(c.usage.bytes) + " bytes in " +
                         std::to_string(c.usage.messages) + " messages, the Maildir holds " +
                         std::to_string(real.bytes) + " bytes in " + std::to_string(real.messages));
  }
}

}  // namespace

CheckReport checkFolder(const std::string& quotaRoot, const std::string& folderDir) {
  CheckReport r;
  MailboxIndex index(folderDir);
  if (!index.exists()) {
    r.problems.push_back(folderDir + ": no index (repair, or the next delivery or login, creates it)");
  } else {
    try {
      index.load();
      const auto& h = index.state().header;
      r.notes.push_back("UIDVALIDITY " + std::to_string(h.uidValidity) + ", UIDNEXT " + std::to_string(h.uidNext) +
                        ", HIGHESTMODSEQ " + std::to_string(h.highestModseq) + ", " +
                        std::to_string(index.state().messages().size()) + " messages");
      if (index.logDamagedBytes() > 0)
        r.problems.push_back(folderDir + "/" + MailboxIndex::kLogName + ": " + std::to_string(index.logDamagedBytes()) +
                             " bytes of an interrupted write at the end");
      if (!index.state().messages().empty() && index.state().messages().back().uid >= h.uidNext)
        r.problems.push_back(folderDir + ": UIDNEXT is not above the highest UID");
      const DovecotKeywords kw = DovecotKeywords::load(folderDir);
      auto files = listMessages(folderDir);
      std::size_t gone = 0, changed = 0;
      for (const auto& m : index.state().messages()) {
        const auto it = files.find(m.base());
        if (it == files.end()) {
          ++gone;
          continue;
        }
        if (it->second.name != m.name) {
          MessageFlags f = kw.flagsFromName(it->second.name);
          for (const auto& k : m.flags.keywords) {
            if (!kw.letter(k)) f.addKeyword(k);
          }
          if (!(f == m.flags) || it->second.inNew != m.inNew) ++changed;
        }
        files.erase(it);
      }
      if (!files.empty())
        r.problems.push_back(folderDir + ": " + std::to_string(files.size()) + " messages without a UID");
      if (gone > 0) r.problems.push_back(folderDir + ": " + std::to_string(gone) + " indexed messages are gone");
      if (changed > 0)
        r.problems.push_back(folderDir + ": " + std::to_string(changed) + " messages renamed outside (flags)");
    } catch (const IndexDamaged& e) {
      r.problems.push_back(std::string(e.what()) + " (repair rebuilds it with a new UIDVALIDITY)");
    }
  }
  const auto stale = staleTmpFiles(folderDir);
  if (!stale.empty()) r.problems.push_back(folderDir + "/tmp: " + std::to_string(stale.size()) + " stale files");
  if (folderDir == quotaRoot) checkQuota(quotaRoot, r);
  return r;
}

CheckReport repairFolder(const std::string& quotaRoot, const std::string& folderDir) {
  CheckReport r = checkFolder(quotaRoot, folderDir);
  MaildirFolder folder(folderDir, quotaRoot);
  const SyncChanges opened = folder.open();
  if (opened.rebuilt) r.notes.push_back("index rebuilt: new UIDVALIDITY " + std::to_string(folder.header().uidValidity));
  const SyncChanges c = folder.sync();
  {
    IndexLock lock(folderDir);
    folder.refresh();
    folder.index().compact();
  }
  r.notes.push_back("synced: " + std::to_string(c.added.size()) + " new, " + std::to_string(c.changed.size()) +
                    " changed, " + std::to_string(c.expunged.size()) + " gone");
  for (const auto& p : staleTmpFiles(folderDir)) {
    if (::unlink(p.c_str()) == 0) log::info("removed stale %s", p.c_str());
  }
  if (folderDir == quotaRoot) rebuildMaildirSize(quotaRoot);
  return r;
}

}  // namespace posthorn::mailbox
