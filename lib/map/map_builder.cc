// map_builder - writes a Berkeley DB hash table atomically (temp, sync, rename).
#include "lib/map/map_builder.h"

#include "lib/map/hash_map.h"

#include <cerrno>
#include <cstring>
#include <db.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

namespace posthorn::map {

namespace {

std::string errnoText(int err) { return std::strerror(err); }

void keepDbMessage(const DB_ENV* env, const char* /*prefix*/, const char* message) {
  if (env != nullptr && env->app_private != nullptr) {
    *static_cast<std::string*>(env->app_private) = message;
  }
}

std::string directoryOf(const std::string& path) {
  std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// The temporary file: removed on every path that does not end in rename.
class TempFile {
 public:
  explicit TempFile(const std::string& finalPath) : path_(finalPath + ".tmpXXXXXX") {
    fd_ = ::mkostemp(path_.data(), O_CLOEXEC);  // O_CREAT | O_EXCL, mode 0600
    if (fd_ < 0) {
      throw MapError("cannot create a temporary file next to " + finalPath + ": " +
                     errnoText(errno));
    }
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!renamed_) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::string& path() const { return path_; }
  int fd() const { return fd_; }

  void closeChecked() {
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) throw MapError("cannot close " + path_ + ": " + errnoText(errno));
  }
  void renameTo(const std::string& finalPath) {
    if (::rename(path_.c_str(), finalPath.c_str()) != 0) {
      throw MapError("cannot rename " + path_ + " to " + finalPath + ": " + errnoText(errno));
    }
    renamed_ = true;
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool renamed_ = false;
};

// A Berkeley DB handle that is closed exactly once.
class DbWriter {
 public:
  DbWriter(const std::string& path, std::size_t expectedEntries) : path_(path) {
    int ret = db_create(&db_, nullptr, 0);
    if (ret != 0) fail("cannot create a database handle for", ret);
    db_->dbenv->app_private = &lastMessage_;
    db_->set_errcall(db_, keepDbMessage);
    if (expectedEntries > 0) {
      db_->set_h_nelem(db_, static_cast<u_int32_t>(expectedEntries));
    }
    // The file exists (created empty with O_EXCL); Berkeley DB sets it up.
    ret = db_->open(db_, nullptr, path.c_str(), nullptr, DB_HASH, DB_CREATE, 0600);
    if (ret != 0) fail("cannot create hash table", ret);
  }
  ~DbWriter() {
    if (db_ != nullptr) db_->close(db_, 0);
  }
  DbWriter(const DbWriter&) = delete;
  DbWriter& operator=(const DbWriter&) = delete;

  void put(const std::string& key, const std::string& value) {
    DBT k;
    DBT v;
    std::memset(&k, 0, sizeof k);
    std::memset(&v, 0, sizeof v);
    k.data = const_cast<char*>(key.data());
    k.size = static_cast<u_int32_t>(key.size());
    v.data = const_cast<char*>(value.data());
    v.size = static_cast<u_int32_t>(value.size());
    int ret = db_->put(db_, nullptr, &k, &v, 0);
    if (ret != 0) fail("cannot write to", ret);
  }

  void syncAndClose() {
    int ret = db_->sync(db_, 0);
    if (ret != 0) fail("cannot sync", ret);
    DB* db = db_;
    db_ = nullptr;  // DB->close frees the handle even when it fails
    ret = db->close(db, 0);
    if (ret != 0) fail("cannot close", ret);
  }

 private:
  [[noreturn]] void fail(const std::string& what, int ret) {
    std::string text = what + " " + path_ + ": " + db_strerror(ret);
    if (!lastMessage_.empty()) text += " (" + lastMessage_ + ")";
    throw MapError(text);
  }

  std::string path_;
  DB* db_ = nullptr;
  std::string lastMessage_;
};

void syncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw MapError("cannot open directory " + dir + ": " + errnoText(errno));
  int ret = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (ret != 0) throw MapError("cannot sync directory " + dir + ": " + errnoText(err));
}

}  // namespace

void writeHashMap(const std::string& dbPath, const std::vector<SourceEntry>& entries,
                  const DbFileAttributes& attributes) {
  TempFile temp(dbPath);
  {
    DbWriter writer(temp.path(), entries.size());
    for (const SourceEntry& entry : entries) writer.put(entry.key, entry.value);
    writer.syncAndClose();
  }
  if (::fchmod(temp.fd(), attributes.mode) != 0) {
    throw MapError("cannot set the mode of " + temp.path() + ": " + errnoText(errno));
  }
  if (attributes.uid || attributes.gid) {
    uid_t uid = attributes.uid ? *attributes.uid : static_cast<uid_t>(-1);
    gid_t gid = attributes.gid ? *attributes.gid : static_cast<gid_t>(-1);
    if (::fchown(temp.fd(), uid, gid) != 0) {
      throw MapError("cannot set the owner of " + temp.path() + ": " + errnoText(errno));
    }
  }
  // fsync covers the file whichever descriptor wrote it.
  if (::fsync(temp.fd()) != 0) {
    throw MapError("cannot sync " + temp.path() + ": " + errnoText(errno));
  }
  temp.closeChecked();
  temp.renameTo(dbPath);
  syncDirectory(directoryOf(dbPath));
}

BuildReport buildHashMap(const std::string& sourcePath, SourceFormat format) {
  MapSource source = readMapSource(sourcePath, format);
  struct stat st;
  if (::stat(sourcePath.c_str(), &st) != 0) {
    throw MapError("cannot stat " + sourcePath + ": " + errnoText(errno));
  }
  DbFileAttributes attributes;
  attributes.mode = st.st_mode & 0666;
  if (::geteuid() == 0) {
    attributes.uid = st.st_uid;
    attributes.gid = st.st_gid;
  }
  BuildReport report;
  report.dbPath = hashDbPath(sourcePath);
  report.entries = source.entries.size();
  report.warnings = std::move(source.warnings);
  writeHashMap(report.dbPath, source.entries, attributes);
  return report;
}

}  // namespace posthorn::map
