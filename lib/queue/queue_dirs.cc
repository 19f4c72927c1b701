// queue_dirs - creating the queue directory tree; moving and sweeping files
#include "lib/queue/queue_dirs.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "lib/queue/queue_error.h"
#include "lib/queue/queue_io.h"

namespace posthorn::queue {
namespace {

struct DirInfo {
  QueueDir dir;
  std::string_view name;
  mode_t mode;
};

constexpr DirInfo kDirs[] = {
    {QueueDir::Maildrop, "maildrop", 01730}, {QueueDir::Incoming, "incoming", 0700},
    {QueueDir::Active, "active", 0700},      {QueueDir::Deferred, "deferred", 0700},
    {QueueDir::Hold, "hold", 0700},          {QueueDir::Corrupt, "corrupt", 0700},
    {QueueDir::Bounce, "bounce", 0700},      {QueueDir::Defer, "defer", 0700},
    {QueueDir::Private, "private", 0700},    {QueueDir::Public, "public", 0710},
    {QueueDir::Pid, "pid", 0755},            {QueueDir::Dmarc, "dmarc", 0700},
    {QueueDir::MtaSts, "mta-sts", 0700},  // smtp's cache of MTA-STS policies
    {QueueDir::TlsRpt, "tls-rpt", 0700},  // smtp's TLS sessions, for TLS-RPT
};

const DirInfo& info(QueueDir dir) {
  for (const DirInfo& d : kDirs)
    if (d.dir == dir) return d;
  return kDirs[0];  // unreachable: every enumerator is in the table
}

// mkdir if missing, then mode and owner exactly as asked.
void ensureDirectory(const std::string& path, mode_t mode, uid_t uid, gid_t gid) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) throwIo(path, "mkdir", errno);
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) throwIo(path, "stat", errno);
  if (!S_ISDIR(st.st_mode))
    throw QueueFileError(QueueFileError::Kind::Io, path, "exists and is not a directory");
  if ((uid != static_cast<uid_t>(-1) || gid != static_cast<gid_t>(-1)) &&
      ((uid != static_cast<uid_t>(-1) && st.st_uid != uid) ||
       (gid != static_cast<gid_t>(-1) && st.st_gid != gid)) &&
      ::chown(path.c_str(), uid, gid) != 0)
    throwIo(path, "chown", errno);
  // chmod after chown: chown clears the set-id bits.
  if (::chmod(path.c_str(), mode) != 0) throwIo(path, "chmod", errno);
}

void fsyncDirectory(const std::string& path) {
  FileHandle fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) throwIo(path, "open directory", errno);
  fsyncChecked(fd.get(), path);
}

}  // namespace

std::string_view queueDirName(QueueDir dir) { return info(dir).name; }

std::optional<QueueDir> queueDirFromName(std::string_view name) {
  for (const DirInfo& d : kDirs)
    if (d.name == name) return d.dir;
  return std::nullopt;
}

mode_t queueDirMode(QueueDir dir) { return info(dir).mode; }

std::string queueDirPath(const std::string& queueDirectory, QueueDir dir) {
  return queueDirectory + "/" + std::string(queueDirName(dir));
}

std::string queueFilePath(const std::string& queueDirectory, QueueDir dir, const QueueId& id) {
  return queueDirPath(queueDirectory, dir) + "/" + id.str();
}

void createQueueDirectories(const std::string& queueDirectory, const QueueOwners& owners) {
  const bool chownWanted = owners.mailOwner != static_cast<uid_t>(-1);
  const uid_t root = chownWanted ? 0 : static_cast<uid_t>(-1);
  const gid_t rootGroup = chownWanted ? 0 : static_cast<gid_t>(-1);
  ensureDirectory(queueDirectory, 0755, root, rootGroup);
  for (const DirInfo& d : kDirs) {
    uid_t uid = owners.mailOwner;
    gid_t gid = owners.mailGroup;
    if (d.dir == QueueDir::Pid) {
      uid = root;
      gid = rootGroup;
    } else if (d.dir == QueueDir::Maildrop || d.dir == QueueDir::Public) {
      gid = owners.setgidGroup;
    }
    ensureDirectory(queueDirPath(queueDirectory, d.dir), d.mode, uid, gid);
  }
}

void moveQueueFile(const std::string& queueDirectory, const QueueId& id, QueueDir from,
                   QueueDir to, bool sync) {
  const std::string source = queueFilePath(queueDirectory, from, id);
  const std::string target = queueFilePath(queueDirectory, to, id);
  if (::renameat2(AT_FDCWD, source.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) != 0) {
    if (errno == EEXIST)
      throw QueueFileError(QueueFileError::Kind::Io, target, "already exists; not replaced");
    throwIo(source, "rename to " + target, errno);
  }
  if (sync) {
    fsyncDirectory(queueDirPath(queueDirectory, to));
    fsyncDirectory(queueDirPath(queueDirectory, from));
  }
}

bool isTempFileName(std::string_view name) {
  return name.size() == 1 + QueueId::kLength + 4 && name.front() == '.' &&
         name.substr(name.size() - 4) == ".tmp" &&
         QueueId::isValid(name.substr(1, QueueId::kLength));
}

std::size_t removeStaleTempFiles(const std::string& directory, std::chrono::seconds maxAge) {
  DIR* d = ::opendir(directory.c_str());
  if (!d) throwIo(directory, "opendir", errno);
  const std::time_t cutoff = std::time(nullptr) - static_cast<std::time_t>(maxAge.count());
  std::size_t removed = 0;
  while (const dirent* e = ::readdir(d)) {
    if (!isTempFileName(e->d_name)) continue;
    struct stat st;
    if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISREG(st.st_mode) && st.st_mtime < cutoff && ::unlinkat(::dirfd(d), e->d_name, 0) == 0)
      ++removed;
  }
  ::closedir(d);
  return removed;
}

}  // namespace posthorn::queue
