// queue_test_util - shared helpers of the queue unit tests: a scratch
// directory, whole-file I/O, and a realistic envelope with every field set
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "lib/queue/queue_envelope.h"

namespace posthorn::queue::testing {

// A fresh directory under $TMPDIR, removed (with its contents) at the end.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/queue_test.XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() { removeTree(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

  static void removeTree(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
      ::chmod(path.c_str(), 0700);
      if (DIR* d = ::opendir(path.c_str())) {
        while (const dirent* e = ::readdir(d)) {
          const std::string name = e->d_name;
          if (name != "." && name != "..") removeTree(path + "/" + name);
        }
        ::closedir(d);
      }
      ::rmdir(path.c_str());
    } else {
      ::unlink(path.c_str());
    }
  }

 private:
  std::string path_;
};

inline std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline void writeFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

// Rewrites a file in place (no O_TRUNC: ext4 flushes a file truncated to
// zero and rewritten, which makes tests that do it thousands of times slow).
inline void overwriteFile(const std::string& path, const std::string& data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot open " + path);
  const bool ok = ::pwrite(fd, data.data(), data.size(), 0) == static_cast<ssize_t>(data.size()) &&
                  ::ftruncate(fd, static_cast<off_t>(data.size())) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot write " + path);
}

// Names in a directory, "." and ".." excluded, sorted.
inline std::vector<std::string> listDir(const std::string& path) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(path.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Every envelope field set to something distinctive, `recipients` of them.
inline Envelope sampleEnvelope(std::size_t recipients = 3) {
  Envelope e;
  e.sender = "sender+tag@example.org";
  e.arrival = Time(std::chrono::microseconds(1700000000123456));
  e.envid = "QQ314159";
  e.ret = Ret::Headers;
  e.body = BodyType::EightBitMime;
  e.smtputf8 = true;
  e.auth = "<sender@example.org>";
  e.client = {"2001:db8::25", "mail.example.org", "mail.example.org", "ESMTPSA", "TLSv1.3",
              "TLS_AES_256_GCM_SHA384", "SCRAM-SHA-256", "sender"};
  e.attributes = {{"rewrite_context", "remote"}, {"x-spam-score", "0.3"}, {"empty", ""}};
  for (std::size_t i = 0; i < recipients; ++i) {
    Recipient r;
    r.address = "user" + std::to_string(i) + "@example.net";
    r.orcpt = "rfc822;User" + std::to_string(i) + "@Example.NET";
    r.notify = static_cast<std::uint8_t>(i % 2 ? notify::kSuccess | notify::kFailure : notify::kDelay);
    r.originalAddress = "User" + std::to_string(i) + "@Example.NET";
    e.recipients.push_back(r);
  }
  return e;
}

}  // namespace posthorn::queue::testing
