// hash_map - reads a Berkeley DB hash table and follows its rebuilds.
#include "lib/map/hash_map.h"

#include <cerrno>
#include <cstring>
#include <db.h>
#include <sys/stat.h>

namespace posthorn::map {

namespace {

// What identifies the file at a path: a rebuild renames a new file over it.
struct FileIdentity {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  timespec mtime{};

  static FileIdentity of(const struct stat& st) {
    return {st.st_dev, st.st_ino, st.st_size, st.st_mtim};
  }
  bool operator==(const FileIdentity& o) const {
    return dev == o.dev && ino == o.ino && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
           mtime.tv_nsec == o.mtime.tv_nsec;
  }
};

// Berkeley DB's own explanation of an error goes to the string that the
// handle's environment points at, instead of to stderr.
void keepDbMessage(const DB_ENV* env, const char* /*prefix*/, const char* message) {
  if (env != nullptr && env->app_private != nullptr) {
    *static_cast<std::string*>(env->app_private) = message;
  }
}

std::string dbError(const std::string& what, const std::string& path, int ret,
                    const std::string& detail = {}) {
  std::string text = what + " " + path + ": " + db_strerror(ret);
  if (!detail.empty()) text += " (" + detail + ")";
  return text;
}

}  // namespace

struct HashMap::Handle {
  DB* db = nullptr;
  FileIdentity identity;
  std::string lastMessage;  // Berkeley DB's detail for the last error

  explicit Handle(const std::string& path) {
    int ret = db_create(&db, nullptr, 0);
    if (ret != 0) throw MapError(dbError("cannot create a database handle for", path, ret));
    // Keep Berkeley DB from printing to stderr on its own; errors are thrown.
    db->dbenv->app_private = &lastMessage;
    db->set_errcall(db, keepDbMessage);
    ret = db->open(db, nullptr, path.c_str(), nullptr, DB_HASH, DB_RDONLY, 0);
    if (ret != 0) {
      db->close(db, 0);
      db = nullptr;
      if (ret == ENOENT) {
        throw MapError("table " + path +
                       " does not exist: build it from its source with posthorn map or newaliases");
      }
      throw MapError(dbError("cannot open hash table", path, ret, lastMessage));
    }
    int fd = -1;
    struct stat st;
    if (db->fd(db, &fd) != 0 || ::fstat(fd, &st) != 0) {
      int err = errno;
      db->close(db, 0);
      db = nullptr;
      throw MapError("cannot stat " + path + ": " + std::strerror(err));
    }
    identity = FileIdentity::of(st);
  }
  ~Handle() {
    if (db != nullptr) db->close(db, 0);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
};

HashMap::HashMap(std::string sourcePath)
    : sourcePath_(std::move(sourcePath)), dbPath_(hashDbPath(sourcePath_)) {
  handle_ = std::make_unique<Handle>(dbPath_);
  opens_ = 1;
}

HashMap::~HashMap() = default;

void HashMap::reopenIfChanged() {
  struct stat st;
  if (::stat(dbPath_.c_str(), &st) != 0) {
    throw MapError("cannot stat table " + dbPath_ + ": " + std::strerror(errno));
  }
  if (handle_ && FileIdentity::of(st) == handle_->identity) return;
  // Open the new file before letting go of the old one: if the open fails,
  // the next lookup tries again.
  auto fresh = std::make_unique<Handle>(dbPath_);
  handle_ = std::move(fresh);
  ++opens_;
}

std::optional<std::string> HashMap::lookup(std::string_view key) {
  reopenIfChanged();
  std::string folded = foldKey(key);
  DBT k;
  DBT v;
  std::memset(&k, 0, sizeof k);
  std::memset(&v, 0, sizeof v);
  k.data = folded.data();
  k.size = static_cast<u_int32_t>(folded.size());
  int ret = handle_->db->get(handle_->db, nullptr, &k, &v, 0);
  if (ret == DB_NOTFOUND) return std::nullopt;
  if (ret != 0) throw MapError(dbError("cannot read", dbPath_, ret, handle_->lastMessage));
  return std::string(static_cast<const char*>(v.data), v.size);
}

}  // namespace posthorn::map
