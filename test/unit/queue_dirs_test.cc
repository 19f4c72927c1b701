// queue_dirs_test - the queue directory tree, moves between queues, and
// sweeping writers' leftover temporary files
#include "lib/queue/queue_dirs.h"

#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/queue/queue_error.h"
#include "lib/queue/queue_file_reader.h"
#include "lib/queue/queue_file_writer.h"
#include "test/unit/test_util.h"

namespace posthorn::queue {
namespace {

using namespace posthorn::testing;

mode_t modeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(QueueDirsTest, NamesAndModes) {
  EXPECT_EQ(kAllQueueDirs.size(), 14u);
  for (QueueDir d : kAllQueueDirs) EXPECT_EQ(queueDirFromName(queueDirName(d)), d);
  EXPECT_EQ(queueDirName(QueueDir::Incoming), "incoming");
  EXPECT_EQ(queueDirName(QueueDir::Pid), "pid");
  EXPECT_FALSE(queueDirFromName("tmp"));
  EXPECT_EQ(queueDirMode(QueueDir::Maildrop), 01730u);
  EXPECT_EQ(queueDirMode(QueueDir::Public), 0710u);
  EXPECT_EQ(queueDirMode(QueueDir::Active), 0700u);
  const QueueId id = QueueId::generate();
  EXPECT_EQ(queueFilePath("/q", QueueDir::Deferred, id), "/q/deferred/" + id.str());
}

TEST(QueueDirsTest, CreatesTheTreeWithExactModes) {
  TempDir dir;
  const std::string q = dir / "spool";
  const mode_t oldMask = umask(077);  // modes must not depend on the umask
  createQueueDirectories(q);
  umask(oldMask);
  EXPECT_EQ(modeOf(q), 0755u);
  const std::vector<std::string> expected = {"active", "bounce", "corrupt", "defer", "deferred", "dmarc", "hold",
                                             "incoming", "maildrop", "mta-sts", "pid", "private", "public", "tls-rpt"};
  EXPECT_EQ(listDir(q), expected);
  for (QueueDir d : kAllQueueDirs) EXPECT_EQ(modeOf(queueDirPath(q, d)), queueDirMode(d)) << queueDirName(d);

  // Idempotent, and repairs a wrong mode.
  chmod(queueDirPath(q, QueueDir::Maildrop).c_str(), 0777);
  createQueueDirectories(q);
  EXPECT_EQ(modeOf(queueDirPath(q, QueueDir::Maildrop)), 01730u);

  // Something that is not a directory in the way is a clear error.
  TempDir other;
  const std::string q2 = other / "spool";
  ASSERT_EQ(mkdir(q2.c_str(), 0755), 0);
  writeFile(q2 + "/hold", "oops");
  try {
    createQueueDirectories(q2);
    FAIL();
  } catch (const QueueFileError& e) {
    EXPECT_EQ(e.path(), q2 + "/hold");
    EXPECT_EQ(e.detail(), "exists and is not a directory");
  }
}

TEST(QueueDirsTest, OwnershipAsRoot) {
  if (geteuid() != 0) {
    std::printf("needs root to chown; ownership not tested\n");
    GTEST_SKIP();
  }
  const passwd* nobody = getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  TempDir dir;
  const std::string q = dir / "spool";
  const gid_t setgidGroup = nobody->pw_gid == 65534 ? 0 : 65534;
  createQueueDirectories(q, {nobody->pw_uid, nobody->pw_gid, setgidGroup});
  for (QueueDir d : kAllQueueDirs) {
    struct stat st;
    ASSERT_EQ(stat(queueDirPath(q, d).c_str(), &st), 0);
    if (d == QueueDir::Pid) {
      EXPECT_EQ(st.st_uid, 0u);
    } else {
      EXPECT_EQ(st.st_uid, nobody->pw_uid) << queueDirName(d);
      EXPECT_EQ(st.st_gid, (d == QueueDir::Maildrop || d == QueueDir::Public) ? setgidGroup : nobody->pw_gid)
          << queueDirName(d);
    }
    EXPECT_EQ(st.st_mode & 07777, queueDirMode(d)) << queueDirName(d) << " (chown clears set-id bits)";
  }
  struct stat st;
  ASSERT_EQ(stat(q.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
}

TEST(QueueDirsTest, MoveNeverReplaces) {
  TempDir dir;
  createQueueDirectories(dir.path());
  QueueFileWriter w(queueDirPath(dir.path(), QueueDir::Incoming));
  w.appendContent("x");
  Envelope e;
  e.recipients.push_back({});
  w.commit(e);
  moveQueueFile(dir.path(), w.id(), QueueDir::Incoming, QueueDir::Active);
  EXPECT_TRUE(listDir(queueDirPath(dir.path(), QueueDir::Incoming)).empty());
  EXPECT_EQ(listDir(queueDirPath(dir.path(), QueueDir::Active)), std::vector<std::string>{w.id().str()});
  moveQueueFile(dir.path(), w.id(), QueueDir::Active, QueueDir::Deferred, true);
  EXPECT_EQ(QueueFileReader(queueFilePath(dir.path(), QueueDir::Deferred, w.id())).readContent(), "x");

  writeFile(queueFilePath(dir.path(), QueueDir::Hold, w.id()), "other");
  EXPECT_THROW(moveQueueFile(dir.path(), w.id(), QueueDir::Deferred, QueueDir::Hold), QueueFileError);
  EXPECT_EQ(readFile(queueFilePath(dir.path(), QueueDir::Hold, w.id())), "other");
  EXPECT_THROW(moveQueueFile(dir.path(), w.id(), QueueDir::Active, QueueDir::Hold), QueueFileError);
}

TEST(QueueDirsTest, RemovesOnlyStaleTempFiles) {
  TempDir dir;
  const std::string oldTemp = "." + QueueId::generate().str() + ".tmp";
  const std::string newTemp = "." + QueueId::generate().str() + ".tmp";
  const std::string queueFile = QueueId::generate().str();
  for (const std::string& name : {oldTemp, newTemp, queueFile, std::string(".other"), std::string("x.tmp")})
    writeFile(dir / name, "data");
  const timespec old[2] = {{time(nullptr) - 7200, 0}, {time(nullptr) - 7200, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, (dir / oldTemp).c_str(), old, 0), 0);
  ASSERT_EQ(utimensat(AT_FDCWD, (dir / queueFile).c_str(), old, 0), 0);
  EXPECT_TRUE(isTempFileName(oldTemp));
  EXPECT_FALSE(isTempFileName(queueFile));
  EXPECT_FALSE(isTempFileName(".other"));
  EXPECT_EQ(removeStaleTempFiles(dir.path(), std::chrono::hours(1)), 1u);
  std::vector<std::string> left = {newTemp, ".other", queueFile, "x.tmp"};
  std::sort(left.begin(), left.end());
  EXPECT_EQ(listDir(dir.path()), left);
}

}  // namespace
}  // namespace posthorn::queue
