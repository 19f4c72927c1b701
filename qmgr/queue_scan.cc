// queue_scan - readdir over a queue subdirectory (see queue_scan.h)
#include "qmgr/queue_scan.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "lib/log/log.h"
#include "lib/queue/queue_id.h"

namespace posthorn::qmgr {

std::vector<std::string> listQueueFiles(
    const std::string& directory,
    std::optional<std::chrono::system_clock::time_point> dueBefore) {
  std::vector<std::string> ids;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(directory.c_str()), ::closedir);
  if (!dir) {
    log::warning("open %s: %s", directory.c_str(), std::strerror(errno));
    return ids;
  }
  const int dirFd = ::dirfd(dir.get());
  while (const dirent* entry = ::readdir(dir.get())) {
    const std::string name = entry->d_name;
    if (!queue::QueueId::isValid(name)) continue;
    if (dueBefore) {
      struct stat st {};
      if (::fstatat(dirFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (std::chrono::system_clock::from_time_t(st.st_mtime) > *dueBefore) continue;
    }
    ids.push_back(name);
  }
  // Queue IDs begin with their time: oldest first.
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace posthorn::qmgr
