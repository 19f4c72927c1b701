// folder_watch - IDLE's notification that a folder changed: inotify on the
// folder's index log (deliveries and other sessions append to it) and on
// new/ and cur/ (programs that do not know the index), not a polling loop
#pragma once

#include <string>

namespace posthorn::imapd {

class FolderWatch {
 public:
  FolderWatch() = default;
  ~FolderWatch();
  FolderWatch(const FolderWatch&) = delete;
  FolderWatch& operator=(const FolderWatch&) = delete;

  // Watches `dir` (replacing an earlier watch); false when inotify is not
  // available (IDLE then wakes up every few seconds to look).
  bool watch(const std::string& dir);
  void clear();
  int fd() const { return fd_; }
  const std::string& directory() const { return dir_; }

  struct Changes {
    bool index = false;  // the index log or base changed
    bool files = false;  // new/ or cur/ changed
  };
  // Reads the pending events (non-blocking).
  Changes drain();

 private:
  int fd_ = -1;
  int dirWatch_ = -1, newWatch_ = -1, curWatch_ = -1;
  std::string dir_;
};

}  // namespace posthorn::imapd
