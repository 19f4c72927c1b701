// folder_watch - inotify on a Maildir folder for IDLE
#include "imapd/folder_watch.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lib/mailbox/mailbox_index.h"

namespace posthorn::imapd {

FolderWatch::~FolderWatch() {
  if (fd_ >= 0) ::close(fd_);
}

void FolderWatch::clear() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = dirWatch_ = newWatch_ = curWatch_ = -1;
  dir_.clear();
}

bool FolderWatch::watch(const std::string& dir) {
  if (dir == dir_ && fd_ >= 0) return true;
  clear();
  fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) return false;
  dir_ = dir;
  // The index's files are replaced by rename (base) or appended to (log).
  dirWatch_ = ::inotify_add_watch(fd_, dir.c_str(), IN_MODIFY | IN_MOVED_TO | IN_CREATE);
  const uint32_t files = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO;
  newWatch_ = ::inotify_add_watch(fd_, (dir + "/new").c_str(), files);
  curWatch_ = ::inotify_add_watch(fd_, (dir + "/cur").c_str(), files);
  if (dirWatch_ < 0) {
    clear();
    return false;
  }
  return true;
}

FolderWatch::Changes FolderWatch::drain() {
  Changes c;
  if (fd_ < 0) return c;
  alignas(inotify_event) char buf[8192];
  while (true) {
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t off = 0; off < n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(buf + off);
      off += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
      if (e->mask & IN_Q_OVERFLOW) {
        c.index = c.files = true;
      } else if (e->wd == dirWatch_) {
        const char* name = e->len > 0 ? e->name : "";
        if (std::strncmp(name, mailbox::MailboxIndex::kBaseName, std::strlen(mailbox::MailboxIndex::kBaseName)) == 0 &&
            std::strstr(name, ".lock") == nullptr)
          c.index = true;
      } else {
        // The files a delivery moves into new/ show up in the log too;
        // a scan is for what other programs do.
        c.files = true;
      }
    }
  }
  return c;
}

}  // namespace posthorn::imapd
